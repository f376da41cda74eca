"""Running deployments of the module's registered model on 127.0.0.1: opml's own endpoint
(``local``) and, for the ``/score`` contract, the Azure package under Azure's inference server
(``azureml-local``)."""

import pytest

from opml_core.deploy import get_target

SCORING_TARGETS = ["local", "azureml-local"]


@pytest.fixture(scope="module")
def target(trained_settings):
    local = get_target("local", trained_settings)
    yield local
    for info in local.list():
        local.delete(info.name)


@pytest.fixture(scope="module")
def endpoint(target):
    """(info, keys) of a keyed local deployment of the champion."""
    info = target.deploy("bank-champion", "opml-model", "champion")
    return info, target.keys(info.name)


@pytest.fixture(scope="module", params=SCORING_TARGETS)
def scoring(request, trained_settings):
    """(target, info) of a keyed deployment of the champion on each target that serves /score."""
    chosen = get_target(request.param, trained_settings)
    info = chosen.deploy(f"contract-{request.param}", "opml-model", "champion")
    yield chosen, info
    chosen.delete(info.name)


def bank_row(**changes) -> dict:
    row = {"age": 41, "job": "admin.", "marital": "married", "education": "university.degree",
           "default": "no", "housing": "yes", "loan": "no", "contact": "cellular", "month": "may",
           "day_of_week": "mon", "campaign": 1, "pdays": 999, "previous": 0,
           "poutcome": "nonexistent", "emp.var.rate": -1.8, "cons.price.idx": 92.893,
           "cons.conf.idx": -46.2, "euribor3m": 1.299, "nr.employed": 5099.1}
    row.update(changes)
    return row

"""Roles: accounts and domains from settings, and every state-changing core call refusing an
actor whose role is too low (whatever page or script calls it)."""

import pytest

from opml_core.access import (BUILDER, OPERATOR, VIEWER, AccessError, Actor, acting_as,
                              require, role_for)
from opml_core.config import load_settings
from opml_core.deploy import get_target

VIEWER_ACTOR, BUILDER_ACTOR = Actor("vera@contoso.com", VIEWER), Actor("bo@contoso.com", BUILDER)


def test_roles_come_from_accounts_or_domains_and_the_highest_wins(tmp_path):
    settings = load_settings(home=tmp_path, operators=["ops@contoso.com"], builders=["@contoso.com"],
                             viewers=["@fabrikam.com", "ops@contoso.com"])
    assert role_for(settings, "OPS@contoso.com") == OPERATOR
    assert role_for(settings, "bo@contoso.com") == BUILDER
    assert role_for(settings, "guest@fabrikam.com") == VIEWER
    assert role_for(settings, "stranger@example.com") is None and role_for(settings, None) is None


def test_without_a_signed_in_actor_everything_is_allowed_as_on_the_command_line():
    require(OPERATOR, "delete a deployment")  # no AccessError


def _operator_calls(settings):
    target = get_target("local", settings)
    return {"deploy": lambda: target.deploy("bank-x", "opml-model", "1"),
            "start": lambda: target.start("bank-x"), "stop": lambda: target.stop("bank-x"),
            "update": lambda: target.update("bank-x", "2"), "delete": lambda: target.delete("bank-x"),
            "regenerate_key": lambda: target.regenerate_key("bank-x", "primary")}


def _builder_calls(settings):
    from opml_core.data.prepare import prepare_tables
    from opml_core.registry import remove_alias, set_alias
    from opml_core.submission import submit_model_zip
    from opml_core.train import TrainSpec, train_and_log

    return {"prepare": lambda: prepare_tables(None, settings.workspace, None, None),
            "train": lambda: train_and_log(None, settings, TrainSpec("bank_train")),
            "submit": lambda: submit_model_zip(settings, b"PK", "model.zip"),
            "set_alias": lambda: set_alias(settings, "opml-model", "1", "champion"),
            "remove_alias": lambda: remove_alias(settings, "opml-model", "champion")}


@pytest.mark.parametrize("call", ["deploy", "start", "stop", "update", "delete", "regenerate_key"])
def test_operator_calls_refuse_viewers_and_builders(settings, call):
    for actor in (VIEWER_ACTOR, BUILDER_ACTOR):
        with acting_as(actor), pytest.raises(AccessError, match="needs the operator role"):
            _operator_calls(settings)[call]()


@pytest.mark.parametrize("call", ["prepare", "train", "submit", "set_alias", "remove_alias"])
def test_builder_calls_refuse_viewers_but_not_builders(settings, call):
    with acting_as(VIEWER_ACTOR), pytest.raises(AccessError, match="needs the builder role"):
        _builder_calls(settings)[call]()
    with acting_as(BUILDER_ACTOR):
        try:
            _builder_calls(settings)[call]()
        except AccessError:
            pytest.fail(f"a builder was refused {call}")
        except Exception:
            pass  # the call went past the role check and failed on its made-up arguments


def test_an_account_with_no_role_is_refused_naming_the_settings():
    with acting_as(Actor("stranger@example.com", None)), \
            pytest.raises(AccessError, match="has no role here.*OPML_BUILDERS"):
        require(BUILDER, "train a model")

"""The README's own walk, on the whole bundled data: prepare with a skew, train, deploy, the
example simulation (30 days, 40 requests a day, 1–5 rows each), collect, monitor — and the
skewed segment is on the Drift card, with every window of the default size readable."""

import json

import pytest

from opml_core.cli import main
from tests.conftest import delete_deployments


@pytest.fixture(scope="module")
def readme_workspace(spark, bank, tmp_path_factory, mlflow_template):
    from opml_core.data import SkewSpec, prepare_tables
    from opml_core.deploy import get_target
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import TINY_FOREST, bank_spec, make_settings

    settings = make_settings(tmp_path_factory.mktemp("readme"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank, bank_spec(skew=SkewSpec("age", ">", 60, 3.0)))
    train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST))
    get_target("local", settings).deploy("bank-champion", "opml-model", "1")
    yield settings
    delete_deployments(settings)


def run(capsys, *argv):
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def test_the_readme_simulation_shows_the_skewed_segment_on_the_drift_card(readme_workspace, in_workspace,
                                                                          capsys):
    in_workspace(readme_workspace)
    code, simulated = run(capsys, "simulate", "--deployment", "bank-champion", "--days", "30",
                          "--per-day", "40", "--rows", "1-5")
    assert code == 0 and simulated["failed"] == 0 and "in stored order" in simulated["replayed"]
    assert simulated["rows"] < 0.6 * 8_238  # under half the operations rows: only their start
    run(capsys, "collect")
    code, report = run(capsys, "monitor", "--deployment", "bank-champion")
    assert report["window"] == "1d"  # chosen from the 30-day period: about 30 windows
    drift = next(card for card in report["cards"] if card["title"] == "Drift")
    segments = [item for item in drift["items"] if item["group"] == "Shifted segments"]
    assert any(item["feature"] == "age" and item["text"].startswith("age above") for item in segments), drift
    assert report["problems"] == {}

"""The Monitor page: traffic with an injected skew → collect → the skew is named first."""

import pytest

from opml_core.deploy import get_target
from tests.app.conftest import open_page, texts
from tests.conftest import delete_deployments


@pytest.fixture(scope="module")
def skewed_deployment(spark, tmp_path_factory, mlflow_template, bank_small):
    """Operations rows where clients over 60 are 5× as common, a random split (no other drift),
    and a running deployment of the model trained on it."""
    from opml_core.data import SkewSpec, SplitSpec, prepare_tables
    from opml_core.train import TrainSpec, train_and_log
    from tests.conftest import TINY_FOREST, bank_spec, make_settings

    settings = make_settings(tmp_path_factory.mktemp("monitor-page"), mlflow_template)
    prepare_tables(spark, settings.workspace, bank_small, bank_spec(
        split=SplitSpec("random", 0.5, 4), skew=SkewSpec("age", ">", 60, 5.0)))
    train_and_log(spark, settings, TrainSpec("bank_train", params=TINY_FOREST))
    get_target("local", settings).deploy("watched", "opml-model", "1")
    yield settings
    delete_deployments(settings)


def test_the_monitor_page_invites_traffic_before_any_usage(skewed_deployment, in_workspace):
    in_workspace(skewed_deployment)
    at = open_page("monitor")
    assert not at.exception
    assert "No usage collected for watched yet" in texts(at.info)


def test_simulated_skewed_traffic_is_collected_and_its_skew_named(skewed_deployment, in_workspace):
    in_workspace(skewed_deployment)
    predict = open_page("predict")
    predict.number_input(key="predict.sim.days").set_value(3)  # ~1,800 rows: the whole table,
    predict.number_input(key="predict.sim.per_day").set_value(200)  # which is in time order
    predict.button(key="predict.sim.go").click().run()
    assert "Sent 600 requests" in texts(predict.success)

    at = open_page("monitor")
    at.selectbox(key="monitor.window").set_value("1d")
    at.button(key="monitor.collect").click().run()
    assert not at.exception
    drift = next(e for e in [*at.error, *at.warning, *at.success] if "**Drift**" in e.value)
    assert " in alert" in drift.value and "age" not in drift.value  # the headline; the findings below
    assert "**Shifted segments**\n\n- [age above" in texts(at.markdown)
    assert "× as common)](#drift-age)" in texts(at.markdown)  # a link to age's chart
    drift_table = next(d.value for d in at.dataframe if "Population stability (PSI)" in d.value.columns)
    assert drift_table.index[0] == "age"  # worst status first, as the Drift card ranks
    assert at.get("plotly_chart")


@pytest.fixture
def collected(skewed_deployment, spark):
    """Usage of 'watched' collected: the journey above's, or (run alone) a few days written here."""
    from opml_core.data.tables import table_exists
    from opml_core.usage import REQUESTS, collect_usage
    from tests.monitor.conftest import days_of, table_rows, write_usage

    if not table_exists(skewed_deployment.workspace, REQUESTS):
        write_usage(skewed_deployment, "watched", days_of(table_rows(skewed_deployment, "bank_ops")[:900], 3))
        collect_usage(spark, skewed_deployment)
    return skewed_deployment


def test_a_section_that_breaks_while_drawing_fails_alone(collected, in_workspace, monkeypatch):
    """A bug (not an OpmlError) in the Drift tab: that tab says so, the tabs after it, the
    Download button and the Alerts still render."""
    from streamlit.testing.v1 import AppTest

    from opml_core.ui import monitor_view
    from tests.app.conftest import TIMEOUT
    from tests.conftest import ROOT

    def broken(report):
        raise RuntimeError("the heatmap exploded")

    monkeypatch.setattr(monitor_view, "drift", broken)
    in_workspace(collected)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.session_state["monitor.window"] = "1d"  # the report the journey above computed
    at.switch_page("app_pages/monitor.py").run()
    assert not at.exception
    assert "Drift could not be shown this time; the rest of the page is unaffected" in texts(at.error)
    assert "RuntimeError: the heatmap exploded" in texts(at.code)  # folded away, for a bug report
    assert "**Drift**" in texts([*at.error, *at.warning, *at.success])  # the cards, drawn before
    assert at.selectbox(key="monitor.metric").value == "roc_auc"  # Performance, before Drift
    assert "Switch on 'Run the drift classifier'" in texts(at.info)  # the tab after Drift
    assert at.download_button(key="monitor.download")  # the Download button
    assert at.button(key="monitor.webhook_save")  # and the Alerts


def test_outcomes_can_be_revealed_from_the_page(skewed_deployment, in_workspace):
    in_workspace(skewed_deployment)
    at = open_page("monitor")
    at.button(key="monitor.reveal").click().run()
    assert not at.exception and "Labelled" in texts(at.success)


@pytest.mark.parametrize("email,may_label", [("vera@contoso.com", False), ("bo@contoso.com", True)])
def test_in_a_team_app_the_report_opens_for_each_role_and_storing_needs_the_role(
        skewed_deployment, in_workspace, monkeypatch, email, may_label):
    import streamlit

    from tests.app.test_access_pages import FakeUser

    in_workspace(skewed_deployment)
    monkeypatch.setenv("OPML_TEAM_MODE", "true")
    monkeypatch.setenv("OPML_BUILDERS", '["bo@contoso.com"]')
    monkeypatch.setenv("OPML_VIEWERS", '["@contoso.com"]')
    monkeypatch.setattr(streamlit, "user", FakeUser(email=email))
    at = open_page("monitor")
    assert not at.exception and at.get("plotly_chart")
    reveal = at.button(key="monitor.reveal")
    assert reveal.disabled is not may_label
    assert may_label or "Needs the builder role" in reveal.help
    at.text_input(key="monitor.webhook_url").set_value("https://hooks.example.com/x").run()
    save = at.button(key="monitor.webhook_save")
    assert save.disabled and "Needs the operator role" in save.help  # neither is an operator

"""Deploy and Predict pages: deploy from the browser, use the endpoint three ways, delete."""

import pytest

from opml_core.deploy import get_target
from tests.app.conftest import open_page, texts
from tests.conftest import delete_deployments

SUBMIT = "FormSubmitter:predict.one.form-Predict"


@pytest.fixture(scope="module")
def workspace(trained_settings):
    yield trained_settings
    delete_deployments(trained_settings)


def test_deploy_page_invites_deploying_when_there_is_none(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("deploy")
    assert not at.exception
    assert at.text_input(key="deploy.name").value == "opml-model-champion"
    new = at.expander[0]
    assert new.label == "New deployment" and new.proto.expanded


def test_deploying_from_the_page_shows_its_running_card_at_once_with_masked_keys(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("deploy")
    at.text_input(key="deploy.name").set_value("page-endpoint")
    at.button(key="deploy.go").click().run()
    assert not at.exception
    assert "page-endpoint is running at http://127.0.0.1:" in texts(at.success)
    # the new card shows in the same run as the click, not only after the next one
    assert "### page-endpoint :green-badge[● running]" in texts(at.markdown)
    keys = get_target("local", workspace).keys("page-endpoint")
    shown = texts(at.code)
    assert keys.primary not in shown and keys.primary[:4] + "••••" in shown
    assert "curl -s -X POST http://127.0.0.1:" in shown and "requests.post(" in shown


def test_predict_one_client_shows_the_probability_and_the_exchange(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    assert at.selectbox(key="predict.deployment").value == "page-endpoint"
    at.text_input(key="predict.one.in.age").set_value("67")
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error
    assert at.get("plotly_chart"), "the probability gauge"
    exchange = texts(at.code)
    assert '"age": 67' in exchange and '"probability"' in exchange


def test_the_form_explains_the_prediction_with_a_waterfall_that_adds_up(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error
    assert "Why did the model say that?" in texts(at.markdown)
    assert "Bars start from the model's average answer" in texts(at.caption)
    exchange = texts(at.code)
    assert '"explain": true' in exchange and '"contributions"' in exchange


def test_a_word_in_a_number_field_is_named_and_nothing_is_sent(workspace, in_workspace):
    in_workspace(workspace)
    target = get_target("local", workspace)
    before = len(target.recent_requests("page-endpoint", 1000))
    at = open_page("predict")
    at.text_input(key="predict.one.in.age").set_value("abc")
    at.button(key=SUBMIT).click().run()
    assert "**age**: 'abc' is not a number." in texts(at.error)
    assert at.text_input(key="predict.one.in.age").value == "abc"  # kept, not reverted
    assert len(target.recent_requests("page-endpoint", 1000)) == before


def test_a_number_outside_training_is_warned_before_and_scored(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    at.text_input(key="predict.one.in.age").set_value("-5")
    at.button(key=SUBMIT).click().run()
    assert not at.error
    assert "age = -5 is outside the training range" in texts(at.warning)
    assert at.get("plotly_chart"), "scored all the same"


def test_predict_and_monitor_preselect_the_newest_deployment(workspace, in_workspace):
    in_workspace(workspace)
    target = get_target("local", workspace)
    target.deploy("newer-endpoint", "opml-model", "1")
    try:
        at = open_page("predict")
        assert at.selectbox(key="predict.deployment").value == "newer-endpoint"
        at.switch_page("app_pages/monitor.py").run()
        assert at.selectbox(key="monitor.deployment").value == "newer-endpoint"
    finally:
        target.delete("newer-endpoint")


def test_predict_batch_scores_the_operations_table(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    at.button(key="predict.batch.go").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Failed rows"] == "0" and int(metrics["Scored"].replace(",", "")) > 0


def test_predict_simulation_sends_traffic_over_days(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    at.number_input(key="predict.sim.days").set_value(2)
    at.number_input(key="predict.sim.per_day").set_value(3)
    at.button(key="predict.sim.go").click().run()
    assert not at.exception
    assert "Sent 6 requests" in texts(at.success)


def test_in_app_scoring_needs_no_deployment(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("predict")
    at.toggle(key="predict.local").set_value(True).run()
    at.button(key=SUBMIT).click().run()
    assert not at.exception and at.get("plotly_chart")


def test_deploying_the_same_version_again_shows_the_running_deployment_not_an_error(workspace,
                                                                                     in_workspace):
    in_workspace(workspace)
    at = open_page("deploy")
    at.text_input(key="deploy.name").set_value("page-endpoint")
    at.button(key="deploy.go").click().run()
    assert not at.error, texts(at.error)
    assert "page-endpoint already serves opml-model v1: it is shown below" in texts(at.info)


def test_deleting_needs_the_name_typed(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("deploy")
    delete = at.button(key="deploy.page-endpoint.delete")
    assert delete.disabled
    at.text_input(key="deploy.page-endpoint.confirm").set_value("page-endpoint").run()
    at.button(key="deploy.page-endpoint.delete").click().run()
    assert not at.exception
    assert get_target("local", workspace).list() == []
    assert "No running deployment" in texts(open_page("predict").info)


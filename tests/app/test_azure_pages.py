"""The Deploy, Predict and Settings pages with the Azure targets, the fake cloud at the seam:
connect, deploy to each target with its options, use it, update it, delete it."""

import json

import pytest

from opml_core.deploy import TARGETS, get_target
from tests.app.conftest import open_page, texts
from tests.conftest import AZURE_WORKSPACE, delete_deployments

SUBMIT = "FormSubmitter:predict.one.form-Predict"
CHOICES = {"azureml-local": {}, "azureml-online": {"instance_count": 2},
           "azureml-kubernetes": {"compute": "k8s-prod"}, "aci": {"cpu_cores": 0.5},
           "aks": {"compute": "aks-prod", "max_replicas": 4}}


@pytest.fixture(scope="module")
def workspace(trained_settings, fake_azure):
    yield trained_settings
    delete_deployments(trained_settings)


@pytest.fixture
def connected(workspace, in_workspace, monkeypatch):
    in_workspace(workspace)
    for field, value in AZURE_WORKSPACE.items():
        monkeypatch.setenv(f"OPML_{field.upper()}", value)
    return workspace.model_copy(update=AZURE_WORKSPACE)


def test_azure_targets_ask_for_a_workspace_first_and_deploy_is_disabled(workspace, in_workspace):
    in_workspace(workspace)
    at = open_page("deploy")
    at.selectbox(key="deploy.target").set_value("azureml-online").run()
    assert not at.exception
    assert "not connected to an Azure ML workspace" in texts(at.info)
    assert at.button(key="deploy.go").disabled


def test_settings_take_a_config_json_and_test_the_connection(workspace, in_workspace, fake_azure):
    in_workspace(workspace)
    at = open_page("settings")
    assert not at.exception and any("(not set)" in table.value.to_string() for table in at.dataframe)
    from opml_core.azure.connection import save_config

    save_config(workspace, json.dumps({"subscription_id": AZURE_WORKSPACE["azure_subscription_id"],
                                       "resource_group": "rg-opml", "workspace_name": "ws-opml"}).encode())
    at = open_page("settings")
    at.button(key="settings.azure.test").click().run()
    assert not at.exception and "Reached ws-test (westeurope)" in texts(at.success)
    fake_azure.failures["check"] = Exception("(AuthorizationFailed) does not have authorization")
    at.button(key="settings.azure.test").click().run()
    assert "lacks a role" in texts(at.error)
    (workspace.workspace.azure / "config.json").unlink()


@pytest.mark.parametrize("target", list(CHOICES))
def test_each_target_deploys_from_the_page_with_its_own_options(connected, fake_azure, target):
    at = open_page("deploy")
    at.text_input(key="deploy.name").set_value(f"page-{target}"[:32])
    at.selectbox(key="deploy.target").set_value(target).run()
    assert TARGETS[target].notice is None or TARGETS[target].notice in texts(at.caption)
    for option, value in CHOICES[target].items():
        widget = f"deploy.options.{target}.{option}"
        (at.text_input(key=widget) if isinstance(value, str) else at.number_input(key=widget)).set_value(value)
    at.button(key="deploy.go").click().run()
    assert not at.exception and not at.error, texts(at.error)
    name = f"page-{target}"[:32]
    assert f"{name} is running at http" in texts(at.success)
    at.run()
    assert f"### {name} :green-badge[● running]" in texts(at.markdown)
    info = get_target(target, connected).get(name)
    for option, value in CHOICES[target].items():
        assert info.details.get("options", {}).get(option, value) == value
    keys = get_target(target, connected).keys(name)
    assert keys.primary not in texts(at.code) and keys.primary[:4] + "••••" in texts(at.code)


@pytest.mark.parametrize("target", ["azureml-local", "azureml-online", "aci"])
def test_predict_and_simulation_work_unchanged_against_an_azure_target(connected, target):
    at = open_page("predict")
    at.selectbox(key="predict.deployment").set_value(f"page-{target}").run()
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.get("plotly_chart")
    at.number_input(key="predict.sim.days").set_value(1)
    at.number_input(key="predict.sim.per_day").set_value(4)
    at.button(key="predict.sim.go").click().run()
    assert "Sent 4 requests" in texts(at.success) and "0 failed" in texts(at.success)


@pytest.mark.parametrize("target", ["azureml-local", "aci"])
def test_the_monitor_page_reports_on_what_azure_kept(connected, target):
    at = open_page("monitor")
    at.selectbox(key="monitor.deployment").set_value(f"page-{target}")
    at.button(key="monitor.collect").click().run()
    assert not at.exception and not [w for w in at.warning if "Not collected" in w.value]
    cards = texts([*at.error, *at.warning, *at.success, *at.info])
    assert "**Usage**" in cards and "No usage collected" not in cards
    assert at.get("plotly_chart")


def test_updating_and_deleting_an_azure_deployment_from_its_card(connected, fake_azure):
    at = open_page("deploy")
    card = "deploy.page-azureml-online"
    at.selectbox(key=f"{card}.to").set_value("version 1").run()
    at.button(key=f"{card}.update").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert get_target("azureml-online", connected).get("page-azureml-online").details["azure"]["slot"] == "green"
    at.text_input(key=f"{card}.confirm").set_value("page-azureml-online").run()
    at.button(key=f"{card}.delete").click().run()
    assert not at.exception
    assert "page-azureml-online" not in fake_azure.endpoints
    assert "page-azureml-online" not in {d.name for d in get_target("azureml-online", connected).list()}


def test_an_azure_failure_on_a_card_stays_on_its_card(connected, fake_azure):
    fake_azure.failures["service_keys"] = Exception("HTTPSConnectionPool: Max retries exceeded")
    at = open_page("deploy")
    assert not at.exception
    assert "could not be reached from this machine" in texts(at.error)
    assert "### page-aks :green-badge[● running]" in texts(at.markdown)

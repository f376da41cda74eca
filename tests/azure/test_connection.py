"""The Azure connection: the workspace from settings or config.json, sign-in, secrets kept secret."""

import json

import pytest
from pydantic import SecretStr

from opml_core.azure.connection import (
    DEFAULT_CREDENTIAL,
    SERVICE_PRINCIPAL,
    azure_client,
    check_connection,
    credential_kind,
    describe,
    parse_config,
    save_config,
    use_client,
    workspace_ref,
)
from opml_core.errors import ConfigError, DeploymentError
from tests.azure.fake_cloud import FakeAzure, FakeError
from tests.conftest import AZURE_WORKSPACE

SUB = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cr3t-value-never-shown"
PRINCIPAL = {"azure_tenant_id": "contoso.onmicrosoft.com",
             "azure_client_id": "99999999-8888-7777-6666-555555555555",
             "azure_client_secret": SecretStr(SECRET)}


def config(**fields) -> bytes:
    return json.dumps({"subscription_id": SUB, "resource_group": "rg", "workspace_name": "ws-1", **fields}).encode()


def test_nothing_configured_means_not_connected_with_the_next_step(settings):
    assert workspace_ref(settings) is None
    with pytest.raises(DeploymentError, match="upload the workspace's config.json"):
        azure_client(settings)


def test_settings_name_the_workspace(settings):
    ref = workspace_ref(settings.model_copy(update=AZURE_WORKSPACE))
    assert (ref.workspace, ref.resource_group, ref.source) == ("ws-opml", "rg-opml", "settings")


def test_a_workspace_set_in_part_names_what_is_missing(settings):
    with pytest.raises(ConfigError, match="OPML_AZURE_RESOURCE_GROUP, OPML_AZURE_WORKSPACE missing"):
        workspace_ref(settings.model_copy(update={"azure_subscription_id": SUB}))


def test_an_uploaded_config_json_is_kept_without_anything_but_the_workspace(settings):
    ref = save_config(settings, config(extra_field="kept out"))
    saved = settings.workspace.azure / "config.json"
    assert json.loads(saved.read_text()) == {"subscription_id": SUB, "resource_group": "rg", "workspace_name": "ws-1"}
    assert saved.stat().st_mode & 0o777 == 0o600
    assert workspace_ref(settings) == ref


def test_the_scope_form_azure_also_writes_is_read(settings):
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.MachineLearningServices/workspaces/ws-x"
    ref = parse_config(json.dumps({"Scope": scope}).encode(), "config.json")
    assert (ref.subscription_id, ref.resource_group, ref.workspace) == (SUB, "rg-x", "ws-x")


@pytest.mark.parametrize("data,message", [
    (b"{not json", "is not a JSON file"),
    (b"[1, 2]", "should hold a JSON object"),
    (json.dumps({"subscription_id": SUB}).encode(), "lacks resource_group, workspace_name"),
    (config(subscription_id="not-a-guid"), "Azure would not accept: subscription_id: use a GUID"),
    (b" " * 70_000, "a workspace config.json is a few hundred"),
])
def test_a_bad_config_json_is_refused_and_the_previous_one_kept(settings, data, message):
    save_config(settings, config())
    with pytest.raises(ConfigError, match=message):
        save_config(settings, data)
    assert workspace_ref(settings).workspace == "ws-1"


def test_a_service_principal_needs_all_three_settings(settings):
    assert credential_kind(settings) == DEFAULT_CREDENTIAL
    assert credential_kind(settings.model_copy(update=PRINCIPAL)) == SERVICE_PRINCIPAL
    with pytest.raises(ConfigError, match="OPML_AZURE_CLIENT_SECRET missing"):
        credential_kind(settings.model_copy(update={**PRINCIPAL, "azure_client_secret": None}))


def test_the_secret_is_never_shown(settings):
    shown = describe(settings.model_copy(update={**AZURE_WORKSPACE, **PRINCIPAL}))
    assert shown["Client secret"] == "set (hidden)" and SECRET not in json.dumps(shown)
    assert SECRET not in repr(settings.model_copy(update=PRINCIPAL))


def test_test_connection_explains_a_failure_without_the_secret(settings, tmp_path):
    connected = settings.model_copy(update={**AZURE_WORKSPACE, **PRINCIPAL})
    fake = FakeAzure(tmp_path)
    use_client(fake)
    try:
        assert check_connection(connected).name == "ws-test"
        fake.failures["check"] = FakeError(f"AADSTS90002: Tenant 'contoso' not found. secret={SECRET}")
        with pytest.raises(DeploymentError) as caught:
            check_connection(connected)
    finally:
        use_client(None)
    assert "tenant was not found" in str(caught.value)
    assert SECRET not in str(caught.value) + caught.value.details and "***" in caught.value.details

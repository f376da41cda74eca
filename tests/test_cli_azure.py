"""Azure from the command line: keep a config.json and check the connection; deploy to an Azure
target with its options (the fake cloud at the seam)."""

import json

from opml_core.cli import main
from tests.conftest import AZURE_WORKSPACE
from tests.test_cli_serving import run


def test_azure_config_is_kept_and_checked(trained_settings, in_workspace, fake_azure, capsys, tmp_path):
    in_workspace(trained_settings)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"subscription_id": AZURE_WORKSPACE["azure_subscription_id"],
                                  "resource_group": "rg-cli", "workspace_name": "ws-cli"}))
    code, done, _ = run(capsys, "azure", "--config", str(config))
    assert code == 0 and done["workspace"] == "ws-test" and done["connected"]["Workspace"] == "ws-cli"
    fake_azure.failures["check"] = Exception("Failed to resolve 'management.azure.com'")
    code, _, err = run(capsys, "azure")
    assert code == 2 and "could not be reached from this machine" in json.loads(err)["error"]
    (trained_settings.workspace.azure / "config.json").unlink()


def test_deploying_to_aci_takes_options_and_refuses_bad_ones(trained_settings, in_workspace, fake_azure,
                                                             capsys, monkeypatch):
    in_workspace(trained_settings)
    for field, value in AZURE_WORKSPACE.items():
        monkeypatch.setenv(f"OPML_{field.upper()}", value)
    code, _, err = run(capsys, "deploy", "--name", "cli-aci", "--version", "1", "--target", "aci",
                       "--option", "cpu_cores=99")
    assert code == 2 and "CPU cores must be between 0.1 and 16" in json.loads(err)["error"]
    code, _, err = run(capsys, "deploy", "--name", "cli-aci", "--version", "1", "--target", "aci",
                       "--option", "cpu_cores")
    assert code == 2 and "write it like cpu_cores=1" in json.loads(err)["error"]
    code, deployed, err = run(capsys, "deploy", "--name", "cli-aci", "--version", "1", "--target", "aci",
                              "--option", "cpu_cores=0.5", "--option", "memory_gb=1")
    assert code == 0 and deployed["status"] == "running" and "Healthy" in err
    assert fake_azure.services["cli-aci"]["config"].cpu_cores == 0.5
    assert main(["deploy", "--name", "cli-aci", "--target", "aci", "--delete"]) == 0
    assert "cli-aci" not in fake_azure.services

"""The installed packages agree: opml's environment (both Azure ML SDKs included) and the Azure
scoring package's own environment each pass `pip check`."""

import subprocess
import sys

import pytest

from tests.conftest import AZUREML_ENV


@pytest.mark.parametrize("python", [sys.executable, str(AZUREML_ENV / "bin" / "python")])
def test_pip_check_passes(python):
    done = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_both_azure_sdks_are_installed_beside_opml():
    from importlib import metadata

    assert metadata.version("azureml-core") == "1.61.0.post4"
    assert metadata.version("azure-ai-ml").startswith("1.35")

"""The Azure scoring package: self-contained, pinned, and refused for models Azure cannot serve."""

import json
import subprocess

import pytest

from opml_core.azure.package import BASE_IMAGE, build_package, pinned_requirements
from opml_core.errors import DeploymentError
from opml_core.registry import register_model_dir
from tests.conftest import AZUREML_ENV
from tests.test_submission import pyfunc_dir


@pytest.fixture(scope="module")
def package(trained_settings, tmp_path_factory):
    return build_package(trained_settings, "opml-model", "champion",
                         tmp_path_factory.mktemp("pkg") / "package")


def test_a_package_holds_the_entry_script_its_runtime_the_model_and_its_environment(package):
    names = {str(p.relative_to(package.folder)) for p in package.folder.rglob("*") if p.is_file()}
    assert {"code/score.py", "code/opml_core/serve/handler.py", "code/opml_core/scoring/compiled.py",
            "model/model.json", "model/compiled.npz", "requirements.txt", "conda.yaml",
            "Dockerfile", "manifest.json"} <= names
    assert not any("spark" in n or "mlflow" in n for n in names)
    assert package.meta.engine == "compiled" and package.meta.version == "1"


def test_the_runtime_scores_in_the_package_environment_without_opml_installed(package):
    script = ("import sys; sys.path.insert(0, sys.argv[1]);"
              "from opml_core.scoring.engines import load_scorer;"
              "s = load_scorer(__import__('pathlib').Path(sys.argv[2]));"
              "print(s.meta.version, len(s.meta.inputs.columns));"
              "import importlib.util; print(importlib.util.find_spec('pyspark'), importlib.util.find_spec('mlflow'))")
    out = subprocess.run([str(AZUREML_ENV / "bin" / "python"), "-c", script, str(package.code),
                          str(package.model)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "19", "None", "None"]


def test_every_requirement_is_pinned_and_the_conda_file_and_dockerfile_agree(package):
    pins = pinned_requirements()
    assert all("==" in pin for pin in pins) and any(p.startswith("azureml-inference-server-http==") for p in pins)
    conda = (package.folder / "conda.yaml").read_text()
    assert all(f"- {pin}" in conda for pin in pins) and "python=3.12" in conda
    dockerfile = (package.folder / "Dockerfile").read_text()
    assert f"FROM {BASE_IMAGE}" in dockerfile and "COPY code /var/azureml-app" in dockerfile
    assert "azureml-models/opml-model/1/model" in dockerfile


def test_the_manifest_lists_every_file_with_its_hash(package):
    manifest = json.loads((package.folder / "manifest.json").read_text())
    assert manifest["model"] == "opml-model" and manifest["version"] == "1"
    assert "code/score.py" in manifest["files"] and len(manifest["files"]["model/compiled.npz"]) == 64
    assert package.digest == manifest["digest"]


def test_a_model_that_does_not_compile_is_refused_before_anything_is_sent(trained_settings, tmp_path):
    logged = register_model_dir(trained_settings, pyfunc_dir(tmp_path), "doubler", "doubler.zip")
    with pytest.raises(DeploymentError, match="cannot go to Azure: it scores through pyfunc"):
        build_package(trained_settings, "doubler", logged.version, tmp_path / "package")
    assert not (tmp_path / "package").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".package-")]

"""The Azure scoring package: one folder per model version, used by every Azure target.

``build_package(settings, model_name, ref, folder)`` writes::

    code/score.py         the entry script (init/run) Azure's inference server calls
    code/opml_core/…      the opml modules it needs: payloads, input checks, compiled scorer,
                          the shared handler (copied source, numpy and orjson only)
    model/                model.json + compiled.npz: what is registered as the Azure ML model
    requirements.txt      the pinned pip environment (no JVM, no Spark)
    conda.yaml            the same, for Azure ML environments built from a conda file
    Dockerfile            for teams that build their own image (this folder is the context)
    manifest.json         model, version, opml version and the sha256 of every file

Only models the compiled scorer reproduces can go to Azure (Azure's inference images have no
JVM); any other model is refused here, before anything is sent to Azure.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import opml_core
from opml_core.config import Settings
from opml_core.errors import DeploymentError
from opml_core.scoring.engines import BUNDLE_META, BundleMeta

ENTRY_DIR = Path(__file__).resolve().parent / "entry"
CORE_DIR = Path(opml_core.__file__).resolve().parent
RUNTIME = ("__init__.py", "errors.py", "files.py", "scoring/__init__.py", "scoring/engines.py",
           "scoring/compiled.py", "scoring/walk.py", "scoring/inputs.py", "scoring/payloads.py",
           "serve/__init__.py", "serve/handler.py", "serve/printed.py", "serve/keys.py")
CODE, MODEL = "code", "model"
ENTRY_SCRIPT = "score.py"
REQUIREMENTS = "requirements.txt"
MANIFEST = "manifest.json"
BASE_IMAGE = "mcr.microsoft.com/azureml/minimal-py312-inference:latest"
PYTHON_VERSION = "3.12"


@dataclass(frozen=True)
class ScoringPackage:
    """A built package: where it is and what it serves."""

    folder: Path
    meta: BundleMeta

    @property
    def code(self) -> Path:
        return self.folder / CODE

    @property
    def model(self) -> Path:
        return self.folder / MODEL

    @property
    def requirements(self) -> Path:
        return self.folder / REQUIREMENTS

    @property
    def digest(self) -> str:
        """A short hash of the package's files: equal packages serve equal answers."""
        return json.loads((self.folder / MANIFEST).read_text())["digest"]

    @classmethod
    def load(cls, folder: Path) -> "ScoringPackage":
        return cls(folder, BundleMeta.from_json((folder / MODEL / BUNDLE_META).read_text("utf-8")))


def build_package(settings: Settings, model_name: str, ref: str, folder: Path) -> ScoringPackage:
    """Build the package for ``model_name`` at version/alias ``ref`` into ``folder`` (new)."""
    from opml_core.scoring.bundle import build_bundle

    if folder.exists():
        raise DeploymentError(f"{folder} exists already; remove it or build elsewhere.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".package-") as tmp:
        staging = Path(tmp) / "package"
        meta = build_bundle(settings, model_name, ref, staging / MODEL)
        if meta.engine != "compiled":
            raise DeploymentError(
                f"{model_name} version {meta.version} cannot go to Azure: it scores through "
                f"{meta.engine}, and Azure's inference images have no JVM. Only pipelines the "
                "fast scorer reproduces can be packaged; deploy this one locally instead.",
                details=meta.note)
        _write_code(staging / CODE)
        requirements = (ENTRY_DIR / REQUIREMENTS).read_text()
        (staging / REQUIREMENTS).write_text(requirements)
        (staging / "conda.yaml").write_text(conda_yaml(requirements))
        (staging / "Dockerfile").write_text(_dockerfile(meta))
        _write_manifest(staging, meta)
        staging.rename(folder)
    return ScoringPackage(folder, meta)


def pinned_requirements() -> list[str]:
    """The package's pip requirements, one ``name==version`` per entry."""
    lines = (ENTRY_DIR / REQUIREMENTS).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def conda_yaml(requirements: str) -> str:
    pins = [line.strip() for line in requirements.splitlines()
            if line.strip() and not line.startswith("#")]
    pip = "".join(f"      - {pin}\n" for pin in pins)
    return (f"name: opml-scoring\nchannels:\n  - conda-forge\ndependencies:\n"
            f"  - python={PYTHON_VERSION}\n  - pip\n  - pip:\n{pip}")


def _write_code(code: Path) -> None:
    code.mkdir(parents=True)
    shutil.copy(ENTRY_DIR / ENTRY_SCRIPT, code / ENTRY_SCRIPT)
    for relative in RUNTIME:
        target = code / "opml_core" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORE_DIR / relative, target)


def _dockerfile(meta: BundleMeta) -> str:
    return (
        f"# {meta.name} version {meta.version}, packaged by opml {opml_core.__version__}.\n"
        "# Build from this folder: docker build -t opml-scoring .\n"
        f"FROM {BASE_IMAGE}\n"
        "COPY requirements.txt /tmp/opml-requirements.txt\n"
        "RUN pip install --no-cache-dir -r /tmp/opml-requirements.txt\n"
        "COPY code /var/azureml-app\n"
        f"COPY model /var/azureml-app/azureml-models/{meta.name}/{meta.version}/model\n"
        "ENV AZUREML_ENTRY_SCRIPT=/var/azureml-app/score.py \\\n"
        f"    AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/{meta.name}/{meta.version}\n"
        "EXPOSE 5001\n"
        'CMD ["azmlinfsrv", "--entry_script", "/var/azureml-app/score.py", "--port", "5001"]\n')


def _write_manifest(folder: Path, meta: BundleMeta) -> None:
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.rglob("*")) if p.is_file()}
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    (folder / MANIFEST).write_text(json.dumps(
        {"model": meta.name, "version": meta.version, "opml": opml_core.__version__,
         "digest": digest, "files": files}, indent=2))

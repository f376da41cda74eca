"""The ``azureml-local`` target: the exact Azure scoring package, served on this machine.

It runs what Azure ML runs, Azure's own inference server (``azmlinfsrv``'s WSGI app under
gunicorn, in the package's pinned environment) with the package's ``score.py``, but bound to
127.0.0.1 (``azmlinfsrv`` itself listens on every interface) and without Docker, as
``LocalWebservice`` did. A user can check the package before paying for Azure, and the whole
Azure path runs offline. Azure's front end checks keys in the cloud; here the entry script
does, from the deployment's keys file. Every request is printed as ``opml-usage`` lines in the
server log (``usage/_printed/<name>/``, kept when the deployment is deleted), where the
``printed`` usage source collects them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from opml_core.azure.environment import ensure_environment
from opml_core.azure.package import CODE, ENTRY_SCRIPT, MODEL, build_package
from opml_core.deploy.base import register_target, validate_name
from opml_core.deploy.served import ServedRecord, ServedTarget
from opml_core.scoring.engines import BUNDLE_META
from opml_core.usage.printed import log_folder

PACKAGE = "package"
MODELS_DIR = "azureml-models"
WSGI_APP = "azureml_inference_server_http.server.entry:app"
WORKER_TIMEOUT_S = 300
TAIL_BYTES = 1 << 20


@register_target
class AzureLocalTarget(ServedTarget):
    key = "azureml-local"
    title = "Azure ML package on this machine"
    notice = ("Serves the exact package Azure ML would run (its inference server and score.py) "
              "on this machine, without Docker or an Azure account. The first deployment "
              "builds the package's Python environment, which takes a minute or two.")
    artifact = PACKAGE
    module = "gunicorn"
    health_path = "/score"

    def build(self, model_name, ref, folder: Path, progress):
        ensure_environment(self.settings, progress)
        progress(f"Building the Azure scoring package for {model_name} {ref}")
        return build_package(self.settings, model_name, ref, folder).meta

    def command(self, folder: Path, record: ServedRecord):
        return inference_server(
            ensure_environment(self.settings), folder / PACKAGE / CODE, _model_dir(folder, record),
            record.host, record.port, folder,
            {"SERVICE_NAME": record.name, "OPML_DEPLOYMENT": record.name, "OPML_KEYS_DIR": str(folder),
             "OPML_MAX_ROWS": str(self.settings.max_rows_per_request),
             "OPML_MAX_PAYLOAD_MB": f"{self.settings.max_payload_mb:g}"})

    def meta_path(self, folder: Path) -> Path:
        return folder / PACKAGE / MODEL / BUNDLE_META

    def links(self, base: str) -> dict:
        return {"swagger": f"{base}/swagger.json"}

    def new_log(self, name: str) -> Path:
        """One log per server start, kept with the usage history (it holds the printed records)."""
        folder = log_folder(self.settings, validate_name(name))
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"server-{time.time_ns() // 1_000_000}.log"

    def current_log(self, name: str) -> Path | None:
        logs = sorted(log_folder(self.settings, validate_name(name)).glob("server-*.log"))
        return logs[-1] if logs else None

    def logs(self, name: str, lines: int = 50) -> list[str]:
        """The server's own lines; the usage records it printed are shown as requests instead."""
        from opml_core.serve.printed import MARKER, PART_MARKER

        kept = [line for line in super().logs(name, lines * 20)
                if MARKER not in line and PART_MARKER not in line]
        return kept[-lines:]

    def recent_requests(self, name: str, limit: int = 20) -> list[dict]:
        """The newest requests the server printed (its log's last megabyte), newest first."""
        from opml_core.serve.printed import Assembler

        path = self.current_log(name)
        if path is None:
            return []
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            lines = handle.read().decode("utf-8", "replace").splitlines()
        assembler = Assembler()
        records = [r for r in map(assembler.feed, lines) if r is not None]
        return records[::-1][:limit]


def inference_server(python: Path, code: Path, model_dir: Path, host: str, port: int, cwd: Path,
                     variables: dict) -> tuple[list[str], dict]:
    """The command and environment that run Azure's inference server for a package's code and
    model on ``host:port``, as the ``azmlinfsrv`` launcher would (one worker, 300 s timeout)."""
    env = {**_clean_environment(), "AML_APP_ROOT": str(code),
           "AZUREML_ENTRY_SCRIPT": str(code / ENTRY_SCRIPT), "AZUREML_MODEL_DIR": str(model_dir),
           "AML_APP_INSIGHTS_ENABLED": "false", "HTTP_X_MS_SERVER_VERSION": "azmlinfsrv/1.5.1",
           **variables}
    argv = [str(python), "-m", "gunicorn", "-b", f"{host}:{port}", "-w", "1",
            "--timeout", str(WORKER_TIMEOUT_S), "--access-logfile", "-", "--error-logfile", "-",
            "--no-control-socket", "--chdir", str(cwd), WSGI_APP]
    return argv, env


def _model_dir(folder: Path, record: ServedRecord) -> Path:
    """``azureml-models/<model>/<version>/model`` pointing at the package's model, the layout
    Azure gives ``AZUREML_MODEL_DIR``."""
    version_dir = folder / MODELS_DIR / record.model_name / str(record.version)
    version_dir.mkdir(parents=True, exist_ok=True)
    link = version_dir / MODEL
    if not link.is_symlink():
        link.symlink_to(os.path.relpath(folder / PACKAGE / MODEL, version_dir))
    return version_dir


def _clean_environment() -> dict:
    """This process's environment without what would leak opml's own Python or secrets."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items()
            if k not in dropped and not k.startswith(("OPML_AZURE_", "AZURE_CLIENT_SECRET"))}

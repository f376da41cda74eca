"""Targets whose endpoints are server processes on this machine (``local``, ``azureml-local``).

Each deployment lives in ``deployments/<name>/``: its record, keys, what the server scores
(``artifact``: a model bundle or an Azure scoring package) and the server log. The server runs
in its own session, so it outlives the app: when the app starts again it finds the process
through the record, checks it answers its health route as that deployment, and otherwise
shows it stopped, ready to restart. Updates build the new version first and roll back if it
does not start; deleting keeps the usage history. A subclass says how to build a version and
which command serves it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from abc import abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path

from opml_core.deploy.base import (
    FAILED,
    RUNNING,
    STARTING,
    STOPPED,
    DeploymentInfo,
    DeploymentTarget,
    Progress,
    validate_name,
)
from opml_core.deploy.processes import bindable, server_environment, serves_folder, stop_group
from opml_core.deploy.records import (
    folder_of,
    folders_of,
    new_folder,
    now,
    read_record,
    taken_ports,
    write_record,
)
from opml_core.errors import DeploymentError
from opml_core.serve.keys import new_keys, read_keys, regenerate, write_keys
from opml_core.serve.usage_log import UsageLog

LOG = "server.log"


@dataclass
class ServedRecord:
    name: str
    model_name: str
    version: str
    ref: str
    port: int
    host: str
    auth: bool
    engine: str
    note: str | None
    created: str
    updated: str
    pid: int | None = None
    failed: str | None = None
    target: str = "local"


class ServedTarget(DeploymentTarget):
    """A DeploymentTarget that runs one server process per deployment on this machine."""

    artifact = "bundle"  # the folder inside the deployment's that holds the served version
    module = ""  # an argument of the server's command line that tells it is ours
    health_path = "/health"
    can_stop = True

    @property
    def root(self) -> Path:
        return self.settings.workspace.deployments

    @abstractmethod
    def build(self, model_name: str, ref: str, folder: Path, progress: Progress):
        """Write what serves ``model_name`` at ``ref`` into ``folder`` (new); return its BundleMeta."""

    @abstractmethod
    def command(self, folder: Path, record: ServedRecord) -> tuple[list[str], dict | None]:
        """The server's command line and environment (None: this process's environment)."""

    def configure(self, folder: Path, name: str, meta) -> None:
        """Write anything else the server of ``name`` reads (called once, at deploy)."""

    def ready_timeout(self, record: ServedRecord) -> float:
        return 30.0

    def meta_path(self, folder: Path) -> Path:
        from opml_core.scoring.engines import BUNDLE_META

        return folder / self.artifact / BUNDLE_META

    def deploy(self, name, model_name, ref, *, auth=True, options=None,
               progress: Progress = lambda m: None):
        validate_name(name)
        self.check_options(options)
        with new_folder(self.root, name) as staging:
            progress(f"Packaging {model_name} {ref} for serving")
            meta = self.build(model_name, ref, staging / self.artifact, progress)
            write_keys(staging, new_keys(required=auth))
            self.configure(staging, name, meta)
            stamp = now()
            record = ServedRecord(name, model_name, meta.version, str(ref), self._free_port(),
                                  self.settings.serve_host, auth, meta.engine, meta.note, stamp,
                                  stamp, target=self.key)
            _save(staging, record)
        UsageLog(self.settings.workspace.usage, name).describe(meta)
        progress(f"Starting the endpoint on port {record.port}")
        return self.start(name)

    def start(self, name: str) -> DeploymentInfo:
        folder = self._folder(name)
        record = _load(folder)
        timeout = self.ready_timeout(record)
        if record.pid and self._is_ours(record):  # running, or still starting: never start twice
            if self._poll_ready(record, timeout):
                return self.get(name)
            stop_group(record.pid)  # ours but stuck: replace it
        argv, env = self.command(folder, record)
        with open(self.new_log(name), "ab") as log:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True,
                                       cwd=Path(__file__).resolve().parents[2],
                                       env=server_environment(env))
        record.pid, record.failed = process.pid, None
        _save(folder, record)
        if not self._poll_ready(record, timeout, process):
            stop_group(record.pid)
            record.pid, record.failed = None, "did not become ready"
            _save(folder, record)
            raise DeploymentError(
                f"{name} stopped or was not ready within {timeout:.0f} s. Its log says why "
                "(Deploy page, 'Requests and log'); fix that, then start it again.",
                details="\n".join(self.logs(name, 15)))
        return self.get(name)

    def stop(self, name: str) -> DeploymentInfo:
        folder = self._folder(name)
        record = _load(folder)
        if record.pid and self._is_ours(record):
            stop_group(record.pid)
        record.pid = None
        _save(folder, record)
        return self.get(name)

    def update(self, name, ref, *, progress: Progress = lambda m: None):
        folder = self._folder(name)
        record = _load(folder)
        incoming, previous = folder / f"{self.artifact}.next", folder / f"{self.artifact}.previous"
        shutil.rmtree(incoming, ignore_errors=True)
        progress(f"Packaging {record.model_name} {ref}")
        try:
            meta = self.build(record.model_name, ref, incoming, progress)
        except Exception:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        UsageLog(self.settings.workspace.usage, name).describe(meta)
        progress(f"Switching {name} to version {meta.version}")
        self.stop(name)
        shutil.rmtree(previous, ignore_errors=True)
        (folder / self.artifact).rename(previous)
        incoming.rename(folder / self.artifact)
        old = asdict(record)
        record.version, record.ref, record.engine, record.note = meta.version, str(ref), meta.engine, meta.note
        record.updated = now()
        _save(folder, record)
        try:
            return self.start(name)
        except DeploymentError as failure:
            progress("The new version did not start; rolling back")
            shutil.rmtree(folder / self.artifact)
            previous.rename(folder / self.artifact)
            _save(folder, ServedRecord(**{**old, "pid": None}))
            try:
                self.start(name)
            except DeploymentError as second:
                raise DeploymentError(f"{failure} Rolling back to version {old['version']} failed "
                                      f"too: {second}") from failure
            raise

    def delete(self, name: str) -> None:
        self.stop(name)
        shutil.rmtree(self._folder(name))

    def get(self, name: str) -> DeploymentInfo:
        record = _load(self._folder(name))
        if record.failed:
            status = FAILED
        elif not record.pid or not self._is_ours(record):
            status = STOPPED
        else:
            status = RUNNING if self._healthy(record) else STARTING
        base = f"http://{record.host}:{record.port}"
        return DeploymentInfo(
            name=record.name, target=self.key, model_name=record.model_name,
            version=record.version, ref=record.ref, status=status,
            scoring_uri=f"{base}/score", auth_required=record.auth, engine=record.engine,
            note=record.note, created=record.created, updated=record.updated,
            details={"port": record.port, "pid": record.pid if status == RUNNING else None,
                     **self.links(base), "folder": str(self._folder(name))})

    def links(self, base: str) -> dict:
        """Other addresses worth showing for a deployment served at ``base``."""
        return {}

    def list(self) -> list[DeploymentInfo]:
        return [self.get(folder.name) for folder in folders_of(self.root, self.key)]

    def keys(self, name: str):
        return read_keys(self._folder(name))

    def regenerate_key(self, name: str, slot: str):
        return regenerate(self._folder(name), slot)

    def new_log(self, name: str) -> Path:
        """The file a server about to start writes its output to."""
        return self._folder(name) / LOG

    def current_log(self, name: str) -> Path | None:
        """The file the running (or last) server wrote to, if any."""
        path = self._folder(name) / LOG
        return path if path.is_file() else None

    def logs(self, name: str, lines: int = 50) -> list[str]:
        path = self.current_log(name)
        if path is None:
            return []
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64 * 1024))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]

    def model_info(self, name: str):
        from opml_core.scoring.engines import BundleMeta

        return BundleMeta.from_json(self.meta_path(self._folder(name)).read_text())

    def _folder(self, name: str) -> Path:
        return folder_of(self.root, validate_name(name), self.key)

    def _free_port(self) -> int:
        taken = taken_ports(self.root)
        port = self.settings.deploy_port_start
        while port in taken or not bindable(self.settings.serve_host, port):
            port += 1
        return port

    def _is_ours(self, record: ServedRecord) -> bool:
        """The recorded process is alive and is this deployment's server."""
        return serves_folder(record.pid, self.module, self.root / record.name)

    def _healthy(self, record: ServedRecord) -> bool:
        import urllib.request

        url = f"http://{record.host}:{record.port}{self.health_path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read()).get("deployment") == record.name
        except (OSError, ValueError):
            return False

    def _poll_ready(self, record: ServedRecord, timeout: float, process=None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                return False
            if self._healthy(record):
                return True
            time.sleep(0.05)
        return False


def _load(folder: Path) -> ServedRecord:
    return ServedRecord(**read_record(folder))


def _save(folder: Path, record: ServedRecord) -> None:
    write_record(folder, asdict(record))

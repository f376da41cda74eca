"""The ``local`` target: one endpoint process per deployment, on this machine.

Each deployment lives in ``deployments/<name>/`` (its record, keys, server settings, model
bundle and server log). The server runs in its own session, so it outlives the app: when the app
starts again it finds the process through the record, checks it answers ``/health`` as that
deployment, and otherwise shows it stopped, ready to restart. Updates build the new bundle
first and roll back if the new version does not start; deleting keeps the usage history.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from opml_core.deploy.base import (FAILED, RUNNING, STARTING, STOPPED, DeploymentInfo,
                                   DeploymentTarget, Progress, register_target, validate_name)
from opml_core.deploy.processes import bindable, serves_folder, stop_group
from opml_core.errors import DeploymentError
from opml_core.files import write_atomic
from opml_core.serve.app import BUNDLE_DIR, ServerConfig
from opml_core.serve.keys import new_keys, read_keys, regenerate, write_keys

RECORD = "deployment.json"
LOG = "server.log"
READY_S = {"compiled": 30.0, "pyfunc": 90.0, "spark": 240.0}


@dataclass
class LocalRecord:
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


@register_target
class LocalTarget(DeploymentTarget):
    key = "local"
    title = "This machine"

    @property
    def root(self) -> Path:
        return self.settings.workspace.deployments

    def deploy(self, name, model_name, ref, *, auth=True, progress: Progress = lambda m: None):
        from opml_core.scoring.bundle import build_bundle

        validate_name(name)
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / name).exists():
            raise _taken(name)
        staging = self.root / f".staging-{name}-{uuid.uuid4().hex[:6]}"
        try:
            progress(f"Packaging {model_name} {ref} for serving")
            meta = build_bundle(self.settings, model_name, ref, staging / BUNDLE_DIR)
            write_keys(staging, new_keys(required=auth))
            ServerConfig(name, str(self.settings.workspace.usage), self.settings.max_payload_mb,
                         self.settings.max_rows_per_request).save(staging)
            now = _now()
            record = LocalRecord(name, model_name, meta.version, str(ref), self._free_port(),
                                 self.settings.serve_host, auth, meta.engine, meta.note, now, now)
            _save(staging, record)
            try:
                staging.rename(self.root / name)
            except OSError as exc:  # deployed under the same name meanwhile (app and CLI)
                raise _taken(name) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        progress(f"Starting the endpoint on port {record.port}")
        return self.start(name)

    def start(self, name: str) -> DeploymentInfo:
        folder = self._folder(name)
        record = _load(folder)
        if record.pid and self._is_ours(record):  # running, or still starting: never start twice
            deadline = time.monotonic() + READY_S.get(record.engine, 30.0)
            while time.monotonic() < deadline and not self._healthy(record):
                time.sleep(0.05)
            if self._healthy(record):
                return self.get(name)
            stop_group(record.pid)  # ours but stuck: replace it
        with open(folder / LOG, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "opml_core.serve", str(folder), str(record.port), record.host],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=Path(__file__).resolve().parents[2])
        record.pid, record.failed = process.pid, None
        _save(folder, record)
        if not self._wait_ready(record, READY_S.get(record.engine, 30.0), process):
            stop_group(record.pid)
            record.pid, record.failed = None, "did not become ready"
            _save(folder, record)
            raise DeploymentError(
                f"{name} stopped or was not ready within {READY_S.get(record.engine, 30.0):.0f} s. "
                "Its log says why (Deploy page, 'Requests and log'); fix that, then start it again.",
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
        from opml_core.scoring.bundle import build_bundle

        folder = self._folder(name)
        record = _load(folder)
        incoming, previous = folder / f"{BUNDLE_DIR}.next", folder / f"{BUNDLE_DIR}.previous"
        shutil.rmtree(incoming, ignore_errors=True)
        progress(f"Packaging {record.model_name} {ref}")
        try:
            meta = build_bundle(self.settings, record.model_name, ref, incoming)
        except Exception:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        progress(f"Switching {name} to version {meta.version}")
        self.stop(name)
        shutil.rmtree(previous, ignore_errors=True)
        (folder / BUNDLE_DIR).rename(previous)
        incoming.rename(folder / BUNDLE_DIR)
        old = asdict(record)
        record.version, record.ref, record.engine, record.note = meta.version, str(ref), meta.engine, meta.note
        record.updated = _now()
        _save(folder, record)
        try:
            return self.start(name)
        except DeploymentError as failure:
            progress("The new version did not start; rolling back")
            shutil.rmtree(folder / BUNDLE_DIR)
            previous.rename(folder / BUNDLE_DIR)
            _save(folder, LocalRecord(**{**old, "pid": None}))
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
                     "docs": f"{base}/docs", "invocations": f"{base}/invocations",
                     "folder": str(self._folder(name))})

    def list(self) -> list[DeploymentInfo]:
        if not self.root.is_dir():
            return []
        return [self.get(p.name) for p in sorted(self.root.iterdir())
                if p.is_dir() and (p / RECORD).is_file()]

    def keys(self, name: str):
        return read_keys(self._folder(name))

    def regenerate_key(self, name: str, slot: str):
        return regenerate(self._folder(name), slot)

    def logs(self, name: str, lines: int = 50) -> list[str]:
        path = self._folder(name) / LOG
        if not path.is_file():
            return []
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 64 * 1024))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]

    def model_info(self, name: str):
        from opml_core.scoring.engines import BUNDLE_META, BundleMeta

        return BundleMeta.from_json((self._folder(name) / BUNDLE_DIR / BUNDLE_META).read_text())

    def _folder(self, name: str) -> Path:
        folder = self.root / validate_name(name)
        if not (folder / RECORD).is_file():
            raise DeploymentError(f"There is no deployment named {name!r}; the Deploy page (or "
                                  "`python -m opml_core deployments`) lists them.")
        return folder

    def _free_port(self) -> int:
        taken = {_load(p).port for p in self.root.iterdir() if (p / RECORD).is_file()}
        port = self.settings.deploy_port_start
        while port in taken or not bindable(self.settings.serve_host, port):
            port += 1
        return port

    def _is_ours(self, record: LocalRecord) -> bool:
        """The recorded process is alive and is this deployment's server."""
        return serves_folder(record.pid, "opml_core.serve", self.root / record.name)

    def _healthy(self, record: LocalRecord) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://{record.host}:{record.port}/health", timeout=2) as r:
                return json.loads(r.read()).get("deployment") == record.name
        except (OSError, ValueError):
            return False

    def _wait_ready(self, record: LocalRecord, timeout: float, process) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            if self._healthy(record):
                return True
            time.sleep(0.05)
        return False


def _load(folder: Path) -> LocalRecord:
    return LocalRecord(**json.loads((folder / RECORD).read_text()))


def _save(folder: Path, record: LocalRecord) -> None:
    write_atomic(folder / RECORD, json.dumps(asdict(record), indent=2))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _taken(name: str) -> DeploymentError:
    return DeploymentError(f"A deployment named {name!r} exists; update it to another version, "
                           "or choose another name.")

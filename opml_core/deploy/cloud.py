"""What every Azure-hosted target shares: the local record, the package, waiting, keys, cleanup.

A cloud deployment keeps ``deployments/<name>/`` on this machine (its record and the package
it serves, so its inputs are known to Predict and collect) while Azure runs it. Every Azure
call goes through the connection's ``AzureClient``; Azure's errors become plain messages
(``azure.errors``). Long operations are polled with visible progress. When a deployment fails
part-way, what Azure still holds is removed where possible and the message says what stays.
Subclasses (``azure_v1``, ``azure_v2``) create, update and delete; reading state, keys and
logs is theirs too, through small hooks.
"""

from __future__ import annotations

import shutil
import time
from abc import abstractmethod
from pathlib import Path
from typing import Callable

from opml_core.azure.connection import azure_client
from opml_core.azure.errors import explain
from opml_core.azure.package import ScoringPackage, build_package
from opml_core.deploy.base import (
    FAILED,
    RUNNING,
    STARTING,
    UNREACHABLE,
    DeploymentInfo,
    DeploymentTarget,
    Progress,
    validate_name,
)
from opml_core.deploy.records import (
    folder_of,
    folders_of,
    new_folder,
    now,
    read_record,
    write_record,
)
from opml_core.errors import DeploymentError, OpmlError
from opml_core.serve.keys import Keys
from opml_core.serve.usage_log import UsageLog
from opml_core.usage.azure import mark_deleted, mirrored_records, track

PACKAGE = "package"
NO_KEYLESS = ("Azure deployments from opml always require a key (Azure checks it before the "
              "model sees a request); switch 'Require a key' back on.")


class CloudTarget(DeploymentTarget):
    """A DeploymentTarget whose endpoints run in Azure ML."""

    usage_source = ""  # the usage source that collects what this target's deployments receive
    poll_s = 5.0  # how often Azure is asked how a long operation is going
    wait_s = 3600.0  # the longest opml waits for one

    @property
    def root(self) -> Path:
        return self.settings.workspace.deployments

    def client(self):
        return azure_client(self.settings)

    # --- what subclasses implement -------------------------------------------------------
    @abstractmethod
    def create(self, client, name: str, package: ScoringPackage, options: dict, ids: dict,
               progress: Progress) -> None:
        """Create the deployment in Azure, noting in ``ids`` what identifies each part as soon
        as Azure has it (the record keeps them; a failure part-way removes them)."""

    def leftovers(self, ids: dict) -> str | None:
        """What stays in Azure after a failed create has been cleaned up, in words."""
        return None

    @abstractmethod
    def replace(self, client, record: dict, package: ScoringPackage, progress: Progress) -> dict:
        """Serve ``package`` instead (rolling back in Azure if it fails); return the new ids."""

    @abstractmethod
    def remove(self, client, record: dict) -> None:
        """Delete what Azure holds for the deployment (nothing there is not an error)."""

    @abstractmethod
    def state(self, client, record: dict) -> tuple[str, str | None, str | None]:
        """(status, scoring URI, note) from Azure."""

    @abstractmethod
    def fetch_keys(self, client, record: dict) -> tuple[str, str]: ...

    @abstractmethod
    def renew_key(self, client, record: dict, slot: str) -> None: ...

    @abstractmethod
    def fetch_logs(self, client, record: dict, lines: int) -> str: ...

    # --- the interface ------------------------------------------------------------------
    def deploy(self, name, model_name, ref, *, auth=True, options=None,
               progress: Progress = lambda m: None):
        validate_name(name)
        if not auth:
            raise DeploymentError(NO_KEYLESS)
        values = self.check_options(options)
        client = self.client()
        with new_folder(self.root, name) as staging:
            progress(f"Building the Azure scoring package for {model_name} {ref}")
            package = build_package(self.settings, model_name, ref, staging / PACKAGE)
            stamp = now()
            write_record(staging, {"target": self.key, "name": name, "model_name": model_name,
                                   "version": package.meta.version, "ref": str(ref),
                                   "options": values, "azure": {}, "created": stamp,
                                   "updated": stamp, "failed": None})
        folder = self.root / name
        UsageLog(self.settings.workspace.usage, name).describe(package.meta)
        package = ScoringPackage.load(folder / PACKAGE)
        ids: dict = {}
        try:
            self.create(client, name, package, values, ids, progress)
        except Exception as exc:
            raise self._abandon(client, folder, ids, exc, "create the deployment") from exc
        self._save(folder, azure=ids)
        track(self.settings, name, self.usage_source, ids)
        return self.get(name)

    def update(self, name, ref, *, progress: Progress = lambda m: None):
        folder = self._folder(name)
        record = read_record(folder)
        client = self.client()
        incoming = folder / f"{PACKAGE}.next"
        shutil.rmtree(incoming, ignore_errors=True)
        progress(f"Building the Azure scoring package for {record['model_name']} {ref}")
        try:
            package = build_package(self.settings, record["model_name"], ref, incoming)
            UsageLog(self.settings.workspace.usage, name).describe(package.meta)
            ids = self.replace(client, record, package, progress)
        except Exception as exc:
            shutil.rmtree(incoming, ignore_errors=True)
            if isinstance(exc, OpmlError):
                raise
            raise explain(exc, "update the deployment", self.settings) from exc
        previous = folder / f"{PACKAGE}.previous"
        shutil.rmtree(previous, ignore_errors=True)
        (folder / PACKAGE).rename(previous)
        incoming.rename(folder / PACKAGE)
        shutil.rmtree(previous, ignore_errors=True)
        self._save(folder, azure=ids, version=package.meta.version, ref=str(ref), failed=None)
        return self.get(name)

    def delete(self, name: str) -> None:
        folder = self._folder(name)
        try:
            self.remove(self.client(), read_record(folder))
        except Exception as exc:
            raise explain(exc, "delete the deployment", self.settings) from exc
        mark_deleted(self.settings, name)
        shutil.rmtree(folder)

    def get(self, name: str) -> DeploymentInfo:
        folder = self._folder(name)
        record = read_record(folder)
        meta = ScoringPackage.load(folder / PACKAGE).meta
        scoring_uri, note = record.get("scoring_uri"), record.get("failed")
        try:
            status, scoring_uri, azure_note = self.state(self.client(), record)
            note = note or azure_note
        except Exception as exc:  # the page still lists it, saying why it cannot tell more
            status, note = UNREACHABLE, str(explain(exc, "read the deployment's state", self.settings))
        if scoring_uri and scoring_uri != record.get("scoring_uri"):
            self._save(folder, scoring_uri=scoring_uri)
        return DeploymentInfo(
            name=name, target=self.key, model_name=record["model_name"], version=record["version"],
            ref=record["ref"], status=status, scoring_uri=scoring_uri, auth_required=True,
            engine=meta.engine, note=note, created=record["created"], updated=record["updated"],
            details={"azure": record.get("azure", {}), "options": record.get("options", {}),
                     "folder": str(folder)})

    def list(self) -> list[DeploymentInfo]:
        return [self.get(folder.name) for folder in folders_of(self.root, self.key)]

    def keys(self, name: str) -> Keys:
        record = read_record(self._folder(name))
        primary, secondary = self._call(lambda c: self.fetch_keys(c, record), "read the keys")
        return Keys(primary, secondary, True)

    def regenerate_key(self, name: str, slot: str) -> Keys:
        if slot not in ("primary", "secondary"):
            raise DeploymentError(f"There is no {slot!r} key; regenerate the primary or the secondary.")
        record = read_record(self._folder(name))
        self._call(lambda c: self.renew_key(c, record, slot), f"regenerate the {slot} key")
        return self.keys(name)

    def logs(self, name: str, lines: int = 50) -> list[str]:
        record = read_record(self._folder(name))
        return self._call(lambda c: self.fetch_logs(c, record, lines), "read the logs").splitlines()

    def model_info(self, name: str):
        return ScoringPackage.load(self._folder(name) / PACKAGE).meta

    def recent_requests(self, name: str, limit: int = 20) -> list[dict]:
        """What collect has brought back from Azure so far (Azure keeps the rest)."""
        return mirrored_records(self.settings, name, limit)

    # --- shared helpers -----------------------------------------------------------------
    def tags(self, meta, deployment: str) -> dict:
        """Tags on everything opml creates in Azure, so people can tell what it is."""
        return {"opml": "1", "deployment": deployment, "model": meta.name,
                "version": str(meta.version)}

    def variables(self) -> dict:
        """What the entry script reads from its environment besides the deployment's name."""
        return {"OPML_MAX_ROWS": str(self.settings.max_rows_per_request),
                "OPML_MAX_PAYLOAD_MB": f"{self.settings.max_payload_mb:g}"}

    def wait(self, read: Callable, label: str, done: set[str], failed: set[str],
             progress: Progress):
        """Poll ``read()`` (a ServiceState or None) until its state is in ``done`` (return it)
        or ``failed`` (raise with Azure's error), at most ``wait_s`` seconds."""
        started = time.monotonic()
        while True:
            state = read()
            word = state.state if state else "not there yet"
            elapsed = time.monotonic() - started
            progress(f"{label}: {word} · {elapsed / 60:.0f} min {elapsed % 60:02.0f} s")
            if state is not None and state.state in done:
                return state
            if state is not None and state.state in failed:
                raise DeploymentError(f"{label} ended {state.state} in Azure. Azure says: "
                                      f"{(state.error or 'no reason given').splitlines()[0][:300]} "
                                      "(the Deploy page's log shows more).", details=state.error)
            if elapsed > self.wait_s:
                raise DeploymentError(f"{label} was still '{word}' after {self.wait_s / 60:.0f} "
                                      "minutes; check it in Azure ML studio, then refresh this page.")
            time.sleep(self.poll_s)

    def _call(self, work: Callable, doing: str):
        try:
            return work(self.client())
        except OpmlError:
            raise
        except Exception as exc:
            raise explain(exc, doing, self.settings) from exc

    def _abandon(self, client, folder: Path, ids: dict, exc: Exception, doing: str) -> DeploymentError:
        """After a failed create: remove what Azure holds and the local record, saying so."""
        error = explain(exc, doing, self.settings)
        try:
            self.remove(client, {**read_record(folder), "azure": ids})
        except Exception as cleanup:
            self._save(folder, azure=ids, failed=f"{error} Removing it from Azure failed too; "
                                                 "delete it here once Azure is reachable.")
            return DeploymentError(f"{error} What Azure created could not be removed "
                                   f"({explain(cleanup, 'remove it', self.settings)}); the "
                                   "deployment is kept here as failed so you can delete it.",
                                   details=error.details)
        shutil.rmtree(folder, ignore_errors=True)
        kept = self.leftovers(ids)
        return DeploymentError(f"{error} Nothing was left running in Azure"
                               + (f"; {kept}" if kept else "") + ".", details=error.details)

    def _save(self, folder: Path, **changes) -> None:
        write_record(folder, {**read_record(folder), **changes, "updated": now()})

    def _folder(self, name: str) -> Path:
        return folder_of(self.root, validate_name(name), self.key)


def status_of(word: str | None, running: set[str], starting: set[str]) -> str:
    """opml's status for Azure's word (anything unexpected counts as failed)."""
    if word in running:
        return RUNNING
    if word in starting:
        return STARTING
    return FAILED

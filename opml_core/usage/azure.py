"""Usage sources for deployments in Azure: Application Insights traces (v1 web services) and the
data collector's JSONL files (v2 online endpoints).

Both first ``sync`` what Azure holds into files of their own in the workspace
(``usage/_azure/<deployment>/<source>/batch-*.jsonl``, usage JSON lines), then collect reads
those files exactly like the local logs. A sync is exactly once too: each batch is written under
a temporary name, the sync state (traces seen, bytes of each blob read) records the batch, and
only then is the file renamed; a sync that stopped half-way is rolled forward or back next time.

- ``appinsights``: every ``print`` of the entry script is one trace; records printed in pieces
  are reassembled (pieces waiting for the rest are kept in the state). Traces are paged by the
  time Application Insights ingested them, which can be minutes after they were written.
- ``collector``: the ``opml_usage`` collection of each deployment slot, under
  ``modelDataCollector/<endpoint>/<slot>/opml_usage/…/*.jsonl``; a line's ``data`` holds one or
  more ``{"record": "<usage record JSON>"}`` rows, or, for payloads over 4 MB, the address of a
  blob that holds them (``datainblob``).

Deleted deployments keep being synced for ``KEEP_SYNCING`` after their deletion, so what Azure
ingests late still arrives.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from opml_core.config import Settings
from opml_core.files import write_atomic
from opml_core.serve.printed import Assembler
from opml_core.usage.sources import UsageSource, register_source

FOLDER = "_azure"
STATE = "sync.json"
OVERLAP = timedelta(minutes=10)  # traces ingested this long before the newest are read again
PAGE = 5000
MAX_PAGES = 200
MAX_PENDING = 1000  # records waiting for pieces; older ones are given up
KEEP_SYNCING = timedelta(days=2)
V1_TARGETS, V2_TARGETS = ("aci", "aks"), ("azureml-online", "azureml-kubernetes")
COLLECTION_PREFIX = "modelDataCollector/{endpoint}/{slot}/opml_usage/"


def mirror_folder(settings: Settings, deployment: str, source: str) -> Path:
    return settings.workspace.usage / FOLDER / deployment / source


def mirrored_records(settings: Settings, deployment: str, limit: int = 20) -> list[dict]:
    """The newest records synced from Azure for a deployment, newest first."""
    files = sorted((settings.workspace.usage / FOLDER / deployment).glob("*/batch-*.jsonl"),
                   key=lambda p: p.name, reverse=True)
    found: list[dict] = []
    for path in files:
        for line in reversed(path.read_bytes().splitlines()):
            found.append(orjson.loads(line))
            if len(found) >= limit:
                return found
    return found


def track(settings: Settings, deployment: str, source: str, ids: dict,
          since: datetime | None = None) -> None:
    """Start syncing a cloud deployment's usage from ``since`` (default: now, its creation)."""
    folder = mirror_folder(settings, deployment, source)
    folder.mkdir(parents=True, exist_ok=True)
    start = (since or datetime.now(timezone.utc)).isoformat()
    _save(folder, {"since": start, **_load(folder), "ids": ids, "deleted": None})


def mark_deleted(settings: Settings, deployment: str) -> None:
    """Keep syncing a deleted deployment for a while: Azure ingests late."""
    for source in (AppInsightsSource.key, CollectorSource.key):
        folder = mirror_folder(settings, deployment, source)
        if (folder / STATE).is_file():
            _save(folder, {**_load(folder), "deleted": datetime.now(timezone.utc).isoformat()})


class _MirroredSource(UsageSource):
    """A cloud source whose records are synced into batch files in the workspace first."""

    targets: tuple[str, ...] = ()

    def files(self):
        root = self.settings.workspace.usage / FOLDER
        return [(str(p), p.stat().st_size) for p in sorted(root.glob(f"*/{self.key}/batch-*.jsonl"))]

    def key_of(self, path: str) -> str:
        return str(Path(path).relative_to(self.settings.workspace.usage))

    def sync(self, progress=lambda m: None) -> list[str]:
        names = self._deployments()
        if not names:
            return []
        from opml_core.azure.connection import azure_client
        from opml_core.azure.errors import explain

        problems = []
        for name, ids in names.items():
            folder = mirror_folder(self.settings, name, self.key)
            folder.mkdir(parents=True, exist_ok=True)
            _recover(folder)
            progress(f"Fetching {name}'s usage from Azure ({self.title})")
            try:
                records, state = self.fetch(azure_client(self.settings), name, ids, _load(folder))
            except Exception as exc:
                problems.append(f"{name} ({self.title}): {explain(exc, 'read its usage', self.settings)}")
                continue
            _commit(folder, records, state)
        return problems

    def fetch(self, client, name: str, ids: dict, state: dict) -> tuple[list[dict], dict]:
        """New records since ``state`` and the state after them."""
        raise NotImplementedError

    def _deployments(self) -> dict[str, dict]:
        """Deployments to sync: every current one of these targets, and deleted ones for a while."""
        from opml_core.deploy.records import folders_of, read_record  # deploy imports usage

        names = {}
        for target in self.targets:
            for folder in folders_of(self.settings.workspace.deployments, target):
                names[folder.name] = read_record(folder).get("azure", {})
        root = self.settings.workspace.usage / FOLDER
        for state_file in root.glob(f"*/{self.key}/{STATE}"):
            name = state_file.parent.parent.name
            state = _load(state_file.parent)
            deleted = state.get("deleted")
            if name not in names and deleted and \
                    datetime.now(timezone.utc) - datetime.fromisoformat(deleted) < KEEP_SYNCING:
                names[name] = state.get("ids", {})
        return names


@register_source
class AppInsightsSource(_MirroredSource):
    key = "appinsights"
    title = "Application Insights"
    targets = V1_TARGETS

    def fetch(self, client, name, ids, state):
        newest = datetime.fromisoformat(state["since"]) if state.get("since") else \
            datetime.now(timezone.utc) - timedelta(days=30)
        seen = dict(state.get("seen", {}))  # trace id -> when it was ingested, within OVERLAP
        assembler = Assembler(state.get("pending"))
        records, since = [], newest - OVERLAP
        for _ in range(MAX_PAGES):
            page = client.traces(name, since, PAGE)
            for trace in page:
                if trace.item_id in seen:
                    continue
                seen[trace.item_id] = trace.time.isoformat()
                newest = max(newest, trace.time)
                record = assembler.feed(trace.message)
                if record is not None:
                    records.append(record)
            if len(page) < PAGE:
                break
            since = max(t.time for t in page)
        cutoff = newest - OVERLAP
        seen = {item: when for item, when in seen.items() if datetime.fromisoformat(when) >= cutoff}
        pending = dict(list(assembler.pending.items())[-MAX_PENDING:])  # pieces that never completed
        return records, {**state, "since": newest.isoformat(), "seen": seen, "pending": pending,
                         "ids": ids}


@register_source
class CollectorSource(_MirroredSource):
    key = "collector"
    title = "the data collector"
    targets = V2_TARGETS

    def fetch(self, client, name, ids, state):
        offsets = dict(state.get("offsets", {}))
        records = []
        for slot in ("blue", "green"):
            prefix = COLLECTION_PREFIX.format(endpoint=ids.get("endpoint", name), slot=slot)
            for blob in sorted(client.blobs(prefix), key=lambda b: b.name):
                start = offsets.get(blob.name, 0)
                if blob.size <= start:
                    continue
                data = client.read_blob(blob.name, start)
                end = data.rfind(b"\n") + 1  # complete lines only; the rest is read next time
                for line in data[:end].splitlines():
                    records += _collected(client, line)
                offsets[blob.name] = start + end
        return records, {**state, "offsets": offsets, "ids": ids}


def _collected(client, line: bytes) -> list[dict]:
    """The usage records one collector line holds."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return []
    data = event.get("data") if isinstance(event, dict) else None
    if str(event.get("datainblob", "")).lower() == "true" and isinstance(data, str):
        data = orjson.loads(client.read_blob(_blob_path(data)))
    found = []
    for row in data if isinstance(data, list) else []:
        try:
            record = orjson.loads(row["record"]) if isinstance(row, dict) else None
        except (KeyError, orjson.JSONDecodeError, TypeError):
            record = None
        if isinstance(record, dict) and record.get("request_id"):
            found.append(record)
    return found


def _blob_path(address: str) -> str:
    """The blob name inside the datastore's container, from its https address."""
    from urllib.parse import unquote, urlparse

    parts = urlparse(address).path.lstrip("/").split("/", 1)
    return unquote(parts[1] if len(parts) > 1 else parts[0])


def _load(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return {}


def _save(folder: Path, state: dict) -> None:
    write_atomic(folder / STATE, json.dumps(state))


def _commit(folder: Path, records: list[dict], state: dict) -> None:
    """Write a batch, record it in the state, then give it its final name (see the docstring)."""
    if not records:
        _save(folder, state)
        return
    batch = f"batch-{datetime.now(timezone.utc):%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    temporary = folder / f".{batch}.jsonl"
    with open(temporary, "wb") as handle:
        handle.write(b"".join(orjson.dumps(r) + b"\n" for r in records))
        handle.flush()
        os.fsync(handle.fileno())
    _save(folder, {**state, "batches": (state.get("batches", []) + [batch])[-100:]})
    temporary.rename(folder / f"{batch}.jsonl")


def _recover(folder: Path) -> None:
    """Finish a batch whose state was saved; drop one whose state was not."""
    batches = set(_load(folder).get("batches", []))
    for temporary in folder.glob(".batch-*.jsonl"):
        batch = temporary.name[1:-len(".jsonl")]
        if batch in batches:
            temporary.rename(folder / f"{batch}.jsonl")
        else:
            temporary.unlink()

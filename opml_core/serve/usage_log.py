"""The usage log: one durable JSON line per request a deployment answers or rejects.

Records go to ``usage/<deployment>/date=YYYY-MM-DD/hour=HH/part-<pid>-<start>.jsonl``
(folders 0700, files 0600: they hold raw inputs), and each
model version served is described once in ``usage/<deployment>/_models/``. The log is append-
only, partitioned by the hour they were written, one file per server process (and per scoring worker), so a collector
can read new files and new bytes of the current file cheaply. Each record is written with one
``os.write`` of a complete line before the response is sent: once a client has its answer, the
record is in the operating system's hands and survives a ``kill -9`` of the server. A reader
only ever sees whole lines, except possibly a trailing partial one, which it must skip.

A file is **sealed** once its process will never write to it again: when it passes
``ROTATE_BYTES`` (the process goes on in a new file), when the hour changes, or when the log is
closed. Sealing takes the owner's write bit away (0400), so a collector can tell a finished file
(``is_sealed``) and take it whole without copying it; a process never reopens a file it sealed.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

from opml_core.files import private_dirs, write_atomic

TAIL_BYTES = 1 << 20
MODELS_DIR = "_models"
ROTATE_BYTES = 64 << 20  # a file this large is sealed and the process goes on in a new one
LIVE_MODE, SEALED_MODE = 0o600, 0o400


def is_sealed(mode: int) -> bool:
    """Whether a log file with this ``st_mode`` is sealed (its writer will never append again)."""
    return not mode & 0o200


def partition(root: Path, deployment: str, when: datetime) -> Path:
    return root / deployment / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"


class UsageLog:
    """Appends records for one deployment from one process."""

    def __init__(self, root: Path, deployment: str):
        self.root = Path(root)
        self.deployment = deployment
        self._started = int(time.time() * 1000)
        self._hour = None
        self._fd = None
        self._size = 0
        self._lock = threading.Lock()  # a Spark model's scoring threads and the event loop share it

    def write(self, record: dict) -> None:
        line = orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS) + b"\n"
        with self._lock:  # one record at a time, and never into a file another thread has sealed
            hour = int(time.time() // 3600)
            if hour != self._hour or self._size >= ROTATE_BYTES:
                self._open(datetime.fromtimestamp(hour * 3600, timezone.utc), hour)
            self._append(line)

    def _append(self, line: bytes) -> None:
        view = memoryview(line)
        try:
            while view:
                written = os.write(self._fd, view)
                self._size += written
                view = view[written:]
        except OSError:
            if len(view) < len(line):  # end the fragment, so the next record starts on its own line
                try:
                    os.write(self._fd, b"\n")
                except OSError:
                    pass
            raise

    def _open(self, now: datetime, hour: str) -> None:
        if self._fd is not None:
            self._seal()
            # a new name each time: a sealed file is never written again, even if the clock
            # goes back to its hour
            self._started = max(self._started + 1, int(time.time() * 1000))
        folder = partition(self.root, self.deployment, now)
        private_dirs(folder, self.root)
        path = folder / f"part-{os.getpid()}-{self._started}.jsonl"
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, LIVE_MODE)
        self._size = os.fstat(self._fd).st_size
        self._hour = hour

    def _seal(self) -> None:
        """Mark the current file finished (0400) and close it."""
        try:
            os.fchmod(self._fd, SEALED_MODE)
        finally:
            os.close(self._fd)
            self._fd = None

    def describe(self, meta) -> None:
        """Keep the model's description (inputs, classes) beside its records, for collecting."""
        folder = self.root / self.deployment / MODELS_DIR
        private_dirs(folder, self.root)
        path = folder / f"{meta.name}-v{meta.version}.json"
        if not path.exists():
            write_atomic(path, meta.to_json(), mode=0o600)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                self._seal()


def recent_records(root: Path, deployment: str, limit: int = 20) -> list[dict]:
    """The newest records of a deployment (newest first), reading only the newest files."""
    files = sorted((Path(root) / deployment).glob("date=*/hour=*/*.jsonl"),
                   key=lambda p: (p.parent.parent.name, p.parent.name, p.stat().st_mtime), reverse=True)
    found: list[dict] = []
    for path in files:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
            lines = handle.read().split(b"\n")
        for line in reversed(lines):
            if not line:
                continue
            try:
                found.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue  # a trailing line still being written
            if len(found) >= limit:
                return found
    return found

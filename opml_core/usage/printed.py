"""The ``printed`` source: usage records azureml-local's entry script printed into its log.

The Azure entry script prints each request as ``opml-usage`` lines (``serve.printed``), which
Azure's inference server writes to its log with its own prefix, between its other lines. This
source reads those logs (``usage/_printed/<deployment>/server-*.log``, one per server start,
kept when the deployment is deleted), reassembles records printed in pieces, and stops each
read before a record whose pieces are not all there yet, unless the log has not changed for
``SETTLED_S`` seconds (its server died mid-record: the pieces will never come).
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from opml_core.serve.printed import PART_MARKER, Assembler
from opml_core.usage.sources import UsageSource, last_newline, register_source

FOLDER = "_printed"
SETTLED_S = 120.0


def log_folder(settings, deployment: str) -> Path:
    return settings.workspace.usage / FOLDER / deployment


@register_source
class PrintedSource(UsageSource):
    key = "printed"

    def files(self):
        root = self.settings.workspace.usage / FOLDER
        return [(str(p), p.stat().st_size) for p in sorted(root.glob("*/server-*.log"))]

    def key_of(self, path: str) -> str:
        return str(Path(path).relative_to(self.settings.workspace.usage))

    def read(self, path: str, start: int, end: int, into) -> None:
        assembler = Assembler()
        for line in _lines(path, start, end):
            record = assembler.feed(line.decode("utf-8", "replace"))
            if record is not None:
                into.write(orjson.dumps(record) + b"\n")

    def end_of_records(self, path: str, start: int, size: int) -> int:
        end = last_newline(path, start, size)
        if time.time() - Path(path).stat().st_mtime > SETTLED_S:
            return end  # nothing more will be written: a record left in pieces stays unread
        assembler, position, safe = Assembler(), start, start
        for line in _lines(path, start, end):
            position += len(line)
            if PART_MARKER.encode() in line:
                assembler.feed(line.decode("utf-8", "replace"))
            if not assembler.pending:
                safe = position
        return safe


def _lines(path: str, start: int, end: int):
    """The lines in bytes [start, end), each with its newline."""
    with open(path, "rb") as handle:
        handle.seek(start)
        left = end - start
        while left > 0:
            line = handle.readline(left)
            if not line:
                return
            left -= len(line)
            yield line

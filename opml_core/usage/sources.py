"""Where usage records come from: ``UsageSource`` readers, registered by key.

A source lists append-only files of records with their sizes; collect takes each file's new
bytes up to the end of its last complete record and asks the source to turn them into usage
JSON lines. ``local`` reads the usage logs opml's endpoints write; ``printed`` (azureml-local's
server logs) and the Azure sources (``azure.py``) add theirs. A cloud source first ``sync``s
what Azure holds into files of its own in the workspace, so collect stays exactly once on
files it can read again.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from opml_core.config import Settings
from opml_core.errors import MonitorError
from opml_core.scoring.engines import BundleMeta
from opml_core.serve.usage_log import MODELS_DIR, is_sealed

COPY_BLOCK = 8 << 20


@dataclass(frozen=True)
class Chunk:
    """New complete records of one file: bytes [start, end)."""

    key: str  # "<source>:<path>"
    path: str
    start: int
    end: int


class UsageSource(ABC):
    """Files of usage records and how to read them."""

    key = ""

    def __init__(self, settings: Settings):
        self.settings = settings

    def sync(self, progress: Callable[[str], None] = lambda m: None) -> list[str]:
        """Bring what a remote store holds into local files; return problems worth showing
        (collect goes on with what it has). Local sources have nothing to sync."""
        return []

    @abstractmethod
    def files(self) -> list[tuple[str, int]]:
        """(path, size) of every file of records."""

    @abstractmethod
    def key_of(self, path: str) -> str:
        """A name for the file that stays the same if the workspace moves."""

    def read(self, path: str, start: int, end: int, into) -> None:
        """Write the records in bytes [start, end) to ``into`` as usage JSON lines."""
        with open(path, "rb") as handle:
            handle.seek(start)
            left = end - start
            while left:
                block = handle.read(min(COPY_BLOCK, left))
                if not block:
                    raise MonitorError(f"{path} shrank while being collected; collect again.")
                into.write(block)
                left -= len(block)

    def link(self, path: str, start: int, end: int, target: Path) -> bool:
        """Give collect bytes [start, end) as the file ``target`` without copying them, when the
        source can (a whole file that will never change); False when it must be copied."""
        return False

    def end_of_records(self, path: str, start: int, size: int) -> int:
        """The end of the last complete record in [start, size), or start if there is none."""
        return last_newline(path, start, size)


def last_newline(path: str, start: int, size: int) -> int:
    """The end of the last complete line in [start, size), or start if there is none."""
    with open(path, "rb") as handle:
        position = size
        while position > start:
            step = min(1 << 16, position - start)
            handle.seek(position - step)
            block = handle.read(step)
            found = block.rfind(b"\n")
            if found >= 0:
                return position - step + found + 1
            position -= step
    return start


class LocalSource(UsageSource):
    """The logs opml's endpoints write under the workspace's ``usage/`` folder."""

    key = "local"

    def files(self):
        root = self.settings.workspace.usage
        return [(str(p), p.stat().st_size) for p in sorted(root.glob("*/date=*/hour=*/*.jsonl"))]

    def key_of(self, path: str) -> str:
        return str(Path(path).relative_to(self.settings.workspace.usage))

    def link(self, path: str, start: int, end: int, target: Path) -> bool:
        """A sealed log taken whole is hard-linked into staging (same disk, nothing copied)."""
        info = os.stat(path)
        if start != 0 or end != info.st_size or not is_sealed(info.st_mode):
            return False
        try:
            os.link(path, target)
        except OSError:  # another filesystem, or links not allowed: copy instead
            return False
        return True


SOURCES: dict[str, type[UsageSource]] = {}


def register_source(cls: type[UsageSource]) -> type[UsageSource]:
    SOURCES[cls.key] = cls
    return cls


register_source(LocalSource)


def known_models(settings: Settings) -> list[BundleMeta]:
    """Every model version any deployment served (each target describes it when deploying)."""
    root = settings.workspace.usage
    return [BundleMeta.from_json(p.read_text()) for p in sorted(root.glob(f"*/{MODELS_DIR}/*.json"))]

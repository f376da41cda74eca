"""Endpoint keys, like Azure ML's: a primary and a secondary key per deployment.

Keys live in the deployment's folder (``keys.json``, readable by its owner only); requests send
``Authorization: Bearer <key>``. Either key works, so one can be regenerated while clients
move to the other. The server re-reads the file when it changes, so a rotation takes effect
without a restart. Keys are shown masked and never written to logs.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from opml_core.errors import DeploymentError
from opml_core.files import write_atomic

KEYS_FILE = "keys.json"
SLOTS = ("primary", "secondary")


@dataclass(frozen=True)
class Keys:
    primary: str
    secondary: str
    required: bool = True

    def accepts(self, header: str | None) -> bool:
        if not self.required:
            return True
        scheme, _, given = (header or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        given = given.strip().encode("utf-8", "surrogateescape")
        return any(hmac.compare_digest(given, key.encode()) for key in (self.primary, self.secondary))


def new_keys(required: bool = True) -> Keys:
    return Keys(secrets.token_urlsafe(32), secrets.token_urlsafe(32), required)


def write_keys(folder: Path, keys: Keys) -> None:
    write_atomic(folder / KEYS_FILE, json.dumps(vars(keys)), mode=0o600)


def read_keys(folder: Path) -> Keys:
    return _parse((folder / KEYS_FILE).read_text())


def _parse(text: str) -> Keys:
    return Keys(**json.loads(text))


def regenerate(folder: Path, slot: str) -> Keys:
    """Replace one key with a fresh one; the other keeps working."""
    if slot not in SLOTS:
        raise DeploymentError(f"There is no {slot!r} key; regenerate the primary or the secondary.")
    keys = read_keys(folder)
    fresh = Keys(**{**vars(keys), slot: secrets.token_urlsafe(32)})
    write_keys(folder, fresh)
    return fresh


def mask(key: str) -> str:
    return f"{key[:4]}{'•' * 12}{key[-2:]}"


class KeyWatcher:
    """Serves the current keys, re-reading the file when its modification time changes."""

    def __init__(self, folder: Path):
        self._path = folder / KEYS_FILE
        self._stamp = None
        self._keys = None

    @property
    def keys(self) -> Keys:
        stamp = os.stat(self._path).st_mtime_ns
        if stamp != self._stamp:
            self._keys = _parse(self._path.read_text())
            self._stamp = stamp
        return self._keys

"""Deployment records: one folder per deployment under ``deployments/``, whatever its target.

Every target keeps ``deployments/<name>/deployment.json`` (a JSON object with at least
``target``, ``name``, ``model_name``, ``version``), so a name is taken once across all targets
and the usage history of ``<name>`` always means one deployment. Records written before
targets were recorded are local ones.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from opml_core.errors import DeploymentError
from opml_core.files import write_atomic

RECORD = "deployment.json"


def read_record(folder: Path) -> dict:
    record = json.loads((folder / RECORD).read_text())
    record.setdefault("target", "local")
    return record


def write_record(folder: Path, record: dict) -> None:
    write_atomic(folder / RECORD, json.dumps(record, indent=2))


def folders_of(root: Path, target: str) -> list[Path]:
    """The folders of every deployment of one target, by name."""
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and (folder / RECORD).is_file():
            try:
                if read_record(folder)["target"] == target:
                    found.append(folder)
            except (OSError, ValueError):
                continue  # a damaged record is shown by nobody rather than breaking the list
    return found


def folder_of(root: Path, name: str, target: str) -> Path:
    """The folder of deployment ``name`` if it is ``target``'s; else "no deployment named"."""
    folder = root / name
    try:
        ours = read_record(folder)["target"] == target
    except (OSError, ValueError, KeyError):
        ours = False
    if not ours:
        raise missing(name)
    return folder


def taken_ports(root: Path) -> set[int]:
    ports = set()
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            port = read_record(folder).get("port") if (folder / RECORD).is_file() else None
        except (OSError, ValueError):
            continue
        if port:
            ports.add(int(port))
    return ports


@contextmanager
def new_folder(root: Path, name: str):
    """A staging folder that becomes ``root/name`` when the block ends without error; a name
    taken meanwhile (by the app and the CLI at once, say) is reported as taken."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)  # keys and raw inputs live below: the owner's only
    if (root / name).exists():
        raise taken(name)
    staging = root / f".staging-{name}-{uuid.uuid4().hex[:6]}"
    staging.mkdir(mode=0o700)
    try:
        yield staging
        try:
            staging.rename(root / name)
        except OSError as exc:
            raise taken(name) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def taken(name: str) -> DeploymentError:
    return DeploymentError(f"A deployment named {name!r} exists; update it to another version, "
                           "or choose another name.")


def missing(name: str) -> DeploymentError:
    return DeploymentError(f"There is no deployment named {name!r}; the Deploy page (or "
                           "`python -m opml_core deployments`) lists them.")

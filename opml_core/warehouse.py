"""The warehouse URI: where Spark writes every table and model, and how the app reads it back.

Spark (local, a cluster or a Spark Connect server elsewhere) writes by explicit URI under
``settings.warehouse`` (``OPML_WAREHOUSE_URI``, default the workspace's ``warehouse/`` folder as
``file://``; ``Workspace.warehouse_location``). The app never assumes that URI is a folder on
its own disk: it lists it and reads and writes small files there (dataset cards, a saved model
to log) through ``pyarrow.fs``, which speaks ``file://``, ``hdfs://``, ``s3://``, ``gs://`` and
``abfss://`` alike (a scheme it cannot open, such as ``dbfs:/``, is refused with a
``ConfigError``). ``location(workspace, *parts)`` joins a URI; ``copy_to_local`` brings a folder
Spark wrote to a local directory; ``upload`` streams a file of the app's to a URI block by block;
``readable_by_spark`` gives Spark a file of the app's (an upload, the bundled data, a
simulation's record) where it can read it: the file itself when Spark runs beside the app, else
a copy under the warehouse (copies older than a day are removed as new ones are made).
``folder_stamp`` changes whenever a folder's files do, on object stores too.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

from opml_core.config import Workspace
from opml_core.errors import ConfigError

SCRATCH = "_scratch"  # short-lived folders (models on their way to MLflow)
SHARED = "shared"  # under SCRATCH: copies of the app's files for a Spark elsewhere
BLOCK = 1 << 20  # bytes read and written at a time when a file is copied
SHARED_KEPT_S = 24 * 3600  # a shared copy older than this is removed when a new one is made
SHARED_REMOVED = 100  # at most this many old copies are removed per new copy

_HANDED_OUT: set[str] = set()  # names of shared copies this process gave Spark: never removed


def location(workspace: Workspace, *parts: str) -> str:
    """The URI of ``parts`` under the workspace's warehouse."""
    return "/".join([workspace.warehouse_location, *parts])


def scratch_location(workspace: Workspace, kind: str) -> str:
    """A fresh URI under the warehouse's scratch folder, for one write."""
    return location(workspace, SCRATCH, f"{kind}-{uuid.uuid4().hex[:12]}")


def readable_by_spark(spark, workspace: Workspace | None, path: Path) -> str:
    """Where ``spark`` can read the app's file ``path``: the path itself for a local session,
    else a copy at ``<warehouse>/_scratch/shared/<digest>-<name>`` (made once per content, and
    made again when it is half as old as copies may get, so no process removes one in use)."""
    from opml_core.spark import beside_app

    if workspace is None or beside_app(spark):
        return str(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    name = f"{digest.hexdigest()[:16]}-{path.name}"
    uri = location(workspace, SCRATCH, SHARED, name)
    fs, target = filesystem(uri)
    found = fs.get_file_info(target)
    renewed_after = time.time_ns() - int(SHARED_KEPT_S * 1e9 / 2)  # so no other process removes it
    if found.size != path.stat().st_size or (found.mtime_ns or 0) < renewed_after:
        remove_stale(location(workspace, SCRATCH, SHARED))
        partial = f"{uri}.{uuid.uuid4().hex[:6]}.partial"
        upload(path, partial)
        move(partial, uri)
    _HANDED_OUT.add(name)
    return uri


def upload(path: Path, uri: str, block: int = BLOCK) -> None:
    """Copy the app's file ``path`` to ``uri``, ``block`` bytes at a time (memory stays flat)."""
    fs, target = filesystem(uri)
    fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
    with open(path, "rb") as source, fs.open_output_stream(target) as out:
        for chunk in iter(lambda: source.read(block), b""):
            out.write(chunk)


def remove_stale(folder: str, older_than_s: float = SHARED_KEPT_S) -> int:
    """Remove files directly under ``folder`` older than ``older_than_s`` (at most
    SHARED_REMOVED of them, never one this process handed out); return how many went."""
    import pyarrow.fs as pafs

    fs, path = filesystem(folder)
    cutoff = time.time_ns() - int(older_than_s * 1e9)
    removed = 0
    for entry in fs.get_file_info(pafs.FileSelector(path, allow_not_found=True)):
        if removed >= SHARED_REMOVED:
            break
        if (entry.type != pafs.FileType.File or entry.mtime_ns is None or entry.mtime_ns >= cutoff
                or entry.base_name in _HANDED_OUT):
            continue
        try:
            fs.delete_file(entry.path)
        except OSError:  # another process removed it first
            continue
        removed += 1
    return removed


def filesystem(uri: str):
    """(pyarrow FileSystem, path inside it) for a URI, or ConfigError saying what to install."""
    import pyarrow.fs as pafs

    try:
        return pafs.FileSystem.from_uri(uri)
    except Exception as exc:  # an unknown scheme, or a filesystem pyarrow was built without
        raise ConfigError(f"The warehouse {uri!r} cannot be read from this machine ({exc}). Set "
                          "OPML_WAREHOUSE_URI to a file://, hdfs://, s3:// or gs:// URI that "
                          "both Spark and the app can reach.") from exc


def copy_to_local(uri: str, target: Path) -> None:
    """Copy the folder at ``uri`` (as Spark wrote it) to the local directory ``target``."""
    import pyarrow.fs as pafs

    source, path = filesystem(uri)
    target.mkdir(parents=True, exist_ok=True)
    pafs.copy_files(path, str(target.resolve()), source_filesystem=source,
                    destination_filesystem=pafs.LocalFileSystem())


def is_dir(uri: str) -> bool:
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    return fs.get_file_info(path).type == pafs.FileType.Directory


def folder_stamp(uri: str) -> tuple:
    """(name, size, modified ns) of each file directly under ``uri``: it changes whenever a file
    lands, goes or changes, even on object stores, which give folders no modification time."""
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    entries = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return tuple(sorted((e.base_name, e.size, e.mtime_ns or 0) for e in entries
                        if e.type == pafs.FileType.File))


def list_dir(uri: str) -> list[tuple[str, bool]]:
    """(name, is a folder) of each entry directly under ``uri``; empty when it is not there."""
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    entries = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return sorted((e.base_name, e.type == pafs.FileType.Directory) for e in entries)


def read_text(uri: str) -> str | None:
    """The text of the file at ``uri``, or None when there is none."""
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    with fs.open_input_stream(path) as stream:
        return stream.read().decode("utf-8")


def write_text(uri: str, text: str) -> None:
    fs, path = filesystem(uri)
    with fs.open_output_stream(path) as stream:
        stream.write(text.encode("utf-8"))


def move(source: str, target: str) -> None:
    """Rename a file or folder within the warehouse (one rename on file:// and HDFS)."""
    fs, source_path = filesystem(source)
    target_fs, target_path = filesystem(target)
    target_fs.create_dir(target_path.rsplit("/", 1)[0], recursive=True)
    fs.move(source_path, target_path)


def delete(uri: str) -> None:
    """Remove the folder at ``uri`` if it is there."""
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    if fs.get_file_info(path).type == pafs.FileType.Directory:
        fs.delete_dir(path)

"""The warehouse URI: where Spark writes every table and model, and how the app reads it back.

Spark (local, a cluster or a Spark Connect server elsewhere) writes by explicit URI under
``settings.warehouse`` (``OPML_WAREHOUSE_URI``, default the workspace's ``warehouse/`` folder as
``file://``; ``Workspace.warehouse_location``). The app never assumes that URI is a folder on its own disk: it reads and writes
small files there (dataset cards, a saved model to log) through ``pyarrow.fs``, which speaks
``file://``, ``hdfs://``, ``s3://`` and ``gs://`` alike. ``location(workspace, *parts)`` joins a
URI; ``copy_to_local`` brings a folder Spark wrote to a local directory.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from opml_core.config import Workspace
from opml_core.errors import ConfigError

SCRATCH = "_scratch"  # short-lived folders (models on their way to MLflow)


def location(workspace: Workspace, *parts: str) -> str:
    """The URI of ``parts`` under the workspace's warehouse."""
    return "/".join([workspace.warehouse_location, *parts])


def scratch_location(workspace: Workspace, kind: str) -> str:
    """A fresh URI under the warehouse's scratch folder, for one write."""
    return location(workspace, SCRATCH, f"{kind}-{uuid.uuid4().hex[:12]}")


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

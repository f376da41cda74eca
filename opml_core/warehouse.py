"""The warehouse URI: where Spark writes every table and model, and how the app reads it back.

Spark (local, a cluster or a Spark Connect server elsewhere) writes by explicit URI under
``settings.warehouse`` (``OPML_WAREHOUSE_URI``, default the workspace's ``warehouse/`` folder as
``file://``). The app never assumes that URI is a folder on its own disk: it reads and writes
small files there (dataset cards, a saved model to log) through ``pyarrow.fs``, which speaks
``file://``, ``hdfs://``, ``s3://`` and ``gs://`` alike. ``location(settings, *parts)`` joins a
URI; ``copy_to_local`` brings a folder Spark wrote to a local directory.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from opml_core.config import Settings
from opml_core.errors import ConfigError

SCRATCH = "_scratch"  # short-lived folders (models on their way to MLflow)


def location(settings: Settings, *parts: str) -> str:
    """The URI of ``parts`` under the warehouse."""
    return "/".join([settings.warehouse.rstrip("/"), *parts])


def scratch_location(settings: Settings, kind: str) -> str:
    """A fresh URI under the warehouse's scratch folder, for one write."""
    return location(settings, SCRATCH, f"{kind}-{uuid.uuid4().hex[:12]}")


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


def delete(uri: str) -> None:
    """Remove the folder at ``uri`` if it is there."""
    import pyarrow.fs as pafs

    fs, path = filesystem(uri)
    if fs.get_file_info(path).type == pafs.FileType.Directory:
        fs.delete_dir(path)

"""The workspace catalog: named Spark SQL tables kept as Parquet under the warehouse URI.

Each table is a folder ``<warehouse>/<name>/`` (``OPML_WAREHOUSE_URI``, default the workspace's
``warehouse/``) holding Parquet files and, for prepared tables, its dataset card. Spark writes
and reads the tables by that URI; the app lists folders and reads cards through ``pyarrow.fs``
(``opml_core/warehouse.py``), never by a driver-side path, so the same code serves local Spark,
a cluster and Spark Connect. Reading registers the table as a Spark SQL view so
``spark.sql("SELECT … FROM <name>")`` works. Unlike an embedded Derby metastore, several
processes (the app, the CLI) can use one workspace at once: writes land in a temporary folder
and replace the table in one rename, under a workspace lock (a local file: it orders this
machine's processes).
"""

from __future__ import annotations

import fcntl
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from opml_core.config import Workspace
from opml_core.data.card import CARD_FILE, DatasetCard
from opml_core.errors import DataError, TableExistsError
from opml_core.warehouse import delete, is_dir, list_dir, location, move, read_text, write_text

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MONITORING_TABLES = ("model_requests", "model_inputs", "model_labels")  # written by collect only
_LOCK_FILE = ".warehouse.lock"  # in the workspace: local state, wherever the warehouse is


@dataclass(frozen=True)
class TableInfo:
    """A table of the workspace, as listed without starting Spark."""

    name: str
    role: str | None
    rows: int | None
    target: str | None
    created_at: str | None


def validate_table_name(name: str) -> str:
    """Return the name if it can be a table name, else raise DataError saying what is allowed."""
    if not TABLE_NAME.match(name or ""):
        raise DataError(
            f"{name!r} cannot be a table name: use lower-case letters, digits and '_', "
            "starting with a letter (for example bank_train)."
        )
    return name


def table_path(workspace: Workspace, name: str) -> Path:
    """The table's folder on this machine when the warehouse is the workspace's own."""
    return workspace.warehouse / validate_table_name(name)


def table_uri(workspace: Workspace, name: str) -> str:
    """Where Spark reads and writes the table."""
    return location(workspace, validate_table_name(name))


def table_exists(workspace: Workspace, name: str) -> bool:
    return TABLE_NAME.match(name or "") is not None and is_dir(table_uri(workspace, name))


def list_tables(workspace: Workspace, role: str | None = None) -> list[TableInfo]:
    """The workspace's tables by name (optionally only those of one role)."""
    infos = []
    for name, folder in list_dir(workspace.warehouse_location):
        if not folder or not TABLE_NAME.match(name):
            continue
        card = read_card(workspace, name)
        info = TableInfo(name, card.role if card else None, card.rows if card else None,
                         card.target if card else None, card.created_at if card else None)
        if role is None or info.role == role:
            infos.append(info)
    return infos


def read_card(workspace: Workspace, name: str) -> DatasetCard | None:
    if not TABLE_NAME.match(name or ""):
        return None
    text = read_text(location(workspace, name, CARD_FILE))
    return DatasetCard.from_json(text) if text is not None else None


def read_table(spark, workspace: Workspace, name: str):
    """The table as a Spark DataFrame, also registered as a Spark SQL view of that name."""
    if not table_exists(workspace, validate_table_name(name)):
        raise DataError(f"There is no table {name!r}. Create it on the Prepare page first.")
    df = spark.read.parquet(table_uri(workspace, name))
    df.createOrReplaceTempView(name)
    return df


def register_tables(spark, workspace: Workspace) -> list[str]:
    """Make every workspace table queryable by name in Spark SQL; return their names."""
    names = [info.name for info in list_tables(workspace)]
    for name in names:
        read_table(spark, workspace, name)
    return names


def write_tables(workspace: Workspace, frames: dict[str, tuple[object, DatasetCard | None]],
                 replace: bool = False) -> None:
    """Write several tables together; existing ones are replaced only when ``replace`` is set.

    All frames are written to temporary directories first, so a failure leaves every existing
    table as it was.
    """
    existing = [name for name in frames if table_exists(workspace, name)]
    if existing and not replace:
        raise TableExistsError(
            f"A table named {existing[0]!r} already exists. Choose another name, or confirm "
            "that you want to replace it."
        )
    staging = location(workspace, f".staging-{uuid.uuid4().hex[:8]}")
    try:
        for name, (df, card) in frames.items():
            target = f"{staging}/{validate_table_name(name)}"
            df.write.mode("error").parquet(target)
            if card is not None:
                write_text(f"{target}/{CARD_FILE}", card.to_json())
        with workspace_lock(workspace):
            for name in frames:
                _swap_in(workspace, f"{staging}/{name}", name)
    finally:
        delete(staging)


def delete_table(workspace: Workspace, name: str) -> None:
    """Remove a table and its card."""
    uri = table_uri(workspace, name)
    with workspace_lock(workspace):
        delete(uri)


@contextmanager
def workspace_lock(workspace: Workspace):
    """An exclusive lock on the warehouse, shared by every process using the workspace."""
    workspace.root.mkdir(parents=True, exist_ok=True)
    with open(workspace.root / _LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(workspace: Workspace, new: str, name: str) -> None:
    final = table_uri(workspace, name)
    trash = location(workspace, f".trash-{name}-{uuid.uuid4().hex[:8]}")
    if is_dir(final):
        move(final, trash)
    move(new, final)
    delete(trash)

"""The workspace catalog: named Spark SQL tables kept as Parquet under ``warehouse/``.

Each table is a directory ``warehouse/<name>/`` holding Parquet files and, for prepared tables,
its dataset card. Listing reads the directories (no Spark needed); reading registers the table
as a Spark SQL view so ``spark.sql("SELECT … FROM <name>")`` works. Unlike an embedded Derby
metastore, several processes (the app, the CLI) can use one workspace at once: writes land in a
temporary directory and replace the table in one rename, under a workspace lock.
"""

from __future__ import annotations

import fcntl
import re
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from opml_core.config import Workspace
from opml_core.data.card import CARD_FILE, DatasetCard
from opml_core.errors import DataError, TableExistsError

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MONITORING_TABLES = ("model_requests", "model_inputs", "model_labels")  # written by collect only
_LOCK_FILE = ".lock"


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
    return workspace.warehouse / validate_table_name(name)


def table_exists(workspace: Workspace, name: str) -> bool:
    path = workspace.warehouse / name
    return TABLE_NAME.match(name or "") is not None and path.is_dir()


def list_tables(workspace: Workspace, role: str | None = None) -> list[TableInfo]:
    """The workspace's tables by name (optionally only those of one role)."""
    if not workspace.warehouse.is_dir():
        return []
    infos = []
    for path in sorted(workspace.warehouse.iterdir()):
        if not path.is_dir() or not TABLE_NAME.match(path.name):
            continue
        card = read_card(workspace, path.name)
        info = TableInfo(path.name, card.role if card else None, card.rows if card else None,
                         card.target if card else None, card.created_at if card else None)
        if role is None or info.role == role:
            infos.append(info)
    return infos


def read_card(workspace: Workspace, name: str) -> DatasetCard | None:
    path = workspace.warehouse / name / CARD_FILE
    return DatasetCard.from_json(path.read_text("utf-8")) if path.is_file() else None


def read_table(spark, workspace: Workspace, name: str):
    """The table as a Spark DataFrame, also registered as a Spark SQL view of that name."""
    path = table_path(workspace, name)
    if not path.is_dir():
        raise DataError(f"There is no table {name!r}. Create it on the Prepare page first.")
    df = spark.read.parquet(str(path))
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
    staging = workspace.warehouse / f".staging-{uuid.uuid4().hex[:8]}"
    try:
        for name, (df, card) in frames.items():
            target = staging / validate_table_name(name)
            df.write.mode("error").parquet(str(target))
            if card is not None:
                (target / CARD_FILE).write_text(card.to_json(), "utf-8")
        with workspace_lock(workspace):
            for name in frames:
                _swap_in(staging / name, workspace.warehouse / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def delete_table(workspace: Workspace, name: str) -> None:
    """Remove a table and its card."""
    path = table_path(workspace, name)
    with workspace_lock(workspace):
        if path.is_dir():
            shutil.rmtree(path)


@contextmanager
def workspace_lock(workspace: Workspace):
    """An exclusive lock on the warehouse, shared by every process using the workspace."""
    workspace.warehouse.mkdir(parents=True, exist_ok=True)
    with open(workspace.warehouse / _LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_in(new: Path, final: Path) -> None:
    trash = final.with_name(f".trash-{final.name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(trash)
    new.rename(final)
    shutil.rmtree(trash, ignore_errors=True)

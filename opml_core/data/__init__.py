"""Data preparation: load, check, profile, split and save datasets as workspace tables.

The pieces live in small modules (``load``, ``inspect``, ``profile``, ``split``, ``prepare``,
``tables``, ``card``); the names most callers need are re-exported here.
"""

from opml_core.data.card import DatasetCard
from opml_core.data.columns import ROW_ID
from opml_core.data.load import (LoadedData, load_bundled, load_staged, load_table, preview_rows,
                                 stage_upload)
from opml_core.data.prepare import PrepareResult, PrepareSpec, check_names, prepare_tables, target_classes
from opml_core.data.profile import DataProfile, profile_frame
from opml_core.data.split import SkewSpec, SplitSpec
from opml_core.data.tables import list_tables, read_card, read_table, register_tables

__all__ = [
    "DatasetCard", "ROW_ID", "LoadedData", "load_bundled", "load_staged", "load_table",
    "stage_upload", "preview_rows", "PrepareResult", "PrepareSpec", "check_names", "prepare_tables",
    "target_classes", "DataProfile", "profile_frame", "SkewSpec", "SplitSpec", "list_tables",
    "read_card", "read_table", "register_tables",
]

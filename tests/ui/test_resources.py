"""The monitoring report's cache key changes when new labels land, on any store."""

import os

from opml_core.config import load_settings
from opml_core.data.tables import table_uri
from opml_core.ui.resources import _usage_stamp
from opml_core.usage import LABELS


def test_the_usage_stamp_changes_when_the_labels_files_change_though_their_folder_keeps_its_time(
        tmp_path):
    settings = load_settings(home=tmp_path / "workspace")
    folder = settings.workspace.warehouse / LABELS
    assert table_uri(settings.workspace, LABELS) == folder.as_uri()
    folder.mkdir(parents=True)

    def stamp_after(name: str, content: bytes) -> tuple:
        for old in folder.iterdir():
            old.unlink()  # a labels update replaces every file of the table
        (folder / name).write_bytes(content)
        os.utime(folder, ns=(1_000_000_000, 1_000_000_000))  # folders on object stores: no time
        return _usage_stamp(settings)

    stamps = [stamp_after("part-00000-aaa.parquet", b"labels"),
              stamp_after("part-00000-bbb.parquet", b"labels"),  # a new write, same size
              stamp_after("part-00000-bbb.parquet", b"more labels")]
    assert len(set(stamps)) == 3

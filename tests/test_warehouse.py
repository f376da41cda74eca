"""The warehouse URI: locations under it, and folders Spark wrote copied to the app's disk."""

import pytest

from opml_core.config import load_settings
from opml_core.errors import ConfigError
from opml_core.warehouse import copy_to_local, delete, filesystem, location, scratch_location


def test_locations_join_parts_under_the_warehouse_uri(tmp_path):
    settings = load_settings(home=tmp_path, warehouse_uri="hdfs://nn:8020/opml/")
    assert location(settings.workspace, "bank_train") == "hdfs://nn:8020/opml/bank_train"
    first, second = (scratch_location(settings.workspace, "model"),
                     scratch_location(settings.workspace, "model"))
    assert first.startswith("hdfs://nn:8020/opml/_scratch/model-") and first != second


def test_a_folder_at_a_file_uri_is_copied_to_a_local_directory_and_deleted(tmp_path):
    source = tmp_path / "written" / "metadata"
    source.mkdir(parents=True)
    (source / "part-00000").write_text('{"class": "x"}')
    uri = (tmp_path / "written").as_uri()
    copy_to_local(uri, tmp_path / "copy")
    assert (tmp_path / "copy" / "metadata" / "part-00000").read_text() == '{"class": "x"}'
    delete(uri)
    assert not (tmp_path / "written").exists()


def test_a_uri_pyarrow_cannot_open_says_which_setting_to_change():
    with pytest.raises(ConfigError, match="OPML_WAREHOUSE_URI"):
        filesystem("nosuchscheme://bucket/opml")

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


def test_spark_beside_the_app_reads_an_app_file_where_it_lies(spark, settings, tmp_path):
    from opml_core.warehouse import readable_by_spark

    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,x\n")
    assert readable_by_spark(spark, settings.workspace, path) == str(path)


def test_spark_away_from_the_app_reads_a_copy_under_the_warehouse_made_once(spark, settings, tmp_path,
                                                                           monkeypatch):
    from opml_core import spark as engine
    from opml_core.warehouse import readable_by_spark

    monkeypatch.setattr(engine, "beside_app", lambda session: False)
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    uri = readable_by_spark(spark, settings.workspace, path)
    assert uri.startswith(settings.warehouse + "/_scratch/shared/") and uri.endswith("-rows.csv")
    assert readable_by_spark(spark, settings.workspace, path) == uri
    assert [tuple(r) for r in spark.read.csv(uri, header=True).collect()] == [("1", "x"), ("2", "y")]


def test_a_folder_changes_its_modified_time_when_an_entry_lands_and_a_missing_one_has_none(tmp_path):
    import os

    from opml_core.warehouse import modified_ns

    folder = tmp_path / "model_labels"
    assert modified_ns(folder.as_uri()) == 0
    folder.mkdir()
    os.utime(folder, ns=(1_000_000_000, 1_000_000_000))
    assert modified_ns(folder.as_uri()) == 1_000_000_000
    (folder / "part-0.parquet").write_bytes(b"x")
    assert modified_ns(folder.as_uri()) > 1_000_000_000

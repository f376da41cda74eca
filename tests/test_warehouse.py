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


def test_a_shared_copy_reused_after_half_a_day_is_made_again_so_it_is_never_stale(
        spark, settings, tmp_path, monkeypatch):
    import os
    import time

    from opml_core import spark as engine
    from opml_core.warehouse import readable_by_spark

    monkeypatch.setattr(engine, "beside_app", lambda session: False)
    path = tmp_path / "rows.csv"
    path.write_text("a\n1\n")
    copy = settings.workspace.warehouse / "_scratch" / "shared" / readable_by_spark(
        spark, settings.workspace, path).rsplit("/", 1)[1]
    thirteen_hours_ago = time.time_ns() - 13 * 3600 * 10**9
    os.utime(copy, ns=(thirteen_hours_ago, thirteen_hours_ago))
    readable_by_spark(spark, settings.workspace, path)
    assert copy.stat().st_mtime_ns > thirteen_hours_ago + 12 * 3600 * 10**9
    assert copy.read_text() == "a\n1\n"


def test_a_folders_stamp_changes_when_its_files_do_though_the_folder_keeps_its_time(tmp_path):
    import os

    from opml_core.warehouse import folder_stamp

    folder = tmp_path / "model_labels"
    assert folder_stamp(folder.as_uri()) == ()

    def pinned():  # as on an object store: the folder itself never gets a new time
        os.utime(folder, ns=(1_000_000_000, 1_000_000_000))
        return folder_stamp(folder.as_uri())

    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(b"x")
    first = pinned()
    (folder / "part-1.parquet").write_bytes(b"y")
    second = pinned()
    (folder / "part-0.parquet").unlink()
    (folder / "part-2.parquet").write_bytes(b"xz")
    third = pinned()
    assert len({first, second, third}) == 3
    assert [name for name, _, _ in third] == ["part-1.parquet", "part-2.parquet"]


def test_a_file_is_uploaded_block_by_block_whole(tmp_path):
    from opml_core.warehouse import upload

    source = tmp_path / "lines.jsonl"
    source.write_bytes(bytes(range(256)) * 41)
    target = tmp_path / "warehouse" / "deep" / "lines.jsonl"
    upload(source, target.as_uri(), block=1000)  # 11 blocks, the last one short
    assert target.read_bytes() == source.read_bytes()


def test_a_new_shared_copy_removes_copies_older_than_a_day(spark, settings, tmp_path, monkeypatch):
    import os
    import time

    from opml_core import spark as engine
    from opml_core.warehouse import readable_by_spark

    monkeypatch.setattr(engine, "beside_app", lambda session: False)
    kept = tmp_path / "kept.csv"
    kept.write_text("a\n1\n")
    handed_out = readable_by_spark(spark, settings.workspace, kept)
    shared = settings.workspace.warehouse / "_scratch" / "shared"
    two_days_ago = time.time_ns() - 2 * 24 * 3600 * 10**9
    for name in ("old-one.csv", "old-two.csv.abc123.partial", handed_out.rsplit("/", 1)[1]):
        (shared / name).write_text("a\n")
        os.utime(shared / name, ns=(two_days_ago, two_days_ago))
    (shared / "recent.csv").write_text("a\n")
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("a\n2\n")
    made = readable_by_spark(spark, settings.workspace, fresh)
    assert sorted(p.name for p in shared.iterdir()) == sorted(
        [made.rsplit("/", 1)[1], handed_out.rsplit("/", 1)[1], "recent.csv"])

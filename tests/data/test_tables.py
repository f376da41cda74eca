"""The workspace catalog: tables listed without Spark, queryable in Spark SQL, safe to share."""

import json
import subprocess
import sys

from opml_core.data import list_tables, register_tables
from opml_core.data.tables import delete_table
from tests.conftest import ROOT


def test_tables_are_listed_by_name_with_role_and_size(settings, prepared):
    infos = {t.name: t for t in list_tables(settings.workspace)}
    assert infos["bank_train"].role == "training" and infos["bank_ops"].role == "operations"
    assert infos["bank_train"].rows == prepared.training.rows
    assert [t.name for t in list_tables(settings.workspace, role="operations")] == ["bank_ops"]


def test_registered_tables_answer_spark_sql_by_name(spark, settings, prepared):
    register_tables(spark, settings.workspace)
    count = spark.sql("SELECT count(*) AS n FROM bank_ops").first()["n"]
    assert count == prepared.operations.rows


def test_another_process_sees_the_tables_while_this_one_uses_them(spark, settings, prepared):
    register_tables(spark, settings.workspace)
    listed = subprocess.run([sys.executable, "-m", "opml_core", "tables"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    assert {t["name"] for t in json.loads(listed.stdout)} == {"bank_train", "bank_ops"}


def test_deleting_a_table_removes_it_and_its_card(settings, prepared):
    delete_table(settings.workspace, "bank_ops")
    assert [t.name for t in list_tables(settings.workspace)] == ["bank_train"]

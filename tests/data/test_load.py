"""Loading: the bundled file, checked uploads and workspace tables, all with safe names."""

import pytest

from opml_core.data import ROW_ID, load_staged, load_table, stage_upload
from opml_core.errors import DataError
from tests.conftest import FIXTURES


def test_the_bundled_data_has_41188_rows_and_readable_names(bank):
    assert bank.df.count() == 41188
    assert len(bank.columns) == 21
    assert "emp_var_rate" in bank.columns and bank.display("emp_var_rate") == "emp.var.rate"
    assert dict(bank.df.dtypes)["age"] == "int"


def test_row_ids_follow_the_file_order(bank):
    first = bank.df.orderBy(ROW_ID).select("month").first()["month"]
    last = bank.df.orderBy(ROW_ID, ascending=False).select("month").first()["month"]
    assert (first, last) == ("may", "nov")  # the file runs May 2008 → Nov 2010


def test_an_upload_is_staged_and_read_with_inferred_types(spark, settings):
    data = (FIXTURES / "uploads" / "clients.csv").read_bytes()
    staged = stage_upload(settings.workspace, "clients.csv", data, settings.max_upload_mb)
    loaded = load_staged(spark, staged)
    types = dict(loaded.df.dtypes)
    assert loaded.df.count() == 200
    assert types["age"] == "int" and types["balance"] == "double" and types["signup_date"] == "date"
    assert loaded.display("signup_date") == "signup.date"
    assert loaded.suggested_name == "clients"


def test_a_rejected_upload_leaves_nothing_behind(settings):
    with pytest.raises(DataError):
        stage_upload(settings.workspace, "latin1.csv",
                     (FIXTURES / "uploads" / "latin1.csv").read_bytes(), settings.max_upload_mb)
    with pytest.raises(DataError, match="limit is 1 MB"):
        stage_upload(settings.workspace, "big.csv", b"a,b\n" + b"1,2\n" * 300_000, max_mb=1)
    assert list(settings.workspace.uploads.iterdir()) == []


def test_a_prepared_table_loads_back_with_its_card(spark, settings, prepared):
    loaded = load_table(spark, settings.workspace, "bank_train")
    assert loaded.card.target == "y"
    assert loaded.display("nr_employed") == "nr.employed"
    assert loaded.df.count() == prepared.training.rows

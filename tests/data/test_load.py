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


def _staged(settings, name: str, text: str):
    return stage_upload(settings.workspace, name, text.encode(), settings.max_upload_mb)


def test_a_ragged_row_past_the_first_lines_refuses_the_upload_and_drops_nothing(spark, settings):
    lines = ["age,job,y"] + [f"{20 + n % 50},admin.,no" for n in range(400)]
    lines[350] = "44,admin.,no,surplus"
    with pytest.raises(DataError, match=r"1 row\(s\) do not match the header \(3 columns\).*surplus"):
        load_staged(spark, _staged(settings, "ragged.csv", "\n".join(lines) + "\n"))


def test_true_false_columns_load_as_two_categories(spark, settings):
    lines = ["age,member,y"] + [f"{20 + n % 50},{'true' if n % 3 else 'false'},no" for n in range(50)]
    loaded = load_staged(spark, _staged(settings, "members.csv", "\n".join(lines) + "\n"))
    assert dict(loaded.df.dtypes)["member"] == "string"
    assert {r[0] for r in loaded.df.select("member").distinct().collect()} == {"true", "false"}


def test_a_model_trained_on_a_true_false_column_trains_and_scores_json_booleans(spark, settings):
    from opml_core.data import PrepareSpec, SplitSpec, prepare_tables
    from opml_core.scoring.bundle import build_bundle
    from opml_core.scoring.engines import load_scorer
    from opml_core.train import TrainSpec, train_and_log

    lines = ["age,member,y"] + [f"{20 + n % 50},{'true' if n % 3 else 'false'},{'yes' if n % 3 else 'no'}"
                                for n in range(300)]
    loaded = load_staged(spark, _staged(settings, "members.csv", "\n".join(lines) + "\n"))
    prepare_tables(spark, settings.workspace, loaded, PrepareSpec(
        "y", "yes", ["age", "member"], "members_train", "members_ops", SplitSpec("random", 0.2)))
    trained = train_and_log(spark, settings, TrainSpec("members_train", "logistic_regression"))
    build_bundle(settings, trained.model_name, trained.version, settings.home / "bundle")
    scorer = load_scorer(settings.home / "bundle")
    result = scorer.score_records([{"age": 30, "member": True}, {"age": 30, "member": "false"}])
    assert result.labels == ["yes", "no"]


def test_a_number_column_with_a_few_words_is_read_as_text_and_the_report_says_so(spark, settings):
    lines = ["age,job,y"] + [f"{20 + n},admin.,no" for n in range(12)]
    lines[4], lines[9] = "n/a,admin.,no", "unknown,admin.,yes"  # rows 4 and 9 of the data
    loaded = load_staged(spark, _staged(settings, "mixed.csv", "\n".join(lines) + "\n"))
    assert dict(loaded.df.dtypes)["age"] == "string"
    assert loaded.notes == [
        "'age' holds numbers, but 2 row(s) hold text instead, e.g. 'n/a' in row 4; so the whole "
        "column was read as text (a category), not as a number. If those cells mean 'missing', "
        "empty them and upload again; otherwise leave the column out or keep it as a category."]


def test_columns_of_only_numbers_or_only_words_need_no_note(spark, settings):
    lines = ["age,job,y"] + [f"{20 + n},admin.,no" for n in range(12)]
    loaded = load_staged(spark, _staged(settings, "clean.csv", "\n".join(lines) + "\n"))
    assert loaded.notes == []

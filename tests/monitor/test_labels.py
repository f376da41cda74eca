"""Outcomes: revealed from the operations table, or uploaded; bad files refused, nothing lost."""

import pytest

from opml_core.errors import MonitorError
from opml_core.monitor.labels import add_labels_file, labels_frame, reveal_outcomes
from opml_core.usage import collect_usage
from tests.monitor.conftest import copy_workspace, table_rows, write_usage

CLASSES = ("yes", "no")
ODD_KEY = "crm `id`.v2"  # a backquote and a dot, which break a Spark reference written naively


@pytest.fixture(scope="module")
def labelled(spark, trained_settings, tmp_path_factory):
    settings = copy_workspace(trained_settings, tmp_path_factory.mktemp("labels") / "ws")
    pairs = table_rows(settings, "bank_ops")[:40]
    pairs = [(i, {**row, "client_id": f"c{i}", ODD_KEY: f"k{i}"}) for i, row in pairs]  # keys sent beside inputs
    ids = write_usage(settings, "labelled", [pairs], rows_per_request=1, truth_table="bank_ops")
    collect_usage(spark, settings)
    return settings, ids, [i for i, _ in pairs]


def outcomes(spark, settings) -> dict:
    frame = labels_frame(spark, settings)
    return {} if frame is None else {(r["request_id"], r["row_index"]): r["actual"] for r in frame.collect()}


def test_outcomes_are_revealed_from_the_operations_table(spark, labelled):
    from opml_core.data import read_table

    settings, ids, row_ids = labelled
    result = reveal_outcomes(spark, settings, "labelled")
    assert result.labelled_rows == 40
    truth = {r["opml_row_id"]: r["y"] for r in read_table(spark, settings.workspace, "bank_ops").collect()}
    known = outcomes(spark, settings)
    assert known[(ids[0], 0)] == truth[row_ids[0]] and known[(ids[-1], 0)] == truth[row_ids[-1]]


def test_a_file_keyed_by_a_field_the_requests_carried_is_accepted(spark, labelled):
    settings, ids, row_ids = labelled
    data = "client_id,outcome\nc%s,yes\nc%s,no\n" % (row_ids[0], row_ids[1])
    result = add_labels_file(spark, settings, "labelled", data.encode(), "crm.csv", "client_id",
                             "outcome", CLASSES)
    assert result.labelled_rows == 2
    known = outcomes(spark, settings)
    assert known[(ids[0], 0)] == "yes" and known[(ids[1], 0)] == "no"


def test_key_and_outcome_columns_named_with_backquotes_and_dots_are_read_as_named(spark, labelled):
    settings, ids, row_ids = labelled
    data = '"%s","the `outcome`.y"\nk%s,no\nk%s,yes\n' % (ODD_KEY, row_ids[2], row_ids[3])
    result = add_labels_file(spark, settings, "labelled", data.encode(), "odd.csv", ODD_KEY,
                             "the `outcome`.y", CLASSES)
    assert result.labelled_rows == 2
    known = outcomes(spark, settings)
    assert known[(ids[2], 0)] == "no" and known[(ids[3], 0)] == "yes"


@pytest.mark.parametrize("content,key,outcome,message", [
    ("request_id,y\nno-such-request,yes\n", "request_id", "y", "1 key(s) in bad.csv match no collected request"),
    ("request_id,y\n{id},maybe\n", "request_id", "y", "not classes of this model ('maybe')"),
    ("request_id,y\n{id},yes\n{id},no\n", "request_id", "y", "labels the same key more than once"),
    ("request_id,y\n{id},yes\n", "client", "y", "has no key column 'client'; its columns are request_id, y"),
])
def test_a_bad_labels_file_is_refused_and_existing_labels_stay(spark, labelled, content, key, outcome, message):
    settings, ids, _ = labelled
    reveal_outcomes(spark, settings, "labelled")
    before = outcomes(spark, settings)
    with pytest.raises(MonitorError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add_labels_file(spark, settings, "labelled", content.format(id=ids[2]).encode(), "bad.csv",
                        key, outcome, CLASSES)
    assert outcomes(spark, settings) == before


def test_revealing_needs_simulated_traffic(spark, labelled):
    with pytest.raises(MonitorError, match="no simulated traffic"):
        reveal_outcomes(spark, labelled[0], "someone-else")

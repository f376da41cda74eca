"""Using a model: example rows, batches through an endpoint or in process, simulated traffic."""

import json

import pytest

from opml_core.client import EndpointClient
from opml_core.deploy import get_target
from opml_core.errors import DataError
from opml_core.predict import (SimulationSpec, count_rows, csv_batches, endpoint_sender, local_sender,
                               sample_row, score_batches, simulate_traffic, table_batches)
from opml_core.scoring.bundle import cached_bundle
from opml_core.scoring.engines import load_scorer
from opml_core.scoring.payloads import csv_body
from opml_core.serve.usage_log import recent_records
from tests.serve.conftest import bank_row


@pytest.fixture(scope="module")
def scorer(trained_settings):
    return load_scorer(cached_bundle(trained_settings, "opml-model", "champion"))


@pytest.fixture(scope="module")
def endpoint(trained_settings):
    target = get_target("local", trained_settings)
    info = target.deploy("predict-test", "opml-model", "1")
    yield info, target.keys(info.name)
    target.delete(info.name)


def test_an_example_row_uses_readable_names_and_is_repeatable(trained_settings, scorer):
    meta = scorer.meta
    row = sample_row(trained_settings.workspace, meta.operations_table, meta.inputs, seed=3)
    assert "emp.var.rate" in row and "emp_var_rate" not in row
    assert row == sample_row(trained_settings.workspace, meta.operations_table, meta.inputs, seed=3)


def test_table_batches_cover_the_table_in_order(trained_settings, scorer):
    meta = scorer.meta
    batches = list(table_batches(trained_settings.workspace, "bank_ops", meta.inputs, 100))
    ids = [i for batch_ids, _ in batches for i in batch_ids]
    assert len(ids) == count_rows(trained_settings.workspace, "bank_ops") and ids == sorted(ids)


def test_in_process_scoring_equals_the_endpoint(trained_settings, scorer, endpoint):
    info, keys = endpoint
    rows = [bank_row(), bank_row(age=75, job="retired")]
    local = local_sender(scorer)(rows, None, None)
    remote = endpoint_sender(EndpointClient(info.scoring_uri, keys.primary))(rows, None, None)
    assert local.status == remote.status == 200 and local.predictions == remote.predictions


def test_a_batch_reports_throughput_and_failed_rows_with_reasons(scorer):
    good = [bank_row()] * 3
    batches = [([0, 1, 2], good), ([3], [bank_row(age="old")]), ([4, 5], good[:2])]
    result = score_batches(local_sender(scorer), iter(batches), total_rows=6)
    assert (result.rows, result.scored) == (6, 5) and result.rows_per_second > 0
    assert result.failures == [{"first row": 3, "rows": 1, "status": 400,
                                "reason": "'age' must be a number; row 0 has 'old'."}]
    assert len(result.results) == 5 and {"label", "probability", "age"} <= set(result.results[0])


def test_an_uploaded_csv_is_scored_through_the_endpoint(endpoint):
    info, keys = endpoint
    rows = [bank_row(), bank_row(age=30)] * 5
    result = score_batches(endpoint_sender(EndpointClient(info.scoring_uri, keys.primary)),
                           csv_batches(csv_body(rows), 4))
    assert result.scored == 10 and not result.failures


def test_a_csv_that_is_not_utf8_is_refused():
    with pytest.raises(DataError, match="not UTF-8"):
        list(csv_batches("age\ncafé".encode("latin-1"), 10))


def test_simulated_traffic_spreads_requests_over_the_period(trained_settings, scorer, endpoint):
    from datetime import datetime, timezone

    info, keys = endpoint
    spec = SimulationSpec(days=5, requests_per_day=4, min_rows=1, max_rows=3,
                          start=datetime(2026, 1, 1, tzinfo=timezone.utc))
    result = simulate_traffic(endpoint_sender(EndpointClient(info.scoring_uri, keys.primary)),
                              trained_settings.workspace, info.name, "bank_ops", scorer.meta.inputs, spec)
    assert result.requests == 20 and result.failed == 0 and 20 <= result.rows <= 60
    assert result.first.startswith("2026-01-01") and result.last.startswith("2026-01-06")
    truth = [json.loads(line) for line in open(result.truth_file)]
    logged = {r["request_id"]: r for r in recent_records(trained_settings.workspace.usage, info.name, 100)}
    for entry in truth:
        record = logged[entry["request_id"]]
        assert datetime.fromisoformat(record["event_time"].replace("Z", "+00:00")) == \
            datetime.fromisoformat(entry["event_time"])
        assert record["rows"] == len(entry["row_ids"])
    times = [entry["event_time"] for entry in truth]
    assert times == sorted(times) and "2026-01-01" <= times[0] < times[-1] < "2026-01-06"


def test_simulated_traffic_replays_rows_in_order_or_sampled_across_the_table(trained_settings, scorer):
    from opml_core.predict import SAMPLED, count_rows

    def replayed(order):
        spec = SimulationSpec(days=1, requests_per_day=40, min_rows=5, max_rows=5, order=order)
        result = simulate_traffic(local_sender_with_ids(scorer), trained_settings.workspace,
                                  f"sim-{order[:2]}", "bank_ops", scorer.meta.inputs, spec)
        ids = [i for line in open(result.truth_file) for i in json.loads(line)["row_ids"]]
        return result, ids

    in_order, first = replayed("in order")
    sampled, drawn = replayed(SAMPLED)
    stored = [i for ids, _ in table_batches(trained_settings.workspace, "bank_ops", scorer.meta.inputs, 500)
              for i in ids]
    assert first == stored[:200] and "in stored order" in in_order.replayed
    assert len(set(drawn)) == 200 and drawn != stored[:200]
    positions = sorted(stored.index(i) for i in drawn)
    assert positions[-1] > 0.75 * count_rows(trained_settings.workspace, "bank_ops")  # whole table
    assert sampled.replayed.startswith("Replayed bank_ops: rows drawn at random across the whole table")


def local_sender_with_ids(scorer):
    send = local_sender(scorer)

    def with_id(rows, event_time=None, request_id=None):
        import uuid
        from dataclasses import replace

        return replace(send(rows, event_time, request_id), request_id=uuid.uuid4().hex)
    return with_id


@pytest.mark.parametrize("spec,message", [
    (SimulationSpec(days=0), "between 1 and 3,650 days"),
    (SimulationSpec(order="backwards"), "Unknown row order 'backwards'"),
    (SimulationSpec(min_rows=5, max_rows=2), "fewest ≤ most"),
])
def test_an_impossible_simulation_is_refused(trained_settings, scorer, spec, message):
    with pytest.raises(DataError, match=message):
        simulate_traffic(local_sender(scorer), trained_settings.workspace, "x", "bank_ops",
                         scorer.meta.inputs, spec)

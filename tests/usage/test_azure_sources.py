"""Usage from Azure: captured Application Insights rows and data collector files (in the shapes
Azure documents) are synced and collected once, however often collect runs."""

import json
from datetime import datetime

import pytest

from opml_core.azure.client import Trace
from opml_core.azure.connection import use_client
from opml_core.deploy.records import write_record
from opml_core.usage import collect_usage
from opml_core.usage.azure import mark_deleted, mirrored_records, track
from tests.azure.fake_cloud import FakeAzure, FakeError
from tests.conftest import AZURE_WORKSPACE, FIXTURES

CAPTURED = FIXTURES / "azure"
COLLECTOR_DIR = "modelDataCollector/bank-online/blue/opml_usage/2026/03/01/10/"


class Captured(FakeAzure):
    """Azure as captured: traces from a file, revealed page by page as if ingested over time."""

    def __init__(self, root):
        super().__init__(root)
        rows = json.loads((CAPTURED / "appinsights_traces.json").read_text())
        self.all_traces = [Trace(r["_ItemId"], datetime.fromisoformat(r["ingested"].replace("Z", "+00:00")),
                                 r["Message"]) for r in rows]
        self.visible = 0

    def traces(self, service, since, limit):
        self._enter("traces", service, since, limit)
        return [t for t in self.all_traces[:self.visible] if t.time >= since][:limit]


@pytest.fixture
def azure(settings, tmp_path):
    connected = settings.model_copy(update=AZURE_WORKSPACE)
    fake = Captured(tmp_path / "cloud")
    use_client(fake)
    for name, target, ids in (("bank-aci", "aci", {"service": "bank-aci"}),
                              ("bank-online", "azureml-online", {"endpoint": "bank-online", "slot": "blue"})):
        folder = connected.workspace.deployments / name
        folder.mkdir(parents=True)
        write_record(folder, {"target": target, "name": name, "azure": ids})
        track(connected, name, "appinsights" if target == "aci" else "collector", ids,
              since=datetime.fromisoformat("2026-03-01T00:00:00+00:00"))
    yield connected, fake
    use_client(None)


def requests_of(spark, settings, name):
    from opml_core.monitor.context import read_usage_table

    table = read_usage_table(spark, settings, "model_requests")
    return sorted(r.request_id for r in table.where(f"deployment = '{name}'").collect()) if table else []


def test_application_insights_traces_are_collected_once_as_they_are_ingested(spark, azure):
    settings, fake = azure
    fake.visible = 6  # the first record's pieces are not all ingested yet
    first = collect_usage(spark, settings, sources=["appinsights"])
    assert requests_of(spark, settings, "bank-aci") == ["req-0000", "req-0001", "req-0002"]
    fake.visible = len(fake.all_traces)
    collect_usage(spark, settings, sources=["appinsights"])
    again = collect_usage(spark, settings, sources=["appinsights"])
    assert first.requests == 3 and again.requests == 0
    assert requests_of(spark, settings, "bank-aci") == [f"req-{i:04d}" for i in range(6)]
    assert [r["request_id"] for r in mirrored_records(settings, "bank-aci", 2)] == ["req-0005", "req-0004"]


def test_data_collector_files_are_collected_once_including_a_payload_kept_in_its_own_blob(spark, azure):
    settings, fake = azure
    lines = (CAPTURED / "collector_opml_usage.jsonl").read_bytes()
    fake.blob_store[COLLECTOR_DIR + "instance-1.jsonl"] = lines[:-40]  # the last line half-written
    fake.blob_store[COLLECTOR_DIR + "big-payload.json"] = (CAPTURED / "collector_big_payload.json").read_bytes()
    fake.blob_store["modelDataCollector/bank-online/blue/model_inputs/2026/03/01/10/i.jsonl"] = \
        (CAPTURED / "collector_model_inputs.jsonl").read_bytes()
    collect_usage(spark, settings, sources=["collector"])
    assert requests_of(spark, settings, "bank-online") == ["req-0010", "req-0011", "req-0012", "req-0013"]
    fake.blob_store[COLLECTOR_DIR + "instance-1.jsonl"] = lines  # the writer finished the line
    collect_usage(spark, settings, sources=["collector"])
    assert collect_usage(spark, settings, sources=["collector"]).requests == 0
    assert requests_of(spark, settings, "bank-online") == [f"req-{i:04d}" for i in range(10, 15)]


def test_an_unreachable_azure_is_reported_and_local_usage_is_still_collected(spark, azure, trained_settings):
    settings, fake = azure
    fake.failures["traces"] = FakeError("Failed to resolve 'api.loganalytics.io'")
    done = collect_usage(spark, settings)
    assert any("bank-aci" in p and "could not be reached" in p for p in done.problems)
    assert "Not reached this time" in done.message


def test_a_deleted_deployment_keeps_being_synced_for_what_azure_ingests_late(spark, azure):
    import shutil

    settings, fake = azure
    fake.visible = 4
    collect_usage(spark, settings, sources=["appinsights"])
    mark_deleted(settings, "bank-aci")
    shutil.rmtree(settings.workspace.deployments / "bank-aci")
    fake.visible = len(fake.all_traces)
    collect_usage(spark, settings, sources=["appinsights"])
    assert len(requests_of(spark, settings, "bank-aci")) == 6


def test_a_sync_that_stopped_before_its_state_was_saved_is_dropped_and_redone(spark, azure, monkeypatch):
    from opml_core.usage import azure as sources

    settings, fake = azure
    fake.visible = len(fake.all_traces)
    monkeypatch.setattr(sources, "_save", lambda *a: (_ for _ in ()).throw(RuntimeError("power cut")))
    with pytest.raises(RuntimeError):
        collect_usage(spark, settings, sources=["appinsights"])
    monkeypatch.undo()
    collect_usage(spark, settings, sources=["appinsights"])
    assert len(requests_of(spark, settings, "bank-aci")) == 6

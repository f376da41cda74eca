"""azureml-local: the Azure package under Azure's inference server on 127.0.0.1 behaves like the
local endpoint (same bodies, same messages), lives through restarts and updates, and what it
printed is collected into the usage tables."""

import pytest
import requests

from opml_core.deploy import RUNNING, STOPPED, get_target
from opml_core.errors import DeploymentError
from opml_core.scoring.payloads import score_body
from tests.serve.conftest import bank_row

ROWS = [bank_row(), bank_row(age=70, job="retired", poutcome="success"),
        bank_row(job="astronaut", age=None, colour="red")]


@pytest.fixture(scope="module")
def pair(trained_settings, spark):
    """The same champion on the local target and on azureml-local, side by side."""
    from opml_core.train import TrainSpec, train_and_log

    train_and_log(spark, trained_settings, TrainSpec("bank_train", "logistic_regression"))  # v2
    local, azure = get_target("local", trained_settings), get_target("azureml-local", trained_settings)
    yield local.deploy("twin-local", "opml-model", "champion"), azure.deploy("twin-azure", "opml-model", "champion")
    for target in (local, azure):
        for info in target.list():
            target.delete(info.name)


def send(settings, info, body: bytes, **headers):
    target = get_target(info.target, settings)
    headers.setdefault("Authorization", f"Bearer {target.keys(info.name).primary}")
    return requests.post(info.scoring_uri, data=body, timeout=30,
                         headers={"Content-Type": "application/json", **headers})


def without_id(response) -> dict:
    document = response.json()
    document.pop("request_id")
    return document


def test_the_inference_server_listens_on_loopback_only(pair):
    port = pair[1].details["port"]
    with open("/proc/net/tcp") as table:
        listening = [line.split()[1] for line in table.readlines()[1:] if line.split()[3] == "0A"]
    assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening


@pytest.mark.parametrize("body", [
    score_body(ROWS), score_body(ROWS, "input_data"), b"{oops", score_body([]),
    score_body([bank_row(age="old")]), score_body([{"age": 1}]), b'{"data": "hello"}'])
def test_the_azure_package_answers_with_the_local_endpoints_body(trained_settings, pair, body):
    local, azure = (send(trained_settings, info, body) for info in pair)
    assert azure.status_code == local.status_code
    assert without_id(azure) == without_id(local)


def test_a_restarted_app_reattaches_and_a_stopped_server_restarts(trained_settings, pair):
    fresh = get_target("azureml-local", trained_settings)  # what a restarted app builds
    assert fresh.get("twin-azure").status == RUNNING
    assert fresh.stop("twin-azure").status == STOPPED
    info = fresh.start("twin-azure")
    assert info.status == RUNNING and send(trained_settings, info, score_body(ROWS)).status_code == 200


def test_update_switches_version_and_a_model_azure_cannot_serve_changes_nothing(trained_settings, pair, tmp_path):
    from opml_core.registry import register_model_dir
    from tests.test_submission import pyfunc_dir

    target = get_target("azureml-local", trained_settings)
    info = target.update("twin-azure", "2")
    assert info.version == "2" and send(trained_settings, info, score_body(ROWS)).json()["version"] == "2"
    logged = register_model_dir(trained_settings, pyfunc_dir(tmp_path), "opml-model", "doubler.zip")
    with pytest.raises(DeploymentError, match="cannot go to Azure"):
        target.update("twin-azure", logged.version)
    assert target.get("twin-azure").status == RUNNING and target.get("twin-azure").version == "2"
    target.update("twin-azure", "1")


def test_what_the_package_printed_is_collected_once_and_monitored(spark, trained_settings, pair):
    from opml_core.monitor.context import read_usage_table
    from opml_core.usage import collect_usage

    azure = pair[1]
    ids = [send(trained_settings, azure, score_body(ROWS), **{"X-Opml-Event-Time": f"2026-03-0{d}T10:00:00Z"})
           .json()["request_id"] for d in (1, 2, 3)]
    big = send(trained_settings, azure, score_body([bank_row(job=f"j{n}" + "x" * 60) for n in range(500)]))
    first = collect_usage(spark, trained_settings)
    again = collect_usage(spark, trained_settings)
    assert first.requests >= 4 and again.requests == 0
    requests_table = read_usage_table(spark, trained_settings, "model_requests").where("deployment = 'twin-azure'")
    assert {r.request_id for r in requests_table.collect()} >= {*ids, big.json()["request_id"]}
    inputs = read_usage_table(spark, trained_settings, "model_inputs").where(
        f"request_id = '{big.json()['request_id']}'")
    assert inputs.count() == 500


def test_deleting_keeps_what_it_printed_for_monitoring(trained_settings, pair):
    target = get_target("azureml-local", trained_settings)
    info = target.deploy("short-lived", "opml-model", "1")
    send(trained_settings, info, score_body(ROWS))
    target.delete("short-lived")
    logs = list((trained_settings.workspace.usage / "_printed" / "short-lived").glob("server-*.log"))
    assert logs and "opml-usage " in logs[0].read_text()
    with pytest.raises(DeploymentError, match="no deployment named"):
        target.get("short-lived")


def test_the_log_shows_the_servers_own_lines_not_the_usage_it_printed(trained_settings, pair):
    send(trained_settings, pair[1], score_body(ROWS))
    lines = get_target("azureml-local", trained_settings).logs("twin-azure", 40)
    assert any("POST /score 200" in line for line in lines)
    assert not any("opml-usage" in line for line in lines)

"""The local target: deploy, re-attach after an app restart, update, roll back, delete."""

import pytest
import requests

from opml_core.deploy import FAILED, RUNNING, STOPPED, all_deployments, get_target
from opml_core.errors import DeploymentError
from opml_core.scoring.payloads import score_body
from tests.serve.conftest import bank_row


@pytest.fixture(scope="module")
def target(trained_settings, spark):
    from opml_core.train import TrainSpec, train_and_log

    train_and_log(spark, trained_settings, TrainSpec("bank_train", "logistic_regression"))  # v2
    local = get_target("local", trained_settings)
    yield local
    for info in local.list():
        local.delete(info.name)


def health(info) -> dict:
    return requests.get(info.scoring_uri.replace("/score", "/health"), timeout=5).json()


def test_a_deployment_is_ready_within_seconds_and_serves_its_version(target):
    info = target.deploy("life-cycle", "opml-model", "champion")
    assert info.status == RUNNING and info.version == "1" and info.engine == "compiled"
    assert health(info)["version"] == "1"


def test_a_restarted_app_reattaches_to_the_running_server(target, trained_settings):
    fresh = get_target("local", trained_settings)  # what a restarted app builds
    assert fresh.get("life-cycle").status == RUNNING
    assert [d.name for d in all_deployments(trained_settings)] == ["life-cycle"]


def test_starting_a_running_deployment_keeps_its_server(target):
    pid = target.get("life-cycle").details["pid"]
    assert target.start("life-cycle").details["pid"] == pid


def test_a_stopped_server_shows_stopped_and_can_be_restarted(target):
    assert target.stop("life-cycle").status == STOPPED
    info = target.start("life-cycle")
    assert info.status == RUNNING and health(info)["deployment"] == "life-cycle"


def test_update_switches_the_version_in_place(target):
    info = target.update("life-cycle", "2")
    assert info.version == "2" and health(info)["version"] == "2"
    keys = target.keys("life-cycle")
    response = requests.post(info.scoring_uri, data=score_body([bank_row()]), timeout=5,
                             headers={"Authorization": f"Bearer {keys.primary}"})
    assert response.json()["version"] == "2"


def test_an_update_to_a_missing_version_changes_nothing(target):
    with pytest.raises(DeploymentError, match="no version or alias '9'"):
        target.update("life-cycle", "9")
    info = target.get("life-cycle")
    assert info.status == RUNNING and info.version == "2"


def test_two_deployments_run_side_by_side(target):
    challenger = target.deploy("side-by-side", "opml-model", "2")
    champion = target.get("life-cycle")
    assert challenger.details["port"] != champion.details["port"]
    assert health(challenger)["deployment"] == "side-by-side"
    target.delete("side-by-side")


def test_a_server_that_cannot_start_says_where_to_look_and_shows_its_log(target):
    target.deploy("broken", "opml-model", "1")
    target.stop("broken")
    (target.root / "broken" / "bundle" / "model.json").write_text("not json")
    with pytest.raises(DeploymentError, match="broken stopped or was not ready.*Its log says why") as caught:
        target.start("broken")
    assert "JSONDecodeError" in caught.value.details  # the last lines of its log
    assert target.get("broken").status == FAILED
    target.delete("broken")


@pytest.mark.parametrize("name,message", [
    ("Bad Name", "cannot name a deployment"),
    ("life-cycle", "exists; update it"),
])
def test_bad_or_taken_names_are_refused(target, name, message):
    with pytest.raises(DeploymentError, match=message):
        target.deploy(name, "opml-model", "1")


def test_deleting_stops_the_server_and_keeps_the_usage_history(target):
    info = target.get("life-cycle")
    keys = target.keys("life-cycle")
    requests.post(info.scoring_uri, data=score_body([bank_row()]), timeout=5,
                  headers={"Authorization": f"Bearer {keys.primary}"})
    target.delete("life-cycle")
    assert target.list() == []
    with pytest.raises(requests.ConnectionError):
        health(info)
    assert list((target.settings.workspace.usage / "life-cycle").rglob("*.jsonl"))
    with pytest.raises(DeploymentError, match="no deployment named"):
        target.get("life-cycle")

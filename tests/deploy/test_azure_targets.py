"""The Azure targets (ACI, AKS, managed and Kubernetes online endpoints), driven through the fake
cloud at the seam: deploy with progress, score through the real score.py with Azure's keys,
regenerate keys, read logs, update (and roll back), collect what Azure kept, delete."""

import pytest
import requests

from opml_core.deploy import RUNNING, UNREACHABLE, get_target
from opml_core.errors import DeploymentError
from opml_core.scoring.payloads import score_body
from tests.azure.fake_cloud import FakeError
from tests.serve.conftest import bank_row

OPTIONS = {
    "aci": {"cpu_cores": 0.5, "memory_gb": 1.5},
    "aks": {"compute": "aks-prod", "min_replicas": 2, "max_replicas": 5, "target_utilization": 60},
    "azureml-online": {"instance_type": "Standard_DS2_v2", "instance_count": 2},
    "azureml-kubernetes": {"compute": "k8s-prod", "min_instances": 1, "max_instances": 4},
}
ROWS = [bank_row(), bank_row(age=70, job="retired")]


@pytest.fixture(scope="module")
def versions(azure_settings, spark):
    """Version 2 (a logistic regression) beside the module's champion, version 1."""
    from opml_core.train import TrainSpec, train_and_log

    train_and_log(spark, azure_settings, TrainSpec("bank_train", "logistic_regression"))
    return azure_settings


@pytest.fixture(scope="module", params=list(OPTIONS))
def cloud(request, versions, fake_azure):
    """(target, info, progress messages) of the champion deployed to one Azure target."""
    target = get_target(request.param, versions)
    said = []
    info = target.deploy(f"cloud-{request.param}"[:32], "opml-model", "champion",
                         options=OPTIONS[request.param], progress=said.append)
    yield target, info, said
    if info.name in {d.name for d in target.list()}:
        target.delete(info.name)


def score(target, info, key=None, rows=ROWS, **headers):
    key = key if key is not None else target.keys(info.name).primary
    return requests.post(target.get(info.name).scoring_uri, data=score_body(rows), timeout=30,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                  **headers})


def sent(fake, method):
    return [args for name, args in fake.calls if name == method]


def test_deploying_hands_azure_the_sdk_objects_and_waits_with_progress(cloud, fake_azure):
    target, info, said = cloud
    assert info.status == RUNNING and info.version == "1" and info.engine == "compiled"
    assert info.auth_required and info.scoring_uri.endswith("/score")
    assert any("Building the Azure scoring package" in m for m in said)
    if target.key in ("aci", "aks"):
        assert any(": Healthy" in m for m in said) and any(": Transitioning" in m for m in said)
        name, model, version, inference, config, compute = sent(fake_azure, "begin_service")[-1]
        assert (name, model) == (info.name, "opml-model") and config.auth_enabled and config.enable_app_insights
        assert inference.entry_script == "score.py"
        pins = list(inference.environment.python.conda_dependencies.pip_packages)
        assert any(p.startswith("azureml-inference-server-http==") for p in pins)
        assert inference.environment.docker.base_image.startswith("mcr.microsoft.com/azureml/")
        assert inference.environment.environment_variables["OPML_DEPLOYMENT"] == info.name
        if target.key == "aci":
            assert (config.cpu_cores, config.memory_gb, compute) == (0.5, 1.5, None)
        else:
            assert (config.autoscale_enabled, config.autoscale_min_replicas, config.autoscale_max_replicas,
                    config.autoscale_target_utilization, compute) == (True, 2, 5, 60, "aks-prod")
    else:
        assert any(": Succeeded" in m for m in said) and any("traffic to 'blue'" in m.lower() for m in said)
        endpoint = next(e for (e,) in sent(fake_azure, "begin_endpoint") if e.name == info.name)
        deployment = [d for (d,) in sent(fake_azure, "begin_deployment") if d.endpoint_name == info.name][-1]
        assert endpoint.auth_mode == "key" and deployment.name == "blue"
        assert set(deployment.data_collector.collections) == {"model_inputs", "model_outputs", "opml_usage"}
        assert deployment.code_configuration.scoring_script == "score.py" and deployment.app_insights_enabled
        if target.key == "azureml-online":
            assert (deployment.instance_type, deployment.instance_count) == ("Standard_DS2_v2", 2)
        else:
            assert endpoint.compute == "k8s-prod"
            scale = deployment.scale_settings
            assert (scale.min_instances, scale.max_instances, scale.target_utilization_percentage) == (1, 4, 70)
            assert deployment.resources.requests.cpu == "1"


def test_the_endpoint_scores_with_its_key_and_refuses_without_one(cloud):
    target, info, _ = cloud
    scored = score(target, info)
    assert scored.status_code == 200 and scored.json()["version"] == "1"
    assert len(scored.json()["predictions"]) == 2
    assert score(target, info, key="wrong").status_code == 401


def test_a_regenerated_key_replaces_the_old_one(cloud):
    target, info, _ = cloud
    old = target.keys(info.name).primary
    fresh = target.regenerate_key(info.name, "primary")
    assert fresh.primary != old
    assert score(target, info, key=old).status_code == 401
    assert score(target, info).status_code == 200


def test_logs_are_read_from_azure(cloud):
    target, info, _ = cloud
    assert any("opml: serving opml-model version 1" in line for line in target.logs(info.name, 200))


def test_update_serves_the_new_version(cloud, fake_azure):
    target, info, _ = cloud
    said = []
    updated = target.update(info.name, "2", progress=said.append)
    assert updated.version == "2" and updated.status == RUNNING
    assert score(target, updated).json()["version"] == "2"
    if target.key.startswith("azureml-"):
        assert updated.details["azure"]["slot"] == "green" and (info.name, "blue") not in fake_azure.deployments
        assert any("beside 'blue'" in m for m in said)


def test_a_failed_update_leaves_the_serving_version_in_place(cloud, fake_azure):
    target, info, _ = cloud
    fake_azure.outcomes[:] = ["Failed"]
    with pytest.raises(DeploymentError) as caught:
        target.update(info.name, "1")
    assert "Container crashed" in str(caught.value)
    assert "back on version 2" in str(caught.value) or "keeps all the traffic" in str(caught.value)
    now = target.get(info.name)
    assert now.version == "2" and now.status == RUNNING and score(target, now).json()["version"] == "2"


def test_simulated_traffic_is_collected_from_azure_exactly_once(cloud, spark):
    from pyspark.sql import functions as F

    from opml_core.client import EndpointClient
    from opml_core.monitor.context import read_usage_table
    from opml_core.predict import SimulationSpec, endpoint_sender, simulate_traffic
    from opml_core.usage import collect_usage

    target, info, _ = cloud
    settings = target.settings
    live = target.get(info.name)
    send = endpoint_sender(EndpointClient(live.scoring_uri, target.keys(info.name).primary))
    meta = target.model_info(info.name)
    simulation = simulate_traffic(send, settings.workspace, info.name, meta.operations_table, meta.inputs,
                                  SimulationSpec(days=2, requests_per_day=6, min_rows=1, max_rows=3))
    assert simulation.failed == 0
    import json
    from pathlib import Path

    ids = [json.loads(line)["request_id"] for line in Path(simulation.truth_file).read_text().splitlines()]
    assert len(ids) == simulation.requests
    assert _wait_for_usage(spark, settings, info.name, ids) == len(ids)
    assert collect_usage(spark, settings).requests == 0  # nothing twice
    rows = read_usage_table(spark, settings, "model_inputs").where(
        f"deployment = '{info.name}'").where(F.col("request_id").isin(ids))
    assert rows.count() == simulation.rows


def _wait_for_usage(spark, settings, name, ids: list[str]) -> int:
    """Collect until Azure's copy holds these requests (the collector sends in the background);
    return how many of them the table holds, each once."""
    import time

    from pyspark.sql import functions as F

    from opml_core.monitor.context import read_usage_table
    from opml_core.usage import collect_usage

    deadline, count = time.monotonic() + 60, 0
    while time.monotonic() < deadline:
        collect_usage(spark, settings)
        table = read_usage_table(spark, settings, "model_requests")
        count = table.where(f"deployment = '{name}'").where(F.col("request_id").isin(ids)).count() \
            if table else 0
        if count >= len(ids):
            return count
        time.sleep(0.5)
    return count


def test_deleting_removes_it_from_azure_and_keeps_its_usage(cloud, fake_azure):
    target, info, _ = cloud
    target.delete(info.name)
    assert info.name not in fake_azure.services and info.name not in fake_azure.endpoints
    assert info.name not in {d.name for d in target.list()}
    assert (target.settings.workspace.usage / info.name / "_models").is_dir()
    with pytest.raises(DeploymentError, match="no deployment named"):
        target.get(info.name)


def test_a_failed_create_removes_what_azure_holds_and_says_what_stays(versions, fake_azure):
    target = get_target("aci", versions)
    fake_azure.outcomes[:] = ["Failed"]
    with pytest.raises(DeploymentError) as caught:
        target.deploy("doomed", "opml-model", "1")
    message = str(caught.value)
    assert "ended Failed in Azure" in message and "Container crashed" in message
    assert "Nothing was left running in Azure" in message and "stays registered" in message
    assert "doomed" not in fake_azure.services and "doomed" not in {d.name for d in target.list()}


def test_azure_errors_are_shown_in_plain_words_with_azures_text_kept(versions, fake_azure):
    target = get_target("aci", versions)
    fake_azure.failures["register_model"] = FakeError(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is correct.")
    with pytest.raises(DeploymentError) as caught:
        target.deploy("badly-signed", "opml-model", "1")
    assert "client secret is wrong" in str(caught.value) and "AADSTS7000215" in caught.value.details
    fake_azure.failures["register_model"] = FakeError(
        "(AuthorizationFailed) The client 'x' does not have authorization to perform action "
        "'Microsoft.MachineLearningServices/workspaces/models/write'")
    with pytest.raises(DeploymentError, match="lacks a role.*AzureML Data Scientist"):
        target.deploy("no-role", "opml-model", "1")
    assert not {"badly-signed", "no-role"} & {d.name for d in target.list()}


@pytest.mark.parametrize("key,options,message", [
    ("aci", {"cpu_cores": 0}, "CPU cores must be between 0.1 and 16"),
    ("aci", {"memory_gb": "lots"}, "Memory \\(GB\\) must be a number"),
    ("aks", {}, "AKS compute target is required"),
    ("aks", {"compute": "c", "min_replicas": 4, "max_replicas": 2}, "Fewest replicas \\(4\\) cannot be more"),
    ("azureml-online", {"instance_count": 1.5}, "Instances must be a whole number"),
    ("azureml-online", {"gpu": 1}, "Unknown option 'gpu'"),
])
def test_bad_options_are_refused_before_anything_is_sent(versions, fake_azure, key, options, message):
    before = len(fake_azure.calls)
    with pytest.raises(DeploymentError, match=message):
        get_target(key, versions).deploy("never-sent", "opml-model", "1", options=options)
    assert fake_azure.calls[before:] == []
    assert not (versions.workspace.deployments / "never-sent").exists()


def test_an_azure_deployment_needs_a_connected_workspace_and_a_key(trained_settings, versions):
    with pytest.raises(DeploymentError, match="not connected to an Azure ML workspace"):
        get_target("azureml-online", trained_settings).deploy("no-azure", "opml-model", "1")
    with pytest.raises(DeploymentError, match="always require a key"):
        get_target("aci", versions).deploy("no-key", "opml-model", "1", auth=False)


def test_an_unreachable_azure_shows_the_deployment_as_unreachable_with_the_reason(versions, fake_azure):
    target = get_target("aci", versions)
    info = target.deploy("flaky-net", "opml-model", "1")
    fake_azure.failures["service"] = FakeError("HTTPSConnectionPool: Failed to establish a new connection")
    shown = target.get(info.name)
    assert shown.status == UNREACHABLE and "could not be reached from this machine" in shown.note
    assert target.get(info.name).status == RUNNING
    target.delete(info.name)

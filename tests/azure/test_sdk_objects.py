"""The SDK objects opml builds offline for Azure (v1 configurations, v2 entities), checked by the
SDKs themselves where they check anything, and by opml where they do not."""

import pytest

from opml_core.azure import v1, v2
from opml_core.azure.package import BASE_IMAGE, build_package, pinned_requirements
from opml_core.errors import DeploymentError

TAGS = {"opml": "1", "deployment": "bank-x", "model": "opml-model", "version": "1"}
AKS = {"compute": "aks-1", "cpu_cores": 1.0, "memory_gb": 2.0, "min_replicas": 1, "max_replicas": 3,
       "target_utilization": 70}
K8S = {"compute": "k8s-1", "instance_type": "defaultinstancetype", "cpu": 0.5, "memory_gb": 1.5,
       "min_instances": 2, "max_instances": 4, "target_utilization": 60}


@pytest.fixture(scope="module")
def package(trained_settings, tmp_path_factory):
    return build_package(trained_settings, "opml-model", "1", tmp_path_factory.mktemp("p") / "package")


def test_the_v1_environment_is_the_packages_pins_on_azures_inference_image(package):
    env = v1.environment(package, "bank-x", {"OPML_MAX_ROWS": "10"})
    assert list(env.python.conda_dependencies.pip_packages) == pinned_requirements()
    assert env.python.conda_dependencies.get_python_version() == "3.12"
    assert env.docker.base_image == BASE_IMAGE
    assert env.environment_variables == {"OPML_DEPLOYMENT": "bank-x", "OPML_MAX_ROWS": "10"}


def test_the_inference_configuration_is_checked_by_the_sdk(package, tmp_path):
    import shutil

    config = v1.inference_config(package, v1.environment(package, "bank-x", {}))
    assert config.entry_script == "score.py" and config.source_directory == str(package.code)
    broken = tmp_path / "broken"
    shutil.copytree(package.folder, broken)
    (broken / "code" / "score.py").unlink()
    from opml_core.azure.package import ScoringPackage

    with pytest.raises(DeploymentError, match="refused the inference configuration.*score.py doesn't exist"):
        v1.inference_config(ScoringPackage.load(broken), v1.environment(package, "bank-x", {}))


def test_aci_and_aks_configurations_have_key_auth_app_insights_and_the_chosen_sizes():
    aci = v1.aci_config({"cpu_cores": 0.5, "memory_gb": 1.0}, TAGS)
    assert (aci.cpu_cores, aci.memory_gb, aci.auth_enabled, aci.enable_app_insights) == (0.5, 1.0, True, True)
    assert aci.tags == TAGS
    aks = v1.aks_config(AKS, TAGS)
    assert (aks.autoscale_enabled, aks.autoscale_min_replicas, aks.autoscale_max_replicas,
            aks.autoscale_target_utilization, aks.compute_target_name) == (True, 1, 3, 70, "aks-1")
    assert aks.auth_enabled and aks.enable_app_insights and aks.scoring_timeout_ms == 60_000


def test_values_the_sdk_refuses_become_a_message_naming_them():
    with pytest.raises(DeploymentError, match="refused the ACI configuration: .*cpu_cores must be positive"):
        v1.aci_config({"cpu_cores": 0, "memory_gb": 1.0}, TAGS)
    with pytest.raises(DeploymentError, match="Fewest replicas \\(5\\) cannot be more than most replicas \\(2\\)"):
        v1.aks_config({**AKS, "min_replicas": 5, "max_replicas": 2}, TAGS)


def test_managed_and_kubernetes_entities_serialise_with_key_auth_collector_and_scaling(package):
    managed = v2.endpoint("bank-x", v2.MANAGED, {}, TAGS, traffic={"blue": 100})
    assert managed._to_dict()["auth_mode"] == "key" and managed.traffic == {"blue": 100}
    kube = v2.endpoint("bank-k", v2.KUBERNETES, K8S, TAGS)
    assert kube._to_dict()["compute"] == "azureml:k8s-1"
    deployment = v2.deployment("bank-k", "green", package, v2.KUBERNETES, K8S, TAGS, {"OPML_MAX_ROWS": "10"})
    shown = deployment._to_dict()
    assert shown["scale_settings"] == {"type": "target_utilization", "min_instances": 2, "max_instances": 4,
                                       "target_utilization_percentage": 60}
    assert shown["resources"]["requests"] == {"cpu": "0.5", "memory": "1.5Gi"}
    assert set(shown["data_collector"]["collections"]) == {"model_inputs", "model_outputs", "opml_usage"}
    assert shown["environment_variables"] == {"OPML_DEPLOYMENT": "bank-k", "OPML_MAX_ROWS": "10"}
    assert shown["environment"]["image"] == BASE_IMAGE
    assert shown["environment"]["conda_file"]["dependencies"][0] == "python=3.12"
    rest = v2.deployment("bank-x", "blue", package, v2.MANAGED, {"instance_type": "Standard_DS3_v2",
                                                                   "instance_count": 1}, TAGS, {})
    body = rest._to_rest_object(location="westeurope").as_dict()
    assert body["sku"]["capacity"] == 1 and body["properties"]["instanceType"] == "Standard_DS3_v2"
    assert body["properties"]["appInsightsEnabled"] is True


@pytest.mark.parametrize("name", ["ab", "Bank", "bank-", "1bank", "a" * 33])
def test_names_azure_would_refuse_are_refused_first(name):
    with pytest.raises(DeploymentError, match="cannot name an Azure ML endpoint"):
        v2.check_endpoint_name(name)


def test_fewest_instances_above_most_is_refused(package):
    with pytest.raises(DeploymentError, match="Fewest instances \\(5\\) cannot be more than most instances \\(4\\)"):
        v2.deployment("bank-k", "blue", package, v2.KUBERNETES, {**K8S, "min_instances": 5}, TAGS, {})

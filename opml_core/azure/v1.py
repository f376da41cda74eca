"""SDK v1 (azureml-core) objects for ACI and AKS web services, built offline from a package.

Nothing here talks to Azure: the environment, the inference configuration and the ACI / AKS
deployment configurations are the SDK's own objects, with key auth and Application Insights
on, so their settings can be checked before anything is sent. The SDK's validation errors
(``cpu_cores must be positive``…) become ``DeploymentError``s naming the option.

SDK v1 support ended on 2026-06-30; existing ACI and AKS services keep running. New work
belongs on the v2 online endpoints (``v2.py``).
"""

from __future__ import annotations

import warnings

from opml_core.azure.errors import quiet
from opml_core.azure.package import (
    BASE_IMAGE,
    ENTRY_SCRIPT,
    PYTHON_VERSION,
    ScoringPackage,
    pinned_requirements,
)
from opml_core.errors import DeploymentError

SUPPORT_ENDED = ("Azure ML SDK v1 (ACI and AKS web services) is past its end of support "
                 "(2026-06-30): existing services keep running, but Azure no longer fixes it. "
                 "Prefer an Azure ML online endpoint for new deployments.")


def environment(package: ScoringPackage, deployment: str, variables: dict):
    """The package's pinned pip environment on Azure's minimal inference image (no JVM)."""
    from azureml.core import Environment

    meta = package.meta
    env = Environment(name=f"opml-{meta.name}-{meta.version}-{package.digest}"[:64])
    dependencies = env.python.conda_dependencies
    dependencies.set_python_version(PYTHON_VERSION)
    dependencies.add_conda_package("pip")
    dependencies.set_pip_requirements(pinned_requirements())
    env.python.conda_dependencies = dependencies
    env.docker.base_image = BASE_IMAGE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "deprecated for runs": deployments still read them
        env.environment_variables = {"OPML_DEPLOYMENT": deployment, **variables}
    return env


def inference_config(package: ScoringPackage, env):
    """The entry script and its folder (``code/``), checked by the SDK (it parses score.py)."""
    from azureml.core.model import InferenceConfig

    return _built("the inference configuration", lambda: InferenceConfig(
        entry_script=ENTRY_SCRIPT, source_directory=str(package.code), environment=env))


def aci_config(options: dict, tags: dict):
    """Azure Container Instances: CPU, memory, key auth and Application Insights."""
    from azureml.core.webservice import AciWebservice

    return _built("the ACI configuration", lambda: AciWebservice.deploy_configuration(
        cpu_cores=options["cpu_cores"], memory_gb=options["memory_gb"], auth_enabled=True,
        enable_app_insights=True, tags=tags, description=_description(tags)))


def aks_config(options: dict, tags: dict):
    """Azure Kubernetes Service: an attached cluster, autoscaling, key auth, Application Insights."""
    from azureml.core.webservice import AksWebservice

    if options["min_replicas"] > options["max_replicas"]:
        raise DeploymentError(f"Fewest replicas ({options['min_replicas']}) cannot be more than "
                              f"most replicas ({options['max_replicas']}).")
    return _built("the AKS configuration", lambda: AksWebservice.deploy_configuration(
        autoscale_enabled=True, autoscale_min_replicas=options["min_replicas"],
        autoscale_max_replicas=options["max_replicas"],
        autoscale_target_utilization=options["target_utilization"],
        cpu_cores=options["cpu_cores"], memory_gb=options["memory_gb"], auth_enabled=True,
        enable_app_insights=True, compute_target_name=options["compute"],
        scoring_timeout_ms=60_000, tags=tags, description=_description(tags)))


def _description(tags: dict) -> str:
    return f"opml: {tags.get('model')} version {tags.get('version')}"


def _built(what: str, build):
    from azureml.exceptions import AzureMLException

    try:
        with quiet("azureml"):
            return build()
    except AzureMLException as exc:
        message = getattr(exc, "message", str(exc)).strip()
        raise DeploymentError(f"Azure ML's SDK refused {what}: {message}") from exc

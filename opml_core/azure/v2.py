"""SDK v2 (azure-ai-ml) entities for online endpoints, built offline from a package.

Managed online endpoints (Azure runs the machines) and Kubernetes online endpoints (an AKS
cluster with the Azure ML extension, attached to the workspace) take the same package: the
model folder, ``score.py`` with the opml runtime, and an environment built from the package's
conda file on Azure's minimal inference image. Endpoints use key auth; deployments have
Application Insights and the data collector on (``model_inputs``, ``model_outputs`` and the
whole usage record as ``opml_usage``). A deployment is named by its slot (``blue``/``green``)
so an update can go beside the running one and take the traffic once it is ready.

The SDK's constructors check nothing: opml's own option checks and the names' rules run here.
"""

from __future__ import annotations

import logging
import re

from opml_core.azure.errors import quiet
from opml_core.azure.package import BASE_IMAGE, ENTRY_SCRIPT, ScoringPackage
from opml_core.errors import DeploymentError

MANAGED, KUBERNETES = "managed", "kubernetes"
SLOTS = ("blue", "green")
COLLECTIONS = ("model_inputs", "model_outputs", "opml_usage")
NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
REQUEST_TIMEOUT_MS = 60_000


def check_endpoint_name(name: str) -> str:
    if not (3 <= len(name) <= 32 and NAME.match(name)):
        raise DeploymentError(f"{name!r} cannot name an Azure ML endpoint: use 3–32 lower-case "
                              "letters, digits or '-', starting with a letter and ending with a "
                              "letter or digit. Endpoint names are unique per Azure region.")
    return name


def other_slot(slot: str) -> str:
    return SLOTS[1 - SLOTS.index(slot)]


def endpoint(name: str, kind: str, options: dict, tags: dict, traffic: dict | None = None):
    """The endpoint entity (key auth); ``traffic`` routes requests between deployments."""
    from azure.ai.ml.entities import KubernetesOnlineEndpoint, ManagedOnlineEndpoint

    common = dict(name=check_endpoint_name(name), auth_mode="key", tags=tags,
                  description=f"opml: {tags.get('model')}", traffic=dict(traffic or {}))
    with quiet("azure.ai.ml", logging.ERROR):
        if kind == KUBERNETES:
            return KubernetesOnlineEndpoint(compute=options["compute"], **common)
        return ManagedOnlineEndpoint(**common)


def deployment(endpoint_name: str, slot: str, package: ScoringPackage, kind: str, options: dict,
               tags: dict, variables: dict):
    """The deployment entity for one slot, serving ``package``."""
    from azure.ai.ml.constants import AssetTypes
    from azure.ai.ml.entities import (
        CodeConfiguration,
        Environment,
        KubernetesOnlineDeployment,
        ManagedOnlineDeployment,
        Model,
        OnlineRequestSettings,
    )

    meta = package.meta
    with quiet("azure.ai.ml", logging.ERROR):
        common = dict(
            name=slot, endpoint_name=endpoint_name, tags=tags,
            description=f"opml: {meta.name} version {meta.version}",
            model=Model(path=str(package.model), type=AssetTypes.CUSTOM_MODEL,
                        description=f"{meta.name} version {meta.version} (opml compiled scorer)"),
            code_configuration=CodeConfiguration(code=str(package.code), scoring_script=ENTRY_SCRIPT),
            environment=Environment(name="opml-scoring", version=package.digest, image=BASE_IMAGE,
                                    conda_file=str(package.folder / "conda.yaml")),
            environment_variables={"OPML_DEPLOYMENT": endpoint_name, **variables},
            app_insights_enabled=True, data_collector=_collector(),
            request_settings=OnlineRequestSettings(request_timeout_ms=REQUEST_TIMEOUT_MS,
                                                   max_concurrent_requests_per_instance=1))
        if kind == KUBERNETES:
            return _kubernetes(KubernetesOnlineDeployment, common, options)
        return ManagedOnlineDeployment(instance_type=options["instance_type"],
                                       instance_count=options["instance_count"], **common)


def _kubernetes(cls, common: dict, options: dict):
    from azure.ai.ml.entities import (
        ResourceRequirementsSettings,
        ResourceSettings,
        TargetUtilizationScaleSettings,
    )

    if options["min_instances"] > options["max_instances"]:
        raise DeploymentError(f"Fewest instances ({options['min_instances']}) cannot be more than "
                              f"most instances ({options['max_instances']}).")
    requests = ResourceSettings(cpu=f"{options['cpu']:g}", memory=f"{options['memory_gb']:g}Gi")
    return cls(instance_type=options["instance_type"], instance_count=options["min_instances"],
               resources=ResourceRequirementsSettings(requests=requests),
               scale_settings=TargetUtilizationScaleSettings(
                   min_instances=options["min_instances"], max_instances=options["max_instances"],
                   target_utilization_percentage=options["target_utilization"]), **common)


def _collector():
    from azure.ai.ml.entities import DataCollector, DeploymentCollection

    return DataCollector(collections={name: DeploymentCollection(enabled="true") for name in COLLECTIONS},
                         rolling_rate="Hour", sampling_rate=1.0)

"""The ``azureml-online`` and ``azureml-kubernetes`` targets: Azure ML online endpoints (SDK v2).

Today's way to serve on Azure ML, for both kinds of workspace: a managed online endpoint
(Azure runs the machines; the successor of ACI) or a Kubernetes online endpoint on an AKS
cluster with the Azure ML extension (the successor of AKS web services). An endpoint has key
auth and one live deployment (slot ``blue`` or ``green``) with Application Insights and the
data collector on. Updating to another version is blue/green: the new version is deployed
beside the live one with no traffic, takes all of it once Azure reports it ready, and the old
one is deleted; if the new one fails it is removed and the live one keeps serving.
"""

from __future__ import annotations

from opml_core.azure import v2
from opml_core.deploy.base import FAILED, register_target
from opml_core.deploy.cloud import CloudTarget, status_of
from opml_core.deploy.options import INTEGER, TEXT, TargetOption
from opml_core.errors import DeploymentError

SUCCEEDED, BUSY = {"Succeeded"}, {"Creating", "Updating", "Provisioning", "Scaling"}
FAILURES = {"Failed", "Canceled", "Deleting"}


class OnlineEndpointTarget(CloudTarget):
    """What managed and Kubernetes online endpoints share."""

    kind = v2.MANAGED
    usage_source = "collector"

    def create(self, client, name, package, options, ids, progress):
        tags = self.tags(package.meta, name)
        v2.check_endpoint_name(name)
        first = v2.deployment(name, v2.SLOTS[0], package, self.kind, options, tags, self.variables())
        progress(f"Creating the online endpoint {name}")
        ids["endpoint"] = name
        client.begin_endpoint(v2.endpoint(name, self.kind, options, tags))
        self.wait(lambda: client.endpoint(name), f"Endpoint {name}", SUCCEEDED, FAILURES, progress)
        progress(f"Deploying {package.meta.name} version {package.meta.version} as "
                 f"'{v2.SLOTS[0]}' (Azure builds the environment the first time: 10–20 minutes)")
        ids["slot"] = v2.SLOTS[0]
        client.begin_deployment(first)
        self.wait(lambda: client.deployment_state(name, v2.SLOTS[0]), f"Deployment {v2.SLOTS[0]}",
                  SUCCEEDED, FAILURES, progress)
        self._route(client, name, options, tags, v2.SLOTS[0], progress)

    def replace(self, client, record, package, progress):
        name, options = record["name"], record["options"]
        live = record["azure"]["slot"]
        fresh = v2.other_slot(live)
        tags = self.tags(package.meta, name)
        entity = v2.deployment(name, fresh, package, self.kind, options, tags, self.variables())
        progress(f"Deploying version {package.meta.version} as '{fresh}' beside '{live}' "
                 "(no traffic yet)")
        client.begin_deployment(entity)
        try:
            self.wait(lambda: client.deployment_state(name, fresh), f"Deployment {fresh}",
                      SUCCEEDED, FAILURES, progress)
        except DeploymentError as failure:
            progress(f"'{fresh}' did not become ready; removing it")
            client.delete_deployment(name, fresh)
            raise DeploymentError(f"{failure} '{live}' (version {record['version']}) keeps all the "
                                  "traffic.", details=failure.details) from failure
        self._route(client, name, options, tags, fresh, progress)
        progress(f"Deleting '{live}'")
        client.delete_deployment(name, live)
        return {**record["azure"], "slot": fresh}

    def remove(self, client, record):
        if record.get("azure", {}).get("endpoint") and client.endpoint(record["name"]) is not None:
            client.delete_endpoint(record["name"])

    def state(self, client, record):
        ids = record.get("azure", {})
        if not ids.get("endpoint"):
            return FAILED, None, record.get("failed")
        endpoint = client.endpoint(record["name"])
        if endpoint is None:
            return FAILED, None, "Azure has no endpoint by this name any more (deleted in Azure ML studio?)."
        live = client.deployment_state(record["name"], ids["slot"])
        word = endpoint.state if endpoint.state not in SUCCEEDED or live is None else live.state
        status = status_of(word, SUCCEEDED, BUSY)
        note = (endpoint.error or (live.error if live else None)) if status == FAILED else None
        return status, endpoint.scoring_uri, note

    def fetch_keys(self, client, record):
        return client.endpoint_keys(record["name"])

    def renew_key(self, client, record, slot):
        client.regenerate_endpoint_key(record["name"], slot)

    def fetch_logs(self, client, record, lines):
        return client.deployment_logs(record["name"], record["azure"]["slot"], lines)

    def _route(self, client, name, options, tags, slot, progress):
        progress(f"Sending all traffic to '{slot}'")
        client.begin_endpoint(v2.endpoint(name, self.kind, options, tags, traffic={slot: 100}))
        self.wait(lambda: client.endpoint(name), f"Traffic to {slot}", SUCCEEDED, FAILURES, progress)


@register_target
class OnlineTarget(OnlineEndpointTarget):
    key = "azureml-online"
    title = "Azure ML managed online endpoint (v2)"
    notice = ("Azure runs and patches the machines; billed per instance while it exists. "
              "Endpoint names are unique per Azure region.")
    kind = v2.MANAGED
    OPTIONS = (
        TargetOption("instance_type", "Instance type", TEXT, "Standard_DS3_v2",
                     help="An Azure VM size with quota in your subscription"),
        TargetOption("instance_count", "Instances", INTEGER, 1, 1, 20, 1))


@register_target
class KubernetesTarget(OnlineEndpointTarget):
    key = "azureml-kubernetes"
    title = "Azure ML Kubernetes online endpoint (v2)"
    notice = "Runs on your AKS cluster with the Azure ML extension, attached to the workspace."
    kind = v2.KUBERNETES
    OPTIONS = (
        TargetOption("compute", "Kubernetes compute", TEXT, required=True,
                     help="The name the cluster is attached under in the workspace"),
        TargetOption("instance_type", "Instance type", TEXT, "defaultinstancetype",
                     help="An instance type defined on the cluster"),
        TargetOption("cpu", "CPU per instance", default=1.0, minimum=0.1, maximum=64, step=0.1),
        TargetOption("memory_gb", "Memory per instance (GB)", default=2.0, minimum=0.5, maximum=256,
                     step=0.5),
        TargetOption("min_instances", "Fewest instances", INTEGER, 1, 1, 100, 1),
        TargetOption("max_instances", "Most instances", INTEGER, 3, 1, 100, 1),
        TargetOption("target_utilization", "Target utilisation (%)", INTEGER, 70, 1, 100, 1))

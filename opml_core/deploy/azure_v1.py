"""The ``aci`` and ``aks`` targets: Azure ML web services through SDK v1 (azureml-core).

The same package goes to Azure Container Instances (testing: one container, CPU and memory)
or to an Azure Kubernetes Service cluster attached to the workspace (production: autoscaled
replicas), with no change to the model. Each deployment registers the package's model folder
as an Azure ML model, deploys it with key auth and Application Insights on, and waits with
progress until Azure reports it Healthy. An update registers the new version and updates the
service in place; if that fails, the service is updated back to the version it served.
"""

from __future__ import annotations

from opml_core.azure import v1
from opml_core.deploy.base import FAILED, register_target
from opml_core.deploy.cloud import CloudTarget, status_of
from opml_core.deploy.options import INTEGER, TEXT, TargetOption
from opml_core.errors import DeploymentError

HEALTHY, TRANSITIONING = {"Healthy"}, {"Transitioning"}
FAILURES = {"Failed", "Unhealthy", "Unschedulable"}


class WebServiceTarget(CloudTarget):
    """What ACI and AKS share: register, deploy, update, keys and logs of a v1 web service."""

    compute_label = ""
    notice = v1.SUPPORT_ENDED
    usage_source = "appinsights"

    def deploy_config(self, options: dict, tags: dict):
        raise NotImplementedError

    def compute(self, options: dict) -> str | None:
        return None

    def create(self, client, name, package, options, ids, progress):
        meta = package.meta
        tags = self.tags(meta, name)
        env = v1.environment(package, name, self.variables())
        inference, config = v1.inference_config(package, env), self.deploy_config(options, tags)
        progress(f"Registering {meta.name} version {meta.version} as an Azure ML model")
        ids.update(model=meta.name, model_version=client.register_model(package.model, meta.name, tags))
        progress(f"Creating the {self.compute_label} web service {name} (Azure takes 5–15 minutes)")
        ids["service"] = name
        client.begin_service(name, meta.name, ids["model_version"], inference, config,
                             self.compute(options))
        self.wait(lambda: client.service(name), f"{self.compute_label} service {name}", HEALTHY,
                  FAILURES, progress)

    def leftovers(self, ids):
        if ids.get("model_version"):
            return (f"the model {ids['model']} version {ids['model_version']} stays registered in "
                    "the workspace (Azure ML studio → Models, to remove it)")
        return None

    def replace(self, client, record, package, progress):
        meta, ids = package.meta, dict(record["azure"])
        env = v1.environment(package, record["name"], self.variables())
        inference = v1.inference_config(package, env)
        progress(f"Registering {meta.name} version {meta.version} as an Azure ML model")
        version = client.register_model(package.model, meta.name, self.tags(meta, record["name"]))
        progress(f"Updating {record['name']} to version {meta.version}")
        client.begin_service_update(record["name"], meta.name, version, inference)
        try:
            self.wait(lambda: client.service(record["name"]), f"Update of {record['name']}",
                      HEALTHY, FAILURES, progress)
        except DeploymentError as failure:
            progress("The new version did not become healthy; updating back")
            previous = self._previous_inference(record)
            client.begin_service_update(record["name"], ids["model"], ids["model_version"], previous)
            self.wait(lambda: client.service(record["name"]), f"Rollback of {record['name']}",
                      HEALTHY, FAILURES, progress)
            raise DeploymentError(f"{failure} {record['name']} is back on version "
                                  f"{record['version']}.", details=failure.details) from failure
        return {**ids, "model_version": version}

    def remove(self, client, record):
        if record.get("azure", {}).get("service") and client.service(record["name"]) is not None:
            client.delete_service(record["name"])

    def state(self, client, record):
        if not record.get("azure", {}).get("service"):
            return FAILED, None, record.get("failed")
        found = client.service(record["name"])
        if found is None:
            return FAILED, None, ("Azure has no web service by this name "
                                                         "any more (deleted in Azure ML studio?).")
        return (status_of(found.state, HEALTHY, TRANSITIONING), found.scoring_uri,
                found.error if found.state in FAILURES else None)

    def fetch_keys(self, client, record):
        return client.service_keys(record["name"])

    def renew_key(self, client, record, slot):
        client.regenerate_service_key(record["name"], slot)

    def fetch_logs(self, client, record, lines):
        return client.service_logs(record["name"], lines)

    def _previous_inference(self, record: dict):
        from opml_core.azure.package import ScoringPackage
        from opml_core.deploy.cloud import PACKAGE

        package = ScoringPackage.load(self._folder(record["name"]) / PACKAGE)
        return v1.inference_config(package, v1.environment(package, record["name"], self.variables()))


CPU = TargetOption("cpu_cores", "CPU cores", default=1.0, minimum=0.1, maximum=16, step=0.1,
                   help="Cores reserved for the container")
MEMORY = TargetOption("memory_gb", "Memory (GB)", default=2.0, minimum=0.5, maximum=64, step=0.5,
                      help="Memory reserved for the container")


@register_target
class AciTarget(WebServiceTarget):
    key = "aci"
    title = "Azure Container Instances (v1, testing)"
    compute_label = "ACI"
    OPTIONS = (CPU, MEMORY)

    def deploy_config(self, options, tags):
        return v1.aci_config(options, tags)


@register_target
class AksTarget(WebServiceTarget):
    key = "aks"
    title = "Azure Kubernetes Service (v1, production)"
    compute_label = "AKS"
    OPTIONS = (
        TargetOption("compute", "AKS compute target", TEXT, required=True,
                     help="The name the AKS cluster is attached under in the workspace"),
        CPU, MEMORY,
        TargetOption("min_replicas", "Fewest replicas", INTEGER, 1, 1, 100, 1),
        TargetOption("max_replicas", "Most replicas", INTEGER, 3, 1, 100, 1),
        TargetOption("target_utilization", "Target utilisation (%)", INTEGER, 70, 1, 100, 1,
                     help="Replicas are added when busier than this"))

    def deploy_config(self, options, tags):
        return v1.aks_config(options, tags)

    def compute(self, options):
        return options["compute"]

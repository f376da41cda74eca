"""The real ``AzureClient``: azureml-core (v1) and azure-ai-ml (v2), signed in with azure-identity.

One credential serves every SDK: a ``ClientSecretCredential`` for a service principal, else
``DefaultAzureCredential`` (``az login``, a managed identity, environment variables). SDK v1
takes it through ``TokenAuthentication`` (it asks for a resource, azure-identity for a scope),
``MLClient`` and the query and blob clients take it directly. The v1 ``Workspace`` (its
constructor calls Azure) and the v2 ``MLClient`` are built once per connection.

Quirks handled here: ``Model.register`` accepts only paths inside the current directory, so
registration changes into the package folder for the call (under a lock; opml uses absolute
paths everywhere); provisioning states are enums whose ``str`` is not the word Azure shows.
This module is the part of opml that needs a real Azure subscription to run; everything it is
given is built and tested offline.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from opml_core.azure.client import AzureClient, BlobInfo, ServiceState, Trace, WorkspaceInfo
from opml_core.azure.connection import SERVICE_PRINCIPAL, WorkspaceRef

_CWD_LOCK = threading.Lock()
TRACES_QUERY = """AppTraces
| where ingestion_time() >= datetime({since})
| where AppRoleName == "{service}"
| extend ingested = ingestion_time()
| order by ingested asc
| take {limit}
| project ingested, _ItemId, Message"""


class SdkClient(AzureClient):
    def __init__(self, settings, ref: WorkspaceRef, kind: str):
        self.settings, self.ref, self.kind = settings, ref, kind
        self._lock = threading.RLock()  # building the workspace asks for the credential
        self._cached: dict = {}

    # --- connections --------------------------------------------------------------------
    def credential(self):
        return self._once("credential", self._new_credential)

    def _new_credential(self):
        from azure.identity import ClientSecretCredential, DefaultAzureCredential

        if self.kind == SERVICE_PRINCIPAL:
            return ClientSecretCredential(self.settings.azure_tenant_id, self.settings.azure_client_id,
                                          self.settings.azure_client_secret.get_secret_value())
        return DefaultAzureCredential(exclude_interactive_browser_credential=True)

    def workspace(self):
        def build():
            from azureml.core import Workspace
            from azureml.core.authentication import TokenAuthentication

            credential = self.credential()
            auth = TokenAuthentication(lambda audience: credential.get_token(audience + "/.default").token)
            return Workspace(self.ref.subscription_id, self.ref.resource_group, self.ref.workspace,
                             auth=auth)
        return self._once("workspace", build)

    def ml(self):
        def build():
            from azure.ai.ml import MLClient

            return MLClient(self.credential(), self.ref.subscription_id, self.ref.resource_group,
                            self.ref.workspace)
        return self._once("ml", build)

    def check(self) -> WorkspaceInfo:
        workspace = self.workspace()
        details = workspace.get_details()
        return WorkspaceInfo(workspace.name, workspace.resource_group, workspace.subscription_id,
                             workspace.location, self.kind,
                             {"Application Insights": details.get("applicationInsights"),
                              "Storage": details.get("storageAccount")})

    # --- v1 web services ----------------------------------------------------------------
    def register_model(self, model_dir, name, tags):
        from azureml.core.model import Model

        with _inside(Path(model_dir).parent):
            model = Model.register(self.workspace(), model_path=Path(model_dir).name, model_name=name,
                                   tags=tags, description=f"opml compiled scorer for {name}")
        return str(model.version)

    def begin_service(self, name, model_name, model_version, inference_config, deployment_config,
                      compute):
        from azureml.core.compute import AksCompute
        from azureml.core.model import Model

        workspace = self.workspace()
        target = AksCompute(workspace, compute) if compute else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SDK v1's end-of-support FutureWarning: said on the page
            Model.deploy(workspace, name, [Model(workspace, name=model_name, version=int(model_version))],
                         inference_config, deployment_config, deployment_target=target)

    def begin_service_update(self, name, model_name, model_version, inference_config):
        from azureml.core.model import Model

        workspace = self.workspace()
        self._service(name).update(models=[Model(workspace, name=model_name, version=int(model_version))],
                                   inference_config=inference_config)

    def service(self, name):
        from azureml.exceptions import WebserviceException

        try:
            found = self._service(name)
        except WebserviceException as exc:
            if "WebserviceNotFound" in str(getattr(exc, "message", exc)):
                return None
            raise
        error = json.dumps(found.error, indent=1) if found.error else None
        return ServiceState(name, str(found.state), found.scoring_uri, error)

    def service_keys(self, name):
        primary, secondary = self._service(name).get_keys()
        return primary, secondary

    def regenerate_service_key(self, name, slot):
        self._service(name).regen_key(slot)

    def service_logs(self, name, lines):
        return self._service(name).get_logs(num_lines=lines)

    def delete_service(self, name):
        self._service(name).delete()

    def traces(self, service, since, limit):
        from azure.monitor.query import LogsQueryClient, LogsQueryStatus

        resource = self._once("appinsights", lambda: self.workspace().get_details()["applicationInsights"])
        query = TRACES_QUERY.format(since=since.astimezone(timezone.utc).isoformat(), service=service,
                                    limit=int(limit))
        window = (since - timedelta(days=1), datetime.now(timezone.utc) + timedelta(minutes=5))
        result = LogsQueryClient(self.credential()).query_resource(resource, query, timespan=window)
        tables = result.tables if result.status == LogsQueryStatus.SUCCESS else result.partial_data
        rows = tables[0].rows if tables else []
        return [Trace(str(row["_ItemId"]), row["ingested"], str(row["Message"])) for row in rows]

    def _service(self, name):
        from azureml.core.webservice import Webservice

        return Webservice(self.workspace(), name)

    # --- v2 online endpoints ------------------------------------------------------------
    def begin_endpoint(self, endpoint):
        self.ml().online_endpoints.begin_create_or_update(endpoint)

    def endpoint(self, name):
        from azure.core.exceptions import ResourceNotFoundError

        try:
            found = self.ml().online_endpoints.get(name)
        except ResourceNotFoundError:
            return None
        return ServiceState(name, _word(found.provisioning_state), found.scoring_uri,
                            traffic=dict(found.traffic or {}))

    def begin_deployment(self, deployment):
        self.ml().online_deployments.begin_create_or_update(deployment)

    def deployment_state(self, endpoint, deployment):
        from azure.core.exceptions import ResourceNotFoundError

        try:
            found = self.ml().online_deployments.get(deployment, endpoint)
        except ResourceNotFoundError:
            return None
        return ServiceState(deployment, _word(found.provisioning_state))

    def endpoint_keys(self, name):
        keys = self.ml().online_endpoints.get_keys(name)
        return keys.primary_key, keys.secondary_key

    def regenerate_endpoint_key(self, name, slot):
        self.ml().online_endpoints.begin_regenerate_keys(name, key_type=slot).result()

    def deployment_logs(self, endpoint, deployment, lines):
        return self.ml().online_deployments.get_logs(deployment, endpoint, lines)

    def delete_deployment(self, endpoint, deployment):
        self.ml().online_deployments.begin_delete(deployment, endpoint).result()

    def delete_endpoint(self, name):
        self.ml().online_endpoints.begin_delete(name).result()

    def blobs(self, prefix):
        container = self._container()
        return [BlobInfo(b.name, b.size) for b in container.list_blobs(name_starts_with=prefix)]

    def read_blob(self, name, start=0, end=None):
        length = None if end is None else max(0, end - start)
        return self._container().download_blob(name, offset=start, length=length).readall()

    def _container(self):
        def build():
            from azure.storage.blob import BlobServiceClient

            store = self.ml().datastores.get_default()
            account = f"https://{store.account_name}.blob.{store.endpoint}"
            return BlobServiceClient(account, credential=self.credential()).get_container_client(
                store.container_name)
        return self._once("container", build)

    def _once(self, key: str, build):
        with self._lock:
            if key not in self._cached:
                self._cached[key] = build()
            return self._cached[key]


def _word(state) -> str:
    """Azure's word for a provisioning state (the SDK gives enums whose str is their name)."""
    return str(getattr(state, "value", state) or "Unknown")


@contextmanager
def _inside(folder: Path):
    with _CWD_LOCK:
        previous = os.getcwd()
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(previous)

"""The one seam to Azure: every call opml makes into Azure ML goes through ``AzureClient``.

The targets and usage sources build the SDK's own offline objects (deployment configurations,
environments, endpoint and deployment entities: ``v1.py``, ``v2.py``) and hand them to this
small interface, which does only what needs Azure: sign in, register, create, poll, fetch keys
and logs, delete, query Application Insights and read the data collector's blobs. ``sdk.py`` is
the real implementation; tests replace only this interface. Methods raise the SDKs' own
exceptions; ``errors.explain`` turns them into plain messages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class WorkspaceInfo:
    """The workspace a connection reached, and how it signed in."""

    name: str
    resource_group: str
    subscription_id: str
    location: str
    credential: str  # "service principal" or "DefaultAzureCredential"
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceState:
    """A v1 web service or a v2 endpoint, as Azure reports it."""

    name: str
    state: str  # Azure's own word: Healthy, Transitioning, Failed, Succeeded, Creating…
    scoring_uri: str | None = None
    error: str | None = None
    traffic: dict = field(default_factory=dict)  # v2: deployment name -> percent


@dataclass(frozen=True)
class Trace:
    """One Application Insights trace: what the entry script printed once, and when Application
    Insights ingested it (which can be minutes after it was printed)."""

    item_id: str
    time: datetime
    message: str


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int


class AzureClient(ABC):
    """What opml asks of Azure ML. One instance per connection (settings)."""

    @abstractmethod
    def check(self) -> WorkspaceInfo:
        """Sign in and reach the workspace."""

    # SDK v1 (azureml-core): ACI and AKS web services
    @abstractmethod
    def register_model(self, model_dir, name: str, tags: dict) -> str:
        """Register a model folder; return the new Azure ML model version."""

    @abstractmethod
    def begin_service(self, name: str, model_name: str, model_version: str, inference_config,
                      deployment_config, compute: str | None) -> None:
        """Start creating a web service (returns once Azure accepted it)."""

    @abstractmethod
    def begin_service_update(self, name: str, model_name: str, model_version: str,
                             inference_config) -> None: ...

    @abstractmethod
    def service(self, name: str) -> ServiceState | None:
        """The web service's state, or None if Azure has none by that name."""

    @abstractmethod
    def service_keys(self, name: str) -> tuple[str, str]: ...

    @abstractmethod
    def regenerate_service_key(self, name: str, slot: str) -> None: ...

    @abstractmethod
    def service_logs(self, name: str, lines: int) -> str: ...

    @abstractmethod
    def delete_service(self, name: str) -> None: ...

    @abstractmethod
    def traces(self, service: str, since: datetime, limit: int) -> list[Trace]:
        """At most ``limit`` of the service's traces ingested at or after ``since``, in the order
        they were ingested."""

    # SDK v2 (azure-ai-ml): managed and Kubernetes online endpoints
    @abstractmethod
    def begin_endpoint(self, endpoint) -> None:
        """Start creating (or updating: traffic) an online endpoint entity."""

    @abstractmethod
    def endpoint(self, name: str) -> ServiceState | None: ...

    @abstractmethod
    def begin_deployment(self, deployment) -> None:
        """Start creating an online deployment entity."""

    @abstractmethod
    def deployment_state(self, endpoint: str, deployment: str) -> ServiceState | None: ...

    @abstractmethod
    def endpoint_keys(self, name: str) -> tuple[str, str]: ...

    @abstractmethod
    def regenerate_endpoint_key(self, name: str, slot: str) -> None: ...

    @abstractmethod
    def deployment_logs(self, endpoint: str, deployment: str, lines: int) -> str: ...

    @abstractmethod
    def delete_deployment(self, endpoint: str, deployment: str) -> None: ...

    @abstractmethod
    def delete_endpoint(self, name: str) -> None: ...

    @abstractmethod
    def blobs(self, prefix: str) -> list[BlobInfo]:
        """The workspace's default datastore blobs under a prefix."""

    @abstractmethod
    def read_blob(self, name: str, start: int = 0, end: int | None = None) -> bytes: ...

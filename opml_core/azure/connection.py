"""The Azure ML workspace opml is connected to, how it signs in, and the client that reaches it.

The workspace comes from the settings (``OPML_AZURE_SUBSCRIPTION_ID``, ``_RESOURCE_GROUP``,
``_WORKSPACE``) or from a workspace ``config.json`` (``OPML_AZURE_CONFIG``, or one uploaded on
the Settings page and kept in the workspace: it names the workspace and holds no secret).
Sign-in is a service principal when ``OPML_AZURE_TENANT_ID``, ``_CLIENT_ID`` and
``_CLIENT_SECRET`` are all set (environment or ``.streamlit/secrets.toml``), else
``DefaultAzureCredential`` (``az login``, a managed identity, …). The secret is never shown,
logged or written by opml. ``azure_client`` returns the client every Azure call goes through.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from opml_core.access import OPERATOR, require
from opml_core.azure.client import AzureClient, WorkspaceInfo
from opml_core.config import Settings, load_settings
from opml_core.errors import ConfigError, DeploymentError
from opml_core.files import write_atomic

CONFIG_FILE = "config.json"
MAX_CONFIG_BYTES = 64 * 1024
SERVICE_PRINCIPAL, DEFAULT_CREDENTIAL = "service principal", "DefaultAzureCredential"
NOT_CONNECTED = ("opml is not connected to an Azure ML workspace yet. On the Settings page, upload "
                 "the workspace's config.json (Azure ML studio → workspace → Download config.json) "
                 "or set OPML_AZURE_SUBSCRIPTION_ID, OPML_AZURE_RESOURCE_GROUP and "
                 "OPML_AZURE_WORKSPACE; then press Test connection.")


@dataclass(frozen=True)
class WorkspaceRef:
    """Which workspace: subscription, resource group, name, and where that was read."""

    subscription_id: str
    resource_group: str
    workspace: str
    source: str


def workspace_ref(settings: Settings) -> WorkspaceRef | None:
    """The configured workspace, or None when none is configured."""
    given = {"OPML_AZURE_SUBSCRIPTION_ID": settings.azure_subscription_id,
             "OPML_AZURE_RESOURCE_GROUP": settings.azure_resource_group,
             "OPML_AZURE_WORKSPACE": settings.azure_workspace}
    if all(given.values()):
        return WorkspaceRef(*given.values(), "settings")
    if any(given.values()):
        missing = ", ".join(k for k, v in given.items() if not v)
        raise ConfigError(f"The Azure workspace is only partly set: {missing} missing. Set all "
                          "three, or none and upload the workspace's config.json instead.")
    path = settings.azure_config or settings.workspace.azure / CONFIG_FILE
    if not path.is_file():
        if settings.azure_config:
            raise ConfigError(f"OPML_AZURE_CONFIG: there is no file {path}.")
        return None
    return parse_config(path.read_bytes(), str(path))


def parse_config(data: bytes, source: str) -> WorkspaceRef:
    """Read a workspace config.json (the three fields, or the ``Scope`` form Azure also writes)."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source} is {len(data):,} bytes; a workspace config.json is a few "
                          "hundred. Upload the file Azure ML studio downloads.")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{source} is not a JSON file ({exc}). Upload the workspace's "
                          "config.json from Azure ML studio.") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{source} should hold a JSON object with subscription_id, "
                          "resource_group and workspace_name.")
    if "Scope" in document and isinstance(document["Scope"], str):
        parts = document["Scope"].strip("/").split("/")
        named = dict(zip(parts[::2], parts[1::2]))
        document = {"subscription_id": named.get("subscriptions"),
                    "resource_group": named.get("resourceGroups"), "workspace_name": named.get("workspaces")}
    fields = ("subscription_id", "resource_group", "workspace_name")
    missing = [f for f in fields if not isinstance(document.get(f), str) or not document[f]]
    if missing:
        raise ConfigError(f"{source} lacks {', '.join(missing)}; a workspace config.json holds "
                          "subscription_id, resource_group and workspace_name.")
    try:
        checked = load_settings(azure_subscription_id=document["subscription_id"],
                                azure_resource_group=document["resource_group"],
                                azure_workspace=document["workspace_name"])
    except ConfigError as exc:
        text = str(exc).removeprefix("Invalid setting — ")
        for variable, name in (("OPML_AZURE_SUBSCRIPTION_ID", "subscription_id"),
                               ("OPML_AZURE_RESOURCE_GROUP", "resource_group"),
                               ("OPML_AZURE_WORKSPACE", "workspace_name")):
            text = text.replace(variable, name)
        raise ConfigError(f"{source} holds a value Azure would not accept: {text}") from None
    return WorkspaceRef(checked.azure_subscription_id, checked.azure_resource_group,
                        checked.azure_workspace, source)


def save_config(settings: Settings, data: bytes) -> WorkspaceRef:
    """Keep an uploaded config.json in the workspace (only the three fields; owner-only)."""
    require(OPERATOR, "connect opml to an Azure ML workspace")
    ref = parse_config(data, "The uploaded file")
    folder = settings.workspace.azure
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / CONFIG_FILE, json.dumps({
        "subscription_id": ref.subscription_id, "resource_group": ref.resource_group,
        "workspace_name": ref.workspace}, indent=2), mode=0o600)
    return WorkspaceRef(ref.subscription_id, ref.resource_group, ref.workspace,
                        str(folder / CONFIG_FILE))


def credential_kind(settings: Settings) -> str:
    """How opml signs in to Azure; a service principal set only in part is refused."""
    given = {"OPML_AZURE_TENANT_ID": settings.azure_tenant_id,
             "OPML_AZURE_CLIENT_ID": settings.azure_client_id,
             "OPML_AZURE_CLIENT_SECRET": settings.azure_client_secret}
    if all(given.values()):
        return SERVICE_PRINCIPAL
    if any(given.values()):
        missing = ", ".join(k for k, v in given.items() if not v)
        raise ConfigError(f"The service principal is only partly set: {missing} missing. Set all "
                          "three, or none to sign in with DefaultAzureCredential (az login).")
    return DEFAULT_CREDENTIAL


def describe(settings: Settings) -> dict:
    """What the Settings page shows: the workspace and the sign-in, never the secret."""
    ref = workspace_ref(settings)
    kind = credential_kind(settings)
    shown = {"Workspace": ref.workspace if ref else "(not set)",
             "Resource group": ref.resource_group if ref else "",
             "Subscription": ref.subscription_id if ref else "", "Read from": ref.source if ref else "",
             "Sign-in": kind}
    if kind == SERVICE_PRINCIPAL:
        shown.update({"Tenant": settings.azure_tenant_id, "Client id": settings.azure_client_id,
                      "Client secret": "set (hidden)"})
    return shown


_OVERRIDE: list[AzureClient | None] = [None]
_CLIENTS: dict = {}
_LOCK = threading.Lock()


def azure_client(settings: Settings) -> AzureClient:
    """The client for the configured workspace (one per workspace and sign-in, reused)."""
    ref = workspace_ref(settings)
    if ref is None:
        raise DeploymentError(NOT_CONNECTED)
    kind = credential_kind(settings)
    if _OVERRIDE[0] is not None:
        return _OVERRIDE[0]
    from opml_core.azure.sdk import SdkClient

    secret = settings.azure_client_secret.get_secret_value() if settings.azure_client_secret else ""
    key = (ref.subscription_id, ref.resource_group, ref.workspace, kind, settings.azure_tenant_id,
           settings.azure_client_id, hashlib.sha256(secret.encode()).hexdigest())
    with _LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = SdkClient(settings, ref, kind)
        return _CLIENTS[key]


def use_client(client: AzureClient | None) -> None:
    """Route every Azure call to ``client`` (tests' fake at the cloud seam); None undoes it."""
    _OVERRIDE[0] = client


def check_connection(settings: Settings) -> WorkspaceInfo:
    """Sign in and reach the workspace, or raise a DeploymentError saying what is wrong."""
    from opml_core.azure.errors import explain

    client = azure_client(settings)
    try:
        return client.check()
    except Exception as exc:
        raise explain(exc, "reach the Azure ML workspace", settings) from exc

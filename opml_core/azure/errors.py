"""Azure's errors in plain words: what went wrong and what to do, with Azure's own text kept.

``explain(exc, doing, settings)`` returns a ``DeploymentError`` whose message names the cause a
person can act on (wrong tenant or credentials, a missing role, a workspace or resource that
is not there, a network that does not reach Azure) and quotes the first line of Azure's text;
the whole text is in its details. The SDKs raise many classes for one cause (azureml-core's
``ProjectSystemException`` for a 403, MSAL's ``ValueError`` for an unknown tenant, a bare
``requests.ConnectionError`` offline), so causes are recognised by class name and message.
The client secret is removed from anything shown. ``quiet`` keeps an SDK's own logging of
what it raises (or warns about) off the console.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from opml_core.errors import DeploymentError

SIGN_IN = ("Azure did not accept opml's sign-in{hint}. Check OPML_AZURE_TENANT_ID, "
           "OPML_AZURE_CLIENT_ID and OPML_AZURE_CLIENT_SECRET (or run `az login` when no service "
           "principal is set), then test the connection again.")
SIGN_IN_HINTS = (
    (("AADSTS90002", "Unable to get authority configuration", "tenant not found"),
     ": the tenant was not found (a wrong tenant id or domain?)"),
    (("AADSTS700016",), ": the application (client id) is not in that tenant"),
    (("AADSTS7000215",), ": the client secret is wrong"),
    (("AADSTS7000222",), ": the client secret has expired; create a new one"),
    (("DefaultAzureCredential failed",), ": no credential was found on this machine"),
)
ROLE = ("The signed-in identity may not {doing} in this workspace: it lacks a role. Ask an owner "
        "of the workspace to grant it 'AzureML Data Scientist' (or Contributor) on the workspace, "
        "then try again.")
NOT_FOUND = ("Azure could not find {what}. Check the subscription, resource group and workspace "
             "name on the Settings page{extra}.")
NETWORK = ("Azure could not be reached from this machine while trying to {doing}: check the "
           "network, a proxy or a firewall, then try again.")
OTHER = "Azure ML refused to {doing}: {first_line}"

_SIGN_IN_MARKS = ("AADSTS", "Authentication failed", "ClientAuthenticationError", "AuthenticationError",
                  "AuthenticationException", "Unable to get authority configuration",
                  "DefaultAzureCredential failed", "InvalidAuthenticationToken")
_ROLE_MARKS = ("AuthorizationFailed", "does not have authorization", "InsufficientAccessError",
               "Response Code: 403", '"status_code": 403', "Forbidden")
_NOT_FOUND_MARKS = ("Workspace not found", "WorkspaceNotFound", "ResourceNotFound",
                    "WebserviceNotFound", "ComputeTargetNotFound", "ResourceGroupNotFound",
                    "don't have access to", "SubscriptionNotFound", "Not found")
_NETWORK_MARKS = ("ServiceRequestError", "ConnectionError", "Failed to resolve", "Max retries exceeded",
                  "Name or service not known", "Failed to establish a new connection",
                  "Connection refused", "timed out", "Temporary failure in name resolution")


def explain(exc: BaseException, doing: str, settings=None) -> DeploymentError:
    """A DeploymentError for ``exc`` raised while trying to ``doing`` (e.g. "create the service")."""
    if isinstance(exc, DeploymentError):
        return exc
    text = _scrub(_text(exc), settings)
    marks = f"{type(exc).__name__} {text}"
    if any(m in marks for m in _SIGN_IN_MARKS):
        hint = next((h for keys, h in SIGN_IN_HINTS if any(k in marks for k in keys)), "")
        message = SIGN_IN.format(hint=hint)
    elif any(m in marks for m in _ROLE_MARKS):
        message = ROLE.format(doing=doing)
    elif any(m in marks for m in _NOT_FOUND_MARKS):
        message = _not_found(marks)
    elif any(m in marks for m in _NETWORK_MARKS):
        message = NETWORK.format(doing=doing)
    else:
        message = OTHER.format(doing=doing, first_line=_first_line(text))
    return DeploymentError(message, details=f"{type(exc).__name__}: {text}")


def _not_found(marks: str) -> str:
    if "ComputeTargetNotFound" in marks:
        return NOT_FOUND.format(what="the AKS compute target", extra=", and that the cluster is "
                                "attached to the workspace under the name you gave")
    if "WebserviceNotFound" in marks:
        return NOT_FOUND.format(what="the web service (deleted in Azure ML studio?)", extra="")
    return NOT_FOUND.format(what="the workspace", extra="")


def _text(exc: BaseException) -> str:
    message = getattr(exc, "message", None)  # azureml-core keeps the raw text here
    return str(message if isinstance(message, str) and message else exc).strip()


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else "(no message)"
    return first if len(first) <= 300 else first[:297] + "…"


def _scrub(text: str, settings) -> str:
    secret = getattr(settings, "azure_client_secret", None) if settings is not None else None
    if secret is not None and secret.get_secret_value():
        text = text.replace(secret.get_secret_value(), "***")
    return text


@contextmanager
def quiet(logger: str, level: int = logging.CRITICAL):
    """Raise a logger's level for the block (the SDKs log what they are about to raise)."""
    chosen = logging.getLogger(logger)
    previous = chosen.level
    chosen.setLevel(level)
    try:
        yield
    finally:
        chosen.setLevel(previous)

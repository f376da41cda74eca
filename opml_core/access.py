"""Who may do what: the roles of a shared app, and the check every state-changing call makes.

A team app (``OPML_TEAM_MODE=true``) signs people in with Streamlit's OpenID Connect login and
gives each account a role from settings: *viewer* (Predict, Monitor, reports), *builder* (also
Prepare, Train, submitting and aliases) or *operator* (also Deploy, keys, delete, Settings).
``OPML_OPERATORS``, ``OPML_BUILDERS`` and ``OPML_VIEWERS`` list accounts (``ana@contoso.com``) or
whole domains (``@contoso.com``); the highest role that matches wins.

The app sets the signed-in person as the *actor* of each page run (``acting_as``); core calls
that change state call ``require(role, doing)`` and refuse an actor without that role, whatever
page or widget called them. With no actor set (the CLI, scripts, a single-user app) nothing is
refused: the command line is the operator's.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from opml_core.errors import OpmlError

VIEWER, BUILDER, OPERATOR = "viewer", "builder", "operator"
RANK = {VIEWER: 0, BUILDER: 1, OPERATOR: 2}
_ACTOR: contextvars.ContextVar["Actor | None"] = contextvars.ContextVar("opml_actor", default=None)


class AccessError(OpmlError):
    """The signed-in person's role does not allow this."""


@dataclass(frozen=True)
class Actor:
    """A signed-in person and the role settings give them (None: no role at all)."""

    account: str
    role: str | None

    def may(self, role: str) -> bool:
        return self.role is not None and RANK[self.role] >= RANK[role]


def role_for(settings, account: str | None) -> str | None:
    """The highest role whose list names the account or its domain; None if none does."""
    if not account:
        return None
    account = account.strip().lower()
    domain = "@" + account.rsplit("@", 1)[-1] if "@" in account else None
    for role, entries in ((OPERATOR, settings.operators), (BUILDER, settings.builders),
                          (VIEWER, settings.viewers)):
        names = {e.strip().lower() for e in entries}
        if account in names or (domain and domain in names):
            return role
    return None


@contextmanager
def acting_as(actor: Actor | None):
    """Make ``actor`` the one every ``require`` in this block (and threads it starts) checks."""
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def current_actor() -> Actor | None:
    return _ACTOR.get()


def is_loopback(address: str | None) -> bool:
    """Whether a server listening on ``address`` is reachable from this machine only (no address
    means every interface)."""
    import ipaddress

    address = (address or "").strip().strip("[]")
    if address == "localhost" or address.startswith("unix://"):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name or an empty address: other machines may reach it


def exposed_without_login(settings, address: str | None) -> str | None:
    """Why the app must not show its pages when it listens on ``address``, or None when it may:
    beyond this machine, only team mode (a sign-in and roles) protects it."""
    if settings.team_mode or is_loopback(address):
        return None
    shown = address or "every interface"
    return (f"This opml listens on {shown}, so other machines can reach it, but team mode is off: "
            "nobody would sign in and anyone could deploy, read keys and submit models. Turn team "
            "mode on (OPML_TEAM_MODE=true, or team_mode = true under [opml] in "
            ".streamlit/secrets.toml, with an [auth] sign-in provider and OPML_OPERATORS, "
            "OPML_BUILDERS, OPML_VIEWERS; see \"Sharing the app with a team\" in the README), or "
            "listen on 127.0.0.1 only (server.address in .streamlit/config.toml).")


def require(role: str, doing: str) -> None:
    """Refuse the current actor if its role is below ``role``; no actor means the operator."""
    actor = _ACTOR.get()
    if actor is None or actor.may(role):
        return
    held = f"your role is {actor.role}" if actor.role else "your account has no role here"
    raise AccessError(f"{actor.account} may not {doing}: it needs the {role} role and {held}. "
                      "Ask an operator to add you to OPML_" + role.upper() + "S.")

"""Sign-in and roles in the app: who is at the browser, and the pages their role opens.

In a single-user app (the default, listening on 127.0.0.1) everyone is the operator and nothing
is asked. With ``OPML_TEAM_MODE=true`` the app asks for Streamlit's OpenID Connect login
(``st.login``; the provider is the ``[auth]`` table of ``.streamlit/secrets.toml``), finds the
account's role in settings and makes that person the actor every core call checks. A
single-user app that Streamlit serves beyond this machine (``server.address`` not a loopback
address) shows no page at all, only how to turn team mode on.
"""

from __future__ import annotations

import streamlit as st

from opml_core.access import (BUILDER, OPERATOR, VIEWER, Actor, current_actor,
                              exposed_without_login, role_for)

DEFAULT_PAGE = "app_pages/home.py"
PAGE_ROLES = {"app_pages/home.py": VIEWER, "app_pages/predict.py": VIEWER,
              "app_pages/monitor.py": VIEWER, "app_pages/prepare.py": BUILDER,
              "app_pages/train.py": BUILDER, "app_pages/deploy.py": OPERATOR,
              "app_pages/settings.py": OPERATOR}


def signed_in(settings) -> Actor | None:
    """The actor of this page run: None in a single-user app; stops the page until a team app's
    visitor has signed in with an account that has a role, and stops every page of a single-user
    app that listens beyond this machine."""
    refused = exposed_without_login(settings, st.get_option("server.address"))
    if refused:
        st.title("opml")
        st.error(refused, icon=":material/lock:")
        st.stop()
    if not settings.team_mode:
        return None
    user = st.user
    if not user.is_logged_in:
        st.title("opml")
        st.write("This opml is shared with a team: sign in with your work account.")
        if st.button("Sign in", key="access.login", type="primary"):
            st.login()
        st.stop()
    account = user.get("email") or user.get("preferred_username") or user.get("sub")
    actor = Actor(str(account), role_for(settings, account))
    if actor.role is None:
        st.error(f"{actor.account} has no role in this opml. Ask an operator to add your account "
                 "or domain to OPML_VIEWERS, OPML_BUILDERS or OPML_OPERATORS.",
                 icon=":material/lock:")
        if st.button("Sign out", key="access.logout"):
            st.logout()
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {actor.account} ({actor.role})")
        if st.button("Sign out", key="access.logout"):
            st.logout()
    return actor


def pages_for(sections: dict[str, list[tuple]], actor: Actor | None) -> dict:
    """``st.Page``s by section, given as (path, title, icon), keeping those the actor may open
    (every page in a single-user app)."""
    built = {}
    for section, items in sections.items():
        kept = [st.Page(path, title=title, icon=icon, default=path == DEFAULT_PAGE)
                for path, title, icon in items
                if actor is None or actor.may(PAGE_ROLES.get(path, OPERATOR))]
        if kept:
            built[section] = kept
    return built


def may(role: str) -> bool:
    """Whether the current page run's actor holds ``role`` (everyone does in a single-user app)."""
    actor = current_actor()
    return actor is None or actor.may(role)


def role_help(role: str) -> str | None:
    """A button's help when the actor lacks ``role`` (the button is then disabled), else None."""
    return None if may(role) else f"Needs the {role} role (ask an operator: OPML_{role.upper()}S)."


def may_open(path: str) -> bool:
    """Whether the current page run's actor may open the page at ``path``."""
    return may(PAGE_ROLES.get(path, OPERATOR))


def page_link(path: str, label: str, icon: str = ":material/arrow_forward:") -> None:
    """A link to another page, shown only to those who may open it."""
    if may_open(path):
        st.page_link(path, label=label, icon=icon)

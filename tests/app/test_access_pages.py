"""A team app: the sign-in page, and each role's pages, with only the identity provider's answer
(``st.user``) faked."""

import pytest
import streamlit

from tests.app.conftest import open_page, texts

PAGES = {"home": "viewer", "predict": "viewer", "monitor": "viewer", "prepare": "builder",
         "train": "builder", "deploy": "operator", "settings": "operator"}
RANK = {"viewer": 0, "builder": 1, "operator": 2}


class FakeUser(dict):
    """What st.user holds after an OpenID Connect login (or before one)."""

    @property
    def is_logged_in(self) -> bool:
        return "email" in self


@pytest.fixture
def team(settings, monkeypatch):
    monkeypatch.setenv("OPML_TEAM_MODE", "true")
    monkeypatch.setenv("OPML_OPERATORS", '["olga@contoso.com"]')
    monkeypatch.setenv("OPML_BUILDERS", '["bo@contoso.com"]')
    monkeypatch.setenv("OPML_VIEWERS", '["@contoso.com"]')

    def sign_in(email: str | None):
        monkeypatch.setattr(streamlit, "user", FakeUser(email=email) if email else FakeUser())
    return sign_in


def test_a_team_app_asks_for_a_sign_in_before_any_page(team):
    team(None)
    at = open_page()
    assert not at.exception and at.button(key="access.login").label == "Sign in"
    assert "shared with a team" in texts(at.markdown)


def test_an_account_without_a_role_is_told_whom_to_ask(team):
    team("eve@example.com")
    at = open_page()
    assert not at.exception and "has no role in this opml" in texts(at.error)


@pytest.mark.parametrize("email,role", [("vera@contoso.com", "viewer"), ("bo@contoso.com", "builder"),
                                        ("olga@contoso.com", "operator")])
@pytest.mark.parametrize("page", list(PAGES))
def test_each_role_opens_exactly_its_pages(team, email, role, page):
    team(email)
    at = open_page()
    assert f"Signed in as {email} ({role})" in texts(at.sidebar.caption)
    allowed = RANK[role] >= RANK[PAGES[page]]
    if page == "home":
        assert allowed and not at.exception
        return
    try:
        at.switch_page(f"app_pages/{page}.py").run()
        opened = not at.exception
    except Exception:
        opened = False
    assert opened == allowed, (role, page, at.exception)


@pytest.fixture
def listening_on():
    """Streamlit's server.address for this test, as `--server.address` would set it."""
    from streamlit import config

    original = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", original)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.20", None])
def test_a_single_user_app_reachable_from_other_machines_shows_no_page_but_how_to_share_it(
        settings, listening_on, address):
    listening_on(address)
    at = open_page()
    assert not at.exception
    assert [t.value for t in at.title] == ["opml"]  # the sign-post only, no page ran
    refusal = texts(at.error)
    assert f"listens on {address or 'every interface'}" in refusal
    assert "team mode is off" in refusal and "OPML_TEAM_MODE=true" in refusal


def test_a_single_user_app_on_this_machine_only_opens_its_pages(settings, listening_on):
    listening_on("127.0.0.1")
    at = open_page()
    assert not at.exception and not at.error and at.title[0].value != "opml"


def test_a_team_app_may_listen_on_every_interface(team, listening_on):
    listening_on("0.0.0.0")
    team("vera@contoso.com")
    at = open_page()
    assert not at.exception and not at.error
    assert "Signed in as vera@contoso.com (viewer)" in texts(at.sidebar.caption)

"""Roles: accounts and domains from settings, and every state-changing core call refusing an
actor whose role is too low (whatever page or script calls it)."""

import pytest

from opml_core.access import (BUILDER, OPERATOR, VIEWER, AccessError, Actor, acting_as,
                              exposed_without_login, is_loopback, require, role_for)
from opml_core.config import load_settings
from opml_core.deploy import get_target

VIEWER_ACTOR, BUILDER_ACTOR = Actor("vera@contoso.com", VIEWER), Actor("bo@contoso.com", BUILDER)
OPERATOR_ACTOR = Actor("olga@contoso.com", OPERATOR)
OPERATOR_CALLS = ["deploy", "start", "stop", "update", "delete", "regenerate_key", "save_config",
                  "save_webhook", "forget_webhook"]
BUILDER_CALLS = ["prepare", "train", "submit", "set_alias", "remove_alias", "set_threshold",
                 "add_labels_file", "reveal_outcomes"]


def test_roles_come_from_accounts_or_domains_and_the_highest_wins(tmp_path):
    settings = load_settings(home=tmp_path, operators=["ops@contoso.com"], builders=["@contoso.com"],
                             viewers=["@fabrikam.com", "ops@contoso.com"])
    assert role_for(settings, "OPS@contoso.com") == OPERATOR
    assert role_for(settings, "bo@contoso.com") == BUILDER
    assert role_for(settings, "guest@fabrikam.com") == VIEWER
    assert role_for(settings, "stranger@example.com") is None and role_for(settings, None) is None


def test_without_a_signed_in_actor_everything_is_allowed_as_on_the_command_line():
    require(OPERATOR, "delete a deployment")  # no AccessError


def _operator_calls(settings):
    from opml_core.azure.connection import save_config
    from opml_core.monitor.alerts import save_webhook

    target = get_target("local", settings)
    return {"save_config": lambda: save_config(settings, b"{}"),
            "save_webhook": lambda: save_webhook(settings.workspace, "https://hooks.example.com/x"),
            "forget_webhook": lambda: save_webhook(settings.workspace, None),
            "deploy": lambda: target.deploy("bank-x", "opml-model", "1"),
            "start": lambda: target.start("bank-x"), "stop": lambda: target.stop("bank-x"),
            "update": lambda: target.update("bank-x", "2"), "delete": lambda: target.delete("bank-x"),
            "regenerate_key": lambda: target.regenerate_key("bank-x", "primary")}


def _builder_calls(settings):
    from opml_core.data.prepare import prepare_tables
    from opml_core.monitor.labels import add_labels_file, reveal_outcomes
    from opml_core.registry import remove_alias, set_alias, set_decision_threshold
    from opml_core.submission import submit_model_zip
    from opml_core.train import TrainSpec, train_and_log

    return {"prepare": lambda: prepare_tables(None, settings.workspace, None, None),
            "train": lambda: train_and_log(None, settings, TrainSpec("bank_train")),
            "submit": lambda: submit_model_zip(settings, b"PK", "model.zip"),
            "set_alias": lambda: set_alias(settings, "opml-model", "1", "champion"),
            "remove_alias": lambda: remove_alias(settings, "opml-model", "champion"),
            "set_threshold": lambda: set_decision_threshold(settings, "no-such-run", 0.4),
            "add_labels_file": lambda: add_labels_file(None, settings, "bank-x", b"id,y\n1,yes\n",
                                                       "labels.csv", "id", "y", ("yes", "no")),
            "reveal_outcomes": lambda: reveal_outcomes(None, settings, "bank-x")}


def _passes_the_role_check(call, actor: Actor) -> bool:
    with acting_as(actor):
        try:
            call()
        except AccessError:
            return False
        except Exception:
            pass  # the call went past the role check and failed on its made-up arguments
    return True


@pytest.mark.parametrize("call", OPERATOR_CALLS)
def test_operator_calls_refuse_viewers_and_builders_and_let_operators_through(settings, call):
    for actor in (VIEWER_ACTOR, BUILDER_ACTOR):
        with acting_as(actor), pytest.raises(AccessError, match="needs the operator role"):
            _operator_calls(settings)[call]()
    assert _passes_the_role_check(_operator_calls(settings)[call], OPERATOR_ACTOR)


@pytest.mark.parametrize("call", BUILDER_CALLS)
def test_builder_calls_refuse_viewers_but_not_builders_or_operators(settings, call):
    with acting_as(VIEWER_ACTOR), pytest.raises(AccessError, match="needs the builder role"):
        _builder_calls(settings)[call]()
    assert _passes_the_role_check(_builder_calls(settings)[call], BUILDER_ACTOR)
    assert _passes_the_role_check(_builder_calls(settings)[call], OPERATOR_ACTOR)


def test_a_refused_webhook_is_not_stored(settings):
    from opml_core.monitor.alerts import save_webhook, saved_webhook

    with acting_as(BUILDER_ACTOR), pytest.raises(AccessError):
        save_webhook(settings.workspace, "https://hooks.example.com/steal")
    assert saved_webhook(settings.workspace, "bank-x") is None


def test_an_account_with_no_role_is_refused_naming_the_settings():
    with acting_as(Actor("stranger@example.com", None)), \
            pytest.raises(AccessError, match="has no role here.*OPML_BUILDERS"):
        require(BUILDER, "train a model")


@pytest.mark.parametrize("address,loopback", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.4", False), ("opml.contoso.com", False),
    ("", False), (None, False)])
def test_only_loopback_addresses_keep_the_app_to_this_machine(address, loopback):
    assert is_loopback(address) is loopback


def test_serving_beyond_this_machine_needs_team_mode(tmp_path):
    single, team = load_settings(home=tmp_path), load_settings(home=tmp_path, team_mode=True)
    assert "Turn team mode on (OPML_TEAM_MODE=true" in exposed_without_login(single, "0.0.0.0")
    assert exposed_without_login(single, "127.0.0.1") is None
    assert exposed_without_login(team, "0.0.0.0") is None


def test_only_an_operator_sends_the_cards_to_a_webhook_that_is_not_saved(settings):
    from opml_core.monitor.alerts import send_cards_now

    report = type("Report", (), {"deployment": "bank-x"})()
    with acting_as(VIEWER_ACTOR), pytest.raises(AccessError, match="needs the operator role"):
        send_cards_now(settings.workspace, report, "https://hooks.example.com/elsewhere")
    with acting_as(VIEWER_ACTOR), pytest.raises(Exception, match="No webhook is saved"):
        send_cards_now(settings.workspace, report)  # nothing saved: nothing to send to
    assert _passes_the_role_check(
        lambda: send_cards_now(settings.workspace, report, "https://hooks.example.com/x"), OPERATOR_ACTOR)

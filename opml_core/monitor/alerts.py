"""Alerts that reach people: a monitoring run's cards posted to a chat webhook.

``post_cards`` sends the report's status cards as one message to a Microsoft Teams or Slack
incoming webhook when its worst level reaches ``notify_on`` (``alert`` by default): Slack gets
``{"text", "blocks"}``, Teams a ``MessageCard`` (both also read a plain ``text``); the kind is
told from the URL (``hooks.slack.com``; ``webhook.office.com`` or Power Automate's
``logic.azure.com`` for Teams), anything else gets Slack's shape. ``save_webhook`` /
``saved_webhook`` keep one hook per deployment (or a default for all) in the workspace,
readable by its owner only: a hook URL is a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

from opml_core.access import OPERATOR, require
from opml_core.config import Workspace
from opml_core.errors import MonitorError
from opml_core.files import write_atomic
from opml_core.monitor.methods import ALERT, WARN
from opml_core.monitor.result import RANK

SLACK, TEAMS = "slack", "teams"
HOOKS_FILE = "alerts/webhooks.json"
DEFAULT = "*"  # the hook for deployments without their own
TIMEOUT_S = 10
COLOURS = {"ok": "2a9d8f", "warn": "e9c46a", "alert": "e76f51", "info": "8d99ae"}


@dataclass(frozen=True)
class AlertResult:
    sent: bool
    reason: str  # why it was (not) sent, in words
    status: int | None = None


def hook_kind(url: str) -> str:
    host = (urlparse(url).hostname or "").lower()
    return TEAMS if host.endswith(("webhook.office.com", "logic.azure.com", "outlook.office.com")) \
        else SLACK


def message(report, kind: str) -> dict:
    """The webhook body: the cards of ``report`` as Slack blocks or a Teams MessageCard."""
    title = f"opml: {report.deployment} is {report.worst} (windows of {report.window})"
    lines = [f"{card.title} ({card.level}): {card.sentence}" for card in report.cards]
    if kind == TEAMS:
        return {"@type": "MessageCard", "@context": "http://schema.org/extensions",
                "summary": title, "title": title, "text": "\n\n".join(lines),
                "themeColor": COLOURS.get(report.worst, "8d99ae"),
                "sections": [{"activityTitle": f"{c.title}: {c.level}", "text": c.sentence}
                             for c in report.cards]}
    return {"text": title + "\n" + "\n".join(lines),
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                       *[{"type": "section", "text": {"type": "mrkdwn",
                                                      "text": f"*{c.title}* ({c.level}): {c.sentence}"[:3000]}}
                         for c in report.cards]]}


def post_cards(url: str, report, notify_on: str = ALERT, force: bool = False) -> AlertResult:
    """Post the cards when the report's worst level reaches ``notify_on`` (always with ``force``)."""
    import requests

    check_url(url)
    if notify_on not in (WARN, ALERT):
        raise MonitorError(f"Notify on {notify_on!r}? Choose {WARN!r} or {ALERT!r}.")
    if not force and RANK.get(report.worst, 0) < RANK[notify_on]:
        return AlertResult(False, f"Nothing reached {notify_on}: no message sent.")
    body = message(report, hook_kind(url))
    host = urlparse(url).hostname
    try:
        response = requests.post(url, data=json.dumps(body), timeout=TIMEOUT_S,
                                 headers={"Content-Type": "application/json"})
    except requests.RequestException as exc:
        raise MonitorError(f"The webhook at {host} could not be reached ({type(exc).__name__}); "
                           "check the URL and that this machine can reach it.") from exc
    if response.status_code >= 300:
        raise MonitorError(f"The webhook at {host} refused the message (HTTP "
                           f"{response.status_code}: {response.text[:200]}); check that the hook "
                           "still exists, or create a new one and save its URL.")
    return AlertResult(True, f"Posted {len(report.cards)} cards to {host}.", response.status_code)


def send_cards_now(workspace: Workspace, report, url: str | None = None) -> AlertResult:
    """Post the cards at once to the deployment's saved hook, or to ``url``: a URL that is not
    the saved one is an operator's call (the server would post the report's data anywhere)."""
    saved = saved_webhook(workspace, report.deployment)
    target = (url or "").strip() or saved
    if not target:
        raise MonitorError("No webhook is saved for this deployment; an operator can save one "
                           "under Alerts to Teams or Slack.")
    if target != saved:
        require(OPERATOR, "send alerts to a webhook that is not saved")
    return post_cards(target, report, force=True)


def check_url(url: str) -> str:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise MonitorError("The webhook URL must start with https:// (as Teams and Slack give it, "
                           "e.g. https://hooks.slack.com/services/…).")
    return url


def save_webhook(workspace: Workspace, url: str | None, deployment: str = DEFAULT) -> None:
    """Keep (or, with an empty ``url``, forget) the hook for a deployment or the default one;
    an operator's call, as the stored URL receives every alert's data."""
    require(OPERATOR, "save or forget an alerts webhook")
    hooks = _hooks(workspace)
    if url:
        hooks[deployment] = check_url(url.strip())
    else:
        hooks.pop(deployment, None)
    path = workspace.root / HOOKS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(hooks, indent=2), mode=0o600)


def saved_webhook(workspace: Workspace, deployment: str) -> str | None:
    hooks = _hooks(workspace)
    return hooks.get(deployment) or hooks.get(DEFAULT)


def _hooks(workspace: Workspace) -> dict:
    path = workspace.root / HOOKS_FILE
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as exc:
        raise MonitorError(f"{path} is not readable JSON; save the webhook again from the "
                           "Monitor page.") from exc

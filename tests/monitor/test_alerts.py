"""Alerts: a run's cards posted to a Teams or Slack incoming webhook, tested on a local receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from opml_core.errors import MonitorError
from opml_core.monitor import alerts
from opml_core.monitor.cards import StatusCard
from opml_core.monitor.report import MonitorReport


@pytest.fixture
def receiver():
    """A local webhook that keeps every body it receives; /gone answers 404."""
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            self.send_response(404 if self.path == "/gone" else 200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def report(level="alert"):
    cards = [StatusCard("Usage", "ok", "120 requests."),
             StatusCard("Drift", level, "1 feature in alert. Shifted segments: age above 60: 22% vs 0.4% in training.")]
    return MonitorReport("bank", "1d", "2026-03-02T00:00:00+00:00", None, cards=cards)


def test_an_alert_posts_every_card_as_slack_json(receiver):
    url, received = receiver
    done = alerts.post_cards(url + "/services/T/B/x", report())
    assert done.sent and done.status == 200
    _, content_type, body = received[0]
    assert content_type == "application/json" and "bank is alert" in body["text"]
    assert "age above 60: 22% vs 0.4% in training" in body["text"]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section"]


def test_teams_hooks_get_a_message_card():
    body = alerts.message(report(), alerts.hook_kind("https://contoso.webhook.office.com/webhookb2/x"))
    assert body["@type"] == "MessageCard" and body["themeColor"] == "e76f51"
    assert [s["activityTitle"] for s in body["sections"]] == ["Usage: ok", "Drift: alert"]
    assert alerts.hook_kind("https://hooks.slack.com/services/x") == alerts.SLACK


def test_nothing_is_posted_below_the_threshold_unless_forced(receiver):
    url, received = receiver
    assert not alerts.post_cards(url, report("warn")).sent and received == []
    assert alerts.post_cards(url, report("warn"), notify_on="warn").sent
    assert alerts.post_cards(url, report("ok"), force=True).sent and len(received) == 2


def test_a_hook_that_refuses_or_cannot_be_reached_says_so(receiver):
    url, _ = receiver
    with pytest.raises(MonitorError, match="refused the message \\(HTTP 404"):
        alerts.post_cards(url + "/gone", report())
    with pytest.raises(MonitorError, match="could not be reached"):
        alerts.post_cards("http://127.0.0.1:9/hook", report())
    with pytest.raises(MonitorError, match="must start with https://"):
        alerts.post_cards("hooks.slack.com/x", report())


def test_a_saved_hook_is_kept_per_deployment_and_private(tmp_path):
    from opml_core.config import Workspace

    workspace = Workspace(tmp_path)
    alerts.save_webhook(workspace, "https://hooks.slack.com/services/all")
    alerts.save_webhook(workspace, "https://hooks.slack.com/services/bank", "bank")
    assert alerts.saved_webhook(workspace, "bank").endswith("/bank")
    assert alerts.saved_webhook(workspace, "other").endswith("/all")
    assert (tmp_path / alerts.HOOKS_FILE).stat().st_mode & 0o077 == 0
    alerts.save_webhook(workspace, None, "bank")
    assert alerts.saved_webhook(workspace, "bank").endswith("/all")


def test_sending_now_goes_to_the_saved_hook_of_the_deployment(receiver, tmp_path):
    from opml_core.config import Workspace

    url, received = receiver
    workspace = Workspace(tmp_path / "ws").ensure()
    alerts.save_webhook(workspace, url + "/saved", "bank")
    done = alerts.send_cards_now(workspace, report(level="ok"))  # forced, even below the threshold
    assert done.sent and [path for path, _, _ in received] == ["/saved"]

"""Monitoring from the command line: collect, labels, and a monitor that fails on alerts."""

import json

from opml_core.cli import main
from opml_core.cli.monitoring import ALERT_EXIT
from tests.monitor.conftest import copy_workspace, days_of, table_rows, write_usage
from tests.monitor.test_alerts import receiver  # noqa: F401 - the local webhook fixture


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_collect_reveal_and_monitor_with_an_alerting_exit_code(spark, trained_settings, in_workspace,
                                                               capsys, tmp_path, receiver):
    settings = in_workspace(copy_workspace(trained_settings, tmp_path / "ws"))
    days = days_of(table_rows(settings, "bank_ops"), 2)
    write_usage(settings, "cli-watched", days, truth_table="bank_ops")

    code, collected, _ = run(capsys, "collect")
    assert code == 0 and collected["rows"] == sum(len(d) for d in days)
    code, again, _ = run(capsys, "collect")
    assert again["requests"] == 0

    code, revealed, _ = run(capsys, "labels", "--deployment", "cli-watched", "--reveal")
    assert code == 0 and revealed["labelled_rows"] == collected["rows"]

    out = tmp_path / "report.html"
    url, received = receiver
    code, report, _ = run(capsys, "monitor", "--deployment", "cli-watched", "--window", "1d",
                          "--out", str(out), "--webhook", url + "/hook")
    assert code == ALERT_EXIT and report["worst"] == "alert"  # operations are later, drifted months
    assert {c["title"] for c in report["cards"]} == {"Usage", "Drift", "Performance"}
    assert report["drift"][0]["status"] == "alert" and out.read_text().startswith("<html>")
    assert report["webhook"]["sent"] and "cli-watched is alert" in received[0][2]["text"]
    drift = next(c for c in report["cards"] if c["title"] == "Drift")
    assert drift["sentence"] in received[0][2]["text"]

    from opml_core.monitor.alerts import save_webhook  # a saved hook is used without --webhook

    save_webhook(settings.workspace, url + "/gone")
    code, report, err = run(capsys, "monitor", "--deployment", "cli-watched", "--window", "1d")
    assert code == ALERT_EXIT and not report["webhook"]["sent"]  # the report survives a bad hook
    assert "refused the message (HTTP 404" in report["webhook"]["reason"] and "HTTP 404" in err


def test_monitoring_a_deployment_without_usage_is_not_an_error(trained_settings, in_workspace, capsys):
    in_workspace(trained_settings)
    code, report, _ = run(capsys, "monitor", "--deployment", "quiet-one")
    assert code == 0 and report["message"] == "No usage collected yet."


def test_a_malformed_threshold_says_how_to_write_it(trained_settings, in_workspace, capsys):
    in_workspace(trained_settings)
    code, _, err = run(capsys, "monitor", "--deployment", "x", "--threshold", "psi=high")
    assert code == 2 and "psi=0.1,0.25" in json.loads(err)["error"]

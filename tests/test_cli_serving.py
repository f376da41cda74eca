"""Serving from the command line: deploy, list, score a CSV, simulate, update, delete."""

import json

from opml_core.cli import main
from opml_core.scoring.payloads import csv_body
from tests.serve.conftest import bank_row


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_the_serving_commands_cover_the_deployment_lifecycle(trained_settings, in_workspace, capsys, tmp_path):
    in_workspace(trained_settings)
    code, deployed, _ = run(capsys, "deploy", "--name", "cli-endpoint", "--version", "champion")
    assert code == 0 and deployed["status"] == "running" and "••••" in deployed["keys"]["primary"]

    code, listed, _ = run(capsys, "deployments", "--show-keys")
    assert [d["name"] for d in listed] == ["cli-endpoint"] and "•" not in listed[0]["keys"]["primary"]

    rows = tmp_path / "rows.csv"
    rows.write_bytes(csv_body([bank_row(), bank_row(age=66)]))
    code, scored, _ = run(capsys, "score", "--deployment", "cli-endpoint", "--input", str(rows))
    assert code == 0 and scored["scored"] == 2 and scored["predictions"][1]["age"] == "66"

    code, simulated, _ = run(capsys, "simulate", "--deployment", "cli-endpoint", "--days", "2",
                             "--per-day", "3", "--rows", "1-2")
    assert code == 0 and simulated["requests"] == 6

    code, stopped, _ = run(capsys, "deploy", "--name", "cli-endpoint", "--stop")
    assert stopped["status"] == "stopped"
    code, deleted, _ = run(capsys, "deploy", "--name", "cli-endpoint", "--delete")
    assert deleted == {"deleted": "cli-endpoint"}


def test_a_wrong_key_lists_the_failures_and_exits_non_zero(trained_settings, in_workspace, capsys, tmp_path):
    in_workspace(trained_settings)
    code, deployed, _ = run(capsys, "deploy", "--name", "cli-keyed", "--version", "1")
    rows = tmp_path / "rows.csv"
    rows.write_bytes(csv_body([bank_row()]))
    code, scored, _ = run(capsys, "score", "--endpoint", deployed["scoring_uri"], "--key", "wrong",
                          "--input", str(rows))
    assert code == 1 and scored["scored"] == 0
    assert scored["failures"][0]["status"] == 401
    run(capsys, "deploy", "--name", "cli-keyed", "--delete")


def test_keys_are_shown_and_regenerated_from_the_command_line(trained_settings, in_workspace, capsys):
    in_workspace(trained_settings)
    run(capsys, "deploy", "--name", "cli-keys", "--version", "1")
    code, before, _ = run(capsys, "keys", "--name", "cli-keys")
    code, after, _ = run(capsys, "keys", "--name", "cli-keys", "--regenerate", "secondary")
    assert code == 0 and after["regenerated"] == "secondary"
    assert after["primary"] == before["primary"] and after["secondary"] != before["secondary"]
    code, _, err = run(capsys, "keys", "--name", "nobody")
    assert code == 2 and "no deployment named 'nobody'" in json.loads(err)["error"]
    run(capsys, "deploy", "--name", "cli-keys", "--delete")


def test_deploying_without_a_version_says_how(trained_settings, in_workspace, capsys):
    in_workspace(trained_settings)
    code, _, err = run(capsys, "deploy", "--name", "no-version")
    assert code == 2 and "--version" in json.loads(err)["error"]

"""Server processes: alive or gone, whose they are, stopped as a group, free ports."""

import socket
import subprocess
import sys

from opml_core.deploy.processes import alive, bindable, serves_folder, stop_group


def sleeper(*extra: str) -> subprocess.Popen:
    """A process in its own session, returned once it runs its own command line."""
    process = subprocess.Popen([sys.executable, "-c", "print(1, flush=True); import time; time.sleep(60)",
                                *extra], start_new_session=True, stdout=subprocess.PIPE)
    process.stdout.readline()
    return process


def test_a_stopped_group_is_gone_and_a_finished_child_is_not_alive():
    process = sleeper()
    assert alive(process.pid)
    stop_group(process.pid, grace_s=5)
    assert not alive(process.pid)
    assert not alive(None)


def test_a_process_serves_a_folder_only_if_its_command_line_names_both(tmp_path):
    process = sleeper("opml_core.serve", str(tmp_path / "mine"))
    try:
        assert serves_folder(process.pid, "opml_core.serve", tmp_path / "mine")
        assert not serves_folder(process.pid, "opml_core.serve", tmp_path / "other")
    finally:
        stop_group(process.pid, grace_s=5)
    assert not serves_folder(process.pid, "opml_core.serve", tmp_path / "mine")


def test_a_port_in_use_is_not_bindable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not bindable("127.0.0.1", port)
    assert bindable("127.0.0.1", port)


def test_a_server_starts_without_the_apps_spark_session_variables_and_with_everything_else(monkeypatch):
    from opml_core.deploy.processes import SPARK_SESSION_VARIABLES, server_environment

    for name in SPARK_SESSION_VARIABLES:
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("OPML_HOME", "/somewhere")
    inherited = server_environment()
    assert not set(SPARK_SESSION_VARIABLES) & set(inherited) and inherited["OPML_HOME"] == "/somewhere"
    assert server_environment({"SPARK_REMOTE": "sc://x", "AML_APP_ROOT": "/code"}) == {"AML_APP_ROOT": "/code"}

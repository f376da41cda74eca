"""The sandbox's watch: a child's whole process tree is measured and killed, even a process
that left the child's session."""

import subprocess
import sys
import time

from opml_core.sandbox.watch import ProcessTree, read_process

ESCAPER = """
import os, sys, time
if os.fork() == 0:
    os.setsid()  # leaves the sandbox's session
    held = b"x" * (64 << 20)
    print(os.getpid(), flush=True)
    time.sleep(600)
time.sleep(600)
"""


def _poll(condition, bound_s: float = 20.0):
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_process_that_left_the_session_is_measured_and_killed_with_the_tree():
    child = subprocess.Popen([sys.executable, "-c", ESCAPER], stdout=subprocess.PIPE,
                             start_new_session=True, text=True)
    tree = ProcessTree(child.pid)
    try:
        escaped = int(child.stdout.readline())
        assert read_process(escaped).session != child.pid
        assert tree.scan() > 64 << 20  # its memory counts
        assert escaped in tree.seen
    finally:
        tree.kill()
        child.wait()
    assert _poll(lambda: read_process(escaped) is None or _is_zombie(escaped))


def _is_zombie(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True

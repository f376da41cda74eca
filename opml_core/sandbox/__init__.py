"""Try an untrusted model in a separate, limited process: never in the app's.

``try_model(model_dir, spark=…)`` runs ``child.py`` with a scrubbed environment (no ``OPML_*``,
Azure, MLflow or other secrets: only what Python and Java need), its home, working and temporary
folders in a fresh scratch folder, a wall-clock deadline, CPU and file-size limits and a memory
bound the model cannot declare away: the parent measures the resident memory of the child's
whole process tree every ``POLL_S`` (a Spark model's JVM included, ``watch.py``) and kills it
over the limit; a model that is not Spark also gets an address-space limit. The watch is
sampled, not enforced by the kernel: memory taken between two samples can overshoot, and a
process that leaves both the session and the tree between samples (a double fork with
``setsid``) is not seen; a cgroup or PID namespace would close that. What the child prints goes
to an unnamed temporary file (stopped past ``OUTPUT_LIMIT``) of which only the end is read.
Where the kernel has Landlock the child writes nowhere but its scratch folder and a few devices
and reads neither the workspace nor the project's secrets. It returns what the child found; a
child stopped for time, memory or output is reported as such. Kernels without Landlock still
get every other limit (``SandboxReport.confined`` says which).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from opml_core.sandbox.watch import ProcessTree

CHILD = Path(__file__).with_name("child.py")
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "JAVA_HOME", "TZ")
RESULT = "result.json"
RESULT_LIMIT = 32 << 20  # the example's rows and probabilities fit well within this
OUTPUT_LIMIT = 16 << 20  # a child that prints more is stopped
TAIL_BYTES = 4096
POLL_S = 0.1  # how often the parent measures the child's tree
MIN_HEAP_MB = 512  # Spark's driver refuses a smaller heap
_STOPPED = {"time": "it did not finish within {timeout_s:g} s",
            "memory": "its processes held more than {memory_mb:,} MB of memory",
            "output": "it printed more than {output_mb} MB"}


@dataclass(frozen=True)
class SandboxReport:
    """What the child found: whether the model loaded and scored its example, and how it ran."""

    ok: bool
    step: str  # load | predict | probabilities | start | time | memory | output
    error: str | None
    pid: int | None
    confined: bool
    note: str | None = None
    records: list | None = None  # a Spark pipeline's input example, as records
    probabilities: list | None = None  # and what Spark gave each row (P of the second class)


def try_model(model_dir: Path, *, spark: bool, timeout_s: float, memory_mb: int) -> SandboxReport:
    """Load and try the model in ``model_dir`` in a limited child process."""
    scratch = Path(tempfile.mkdtemp(prefix="opml-sandbox-"))
    try:
        with tempfile.TemporaryFile(prefix="opml-sandbox-output-") as sink:  # no path to tamper with
            process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(CHILD), str(model_dir), str(scratch),
                 str(int(timeout_s) + 1), str(0 if spark else memory_mb)], cwd=scratch,
                env=_environment(scratch, memory_mb), stdin=subprocess.DEVNULL, stdout=sink,
                stderr=subprocess.STDOUT, start_new_session=True)
            tree = ProcessTree(process.pid)
            try:
                stopped = _watch(process, tree, timeout_s, memory_mb << 20, sink.fileno())
            finally:
                tree.kill()  # anything it left running, in its session or not
                process.wait()
            tail = _tail(sink.fileno())
        if stopped:
            return SandboxReport(False, stopped, _STOPPED[stopped].format(
                timeout_s=timeout_s, memory_mb=memory_mb, output_mb=OUTPUT_LIMIT >> 20), None, False)
        return _report(scratch, process.returncode, tail)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _environment(scratch: Path, memory_mb: int) -> dict:
    """Only what Python and Java need; home, temporary and Spark folders in the scratch folder;
    a Spark model's JVM heap at half the memory limit (the rest is Python and the JVM's own)."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    heap = max(memory_mb // 2, MIN_HEAP_MB)
    env.update(HOME=str(scratch), TMPDIR=str(scratch), PYTHONNOUSERSITE="1",
               SPARK_LOCAL_DIRS=str(scratch),
               _JAVA_OPTIONS=f"-Djava.io.tmpdir={scratch} -XX:-UsePerfData",
               PYSPARK_SUBMIT_ARGS=f"--driver-memory {heap}m pyspark-shell")
    return env


def _watch(process: subprocess.Popen, tree: ProcessTree, timeout_s: float, memory: int,
           output: int) -> str | None:
    """Wait for the child; the reason it had to be stopped (time, memory, output), or None."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            process.wait(timeout=POLL_S)
            return None
        except subprocess.TimeoutExpired:
            pass
        if tree.scan() > memory:
            return "memory"
        if os.fstat(output).st_size > OUTPUT_LIMIT:
            return "output"
        if time.monotonic() > deadline:
            return "time"


def _tail(output: int) -> str:
    """The last few KB the child printed (never the whole output: it may be huge)."""
    size = os.fstat(output).st_size
    return os.pread(output, TAIL_BYTES, max(size - TAIL_BYTES, 0)).decode("utf-8", "replace")


def _report(scratch: Path, returncode: int, tail: str) -> SandboxReport:
    found = _read_result(scratch / RESULT)
    if found is None:
        last = tail.strip().splitlines()[-3:]
        if "MemoryError" in " ".join(last):
            return SandboxReport(False, "memory", "it needed more memory than it may use", None, False)
        why = "it was killed" if returncode < 0 else \
            f"it stopped ({' '.join(last)[:300] or returncode})"
        return SandboxReport(False, "start", why, None, False)
    return SandboxReport(found["ok"], found["step"], found.get("error"), found.get("pid"),
                         found.get("confined", False), found.get("not_confined_because"),
                         found.get("records"), found.get("probabilities"))


def _read_result(path: Path) -> dict | None:
    """The child's result: a regular file of bounded size holding a JSON object, or None (the
    child wrote the scratch folder, so a link, a pipe or a huge file is not followed or read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as result:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > RESULT_LIMIT:
            return None
        try:
            found = json.loads(result.read(RESULT_LIMIT))
        except ValueError:
            return None
    return found if isinstance(found, dict) and "ok" in found and "step" in found else None


def confines_files() -> bool:
    """Whether this machine's kernel lets the sandbox keep a child from the workspace's files
    and from writing outside its scratch folder (Landlock)."""
    from opml_core.sandbox.child import landlock_abi

    return landlock_abi() >= 1


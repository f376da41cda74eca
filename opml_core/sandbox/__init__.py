"""Try an untrusted model in a separate, limited process: never in the app's.

``try_model(model_dir, spark=…)`` runs ``child.py`` with a scrubbed environment (no ``OPML_*``,
Azure, MLflow or other secrets: only what Python and Java need), its home, working and temporary
folders in a fresh scratch folder, a wall-clock deadline, CPU, file-size and memory limits (a
Spark model's JVM by its heap size, as address-space limits break the JVM), and, where the kernel has Landlock, no write outside the scratch folder
and no read of the workspace or the project's secrets. It returns what the child found; a child
that ran out of time or memory is reported as such. Kernels without Landlock still get every
other limit (``SandboxReport.confined`` says which).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHILD = Path(__file__).with_name("child.py")
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "JAVA_HOME", "TZ")


@dataclass(frozen=True)
class SandboxReport:
    """What the child found: whether the model loaded and scored its example, and how it ran."""

    ok: bool
    step: str  # load | predict | probabilities | start
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
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env.update(HOME=str(scratch), TMPDIR=str(scratch), PYTHONNOUSERSITE="1",
                   SPARK_LOCAL_DIRS=str(scratch),
                   _JAVA_OPTIONS=f"-Djava.io.tmpdir={scratch} -XX:-UsePerfData",
                   PYSPARK_SUBMIT_ARGS=f"--driver-memory {memory_mb}m pyspark-shell")
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", str(CHILD), str(model_dir), str(scratch),
             str(int(timeout_s) + 1), str(0 if spark else memory_mb)], cwd=scratch, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            return SandboxReport(False, "start", f"it did not finish within {timeout_s:g} s", None, False)
        _kill(process)  # anything it left running
        result = scratch / "result.json"
        if not result.is_file():
            tail = output.decode("utf-8", "replace").strip().splitlines()[-3:]
            why = "it ran out of memory or was killed" if process.returncode < 0 or "MemoryError" \
                in " ".join(tail) else f"it stopped ({' '.join(tail)[:300] or process.returncode})"
            return SandboxReport(False, "start", why, None, False)
        found = json.loads(result.read_text())
        return SandboxReport(found["ok"], found["step"], found.get("error"), found.get("pid"),
                             found.get("confined", False), found.get("not_confined_because"),
                             found.get("records"), found.get("probabilities"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def confines_files() -> bool:
    """Whether this machine's kernel lets the sandbox keep a child from the workspace's files
    and from writing outside its scratch folder (Landlock)."""
    from opml_core.sandbox.child import landlock_abi

    return landlock_abi() >= 1


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()

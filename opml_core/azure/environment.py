"""The Python environment that serves the Azure scoring package on this machine.

Azure ML runs the package in its own image with the package's pinned requirements, not in
opml's environment (whose pins differ: the inference server wants its own Flask, pydantic and
OpenTelemetry). ``ensure_environment`` builds the same environment here once, as a virtual
environment (``OPML_AZUREML_LOCAL_ENV``, default ``envs/azureml-<hash>`` in the workspace), and
reuses it while the requirements are unchanged. ``python -m opml_core.azure.environment PATH``
builds one from the command line (``make test`` does, for the tests).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from opml_core.config import Settings
from opml_core.errors import DeploymentError

MARKER = ".opml-environment.json"
INSTALL_TIMEOUT_S = 1800


def requirements_text() -> str:
    from opml_core.azure.package import ENTRY_DIR, REQUIREMENTS

    return (ENTRY_DIR / REQUIREMENTS).read_text()


def requirements_hash() -> str:
    return hashlib.sha256(requirements_text().encode()).hexdigest()[:12]


def environment_path(settings: Settings) -> Path:
    if settings.azureml_local_env:
        return Path(settings.azureml_local_env).expanduser().resolve()
    return settings.workspace.envs / f"azureml-{requirements_hash()}"


def python_of(env: Path) -> Path:
    return env / "bin" / "python"


def is_ready(env: Path) -> bool:
    try:
        marker = json.loads((env / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("requirements") == requirements_hash() and python_of(env).is_file()


def ensure_environment(settings: Settings, progress: Callable[[str], None] = lambda m: None) -> Path:
    """The environment's python, building the environment first if it is missing or stale."""
    return build_environment(environment_path(settings), progress)


def build_environment(env: Path, progress: Callable[[str], None] = lambda m: None) -> Path:
    if is_ready(env):
        return python_of(env)
    env.parent.mkdir(parents=True, exist_ok=True)
    with open(env.parent / f"{env.name}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time; a second caller waits, then reuses
        if is_ready(env):
            return python_of(env)
        started = time.monotonic()
        progress("Creating the Azure inference environment (once; a minute or two)")
        _run([sys.executable, "-m", "venv", "--clear", str(env)], "create a virtual environment")
        requirements = env / "requirements.txt"
        requirements.write_text(requirements_text())
        progress("Installing Azure ML's inference server and the scoring packages")
        _run([str(python_of(env)), "-m", "pip", "install", "--disable-pip-version-check", "-q",
              "-r", str(requirements)], "install the package's requirements")
        (env / MARKER).write_text(json.dumps({"requirements": requirements_hash(),
                                              "seconds": round(time.monotonic() - started, 1)}))
    return python_of(env)


def _run(argv: list[str], doing: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeploymentError(f"Could not {doing} for azureml-local ({exc}).") from exc
    if done.returncode != 0:
        raise DeploymentError(
            f"Could not {doing} for azureml-local: pip needs to reach PyPI once to build it. "
            "Check the network (or a proxy), then deploy again.",
            details=(done.stdout + done.stderr)[-4000:])


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None
    if target is None:
        sys.exit("usage: python -m opml_core.azure.environment PATH")
    print(build_environment(target, lambda m: print(m, file=sys.stderr)))

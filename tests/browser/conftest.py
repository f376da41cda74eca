"""A real app server on 127.0.0.1 and a real headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
READY_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def app_home(tmp_path_factory, mlflow_template) -> Path:
    """The browser app's workspace (with an MLflow store ready, so seeding it never races)."""
    from tests.conftest import make_settings

    home = tmp_path_factory.mktemp("browser-ws")
    make_settings(home, mlflow_template)
    return home


@contextmanager
def running_app(home: Path):
    """`streamlit run app.py` on a free loopback port with the given workspace; yields its URL."""
    port = free_port()
    env = {**os.environ, "OPML_HOME": str(home), "OPML_SPARK_MASTER": "local[2]"}
    log = open(home / f"streamlit-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/_stcore/health", READY_TIMEOUT_S, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(app_home):
    """The app shared by the browser tests."""
    with running_app(app_home) as url:
        yield url


@pytest.fixture
def page(tmp_path):
    """A fresh Chromium page (own user-data-dir) that closes after the test."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: run 'sudo apt-get install -y chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context.new_page()
        finally:
            context.close()
            shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)

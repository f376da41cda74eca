"""A newcomer's whole journey in a real browser, counted in clicks and seconds.

Starts the app on a fresh workspace (its embedded defaults: local Spark, SQLite MLflow, the
bundled data) on 127.0.0.1 and drives Debian's Chromium through prepare → train → deploy →
predict → simulate → monitor with the drift classifier, using only what the pages show by
default: no field is typed into. Every click a person would make counts (sidebar links
included). Screenshots of each step go to ``bench/out/journey/``.

Targets: at most 20 clicks and 4 minutes on 2 cores, with no error box on any page.
Last line: ``RESULT clicks=… seconds=… error_boxes=…``.

    .venv/bin/python bench/journey.py [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "journey"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SPARK_WORK_MS = 300_000
ERRORS = '[data-testid="stAlertContentError"], [data-testid="stException"]'
# Monitor's red status cards (an alert about the model) are not errors of the app
CARDS = ("Usage —", "Drift —", "Performance —", "Drift classifier —")


class Journey:
    """The browser page, with clicks counted and error boxes looked for after each step."""

    def __init__(self, page):
        self.page, self.clicks, self.error_boxes, self.step = page, 0, 0, 0

    def click(self, locator) -> None:
        locator.first.click()
        self.clicks += 1

    def nav(self, title: str) -> None:
        self.click(self.page.get_by_role("link", name=title, exact=True))

    def button(self, name: str) -> None:
        self.click(self.page.get_by_role("button", name=name, exact=True))

    def wait_for(self, text: str, timeout: int = SPARK_WORK_MS) -> None:
        from playwright.sync_api import expect

        expect(self.page.get_by_text(text).first).to_be_visible(timeout=timeout)

    def done(self, name: str) -> None:
        self.page.wait_for_timeout(800)  # let the page settle before judging it
        boxes = self.page.locator(ERRORS)
        errors = sum(1 for i in range(boxes.count())  # (its icon's name comes first in the text)
                     if not any(card in boxes.nth(i).inner_text()[:60] for card in CARDS))
        self.error_boxes += errors
        self.step += 1
        self.page.screenshot(path=str(OUT / f"{self.step:02d}-{name}.png"), full_page=True)
        print(f"{name:<10} clicks so far {self.clicks:>2}  error boxes {errors}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "OPML_HOME": str(home)}
    log = open(home / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the app did not start within 90 s; see streamlit.log in the workspace")


def walk(url: str) -> Journey:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 2400})  # tall, so screenshots hold whole steps
        page = context.new_page()
        journey = Journey(page)
        page.goto(url)
        journey.wait_for("Prepare data", 60_000)
        journey.nav("Prepare data")
        journey.button("Load data")
        journey.wait_for("Column to predict")
        journey.button("Create the tables")
        journey.wait_for("Created bank_train and bank_ops")
        journey.done("prepare")

        journey.click(page.get_by_role("link", name="Train a model on bank_train"))
        journey.button("Train and register")
        journey.wait_for("Registered opml-model version 1")
        journey.done("train")

        journey.nav("Deploy")
        journey.button("Deploy")
        journey.wait_for("is running at http://127.0.0.1:")
        journey.done("deploy")

        journey.nav("Predict")
        journey.wait_for("Prefilled from a random row", 60_000)
        journey.button("Predict")
        journey.wait_for("predicted:", 60_000)
        journey.done("predict")

        journey.click(page.get_by_role("tab", name="Simulate traffic"))
        journey.button("Simulate")
        journey.wait_for("standing for")  # the success line: "Sent 1,200 requests (…) standing for …"
        journey.done("simulate")

        journey.nav("Monitor")
        journey.wait_for("Deployment", 60_000)
        journey.click(page.get_by_text("Run the drift classifier"))
        journey.button("Collect new usage")
        journey.wait_for("Drift —")
        journey.click(page.get_by_role("tab", name="Drift classifier"))
        page.wait_for_timeout(1500)
        journey.done("monitor")
        context.close()
    return journey


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the workspace and print it")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is not installed: run 'sudo apt-get install -y chromium'.")
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    home = Path(tempfile.mkdtemp(prefix="opml-journey-"))
    process, url = start_app(home)
    started = time.perf_counter()
    try:
        journey = walk(url)
    finally:
        process.terminate()
        process.wait(timeout=30)
        from opml_core.config import load_settings
        from opml_core.deploy import all_deployments, get_target

        settings = load_settings(home=home)
        for info in all_deployments(settings):
            get_target(info.target, settings).delete(info.name)
        if args.keep:
            print(f"workspace kept at {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    seconds = time.perf_counter() - started
    print(f"clicks {journey.clicks} (target ≤ 20) · {seconds:.0f} s (target ≤ 240) · "
          f"error boxes {journey.error_boxes} (target 0) · screenshots in {OUT}")
    print(f"RESULT clicks={journey.clicks} seconds={seconds:.1f} error_boxes={journey.error_boxes}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

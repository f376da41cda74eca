"""Every page runs without an exception, empty workspace or not."""

import os
import subprocess
import sys

import pytest

from tests.app.conftest import open_page, texts
from tests.conftest import ROOT

PAGES = ["home", "prepare", "train", "deploy", "predict", "monitor", "settings"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_an_empty_workspace(settings, page):
    at = open_page(None if page == "home" else page)
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)


def test_the_train_page_invites_preparing_data_first(settings):
    at = open_page("train")
    assert "No training table yet" in texts(at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_prepared_tables(spark, settings, prepared, page):
    at = open_page(None if page == "home" else page)
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)


def _in_a_fresh_process(then: str, env: dict | None = None) -> str:
    """Run the app's home page in a new interpreter, then `then`; return what it printed."""
    script = ("from streamlit.testing.v1 import AppTest\n"
              "at = AppTest.from_file('app.py', default_timeout=60).run()\n"
              "import opml_core.spark as s, sys\n" + then)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_home_page_renders_without_starting_spark():
    printed = _in_a_fresh_process(
        "assert not at.exception, at.exception\n"
        "print(at.title[0].value, s.spark_is_running(), 'pyspark.sql' in sys.modules)\n")
    assert printed.endswith("False False")


def test_the_monitor_page_shows_its_empty_state_without_starting_spark(tmp_path):
    (tmp_path / "ws" / "usage" / "quiet").mkdir(parents=True)  # a deployment's (empty) usage
    printed = _in_a_fresh_process(
        "at.switch_page('app_pages/monitor.py').run()\n"
        "assert not at.exception, at.exception\n"
        "assert 'No usage collected for quiet yet' in ' '.join(i.value for i in at.info)\n"
        "print(s.spark_is_running())\n",
        env={**os.environ, "OPML_HOME": str(tmp_path / "ws")})
    assert printed.endswith("False")

"""Long work runs in a helper thread; a page rerun joins running work instead of repeating it."""

import threading

import pytest

from opml_core.ui.progress import job_for, run_with_progress


def test_a_rerun_joins_the_running_work_instead_of_starting_it_again():
    release, calls = threading.Event(), []

    def work(progress):
        calls.append(1)
        progress("waiting for the data")
        release.wait(10)
        return "done"

    first = job_for("report", "Work", work)
    again = job_for("report", "Work", work)
    release.set()
    first.thread.join(10)
    assert again is first and calls == [1]
    assert first.outcome["value"] == "done" and first.messages == ["waiting for the data"]


def test_finished_work_asked_for_again_runs_again():
    first = job_for("collect", "Work", lambda progress: 1)
    first.thread.join(10)
    second = job_for("collect", "Work", lambda progress: 2)
    second.thread.join(10)
    assert second is not first and second.outcome["value"] == 2


def test_work_without_a_key_is_never_shared():
    release = threading.Event()
    first = job_for(None, "Work", lambda progress: release.wait(10))
    second = job_for(None, "Work", lambda progress: release.wait(10))
    release.set()
    assert first is not second


def test_the_result_comes_back_and_an_error_is_raised_in_the_page():
    assert run_with_progress("Adding", lambda a, b, progress: a + b, 2, 3) == 5

    def failing(progress):
        progress("about to fail")
        raise ValueError("no such column")

    with pytest.raises(ValueError, match="no such column"):
        run_with_progress("Failing", failing, key="failing")

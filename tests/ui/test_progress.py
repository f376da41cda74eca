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

    first, joined_first = job_for("report", "Work", work)
    again, joined_again = job_for("report", "Work", work)
    release.set()
    first.thread.join(10)
    assert again is first and calls == [1] and (joined_first, joined_again) == (False, True)
    assert first.outcome["value"] == "done" and first.messages == ["waiting for the data"]


def test_finished_work_asked_for_again_runs_again():
    first, _ = job_for("collect", "Work", lambda progress: 1)
    first.thread.join(10)
    second, joined = job_for("collect", "Work", lambda progress: 2)
    assert not joined
    second.thread.join(10)
    assert second is not first and second.outcome["value"] == 2


def test_work_without_a_key_is_never_shared():
    release = threading.Event()
    first, _ = job_for(None, "Work", lambda progress: release.wait(10))
    second, _ = job_for(None, "Work", lambda progress: release.wait(10))
    release.set()
    assert first is not second


def test_the_result_comes_back_and_an_error_is_raised_in_the_page():
    assert run_with_progress("Adding", lambda a, b, progress: a + b, 2, 3) == 5

    def failing(progress):
        progress("about to fail")
        raise ValueError("no such column")

    with pytest.raises(ValueError, match="no such column"):
        run_with_progress("Failing", failing, key="failing")


def test_work_of_a_kind_is_found_running_in_its_workspace_only_while_it_runs():
    from opml_core.ui.progress import running

    release = threading.Event()
    job, _ = job_for(("train", "/ws/a", "spec"), "Training", lambda progress: release.wait(10))
    assert running("train", "/ws/a") is job
    assert running("train", "/ws/b") is None and running("prepare", "/ws/a") is None
    release.set()
    job.thread.join(10)
    assert running("train", "/ws/a") is None

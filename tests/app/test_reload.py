"""Work keeps its page: training started before a reload (or in another tab) is shown running."""

from opml_core.train import TrainSpec, train_and_log
from opml_core.ui.progress import job_for
from tests.app.conftest import open_page, texts


def test_a_page_opened_while_training_runs_shows_that_training_and_its_result(spark, settings,
                                                                                prepared):
    spec = TrainSpec("bank_train", params={"numTrees": 5, "maxDepth": 3})
    job, _ = job_for(("train", str(settings.home), "from another tab"), "Training", train_and_log,
                     spark, settings, spec)
    at = open_page("train")  # a fresh session: nothing in its state
    assert not at.exception and not at.error
    assert "Training started" in texts(at.info) and "is still running" in texts(at.info)
    assert not job.thread.is_alive()
    assert "opml-model · version 1" in texts(at.subheader)

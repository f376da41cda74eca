"""Each trained version's compiled scorer is checked against Spark when it is registered."""

import mlflow
import pytest

from opml_core.registry import list_versions
from opml_core.scoring.bundle import build_bundle
from opml_core.scoring.parity import (DIFF_METRIC, NOTE_TAG, ROWS_METRIC, SCORER_TAG, TOLERANCE,
                                      parity_caption)


def test_a_trained_version_keeps_its_measured_difference_and_serves_compiled(trained_settings, tmp_path):
    run_id = next(v.run_id for v in list_versions(trained_settings) if v.version == "1")
    diff = mlflow.MlflowClient().get_run(run_id).data.metrics[DIFF_METRIC]
    assert 0 <= diff <= TOLERANCE
    meta = build_bundle(trained_settings, "opml-model", "1", tmp_path / "bundle")
    assert meta.engine == "compiled" and meta.metrics[DIFF_METRIC] == diff
    rows = meta.metrics[ROWS_METRIC]  # the Deploy card says how many rows, not "up to"
    assert rows >= 1 and f"on {int(rows):,} of this version's rows" in parity_caption(diff, rows)


def test_a_version_marked_at_registration_scores_through_spark_with_the_reason(trained_settings,
                                                                              tmp_path):
    client = mlflow.MlflowClient()
    run_id = next(v.run_id for v in list_versions(trained_settings) if v.version == "1")
    note = "The fast scorer differed from Spark by up to 3.0e-06 on this model's training rows."
    client.set_tag(run_id, SCORER_TAG, "spark")
    client.set_tag(run_id, NOTE_TAG, note)
    try:
        meta = build_bundle(trained_settings, "opml-model", "1", tmp_path / "bundle")
        assert (meta.engine, meta.note) == ("spark", note)
    finally:
        client.delete_tag(run_id, SCORER_TAG)
        client.delete_tag(run_id, NOTE_TAG)


def test_a_compiler_failure_never_aborts_registration(spark, settings, prepared, monkeypatch):
    from opml_core.scoring import compile as compiler
    from opml_core.train import TrainSpec, train_and_log

    def broken(path):
        raise KeyError("labelsArray")  # a pipeline the compiler misreads

    monkeypatch.setattr(compiler, "compile_spark_model", broken)
    result = train_and_log(spark, settings, TrainSpec("bank_train", params={"numTrees": 5, "maxDepth": 3}))
    tags = mlflow.MlflowClient().get_run(result.run_id).data.tags
    assert result.version == "1" and tags[SCORER_TAG] == "spark"
    assert "could not read this pipeline (KeyError" in tags[NOTE_TAG]
    with pytest.raises(Exception):
        mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path="scorer/compiled.npz")


def test_parity_is_checked_on_a_seeded_random_sample_of_the_whole_table(spark):
    from opml_core.scoring.parity import parity_sample

    table = spark.range(10_000).repartition(3)
    drawn = [sorted(r.id for r in parity_sample(table, 200).collect()) for _ in range(2)]
    assert len(drawn[0]) == 200 and drawn[0] == drawn[1]  # the same rows each time
    assert max(drawn[0]) > 5_000 and drawn[0] != list(range(200))  # not the table's first rows


def test_the_deploy_caption_says_the_fast_scorer_matched_when_it_did():
    from opml_core.scoring.parity import parity_caption

    assert parity_caption(3e-12, 2000) == (
        "The fast scorer matched Spark to within 3e-12 on 2,000 of this version's rows (its "
        "training rows, or a submitted model's own example), checked when it was registered.")
    assert parity_caption(None, None) is None


@pytest.mark.parametrize("diff", [0.3, float("nan")])
def test_the_deploy_caption_says_the_version_scores_through_spark_when_the_fast_scorer_differed(diff):
    from opml_core.scoring.parity import parity_caption

    caption = parity_caption(diff, 40)
    assert caption.startswith("This version scores through Spark because the fast scorer "
                              f"differed from Spark by up to {diff:.1e} on 40 of its rows")
    assert "matched" not in caption

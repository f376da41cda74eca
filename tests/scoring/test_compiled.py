"""The compiled form: saved once, loaded without Spark, and honest about what it cannot do."""

import pytest

from opml_core.scoring.compile import UnsupportedStage, compile_spark_model
from opml_core.scoring.compiled import CompiledPipeline


@pytest.fixture(scope="module")
def saved_pipeline(spark, tmp_path_factory):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    rows = [(float(i % 7), ["a", "b", "c"][i % 3], float(i % 2)) for i in range(60)]
    frame = spark.createDataFrame(rows, "x double, c string, label double")
    model = Pipeline(stages=[
        StringIndexer(inputCol="c", outputCol="ci", handleInvalid="keep"),
        OneHotEncoder(inputCol="ci", outputCol="co", handleInvalid="keep"),
        VectorAssembler(inputCols=["x", "co"], outputCol="features"),
        RandomForestClassifier(numTrees=3, maxDepth=3, seed=1)]).fit(frame)
    path = tmp_path_factory.mktemp("pipeline") / "sparkml"
    model.write().save(str(path))
    return path


def test_single_column_stages_compile_and_round_trip(saved_pipeline, tmp_path):
    compiled = compile_spark_model(saved_pipeline)
    compiled.save(tmp_path / "compiled.npz")
    loaded = CompiledPipeline.load(tmp_path / "compiled.npz")
    columns = {"x": [1.0, 4.0], "c": ["a", "zzz"]}
    first, again = compiled.score(columns), loaded.score(columns)
    assert (first[0] == again[0]).all() and first[2] == {"c": 1}
    assert loaded.columns == ["x", "c"]


def test_an_indexer_without_an_unseen_bucket_refuses_new_categories(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import StringIndexer, VectorAssembler

    from opml_core.errors import ScoringError

    frame = spark.createDataFrame([("a", 0.0), ("b", 1.0)] * 10, "c string, label double")
    Pipeline(stages=[StringIndexer(inputCol="c", outputCol="ci"),  # handleInvalid="error"
                     VectorAssembler(inputCols=["ci"], outputCol="features"),
                     LogisticRegression()]).fit(frame).write().save(str(tmp_path / "sparkml"))
    compiled = compile_spark_model(tmp_path / "sparkml")
    assert len(compiled.score({"c": ["a", "b"]})[0]) == 2
    for values in (["z"], ["a", "z"]):
        with pytest.raises(ScoringError, match="'c' has a value this model was not trained on"):
            compiled.score({"c": values})


def test_an_unknown_stage_is_reported_not_guessed(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import Bucketizer, VectorAssembler

    frame = spark.createDataFrame([(float(i), float(i % 2)) for i in range(20)], "x double, label double")
    model = Pipeline(stages=[Bucketizer(splits=[-1e9, 5, 1e9], inputCol="x", outputCol="b"),
                             VectorAssembler(inputCols=["b"], outputCol="features"),
                             LogisticRegression()]).fit(frame)
    model.write().save(str(tmp_path / "sparkml"))
    with pytest.raises(UnsupportedStage, match="Bucketizer"):
        compile_spark_model(tmp_path / "sparkml")

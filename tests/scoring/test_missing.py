"""Which numeric inputs of a saved Spark pipeline have no imputer (read from its stages)."""

from pathlib import Path

from opml_core.scoring.missing import unimputed_numbers


def test_opmls_own_pipeline_imputes_every_number_through_its_casts(trained_settings):
    import mlflow

    from opml_core.registry import list_versions

    run_id = next(v.run_id for v in list_versions(trained_settings) if v.version == "1")
    folder = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model"))
    assert unimputed_numbers(folder / "sparkml", ["age", "campaign", "euribor3m"]) == set()


def test_a_pipeline_without_an_imputer_leaves_every_number_unimputed(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import Imputer, VectorAssembler

    frame = spark.createDataFrame([(float(i), float(i % 3), float(i % 2)) for i in range(20)],
                                  "x double, z double, label double")
    Pipeline(stages=[Imputer(inputCols=["z"], outputCols=["z_filled"]),
                     VectorAssembler(inputCols=["x", "z_filled"], outputCol="features"),
                     LogisticRegression(maxIter=3)]).fit(frame).save(str(tmp_path / "sparkml"))
    assert unimputed_numbers(tmp_path / "sparkml", ["x", "z"]) == {"x"}


def test_a_pipeline_opml_cannot_read_through_refuses_no_number(spark, tmp_path):
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import SQLTransformer, VectorAssembler

    frame = spark.createDataFrame([(float(i), float(i % 2)) for i in range(20)], "x double, label double")
    own_sql = SQLTransformer(statement="SELECT *, COALESCE(x, 0.0) AS x0 FROM __THIS__")
    assembler = VectorAssembler(inputCols=["x0"], outputCol="features")
    Pipeline(stages=[own_sql, assembler, LogisticRegression(maxIter=3)]).fit(frame).save(
        str(tmp_path / "sql"))
    Pipeline(stages=[Pipeline(stages=[assembler.copy().setInputCols(["x"])]),
                     LogisticRegression(maxIter=3)]).fit(frame).save(str(tmp_path / "nested"))
    keep = VectorAssembler(inputCols=["x"], outputCol="features", handleInvalid="keep")
    Pipeline(stages=[keep, LogisticRegression(maxIter=3)]).fit(frame).save(str(tmp_path / "keep"))
    for folder in ("sql", "nested", "keep"):
        assert unimputed_numbers(tmp_path / folder, ["x"]) == set(), folder

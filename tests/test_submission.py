"""Models submitted as zips are checked (MLmodel, signature, loads) before registering."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from opml_core.errors import TrainingError
from opml_core.registry import list_versions
from opml_core.submission import submit_model_zip


def zip_dir(folder: Path, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            archive.write(path, prefix + str(path.relative_to(folder)))
    return buffer.getvalue()


def pyfunc_dir(tmp_path: Path, signature: bool = True) -> Path:
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.models import infer_signature

    class Doubler(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input["x"] * 2

    example = pd.DataFrame({"x": [1.0, 2.0]})
    path = tmp_path / f"doubler-{signature}"
    mlflow.pyfunc.save_model(str(path), python_model=Doubler(),
                             signature=infer_signature(example, example["x"]) if signature else None,
                             input_example=example if signature else None)
    return path


def pyfunc_zip(tmp_path: Path, **kwargs) -> bytes:
    return zip_dir(pyfunc_dir(tmp_path, **kwargs), prefix="doubler/")


def test_a_valid_zipped_model_is_registered_as_a_new_version(settings, tmp_path):
    logged = submit_model_zip(settings, pyfunc_zip(tmp_path), "doubler.zip", "doubler")
    assert (logged.name, logged.version) == ("doubler", "1")
    import mlflow.pyfunc
    import pandas as pd

    assert list(mlflow.pyfunc.load_model(logged.model_uri).predict(pd.DataFrame({"x": [4.0]}))) == [8.0]


def test_a_spark_model_zip_is_checked_with_spark(spark, settings, prepared):
    import mlflow

    from opml_core.train import TrainSpec, train_and_log

    trained = train_and_log(spark, settings, TrainSpec("bank_train", params={"numTrees": 5}))
    folder = Path(mlflow.artifacts.download_artifacts(trained.model_uri))
    with pytest.raises(TrainingError, match="only be checked with Spark running"):
        submit_model_zip(settings, zip_dir(folder), "spark-model.zip")
    logged = submit_model_zip(settings, zip_dir(folder), "spark-model.zip",
                              spark_factory=lambda: spark)
    assert logged.version == "2"


@pytest.mark.parametrize("make,message", [
    (lambda tmp: b"this is not a zip", "is not a zip file"),
    (lambda tmp: _zip_of({"model/readme.txt": "no model here"}), "has no MLmodel file"),
    (lambda tmp: pyfunc_zip(tmp, signature=False), "has no signature"),
    (lambda tmp: _broken_pickle_zip(tmp), "failed to load"),
    (lambda tmp: _zip_of({"../escape/MLmodel": "flavors: {}"}), "unsafe path"),
])
def test_a_bad_zip_is_refused_with_a_reason_and_registers_nothing(settings, tmp_path, make, message):
    with pytest.raises(TrainingError, match=message):
        submit_model_zip(settings, make(tmp_path), "upload.zip")
    assert list_versions(settings) == []


def _zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _broken_pickle_zip(tmp_path: Path) -> bytes:
    folder = pyfunc_dir(tmp_path)
    for pickled in folder.rglob("*.pkl"):
        pickled.write_bytes(b"not a pickle")
    copy = tmp_path / "broken"
    shutil.copytree(folder, copy)
    return zip_dir(copy)

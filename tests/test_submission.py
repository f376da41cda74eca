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


def test_a_spark_model_zip_is_checked_in_its_own_process(spark, settings, prepared):
    import mlflow

    from opml_core.train import TrainSpec, train_and_log

    trained = train_and_log(spark, settings, TrainSpec("bank_train", params={"numTrees": 5}))
    folder = Path(mlflow.artifacts.download_artifacts(trained.model_uri))
    logged = submit_model_zip(settings, zip_dir(folder), "spark-model.zip")
    assert logged.version == "2"


@pytest.fixture
def spark_model_folder(spark, settings, prepared, tmp_path):
    import mlflow

    from opml_core.train import TrainSpec, train_and_log

    trained = train_and_log(spark, settings, TrainSpec("bank_train", params={"numTrees": 5}))
    folder = tmp_path / "submitted"
    shutil.copytree(mlflow.artifacts.download_artifacts(trained.model_uri), folder)
    return folder


def scorer_state(settings, logged):
    import mlflow

    from opml_core.scoring import parity
    from opml_core.tracking import connect

    run = connect(settings).get_run(logged.run_id)
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(logged.run_id, "scorer")]
    return run.data.tags.get(parity.SCORER_TAG), run.data.tags.get(parity.NOTE_TAG), \
        run.data.metrics, artifacts


def test_a_submitted_spark_pipeline_is_compiled_only_once_it_matches_spark_on_its_example(
        settings, spark_model_folder):
    logged = submit_model_zip(settings, zip_dir(spark_model_folder), "spark-model.zip")
    scorer, note, metrics, artifacts = scorer_state(settings, logged)
    assert scorer is None and note is None and artifacts == ["scorer/compiled.npz"]
    assert metrics["scorer_checked_rows"] >= 1 and metrics["scorer_max_diff"] <= 1e-9


def test_a_submitted_spark_pipeline_without_an_example_scores_through_spark(settings, spark_model_folder):
    import yaml

    mlmodel = spark_model_folder / "MLmodel"
    meta = yaml.safe_load(mlmodel.read_text())
    meta.pop("saved_input_example_info", None)
    mlmodel.write_text(yaml.safe_dump(meta))
    logged = submit_model_zip(settings, zip_dir(spark_model_folder), "no-example.zip")
    scorer, note, _, artifacts = scorer_state(settings, logged)
    assert scorer == "spark" and "no input example" in note and artifacts == []


def test_a_compiled_scorer_that_disagrees_with_spark_is_not_used(settings, spark_model_folder, monkeypatch):
    from opml_core.scoring import parity

    monkeypatch.setattr(parity, "example_difference", lambda compiled, records, p: (0.25, len(records)))
    logged = submit_model_zip(settings, zip_dir(spark_model_folder), "drifted.zip")
    scorer, note, metrics, artifacts = scorer_state(settings, logged)
    assert scorer == "spark" and "differed from Spark by up to 2.5e-01" in note and artifacts == []
    assert metrics["scorer_max_diff"] == 0.25


@pytest.mark.parametrize("make,message", [
    (lambda tmp: b"this is not a zip", "is not a zip file"),
    (lambda tmp: _zip_of({"model/readme.txt": "no model here"}), "has no MLmodel file"),
    (lambda tmp: pyfunc_zip(tmp, signature=False), "has no signature"),
    (lambda tmp: _broken_pickle_zip(tmp), "failed to load"),
    (lambda tmp: _zip_of({"../escape/MLmodel": "flavors: {}"}), "unsafe path"),
    (lambda tmp: _zip_of({"m/MLmodel": "flavors: [unclosed"}), "MLmodel file in upload.zip is not YAML"),
    (lambda tmp: _zip_of({"m/MLmodel": "just some words"}), "does not describe an MLflow model"),
    (lambda tmp: _bomb(), "zip bomb"),
    (lambda tmp: _zip_of({f"m/{n}.txt": "" for n in range(10_001)}), "holds 10,001 files"),
    (lambda tmp: _bad_crc(tmp), "is damaged"),
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


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m/MLmodel", "flavors: {}")
        archive.writestr("m/weights.bin", b"\0" * (64 << 20))  # 64 MB packed into ~64 KB
    return buffer.getvalue()


def _many_small_zero_entries(count: int) -> bytes:
    """Entries of exactly 1 MiB of zeros (about 1 KB each packed), built in memory: no single
    entry is over any per-entry threshold."""
    zeros = b"\0" * (1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m/MLmodel", "flavors: {}")
        for n in range(count):
            archive.writestr(f"m/shard-{n}.bin", zeros)
    return buffer.getvalue()


@pytest.fixture
def nothing_is_unpacked(monkeypatch):
    """Fail loudly (instead of writing gigabytes) if a refused archive reaches extraction."""
    def extractall(self, *args, **kwargs):
        raise AssertionError("the archive reached extraction")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", extractall)


def test_a_zip_bomb_of_many_small_entries_is_refused_before_anything_is_written(
        settings, nothing_is_unpacked):
    with pytest.raises(TrainingError, match=r"would unpack from [\d,]+ bytes to 536,870,923 "
                                            r"\(over 200× smaller packed, across its 513 files\)"
                                            ". That is a zip bomb"):
        submit_model_zip(settings, _many_small_zero_entries(512), "shards.zip")  # 512 MiB in ~0.6 MB
    assert list_versions(settings) == []


def test_two_gigabytes_of_small_entries_are_over_the_total_cap(settings, nothing_is_unpacked):
    with pytest.raises(TrainingError, match="unpacks to 2,048 MB; a submitted model may unpack to "
                                            "at most 1,024 MB"):
        submit_model_zip(settings, _many_small_zero_entries(2_048), "shards.zip")


def test_an_archive_over_the_total_unpacked_cap_is_refused_before_anything_is_written(
        settings, nothing_is_unpacked, monkeypatch):
    import os

    from opml_core import submission

    monkeypatch.setattr(submission, "MAX_UNZIPPED_MB", 1)
    incompressible = _zip_of({"m/MLmodel": "flavors: {}"})
    buffer = io.BytesIO(incompressible)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("m/weights.bin", os.urandom(2 << 20))
    with pytest.raises(TrainingError, match="unpacks to 2 MB; a submitted model may unpack to at "
                                            "most 1 MB. Zip only the model folder"):
        submit_model_zip(settings, buffer.getvalue(), "big.zip")


def _bad_crc(tmp_path: Path) -> bytes:
    data = bytearray(pyfunc_zip(tmp_path))
    marker = data.index(b"python_function")  # inside MLmodel's stored bytes
    data[marker] ^= 0xFF
    return bytes(data)


def test_an_upload_over_the_limit_is_refused_before_unpacking(settings):
    small = settings.model_copy(update={"max_upload_mb": 1})
    with pytest.raises(TrainingError, match="the limit is 1 MB"):
        submit_model_zip(small, b"\0" * (2 << 20), "big.zip")


def _loader_zip(tmp_path: Path, loader_body: str, spark_flavor: bool = False) -> bytes:
    """A valid-looking pyfunc model whose loader module, in its own code/ folder, runs
    ``loader_body`` (the body of ``_load_pyfunc(path)``) as it loads; optionally declaring a
    spark flavor too, as any MLmodel may."""
    import textwrap

    import yaml

    folder = pyfunc_dir(tmp_path)
    meta = yaml.safe_load((folder / "MLmodel").read_text())
    meta["flavors"]["python_function"].update(loader_module="evil", code="code")
    if spark_flavor:
        meta["flavors"]["spark"] = {"pyspark_version": "4.0.0", "model_data": "sparkml"}
    (folder / "MLmodel").write_text(yaml.safe_dump(meta))
    code = folder / "code"
    code.mkdir(exist_ok=True)
    (code / "evil.py").write_text("import os\nimport sys\n\n\ndef _load_pyfunc(path):\n"
                                  + textwrap.indent(textwrap.dedent(loader_body), "    "))
    return zip_dir(folder, prefix="evil/")


def _malicious_zip(tmp_path: Path, escape: Path, secret: Path, shared: Path) -> bytes:
    """A model whose loader reports the process it runs in, tries to write outside (a file
    beside the workspace and one in /dev/shm), to read a secret, and to write /dev/null."""
    return _loader_zip(tmp_path, f"""
        def attempt(action):
            try:
                action()
                return "yes"
            except OSError:
                return "no"

        wrote = attempt(lambda: open({str(escape)!r}, "w").write("escaped"))
        shm = attempt(lambda: open({str(shared)!r}, "w").write("escaped"))
        null = attempt(lambda: open("/dev/null", "w").write("fine"))
        read = attempt(lambda: open({str(secret)!r}).read())
        seen = sorted(k for k in os.environ if k.startswith(("OPML_", "AZURE_", "MLFLOW_TRACKING")))
        raise RuntimeError(f"pid={{os.getpid()}} wrote={{wrote}} shm={{shm}} null={{null}} "
                           f"read={{read}} env={{seen}}")
    """)


def test_a_submitted_models_code_never_runs_in_the_app_process(settings, tmp_path, monkeypatch):
    import os

    from opml_core.sandbox.child import confine

    escape, secret = tmp_path / "escaped.txt", tmp_path / "secrets.toml"
    shared = Path("/dev/shm") / f"opml-escape-{tmp_path.name}"
    secret.write_text("[opml]\nazure_client_secret = 'hush'\n")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "hush")
    try:
        with pytest.raises(TrainingError, match="failed to load: pid=") as caught:
            submit_model_zip(settings, _malicious_zip(tmp_path / "m", escape, secret, shared),
                             "evil.zip")
        shared_written = shared.exists()
    finally:
        shared.unlink(missing_ok=True)
    message = str(caught.value)
    pid = int(message.split("pid=")[1].split()[0])
    assert pid != os.getpid()  # its code ran, but in another process
    assert "env=[]" in message  # with none of the workspace's settings or secrets
    assert list_versions(settings) == []
    if "wrote=no" not in message:
        pytest.skip(f"this kernel cannot confine writes ({confine.__name__}: no Landlock)")
    assert "read=no" in message and not escape.exists()
    assert "shm=no" in message and not shared_written  # /dev is not a way out
    assert "null=yes" in message  # while the devices a program needs still work


def _hog(spark_flavor: bool):
    return lambda tmp: _loader_zip(tmp, """
        held = []
        for _ in range(60):  # 50 MB at a time, up to 3 GB: far past the limit
            held.append(b"x" * (50 << 20))
    """, spark_flavor)


@pytest.mark.parametrize("spark_flavor", [False, True], ids=["pyfunc", "declares-spark"])
def test_a_model_that_takes_too_much_memory_is_stopped_with_a_plain_message(
        settings, tmp_path, spark_flavor):
    limited = settings.model_copy(update={"submission_memory_mb": 700})
    with pytest.raises(TrainingError, match="was stopped while being tried: .*memory") as caught:
        submit_model_zip(limited, _hog(spark_flavor)(tmp_path), "hog.zip")
    assert "700 MB" in str(caught.value) and "OPML_SUBMISSION_MEMORY_MB" in str(caught.value)
    assert list_versions(settings) == []


def test_a_model_that_prints_without_end_is_stopped_and_its_output_not_kept(settings, tmp_path):
    from opml_core import sandbox

    noisy = _loader_zip(tmp_path, """
        line = "x" * (1 << 20) + "\\n"
        for _ in range(4096):  # 4 GB unless it is stopped
            sys.stdout.write(line)
            sys.stdout.flush()
    """)
    with pytest.raises(TrainingError, match=f"printed more than {sandbox.OUTPUT_LIMIT >> 20} MB"):
        submit_model_zip(settings, noisy, "noisy.zip")


@pytest.mark.parametrize("landlock,holds", [
    (True, "also keeps it from reading the workspace and from writing outside a temporary folder"),
    (False, "has no Landlock, so that process **can read and write whatever the account running "
            "opml can, the workspace included**"),
])
def test_the_train_pages_warning_says_what_holds_on_this_machine(settings, monkeypatch, landlock,
                                                                  holds):
    from opml_core import sandbox
    from opml_core.submission import trust_warning

    monkeypatch.setattr(sandbox, "confines_files", lambda: landlock)
    warning = trust_warning(settings)
    assert holds in warning and "never runs it in the app" in warning
    assert "Anyone who can open this app can submit one" in warning


def test_the_train_page_shows_the_warning_for_this_machine(settings):
    from opml_core.submission import trust_warning
    from tests.app.conftest import open_page, texts

    at = open_page("train")
    assert trust_warning(settings) in texts(at.warning)

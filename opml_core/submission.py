"""Models trained elsewhere, submitted from the browser as a zipped MLflow model directory.

A submitted model is untrusted code: its MLmodel may name a loader module of its own, its
pickles run code as they load. ``submit_model_zip`` checks the zip before unpacking it (its size,
entry count, total unpacked size and compression ratio, no path escaping it, intact entries),
reads the ``MLmodel`` file as data (YAML with a signature), then loads the model and scores its
own input example **in a separate, limited process** (``opml_core.sandbox``), never in the app's;
only then is it registered as a new version, exactly like a trained one. For a Spark pipeline the
sandbox also returns Spark's probabilities for that example, and the compiled scorer must match
them before deployments may use it (``scoring/parity.py``). Any failure says what is wrong and
registers nothing.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import yaml

from opml_core.access import BUILDER, require
from opml_core.config import Settings
from opml_core.errors import TrainingError
from opml_core.registry import LoggedModel, register_model_dir

MLMODEL = "MLmodel"
MAX_UNZIPPED_MB = 1024  # a model's files, all together; Spark pipelines and pickles stay far below
MAX_ENTRIES = 10_000
MAX_RATIO = 200  # unpacked size ÷ packed size, of one entry and of the whole archive
RATIO_FROM_BYTES = 1 << 20  # small entries (text, YAML) may compress better
ARCHIVE_RATIO_FROM_BYTES = 16 << 20  # and so may a small archive as a whole


def submit_model_zip(settings: Settings, data: bytes, filename: str,
                     name: str | None = None) -> LoggedModel:
    """Validate a zipped MLflow model and register it; raise TrainingError saying why not."""
    require(BUILDER, "submit a model")
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise TrainingError(f"{filename} is {len(data) / 2**20:,.0f} MB; the limit is "
                            f"{settings.max_upload_mb:,} MB (OPML_MAX_UPLOAD_MB).")
    with tempfile.TemporaryDirectory(prefix="opml-submitted-") as tmp:
        root = _extract(data, filename, Path(tmp))
        model_dir = _find_model_dir(root, filename)
        spark = _check_mlmodel(model_dir, filename)
        report = _try_isolated(settings, model_dir, filename, spark)
        example = (report.records, report.probabilities) if report.probabilities is not None else None
        return register_model_dir(settings, model_dir, name or settings.model_name, filename, example)


def trust_warning(settings: Settings) -> str:
    """What holds when someone submits a model, on this machine: for the Train page."""
    from opml_core.sandbox import confines_files

    files = ("this machine's kernel (Landlock) also keeps it from reading the workspace and "
             "from writing outside a temporary folder" if confines_files() else
             "this machine's kernel has no Landlock, so that process **can read and write "
             "whatever the account running opml can, the workspace included**")
    who = ("Builders and operators (OPML_BUILDERS, OPML_OPERATORS) can submit one"
           if settings.team_mode else "Anyone who can open this app can submit one")
    return ("**A submitted model runs its own code.** opml never runs it in the app: it tries it "
            "in a separate process with a time and memory limit and none of the workspace's "
            f"settings or secrets in its environment; {files}. Once deployed, it runs in its "
            "endpoint's process with the access of the account running that endpoint, like any "
            f"model. {who}: submit only models from people you trust.")


def _extract(data: bytes, filename: str, target: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise TrainingError(f"{filename} is not a zip file. Zip the MLflow model folder (the one "
                            "holding MLmodel) and upload the .zip.") from exc
    with archive:
        entries = archive.infolist()
        _check_entries(entries, filename)
        _check_archive(entries, len(data), filename)
        try:
            archive.extractall(target)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError) as exc:
            raise TrainingError(f"{filename} is damaged ({exc}); zip the model folder again and "
                                "upload the new file.") from exc
    return target


def _check_entries(entries: list[zipfile.ZipInfo], filename: str) -> None:
    if len(entries) > MAX_ENTRIES:
        raise TrainingError(f"{filename} holds {len(entries):,} files; a model has at most "
                            f"{MAX_ENTRIES:,}. Zip only the model folder.")
    for info in entries:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or ":" in info.filename.split("/")[0]:
            raise TrainingError(f"{filename} contains the unsafe path {info.filename!r}; "
                                "zip the model folder again without absolute paths.")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise TrainingError(
                f"{filename}: {info.filename!r} would unpack from {info.compress_size:,} bytes to "
                f"{info.file_size:,} (over {MAX_RATIO}× smaller packed). That is a zip bomb, not "
                "a model; zip the model folder as saved by MLflow.")


def _check_archive(entries: list[zipfile.ZipInfo], packed: int, filename: str) -> None:
    """The whole archive, before anything is written: its total unpacked size and how much
    smaller it is packed (many small entries of zeros pass any check of one entry)."""
    total = sum(info.file_size for info in entries)
    if total > MAX_UNZIPPED_MB << 20:
        raise TrainingError(f"{filename} unpacks to {total / 2**20:,.0f} MB; a submitted model may "
                            f"unpack to at most {MAX_UNZIPPED_MB:,} MB. Zip only the model folder "
                            "(no data or checkpoints beside it).")
    if total > ARCHIVE_RATIO_FROM_BYTES and total > MAX_RATIO * max(packed, 1):
        raise TrainingError(
            f"{filename} would unpack from {packed:,} bytes to {total:,} (over {MAX_RATIO}× "
            f"smaller packed, across its {len(entries):,} files). That is a zip bomb, not a "
            "model; zip the model folder as saved by MLflow.")


def _find_model_dir(root: Path, filename: str) -> Path:
    candidates = sorted(p.parent for p in root.rglob(MLMODEL) if "__MACOSX" not in p.parts)
    if not candidates:
        raise TrainingError(f"{filename} has no MLmodel file, so it is not an MLflow model. Zip "
                            "the folder written by mlflow.<flavor>.save_model (it holds MLmodel).")
    shallowest = min(candidates, key=lambda p: len(p.relative_to(root).parts))
    return shallowest


def _check_mlmodel(model_dir: Path, filename: str) -> bool:
    """Read MLmodel as data (no model code runs); True for a Spark model."""
    from mlflow.models import Model

    try:
        document = yaml.safe_load((model_dir / MLMODEL).read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TrainingError(f"The MLmodel file in {filename} is not YAML ({_first_line(exc)}). "
                            "Zip the folder that mlflow's save_model wrote, unchanged.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("flavors"), dict):
        raise TrainingError(f"The MLmodel file in {filename} does not describe an MLflow model "
                            "(it needs a 'flavors' section). Zip the folder that mlflow's "
                            "save_model wrote, unchanged.")
    try:
        meta = Model.load(str(model_dir / MLMODEL))
    except Exception as exc:
        raise TrainingError(f"The MLmodel file in {filename} cannot be read ({_first_line(exc)}). "
                            "Zip the folder that mlflow's save_model wrote, unchanged.") from exc
    if meta.signature is None:
        raise TrainingError(
            f"The model in {filename} has no signature, so opml cannot check or build inputs for "
            "it. Log it again with signature=mlflow.models.infer_signature(inputs, outputs).")
    return "spark" in meta.flavors


def _try_isolated(settings: Settings, model_dir: Path, filename: str, spark: bool):
    from opml_core.sandbox import try_model

    report = try_model(model_dir, spark=spark, timeout_s=settings.submission_timeout_s,
                       memory_mb=settings.submission_memory_mb)
    if report.ok:
        return report
    if report.step == "load":
        raise TrainingError(f"The model in {filename} failed to load: {report.error}. Check "
                            "that it was saved with packages installed here.")
    if report.step == "predict":
        raise TrainingError(f"The model in {filename} loads but fails on its own input "
                            f"example: {report.error}. Fix the model or its example and zip it "
                            "again.")
    if report.step == "probabilities":
        raise TrainingError(f"The Spark pipeline in {filename} predicts its input example but "
                            f"Spark could not give its probabilities: {report.error}. Check that "
                            "the pipeline ends in a classifier.")
    if report.step in ("memory", "time", "output"):
        raise TrainingError(f"The model in {filename} was stopped while being tried: "
                            f"{report.error}. Nothing was registered. A submitted model is tried "
                            f"in a separate process limited to {settings.submission_timeout_s:g} s "
                            f"and {settings.submission_memory_mb:,} MB for all its processes; an "
                            "operator can raise OPML_SUBMISSION_TIMEOUT_S or "
                            "OPML_SUBMISSION_MEMORY_MB if the model really needs more.")
    raise TrainingError(f"The model in {filename} could not be tried: {report.error}. A "
                        "submitted model is tried in a separate process limited to "
                        f"{settings.submission_timeout_s:g} s and {settings.submission_memory_mb:,} "
                        "MB (OPML_SUBMISSION_TIMEOUT_S, OPML_SUBMISSION_MEMORY_MB).")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__

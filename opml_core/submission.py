"""Models trained elsewhere, submitted from the browser as a zipped MLflow model directory.

``submit_model_zip`` checks the zip (a real zip, no paths escaping it, a bounded size), finds
the ``MLmodel`` file, requires a signature, loads the model (and scores its own input example
when it has one), and only then registers it as a new version, exactly like a trained one. Any
failure says what is wrong and registers nothing.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

from opml_core.config import Settings
from opml_core.errors import TrainingError
from opml_core.registry import LoggedModel, register_model_dir

MLMODEL = "MLmodel"
MAX_UNZIPPED_MB = 2048


def submit_model_zip(settings: Settings, data: bytes, filename: str, name: str | None = None,
                     spark_factory: Callable[[], object] | None = None) -> LoggedModel:
    """Validate a zipped MLflow model and register it; raise TrainingError saying why not.

    ``spark_factory`` starts Spark when the model is a Spark model (others never need it).
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = _extract(data, filename, Path(tmp))
        model_dir = _find_model_dir(root, filename)
        _check_model(model_dir, filename, spark_factory)
        return register_model_dir(settings, model_dir, name or settings.model_name, filename)


def _extract(data: bytes, filename: str, target: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise TrainingError(f"{filename} is not a zip file. Zip the MLflow model folder (the one "
                            "holding MLmodel) and upload the .zip.") from exc
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_UNZIPPED_MB * 1024 * 1024:
            raise TrainingError(f"{filename} unpacks to {total / 2**20:,.0f} MB; the limit is "
                                f"{MAX_UNZIPPED_MB:,} MB.")
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts:
                raise TrainingError(f"{filename} contains the unsafe path {info.filename!r}; "
                                    "zip the model folder again without absolute paths.")
        archive.extractall(target)
    return target


def _find_model_dir(root: Path, filename: str) -> Path:
    candidates = sorted(p.parent for p in root.rglob(MLMODEL) if "__MACOSX" not in p.parts)
    if not candidates:
        raise TrainingError(f"{filename} has no MLmodel file, so it is not an MLflow model. Zip "
                            "the folder written by mlflow.<flavor>.save_model (it holds MLmodel).")
    shallowest = min(candidates, key=lambda p: len(p.relative_to(root).parts))
    return shallowest


def _check_model(model_dir: Path, filename: str, spark_factory) -> None:
    import mlflow.pyfunc
    from mlflow.models import Model

    try:
        meta = Model.load(str(model_dir / MLMODEL))
    except Exception as exc:
        raise TrainingError(f"The MLmodel file in {filename} cannot be read ({exc}). Zip the folder "
                            "that mlflow's save_model wrote, unchanged.") from exc
    if meta.signature is None:
        raise TrainingError(
            f"The model in {filename} has no signature, so opml cannot check or build inputs for "
            "it. Log it again with signature=mlflow.models.infer_signature(inputs, outputs).")
    if "spark" in meta.flavors:
        if spark_factory is None:
            raise TrainingError("This is a Spark model; it can only be checked with Spark running. "
                                "Submit it on the Train page, which starts Spark.")
        spark_factory()
    try:
        loaded = mlflow.pyfunc.load_model(str(model_dir))
    except Exception as exc:
        raise TrainingError(f"The model in {filename} failed to load: {_first_line(exc)}. Check "
                            "that it was saved with packages installed here.") from exc
    example = _input_example(meta, model_dir)
    if example is not None:
        try:
            loaded.predict(example)
        except Exception as exc:
            raise TrainingError(f"The model in {filename} loads but fails on its own input "
                                f"example: {_first_line(exc)}. Fix the model or its example "
                                "and zip it again.") from exc


def _input_example(meta, model_dir: Path):
    try:
        return meta.load_input_example(str(model_dir))
    except Exception:
        return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__

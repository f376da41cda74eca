"""Model bundles: everything a server needs to score one registered version, in one folder.

``build_bundle`` resolves a version (or alias), picks the engine (the compiled pipeline when
every Spark stage is supported, else Spark itself; ``mlflow.pyfunc`` for other flavours), and
writes ``model.json`` (name, version, engine, classes, inputs with readable names and training
ranges, signature, training metrics, the decision threshold stored with the version) beside
``compiled.npz`` or a copy of the MLflow model. The compiled form is built once per version
and kept as an artifact of its run (``scorer/compiled.npz``), so redeploying never recompiles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from opml_core.config import Settings
from opml_core.errors import DeploymentError
from opml_core.scoring.compile import UnsupportedStage, compile_spark_model
from opml_core.scoring.compiled import CompiledPipeline
from opml_core.scoring.engines import BUNDLE_META, COMPILED_FILE, MODEL_DIR, BundleMeta
from opml_core.scoring.inputs import CATEGORICAL, NUMERIC, InputColumn, InputSchema

COMPILED_ARTIFACT = "scorer/compiled.npz"
SPARK_NOTE = ("This pipeline has a stage the fast scorer does not reproduce ({stage}), so it "
              "scores through Spark: exact, but about a second per request.")
PYFUNC_NOTE = ("This model is not a Spark pipeline; it scores through mlflow.pyfunc and returns "
               "labels without probabilities unless the model provides them.")
_NUMERIC_TYPES = {"double", "float", "long", "integer"}


def compile_and_log(model_dir: Path, run_id: str | None) -> CompiledPipeline:
    """Compile a Spark MLflow model folder and keep the result as an artifact of its run."""
    compiled = compile_spark_model(model_dir / "sparkml")
    log_compiled(compiled, run_id)
    return compiled


def log_compiled(compiled: CompiledPipeline, run_id: str | None) -> None:
    """Keep a compiled form as ``scorer/compiled.npz`` of its run."""
    import mlflow

    if run_id:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / COMPILED_FILE
            compiled.save(path)
            mlflow.MlflowClient().log_artifact(run_id, str(path), "scorer")


def resolve_version(settings: Settings, name: str, ref: str):
    """A registered version from its number or an alias (e.g. champion)."""
    from opml_core.tracking import connect

    client = connect(settings)
    try:
        if str(ref).isdigit():
            return client.get_model_version(name, str(ref))
        return client.get_model_version_by_alias(name, ref)
    except Exception as exc:
        raise DeploymentError(f"{name} has no version or alias {ref!r}. Pick one on the Train "
                              "page's Versions tab.") from exc


def build_bundle(settings: Settings, name: str, ref: str, target: Path) -> BundleMeta:
    """Write the bundle for ``name`` at version/alias ``ref`` into ``target`` (a new folder)."""
    import mlflow
    from mlflow.models import Model

    from opml_core.registry import decision_threshold, load_run_card

    version = resolve_version(settings, name, ref)
    target.mkdir(parents=True, exist_ok=False)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{version.version}",
                                                         dst_path=tmp))
        model = Model.load(str(local / "MLmodel"))
        card = load_run_card(settings, version.run_id) if version.run_id else None
        engine, note, compiled = _choose_engine(model, local, version.run_id)
        unimputed = _unimputed(engine, model, local)
        if compiled is not None:
            compiled.save(target / COMPILED_FILE)
        else:
            shutil.copytree(local, target / MODEL_DIR)
    meta = BundleMeta(
        name=name, version=str(version.version), run_id=version.run_id, engine=engine, note=note,
        positive_class=card.positive_class if card else None,
        negative_class=card.negative_class if card else None,
        inputs=_inputs(model, card, compiled, unimputed),
        target=card.display(card.target) if card else None,
        signature=model.signature.to_dict() if model.signature else {},
        metrics=_metrics(version.run_id), operations_table=card.sibling if card else None,
        threshold=decision_threshold(settings, version.run_id))
    (target / BUNDLE_META).write_text(meta.to_json(), "utf-8")
    return meta


def cached_bundle(settings: Settings, name: str, ref: str) -> Path:
    """A bundle for in-process scoring, built once per version under ``bundles/``."""
    version = resolve_version(settings, name, ref).version
    folder = settings.workspace.root / "bundles" / f"{name}-v{version}"
    if not (folder / BUNDLE_META).is_file():
        staging = folder.with_name(f".{folder.name}-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        build_bundle(settings, name, str(version), staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    return folder


def _choose_engine(model, local: Path, run_id: str | None):
    if "spark" not in model.flavors:
        return "pyfunc", PYFUNC_NOTE, None
    refused = _refused_compiled(run_id)
    if refused:  # parity checked at registration and failed, or the compiler could not read it
        return "spark", refused, None
    cached = _cached_compiled(run_id)
    if cached is not None:
        return "compiled", None, cached
    try:
        return "compiled", None, compile_and_log(local, run_id)
    except UnsupportedStage as exc:
        return "spark", SPARK_NOTE.format(stage=exc), None
    except Exception as exc:  # never a failed deployment for a pipeline Spark itself can score
        return "spark", (f"The fast scorer could not read this pipeline ({type(exc).__name__}), "
                         "so it scores through Spark: exact, but slower."), None


def _refused_compiled(run_id: str | None) -> str | None:
    """The note of a version marked at registration to score through Spark, if it is."""
    import mlflow

    from opml_core.scoring.parity import NOTE_TAG, SCORER_TAG

    if not run_id:
        return None
    try:
        tags = mlflow.MlflowClient().get_run(run_id).data.tags
    except Exception:
        return None
    return tags.get(NOTE_TAG, SPARK_NOTE.format(stage="?")) if tags.get(SCORER_TAG) == "spark" else None


def _cached_compiled(run_id: str | None) -> CompiledPipeline | None:
    import mlflow

    if not run_id:
        return None
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=COMPILED_ARTIFACT)
        return CompiledPipeline.load(Path(path))
    except Exception:
        return None


def _unimputed(engine: str, model, local: Path) -> set[str]:
    """For the Spark engine, the numeric inputs no Imputer covers (their missing values are
    refused like the compiled scorer's); nothing for the others."""
    if engine != "spark" or model.signature is None:
        return set()
    from opml_core.scoring.missing import unimputed_numbers

    numeric = [s["name"] for s in model.signature.inputs.to_dict() if s["type"] in _NUMERIC_TYPES]
    try:
        return unimputed_numbers(local / "sparkml", numeric)
    except Exception:  # stages opml cannot read: refuse nothing, Spark answers as it would
        return set()


def _inputs(model, card, compiled: CompiledPipeline | None, unimputed: set[str]) -> InputSchema:
    if compiled is not None:
        kinds = {b.column: NUMERIC if b.kind in ("numeric", "flag") else CATEGORICAL
                 for b in compiled.blocks}
        imputed = {b.column: b.surrogate for b in compiled.blocks if b.kind == "numeric"}
        refused = {c for c, value in imputed.items() if value is None}
        names = compiled.columns
    elif model.signature is not None:
        specs = model.signature.inputs.to_dict()
        kinds = {s["name"]: NUMERIC if s["type"] in _NUMERIC_TYPES else CATEGORICAL for s in specs}
        imputed, refused, names = {}, unimputed, [s["name"] for s in specs]
    else:
        raise DeploymentError("The model has no signature, so its inputs are unknown; register "
                              "it again with a signature.")
    if card is not None:  # the card's feature order is the one people know
        names = [f for f in card.features if f in kinds] + [n for n in names if n not in card.features]
    columns = []
    for name in names:
        ranges = card.ranges.get(name, {}) if card else {}
        columns.append(InputColumn(
            name=name, display=card.display(name) if card else name, kind=kinds[name],
            levels=tuple(card.levels.get(name, ())) if card else (),
            minimum=ranges.get("min"), maximum=ranges.get("max"), imputed=imputed.get(name),
            refuses_missing=name in refused))
    return InputSchema(tuple(columns))


def _metrics(run_id: str | None) -> dict:
    import mlflow

    if not run_id:
        return {}
    from opml_core.registry import HEADLINE_METRICS

    from opml_core.scoring.parity import DIFF_METRIC, ROWS_METRIC

    metrics = mlflow.MlflowClient().get_run(run_id).data.metrics
    kept = (*HEADLINE_METRICS, DIFF_METRIC, ROWS_METRIC)
    return {k: v for k, v in metrics.items() if k in kept}

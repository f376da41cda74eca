"""The MLflow connection: tracking store, experiment and run logging.

``connect(settings)`` points MLflow at the configured store (SQLite in the workspace by
default, any MLflow server otherwise) and makes sure the experiment exists, with its artifacts
inside the workspace when the store is the default one. ``pinned_requirements`` lists the exact
versions installed here, so logging a model never spends half a minute inferring them.
"""

from __future__ import annotations

import logging
from importlib import metadata

from opml_core.config import Settings
from opml_core.errors import TrainingError

PINNED_PACKAGES = ("mlflow", "pyspark", "pandas", "numpy", "pyarrow")
_CONNECTED: dict[str, str] = {}


def connect(settings: Settings):
    """Point MLflow at the settings' store and experiment; return an MlflowClient."""
    import mlflow
    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        settings.workspace.ensure()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if _CONNECTED.get(uri) != settings.mlflow_experiment:
        _ensure_experiment(settings, client)
        _CONNECTED[uri] = settings.mlflow_experiment
    mlflow.set_experiment(settings.mlflow_experiment)
    return client


def _ensure_experiment(settings: Settings, client) -> None:
    try:
        if client.get_experiment_by_name(settings.mlflow_experiment) is not None:
            return
        location = None
        if settings.mlflow_tracking_uri is None:
            location = settings.workspace.mlflow_artifacts.as_uri()
        client.create_experiment(settings.mlflow_experiment, artifact_location=location)
    except Exception as exc:
        raise TrainingError(
            f"MLflow at {settings.tracking_uri} could not be used ({exc}). Check "
            "OPML_MLFLOW_TRACKING_URI, or unset it to use the workspace's own store."
        ) from exc


def pinned_requirements() -> list[str]:
    """``package==version`` for the packages a Spark model needs, as installed here."""
    return [f"{name}=={metadata.version(name)}" for name in PINNED_PACKAGES]


def mlflow_ui_command(settings: Settings) -> str:
    """The shell command that opens the MLflow UI on the same store."""
    return f"mlflow ui --backend-store-uri {settings.tracking_uri} --port 5000"

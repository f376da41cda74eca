"""Which Spark and which MLflow the app uses, and a plain check of each.

``check_spark`` and ``check_mlflow`` answer the Settings page's *Test connection* buttons with
a ``Check``: whether it works, one sentence saying what was found or what to do, and the
version on the other side. They never raise: an unreachable host, a Spark Connect server
without PySpark's ``connect`` extra installed here, or a server whose version does not match
this client each get their own message.
"""

from __future__ import annotations

import importlib.util
import socket
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlparse

from opml_core.config import Settings

CONNECT_MODULES = ("grpc", "grpc_status", "google.protobuf", "zstandard")  # pyspark[connect]
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Check:
    """The outcome of one Test connection."""

    ok: bool
    message: str
    version: str | None = None


def spark_kind(master: str) -> str:
    if master.startswith("sc://"):
        return "Spark Connect"
    if master.startswith(("spark://", "k8s://", "yarn")):
        return "a Spark cluster"
    return "Spark on this machine"


def describe(settings: Settings) -> list[dict[str, str]]:
    """What the app is connected to, as rows for a table (no secrets: URLs lose their tokens)."""
    tracking = settings.tracking_uri
    shared = not tracking.startswith("sqlite:")
    spark = f"{spark_kind(settings.spark_master)} ({_without_secrets(settings.spark_master)})"
    return [
        {"": "Spark", "Value": spark, "Client version": f"PySpark {metadata.version('pyspark')}"},
        {"": "MLflow", "Value": (f"a shared server ({_without_secrets(tracking)})" if shared
                                 else "the workspace's own store (SQLite)"),
         "Client version": f"MLflow {metadata.version('mlflow')}"},
    ]


def check_spark(settings: Settings, session_factory=None) -> Check:
    """Reach the configured Spark and report its version (starts it if it is local)."""
    master = settings.spark_master
    if master.startswith("sc://"):
        missing = [m for m in CONNECT_MODULES if _missing(m)]
        if missing:
            return Check(False, "Spark Connect needs PySpark's connect extra, which is not "
                         f"installed here ({', '.join(missing)} missing): run "
                         f"pip install 'pyspark[connect]=={metadata.version('pyspark')}'.")
        reached = _reach(urlparse(master.replace("sc://", "http://", 1)), 15002)
        if reached:
            return Check(False, f"Spark Connect at {_without_secrets(master)} is unreachable "
                         f"({reached}). Check the host and port, and that the server is running.")
    elif master.startswith("spark://"):
        reached = _reach(urlparse(master.replace("spark://", "http://", 1)), 7077)
        if reached:
            return Check(False, f"The Spark master at {master} is unreachable ({reached}). "
                         "Check the host and port, and that the master is running.")
    try:
        from opml_core.spark import get_spark

        session = (session_factory or get_spark)(settings)
        version = session.version
    except Exception as exc:
        return Check(False, f"Spark did not answer: {_first_line(exc)}")
    client = metadata.version("pyspark")
    if version.split(".")[:2] != client.split(".")[:2]:
        return Check(False, f"Spark {version} answered, but this app has PySpark {client}: install "
                     f"pyspark=={version} here or connect to a Spark {client} cluster.", version)
    return Check(True, f"Connected to {spark_kind(master)}: Spark {version}.", version)


def check_mlflow(settings: Settings) -> Check:
    """Reach the tracking store and report the server's MLflow version."""
    uri = settings.tracking_uri
    client = metadata.version("mlflow")
    if uri.startswith("sqlite:"):
        return Check(True, f"The workspace's own MLflow store (SQLite), MLflow {client}.", client)
    if uri == "databricks" or uri.startswith("databricks"):
        return Check(True, "MLflow on Databricks: signed in with the Databricks CLI's profile or "
                     "DATABRICKS_HOST / DATABRICKS_TOKEN; not checked from here.")
    import requests

    base = uri.rstrip("/")
    try:
        health = requests.get(f"{base}/health", timeout=TIMEOUT_S)
        version = requests.get(f"{base}/version", timeout=TIMEOUT_S).text.strip()
    except requests.RequestException as exc:
        return Check(False, f"MLflow at {_without_secrets(uri)} is unreachable "
                     f"({_first_line(exc)}). Check OPML_MLFLOW_TRACKING_URI and that the server runs.")
    if health.status_code != 200:
        return Check(False, f"MLflow at {_without_secrets(uri)} answered {health.status_code} to "
                     "/health: is this an MLflow tracking server?")
    if version.split(".")[:1] != client.split(".")[:1]:
        return Check(False, f"The server runs MLflow {version}, this app MLflow {client}: use a "
                     f"server of MLflow {client.split('.')[0]}.x.", version)
    return Check(True, f"Connected to the MLflow server at {_without_secrets(uri)}: MLflow "
                 f"{version}.", version)


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def _reach(parsed, default_port: int) -> str | None:
    """None when a TCP connection opens, else why not."""
    host, port = parsed.hostname or "localhost", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_S):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


def _without_secrets(url: str) -> str:
    """A URL with any token, password or user dropped (Spark Connect URLs may carry ;token=…)."""
    head = url.split(";", 1)[0]
    parsed = urlparse(head)
    if parsed.password or parsed.username:
        secret = f"{parsed.username or ''}{':' + parsed.password if parsed.password else ''}@"
        head = head.replace(secret, "")
    return head


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]

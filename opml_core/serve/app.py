"""The REST endpoint: FastAPI routes that read the body and call pure functions.

``POST /score`` (Azure ML contract) and ``POST /invocations`` (MLflow contract) check the key,
parse the body (``scoring.payloads``), score (``scoring.engines``) and write one usage record
before answering. ``GET /health``, ``/ping`` and ``/version`` answer as MLflow's scoring server
does, so its ``ScoringServerClient`` works unchanged; ``GET /metadata`` describes the model and
``/docs`` serves the OpenAPI page. Bad input is a 400 naming the column and problem; the server
keeps serving.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from fastapi import FastAPI, Request, Response

from opml_core.errors import ScoringError
from opml_core.scoring.engines import load_scorer
from opml_core.scoring.payloads import parse_invocations, parse_score, response_body
from opml_core.serve.keys import KeyWatcher
from opml_core.serve.usage_log import UsageLog, now_iso

SERVER_FILE = "server.json"
BUNDLE_DIR = "bundle"
REQUEST_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
UNAUTHORIZED = ("Missing or invalid key: send 'Authorization: Bearer <key>' with the "
                "deployment's primary or secondary key (see the Deploy page).")
JSON_TYPE = "application/json"
log = logging.getLogger("opml.serve")


@dataclass(frozen=True)
class ServerConfig:
    """What one server process needs, written by the deployment target as ``server.json``."""

    deployment: str
    usage_dir: str
    max_payload_mb: float = 5.0
    max_rows: int = 10_000

    @classmethod
    def load(cls, folder: Path) -> "ServerConfig":
        return cls(**json.loads((folder / SERVER_FILE).read_text()))

    def save(self, folder: Path) -> None:
        (folder / SERVER_FILE).write_text(json.dumps(vars(self), indent=2))


def create_app(folder: Path) -> FastAPI:
    """The endpoint for the deployment whose files are in ``folder``."""
    config = ServerConfig.load(folder)
    scorer = load_scorer(folder / BUNDLE_DIR)
    meta = scorer.meta
    keys = KeyWatcher(folder)
    usage = UsageLog(Path(config.usage_dir), config.deployment)
    limit = int(config.max_payload_mb * 1024 * 1024)
    app = FastAPI(title=f"opml endpoint '{config.deployment}'",
                  description=f"{meta.name} version {meta.version} ({meta.engine} scorer)",
                  version=meta.version)

    async def read(request: Request) -> tuple[bytes, int]:
        """The body, unless its declared length is over the limit (then it is not read)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return b"", int(declared)
        body = await request.body()
        return body, len(body)

    def handle(request: Request, body: bytes, size: int, route: str) -> Response:
        started = time.perf_counter()
        request_id = _request_id(request.headers.get("x-request-id"))
        status, error, records, result, event = 200, None, None, None, None
        try:
            if not keys.keys.accepts(request.headers.get("authorization")):
                status, error = 401, UNAUTHORIZED
            elif size > limit:
                raise ScoringError(f"The body is {size / 2**20:.1f} MB; the limit is "
                                   f"{config.max_payload_mb:g} MB. Send smaller batches.")
            else:
                event = _event_time(request.headers.get("x-opml-event-time"))
                payload = parse_score(body) if route == "score" else \
                    parse_invocations(body, request.headers.get("content-type"))
                records = payload.records
                result = scorer.score_records(records, config.max_rows)
        except ScoringError as exc:
            status, error = 400, str(exc)
        except Exception:
            log.exception("request %s failed", request_id)
            status, error = 500, "The model failed on this request; the deployment log has details."
        latency = (time.perf_counter() - started) * 1000
        when = now_iso()
        usage.write({
            "request_id": request_id, "time": when, "event_time": event or when,
            "deployment": config.deployment, "model": meta.name, "version": meta.version,
            "route": route, "status": status, "latency_ms": round(latency, 3),
            "rows": len(records) if isinstance(records, list) else 0, "error": error,
            "warnings": result.warnings if result else [],
            "inputs": records if status != 401 else None,
            "outputs": result.predictions() if result else None})
        if result is None:
            document = {"error": error, "request_id": request_id}
        else:
            document = {"request_id": request_id, "model": meta.name, "version": meta.version,
                        "predictions": result.predictions(), "warnings": result.warnings}
        return Response(response_body(document), status_code=status, media_type=JSON_TYPE,
                        headers={"x-request-id": request_id})

    example = {"data": [{c.display: (c.levels[0] if c.levels else c.imputed or 0)
                         for c in meta.inputs.columns}]}
    body_doc = {"requestBody": {"content": {JSON_TYPE: {"example": example}}, "required": True}}

    @app.post("/score", openapi_extra=body_doc, summary="Score rows (Azure ML contract)")
    async def score(request: Request) -> Response:
        return handle(request, *(await read(request)), "score")

    @app.post("/invocations", summary="Score rows (MLflow contract: JSON or CSV)")
    async def invocations(request: Request) -> Response:
        return handle(request, *(await read(request)), "invocations")

    @app.get("/health", summary="Liveness and readiness")
    async def health() -> dict:
        return {"status": "ready", "deployment": config.deployment, "model": meta.name,
                "version": meta.version, "engine": meta.engine}

    @app.get("/ping", summary="MLflow-compatible liveness")
    async def ping() -> Response:
        return Response("\n", media_type=JSON_TYPE)

    @app.get("/version", summary="MLflow-compatible version")
    async def version() -> Response:
        return Response(metadata.version("mlflow"), media_type="text/plain")

    @app.get("/metadata", summary="The model behind this endpoint")
    async def describe(request: Request) -> Response:
        if not keys.keys.accepts(request.headers.get("authorization")):
            return Response(response_body({"error": UNAUTHORIZED}), 401, media_type=JSON_TYPE)
        return Response(response_body({
            "deployment": config.deployment, "model": meta.name, "version": meta.version,
            "engine": meta.engine, "note": meta.note, "target": meta.target,
            "classes": {"positive": meta.positive_class, "negative": meta.negative_class},
            "inputs": meta.inputs.to_dict(), "signature": meta.signature,
            "training_metrics": meta.metrics}), media_type=JSON_TYPE)

    app.state.usage = usage
    return app


def _request_id(given: str | None) -> str:
    if given and REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def _event_time(value: str | None) -> str | None:
    """The simulated time a request stands for (traffic simulation), checked."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScoringError(f"X-Opml-Event-Time {value!r} is not an ISO 8601 time.") from None
    return value

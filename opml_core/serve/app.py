"""The REST endpoint: routes that read the body and call one pure handler.

``POST /score`` (Azure ML contract) and ``POST /invocations`` (MLflow contract) check the key,
parse the body (``scoring.payloads``), score (``scoring.engines``) and write one usage record
before answering. ``GET /health``, ``/ping`` and ``/version`` answer as MLflow's scoring server
does, so its ``ScoringServerClient`` works unchanged; ``GET /metadata`` describes the model and
``/docs`` serves the OpenAPI page. Bad input is a 400 naming the column and problem; the server
keeps serving.

The two scoring routes are also served by ``FastPath``, a thin ASGI layer in front of FastAPI
that hands their bodies straight to ``Endpoint.handle``: the same handler the FastAPI routes
call, without the framework's per-request routing and middleware (a third of the time of a
one-row request). Everything else goes to FastAPI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fastapi import FastAPI, Request, Response

from opml_core.scoring.engines import load_scorer
from opml_core.scoring.payloads import response_body
from opml_core.serve.handler import TOO_BIG, UNAUTHORIZED, answer, too_big
from opml_core.serve.keys import KeyWatcher
from opml_core.serve.usage_log import UsageLog

SERVER_FILE = "server.json"
BUNDLE_DIR = "bundle"
JSON_TYPE = "application/json"
SCORING_ROUTES = {"/score": "score", "/invocations": "invocations"}


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


class Endpoint:
    """One deployment's scorer, keys and usage log, and the handler every scoring route uses."""

    def __init__(self, folder: Path):
        self.config = ServerConfig.load(folder)
        self.scorer = load_scorer(folder / BUNDLE_DIR)
        self.meta = self.scorer.meta
        self.keys = KeyWatcher(folder)
        self.usage = UsageLog(Path(self.config.usage_dir), self.config.deployment)
        self.usage.describe(self.meta)
        self.limit = int(self.config.max_payload_mb * 1024 * 1024)

    def handle(self, route: str, headers: dict[str, str], body: bytes, size: int) -> tuple[int, bytes, str]:
        """Answer one scoring request: (status, JSON body, request id). Never raises."""
        refused = None
        if not self.keys.keys.accepts(headers.get("authorization")):
            refused = (401, UNAUTHORIZED)
        elif size > self.limit:
            refused = (TOO_BIG, too_big(size, self.config.max_payload_mb))
        done = answer(self.scorer, route, headers, body, deployment=self.config.deployment,
                      max_rows=self.config.max_rows, refused=refused)
        self.usage.write(done.record)
        return done.status, done.body, done.request_id

    def authorized(self, header: str | None) -> bool:
        return self.keys.keys.accepts(header)


class FastPath:
    """ASGI: scoring POSTs go straight to ``Endpoint.handle``; the rest to the FastAPI app."""

    def __init__(self, app, endpoint: Endpoint):
        self.app, self.endpoint = app, endpoint

    async def __call__(self, scope, receive, send):
        route = SCORING_ROUTES.get(scope.get("path")) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.endpoint.limit:
            body, size = b"", int(declared)
        else:
            body, size = await read_body(receive, self.endpoint.limit)
        status, payload, request_id = self.endpoint.handle(route, headers, body, size)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
            (b"x-request-id", request_id.encode())]})
        await send({"type": "http.response.body", "body": payload})


async def read_body(receive, limit: int) -> tuple[bytes, int]:
    """The body and its size; past ``limit`` bytes the rest is counted but not kept."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            return (b"".join(chunks) if size <= limit else b""), size


def create_app(folder: Path) -> FastAPI:
    """The FastAPI app for the deployment in ``folder`` (docs, health, metadata and scoring)."""
    endpoint = Endpoint(folder)
    meta, config = endpoint.meta, endpoint.config
    app = FastAPI(title=f"opml endpoint '{config.deployment}'",
                  description=f"{meta.name} version {meta.version} ({meta.engine} scorer)",
                  version=meta.version)

    async def scoring(request: Request, route: str) -> Response:
        body, size = await read_body(request.receive, endpoint.limit)
        status, payload, request_id = endpoint.handle(route, dict(request.headers), body, size)
        return Response(payload, status_code=status, media_type=JSON_TYPE,
                        headers={"x-request-id": request_id})

    example = {"data": [{c.display: (c.levels[0] if c.levels else c.imputed or 0)
                         for c in meta.inputs.columns}]}
    body_doc = {"requestBody": {"content": {JSON_TYPE: {"example": example}}, "required": True}}

    @app.post("/score", openapi_extra=body_doc, summary="Score rows (Azure ML contract)")
    async def score(request: Request) -> Response:
        return await scoring(request, "score")

    @app.post("/invocations", summary="Score rows (MLflow contract: JSON or CSV)")
    async def invocations(request: Request) -> Response:
        return await scoring(request, "invocations")

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
        if not endpoint.authorized(request.headers.get("authorization")):
            return Response(response_body({"error": UNAUTHORIZED}), 401, media_type=JSON_TYPE)
        return Response(response_body({
            "deployment": config.deployment, "model": meta.name, "version": meta.version,
            "engine": meta.engine, "note": meta.note, "target": meta.target,
            "classes": {"positive": meta.positive_class, "negative": meta.negative_class},
            "inputs": meta.inputs.to_dict(), "signature": meta.signature,
            "training_metrics": meta.metrics}), media_type=JSON_TYPE)

    app.state.endpoint = endpoint
    return app


def create_asgi(folder: Path) -> FastPath:
    """What the server process runs: the fast path in front of the FastAPI app."""
    app = create_app(folder)
    return FastPath(app, app.state.endpoint)

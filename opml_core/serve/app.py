"""The REST endpoint: routes that read the body and call one pure handler.

``POST /score`` (Azure ML contract) and ``POST /invocations`` (MLflow contract) check the key,
parse the body (``scoring.payloads``), score (``scoring.engines``) and write one usage record
before answering. ``GET /health``, ``/ping`` and ``/version`` answer as MLflow's scoring server
does, so its ``ScoringServerClient`` works unchanged; ``GET /metadata`` describes the model;
``/docs`` and ``/openapi.json`` need the key too unless the deployment opens them. Bad input is
a 4xx naming the column and problem; the server keeps serving.

The scoring routes are served by ``FastPath``, a thin ASGI layer in front of FastAPI that checks
the key and the declared size from the headers *before* reading a byte of the body (a stranger's
request costs no memory and is answered at once, with the connection closed), reads the body
within a deadline, then scores a small request on the event loop (the one-row fast path) and
anything larger in the worker pool (``serve/pool.py``), answering 503 with ``Retry-After``
when that is full. Requests refused for want of a key are counted; only the first few each
minute are written to the usage log, the next one written says how many were not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from fastapi import FastAPI, Request, Response

from opml_core.scoring.engines import load_scorer
from opml_core.scoring.payloads import response_body
from opml_core.serve.handler import (EXPLAIN_HEADER, MODEL_FAULT, TOO_BIG, UNAUTHORIZED, answer,
                                    explain_query, too_big)
from opml_core.serve.keys import KeyWatcher
from opml_core.serve.openapi import describe_routes
from opml_core.serve.usage_log import UsageLog

SERVER_FILE = "server.json"
BUNDLE_DIR = "bundle"
JSON_TYPE = "application/json"
SCORING_ROUTES = {"/score": "score", "/invocations": "invocations"}
DOC_ROUTES = ("/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")
KEYLESS_RECORDED_PER_MINUTE = 10
BUSY = "Every scoring worker is busy and the queue is full; retry after a second."
NOT_RECORDED = "The endpoint could not write this request to its usage log; see the deployment log."
log = logging.getLogger("opml.serve")


@dataclass(frozen=True)
class ServerConfig:
    """What one server process needs, written by the deployment target as ``server.json``."""

    deployment: str
    usage_dir: str
    max_payload_mb: float = 5.0
    max_rows: int = 10_000
    workers: int = 2
    queue: int = 32
    max_connections: int = 256
    body_timeout_s: float = 10.0
    header_timeout_s: float = 10.0
    inline_bytes: int = 16_384
    open_docs: bool = False

    @classmethod
    def load(cls, folder: Path) -> "ServerConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        data = json.loads((folder / SERVER_FILE).read_text())
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, folder: Path) -> None:
        (folder / SERVER_FILE).write_text(json.dumps(vars(self), indent=2))


class KeylessCounter:
    """Counts requests refused for want of a key; says which to record (a few a minute)."""

    def __init__(self, per_minute: int = KEYLESS_RECORDED_PER_MINUTE):
        self.per_minute, self.total, self.unrecorded = per_minute, 0, 0
        self._minute, self._recorded = None, 0

    def record(self) -> int | None:
        """None: do not record this one; else how many went unrecorded before it."""
        self.total += 1
        minute = int(time.monotonic() // 60)
        if minute != self._minute:
            self._minute, self._recorded = minute, 0
        if self._recorded >= self.per_minute:
            self.unrecorded += 1
            return None
        self._recorded += 1
        skipped, self.unrecorded = self.unrecorded, 0
        return skipped


class Endpoint:
    """One deployment's scorer, keys and usage log, and the handler every scoring route uses."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = ServerConfig.load(folder)
        self.scorer = load_scorer(folder / BUNDLE_DIR)
        self.meta = self.scorer.meta
        self.keys = KeyWatcher(folder)
        self.usage = UsageLog(Path(self.config.usage_dir), self.config.deployment)
        self.usage.describe(self.meta)
        self.limit = int(self.config.max_payload_mb * 1024 * 1024)
        self.keyless = KeylessCounter()

    def before_body(self, headers: dict[str, str], declared: int | None) -> tuple[int, str] | None:
        """The refusal the headers alone decide (no key, declared too big), or None."""
        if not self.authorized(headers.get("authorization")):
            return 401, UNAUTHORIZED
        if declared is not None and declared > self.limit:
            return TOO_BIG, too_big(declared, self.config.max_payload_mb)
        return None

    def handle(self, route: str, headers: dict[str, str], body: bytes, size: int) -> tuple[int, bytes, str]:
        """Answer one request whose body is read: (status, JSON body, request id). Never raises."""
        refused = self.before_body(headers, size)
        if refused:
            return self.refuse(route, headers, refused)
        return self.score(route, headers, body)

    def score(self, route: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        done = answer(self.scorer, route, headers, body, deployment=self.config.deployment,
                      max_rows=self.config.max_rows)
        return self._recorded(done, done.record)

    def refuse(self, route: str, headers: dict[str, str], refused: tuple[int, str]) -> tuple[int, bytes, str]:
        """Answer without scoring (the body unread or dropped); keyless ones recorded a few a minute."""
        done = answer(self.scorer, route, headers, b"", deployment=self.config.deployment,
                      max_rows=self.config.max_rows, refused=refused)
        if refused[0] != 401:
            return self._recorded(done, done.record)
        skipped = self.keyless.record()
        if skipped is None:
            return done.status, done.body, done.request_id
        record = done.record if not skipped else {
            **done.record, "error": f"{done.record['error']} ({skipped:,} more refused without a "
                                    "key since the last one recorded)"}
        return self._recorded(done, record)

    def _recorded(self, done, record: dict) -> tuple[int, bytes, str]:
        try:
            self.usage.write(record)
        except OSError:
            log.exception("request %s could not be written to the usage log", done.request_id)
            return 503, response_body({"error": NOT_RECORDED, "request_id": done.request_id}), \
                done.request_id
        return done.status, done.body, done.request_id

    def authorized(self, header: str | None) -> bool:
        return self.keys.keys.accepts(header)


class FastPath:
    """ASGI: scoring POSTs go straight to the endpoint; docs need the key; the rest to FastAPI."""

    def __init__(self, app, endpoint: Endpoint, pool=None):
        self.app, self.endpoint, self.pool = app, endpoint, pool

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path")
        route = SCORING_ROUTES.get(path)
        if route is None or scope["method"] != "POST":
            if path in DOC_ROUTES and not self.endpoint.config.open_docs and \
                    not self.endpoint.authorized(_header(scope, b"authorization")):
                return await _send(send, 401, response_body({"error": UNAUTHORIZED}), None, close=True)
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        asked = explain_query(scope.get("query_string", b"").decode("latin-1"))
        if asked is not None:
            headers[EXPLAIN_HEADER] = asked
        declared = headers.get("content-length", "")
        refused = self.endpoint.before_body(headers, int(declared) if declared.isdigit() else None)
        if refused:
            return await _send(send, *self.endpoint.refuse(route, headers, refused), close=True)
        try:
            async with asyncio.timeout(self.endpoint.config.body_timeout_s):
                body, size = await read_body(receive, self.endpoint.limit)
        except TimeoutError:
            late = (408, f"The body did not arrive within {self.endpoint.config.body_timeout_s:g} s; "
                         "send it whole and promptly.")
            return await _send(send, *self.endpoint.refuse(route, headers, late), close=True)
        if body is None:
            return  # the client went away: nothing to answer
        if size > self.endpoint.limit:
            refused = (TOO_BIG, too_big(size, self.endpoint.config.max_payload_mb))
            return await _send(send, *self.endpoint.refuse(route, headers, refused), close=True)
        await _send(send, *await self._score(route, headers, body))

    async def _score(self, route, headers, body) -> tuple[int, bytes, str]:
        inline = self.endpoint.meta.engine == "compiled" and len(body) <= self.endpoint.config.inline_bytes
        if self.pool is None or inline:
            return self.endpoint.score(route, headers, body)
        from opml_core.serve.pool import PoolFull

        try:
            return await self.pool.run(route, headers, body)
        except PoolFull:
            status, payload, request_id = self.endpoint.refuse(route, headers, (503, BUSY))
            return status, payload, request_id, {b"retry-after": b"1"}
        except Exception:
            log.exception("a scoring worker failed")
            return self.endpoint.refuse(route, headers, (500, MODEL_FAULT))


async def _send(send, status: int, payload: bytes, request_id: str | None,
                extra: dict | None = None, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if request_id:
        headers.append((b"x-request-id", request_id.encode()))
    headers += list((extra or {}).items())
    if close:  # the body was not read: end the connection rather than drain it
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def read_body(receive, limit: int) -> tuple[bytes | None, int]:
    """The body and its size; past ``limit`` bytes the rest is counted but not kept. None when
    the client disconnected before sending it all."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, size
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            return (b"".join(chunks) if size <= limit else b""), size


def create_app(folder: Path, endpoint: Endpoint | None = None) -> FastAPI:
    """The FastAPI app for the deployment in ``folder`` (docs, health, metadata and scoring)."""
    endpoint = endpoint or Endpoint(folder)
    meta, config = endpoint.meta, endpoint.config
    app = FastAPI(title=f"opml endpoint '{config.deployment}'",
                  description=f"{meta.name} version {meta.version} ({meta.engine} scorer)",
                  version=meta.version)
    score_doc, invocations_doc = describe_routes(meta, config)

    async def scoring(request: Request, route: str) -> Response:
        # Reached only when FastPath is not in front (it serves these routes itself).
        body, size = await read_body(request.receive, endpoint.limit)
        headers = dict(request.headers)
        if "explain" in request.query_params:
            headers[EXPLAIN_HEADER] = request.query_params["explain"]
        status, payload, request_id = endpoint.handle(route, headers, body or b"", size)
        return Response(payload, status_code=status, media_type=JSON_TYPE,
                        headers={"x-request-id": request_id})

    @app.post("/score", openapi_extra=score_doc, summary="Score rows (Azure ML contract)")
    async def score(request: Request) -> Response:
        return await scoring(request, "score")

    @app.post("/invocations", openapi_extra=invocations_doc,
              summary="Score rows (MLflow contract: JSON or CSV)")
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

    @app.get("/metadata", summary="The model behind this endpoint",
             responses={401: {"description": "No key or a wrong key"}})
    async def describe(request: Request) -> Response:
        if not endpoint.authorized(request.headers.get("authorization")):
            return Response(response_body({"error": UNAUTHORIZED}), 401, media_type=JSON_TYPE)
        return Response(response_body({
            "deployment": config.deployment, "model": meta.name, "version": meta.version,
            "engine": meta.engine, "note": meta.note, "target": meta.target,
            "classes": {"positive": meta.positive_class, "negative": meta.negative_class},
            "inputs": meta.inputs.to_dict(), "signature": meta.signature,
            "training_metrics": meta.metrics,
            "refused_without_key": endpoint.keyless.total}), media_type=JSON_TYPE)

    app.state.endpoint = endpoint
    return app


def create_asgi(folder: Path) -> FastPath:
    """What the server process runs: the fast path (with its worker pool) in front of FastAPI."""
    from opml_core.serve.pool import ScoringPool

    endpoint = Endpoint(folder)
    pool = ScoringPool(folder, endpoint, endpoint.config.workers, endpoint.config.queue)
    return FastPath(create_app(folder, endpoint), endpoint, pool)

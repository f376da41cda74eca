"""The REST endpoint: routes that read the body and call one pure handler.

``POST /score`` (Azure ML contract) and ``POST /invocations`` (MLflow contract) check the key,
parse the body (``scoring.payloads``), score (``scoring.engines``) and write one usage record
before answering. ``GET /health``, ``/ping`` and ``/version`` answer as MLflow's scoring server
does, so its ``ScoringServerClient`` works unchanged; ``GET /metadata`` describes the model;
``/docs`` and ``/openapi.json`` need the key too unless the deployment opens them. Bad input is
a 4xx naming the column and problem; the server keeps serving.

The scoring routes are served by ``FastPath`` (``serve/fastpath.py``), a thin ASGI layer in front
of FastAPI that checks the key and the declared size from the headers *before* reading a byte of
the body (a stranger's request costs no memory and is answered at once, with the connection
closed), reads the body within a deadline, then scores a small request on the event loop (the
one-row fast path) and anything larger in the worker pool (``serve/pool.py``), answering 503
with ``Retry-After`` when that is full. Requests refused for want of a key are counted; only the
first few each minute are written to the usage log, the next one written says how many were not.
"""

from __future__ import annotations

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
from opml_core.serve.fastpath import JSON_TYPE, FastPath, read_body
from opml_core.serve.handler import EXPLAIN_HEADER, TOO_BIG, UNAUTHORIZED, answer, too_big
from opml_core.serve.keys import KeyWatcher
from opml_core.serve.openapi import describe_routes
from opml_core.serve.usage_log import UsageLog

SERVER_FILE = "server.json"
BUNDLE_DIR = "bundle"
KEYLESS_RECORDED_PER_MINUTE = 10
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

"""The endpoint's ASGI front: scoring requests served straight, everything else to FastAPI.

``FastPath`` checks the key and the declared size from the headers before reading a body, reads
it within a deadline, then scores small compiled requests on the event loop and the rest in the
worker pool (503 with ``Retry-After`` when it is full). Documentation routes need the key unless
the deployment opens them; every other route goes to the FastAPI app (``serve/app.py``).
"""

from __future__ import annotations

import asyncio
import logging

from opml_core.scoring.payloads import response_body
from opml_core.serve.handler import (EXPLAIN_HEADER, MODEL_FAULT, TOO_BIG, UNAUTHORIZED, explain_query,
                                    too_big)

log = logging.getLogger("opml.serve")
JSON_TYPE = "application/json"
SCORING_ROUTES = {"/score": "score", "/invocations": "invocations"}
DOC_ROUTES = ("/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc")
BUSY = "Every scoring worker is busy and the queue is full; retry after a second."


class FastPath:
    """ASGI: scoring POSTs go straight to the endpoint; docs need the key; the rest to FastAPI."""

    def __init__(self, app, endpoint, pool=None):  # endpoint: serve.app.Endpoint
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

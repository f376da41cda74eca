"""A small client for opml endpoints (and any Azure ML-style ``/score`` endpoint).

Used by the Predict page, the CLI and the traffic simulator; one ``requests.Session`` keeps
connections open between calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from opml_core.errors import DeploymentError
from opml_core.scoring.payloads import JSON, score_body


@dataclass(frozen=True)
class EndpointResponse:
    """What the endpoint answered: status, JSON document, round-trip time, request id."""

    status: int
    document: dict
    latency_ms: float
    request_id: str | None
    request_body: bytes


class EndpointClient:
    def __init__(self, scoring_uri: str, key: str | None = None, timeout: float = 60.0):
        self.scoring_uri = scoring_uri
        self.base = scoring_uri.rsplit("/", 1)[0]
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Content-Type"] = JSON
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def score(self, records: list[dict], *, event_time: str | None = None,
              request_id: str | None = None, explain: bool = False) -> EndpointResponse:
        body = score_body(records, explain=explain)
        headers = {}
        if event_time:
            headers["X-Opml-Event-Time"] = event_time
        if request_id:
            headers["X-Request-Id"] = request_id
        started = time.perf_counter()
        try:
            response = self.session.post(self.scoring_uri, data=body, headers=headers,
                                         timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeploymentError(f"The endpoint {self.scoring_uri} did not answer ({exc}). Is the "
                                  "deployment running?") from exc
        latency = (time.perf_counter() - started) * 1000
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            document = {"error": response.text[:500]}
        request_id = document.get("request_id") if isinstance(document, dict) else None
        return EndpointResponse(response.status_code, document, latency,
                                request_id or response.headers.get("x-request-id"), body)

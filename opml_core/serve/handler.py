"""The scoring handler every endpoint shares: a request in, a status, a body and a usage record out.

The local endpoint (``serve/app.py``) and the Azure entry script (``azure/entry/score.py``) both
call ``answer``, so they read the same payloads (``scoring.payloads``), give the same response
bodies and the same messages for bad input, and describe each request with the same usage
record. What differs stays with the caller: the local endpoint checks keys and body size and
appends the record to its usage log; the entry script prints it, where Azure collects it.

This module is part of the Azure scoring package, so it imports only numpy-side scoring code
and the standard library.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from opml_core.errors import ScoringError
from opml_core.scoring.payloads import parse_invocations, parse_score, response_body

REQUEST_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
EVENT_TIME_HEADER = "x-opml-event-time"
EXPLAIN_HEADER = "x-opml-explain"  # set from ?explain=true by the servers, or sent by a client
TOO_BIG = 413
MODEL_FAULT = "The model failed on this request; the deployment log has details."
UNAUTHORIZED = ("Missing or invalid key: send 'Authorization: Bearer <key>' with the "
                "deployment's primary or secondary key (see the Deploy page).")
log = logging.getLogger("opml.serve")


@dataclass(frozen=True)
class Answer:
    """One request's outcome: HTTP status, JSON body, the server's request id, its usage record."""

    status: int
    body: bytes
    request_id: str
    record: dict


def answer(scorer, route: str, headers: dict[str, str], body: bytes, *, deployment: str,
           max_rows: int, refused: tuple[int, str] | None = None) -> Answer:
    """Score one request (``route`` is "score" or "invocations"); never raises.

    ``headers`` have lower-case names. ``refused`` is a (status, message) the caller already
    decided on (no key, too big): the body is then not read and the record keeps no inputs.
    """
    started = time.perf_counter()
    request_id = new_request_id()
    meta = scorer.meta
    records = result = event = None
    status, error = refused or (200, None)
    if refused is None:
        try:
            event = event_time(headers.get(EVENT_TIME_HEADER))
            payload = parse_score(body) if route == "score" else \
                parse_invocations(body, headers.get("content-type"))
            records = payload.records
            explain = payload.explain or wants_explanation(headers.get(EXPLAIN_HEADER))
            result = scorer.score_records(records, max_rows, explain=explain)
        except ScoringError as exc:
            status, error = 400, str(exc)
        except Exception:
            log.exception("request %s failed", request_id)
            status, error = 500, MODEL_FAULT
    when = now_iso()
    predictions = result.predictions() if result else None
    warnings = result.warnings if result else []
    record = {
        "request_id": request_id, "client_request_id": client_id(headers.get("x-request-id")),
        "time": when, "event_time": event or when, "deployment": deployment, "model": meta.name,
        "version": meta.version, "route": route, "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        "rows": len(records) if isinstance(records, list) else 0, "error": error,
        "warnings": warnings, "extra_fields": _has_extra_fields(records, meta.inputs) if result else None,
        "inputs": records if refused is None else None, "outputs": predictions}
    if result is None:
        document = {"error": error, "request_id": request_id}
    else:
        document = {"request_id": request_id, "model": meta.name, "version": meta.version,
                    "predictions": predictions, "warnings": warnings}
    return Answer(status, response_body(document), request_id, record)


def _has_extra_fields(records: list[dict], schema) -> bool:
    """Whether any row holds a field the model does not use (collect then keeps it in ``extra``)."""
    known = schema.aliases.keys()
    return not all(row.keys() <= known for row in records)


def wants_explanation(value: str | None) -> bool:
    """``?explain=…`` or the X-Opml-Explain header: true/1/yes asks for contributions."""
    if value is None or value.strip().lower() in ("", "false", "0", "no"):
        return False
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    raise ScoringError(f"explain={value[:32]!r} is not understood; use explain=true or leave it out.")


def explain_query(query: str) -> str | None:
    """The ``explain`` value of a URL query string, if any."""
    if "explain" not in query:  # most requests have no query at all
        return None
    from urllib.parse import parse_qs

    values = parse_qs(query, keep_blank_values=True).get("explain")
    return values[-1] if values else None


def too_big(size: int, limit_mb: float) -> str:
    """The message for a body over the limit."""
    return (f"The body is {size / 2**20:.1f} MB; the limit is {limit_mb:g} MB. "
            "Send smaller batches.")


_ID_PREFIX = secrets.token_hex(8)  # random per process, so ids stay unique across restarts
_ID_COUNTER = itertools.count()


def new_request_id() -> str:
    """Always the server's own: clients' ids are kept apart, so they can never collide."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def client_id(given: str | None) -> str | None:
    return given if given and REQUEST_ID.match(given) else None


def event_time(value: str | None) -> str | None:
    """The simulated time a request stands for, as UTC ISO 8601 (no offset means UTC)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        utc = parsed.astimezone(timezone.utc)
    except ValueError:
        raise ScoringError(f"X-Opml-Event-Time {value[:64]!r} is not an ISO 8601 time such as "
                           "2026-01-15T10:00:00Z.") from None
    except OverflowError:
        raise ScoringError(f"X-Opml-Event-Time {value[:64]!r} falls outside the calendar once "
                           "moved to UTC; send a time between years 1 and 9999.") from None
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_SECOND: list = [None, ""]  # the last whole second formatted, reused within that second


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds (cheap: one format per second)."""
    now = time.time()
    second = int(now)
    if second != _SECOND[0]:
        _SECOND[0], _SECOND[1] = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{_SECOND[1]}.{int((now - second) * 1000):03d}Z"

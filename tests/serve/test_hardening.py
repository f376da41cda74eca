"""An endpoint no stranger can exhaust, over real sockets on 127.0.0.1: the key is checked from
the headers before the body is read, bodies and headers have deadlines, a full worker pool
answers 503 with Retry-After, keyless refusals are counted rather than each logged, and what the
endpoint keeps on disk is its owner's only."""

import socket
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from opml_core.deploy import get_target
from opml_core.scoring.payloads import score_body
from tests.serve.conftest import bank_row

BIG = 4_900_000


@pytest.fixture(scope="module")
def tight(trained_settings):
    """(target, info, keys) of a deployment with one worker, no queue and 1 s deadlines."""
    settings = trained_settings.model_copy(update={
        "serve_workers": 1, "serve_queue": 0, "serve_body_timeout_s": 1.0,
        "serve_header_timeout_s": 1.0})
    target = get_target("local", settings)
    info = target.deploy("bank-tight", "opml-model", "champion")
    yield target, info, target.keys(info.name)
    target.delete(info.name)


def raw(info, head: bytes, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", info.details["port"]), timeout=10)
    sock.sendall(head + body)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (the socket's timeout bounds the wait)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def head(key: str | None, length: int = BIG) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (f"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_a_keyless_half_sent_body_is_refused_from_its_headers_and_the_connection_closed(tight):
    _, info, _ = tight
    sock = raw(info, head(None), b"{" * 1000)  # 1 KB of 4.9 MB: the rest never comes
    answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 401") and b"connection: close" in answer.lower()


def test_a_declared_oversized_body_is_refused_before_it_is_sent(tight):
    _, info, keys = tight
    answer = read_all(raw(info, head(keys.primary, 50_000_000)))
    assert answer.startswith(b"HTTP/1.1 413") and b"the limit is 5 MB" in answer


def test_a_body_that_stops_arriving_is_refused_at_its_deadline(tight):
    target, info, keys = tight
    answer = read_all(raw(info, head(keys.primary, 1000), b'{"data": ['))
    assert answer.startswith(b"HTTP/1.1 408") and b"within 1 s" in answer
    assert any(r["status"] == 408 for r in target.recent_requests(info.name, 50))


def test_a_connection_that_never_finishes_its_headers_is_closed(tight):
    _, info, _ = tight
    sock = raw(info, b"POST /score HTTP/1.1\r\nHost: x\r\n")
    assert read_all(sock) == b""  # closed by the server, with nothing to answer


def test_a_full_pool_answers_503_with_retry_after_and_the_rest_are_scored(tight):
    target, info, keys = tight
    body = score_body([bank_row(age=20 + n % 60) for n in range(10_000)])
    headers = {"Authorization": f"Bearer {keys.primary}", "Content-Type": "application/json"}

    def send(_):
        return requests.post(info.scoring_uri, data=body, headers=headers, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) == {200, 503}, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "busy" in busy.json()["error"]
    recorded = {r["request_id"]: r["status"] for r in target.recent_requests(info.name, 100)}
    assert all(recorded[a.json()["request_id"]] == 503 for a in answers if a.status_code == 503)


def poll(condition, bound_s: float = 60.0) -> bool:
    """Ask ``condition`` until it holds or ``bound_s`` passes (each ask is a request: no sleep)."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if condition():
            return True
    return False


def test_a_small_request_and_health_complete_while_a_big_one_is_still_being_scored(tight):
    """Ordering, not timing: the one worker is seen busy with the big request (a pool-bound
    probe gets 503), then a one-row request and /health are answered, then the worker is seen
    still busy (another 503), and only then does the big one finish, with a 200. The big one
    asks for explanations (slower to score), and probes are spaced so that a probe rarely holds
    the worker when the big one arrives (the big one is then refused and the try repeated)."""
    _, info, keys = tight
    headers = {"Authorization": f"Bearer {keys.primary}", "Content-Type": "application/json"}
    base = info.scoring_uri.rsplit("/", 1)[0]
    big = score_body([bank_row()] * 10_000)  # the most rows a request may hold
    probe = score_body([bank_row()] * 60)
    assert len(probe) > tight[0].settings.serve_inline_bytes  # a probe needs the one worker

    explained = info.scoring_uri + "?explain=true"

    def busy() -> bool:
        return requests.post(info.scoring_uri, data=probe, headers=headers, timeout=60).status_code == 503

    def spaced_busy() -> bool:
        time.sleep(0.02)
        return busy()

    for _ in range(10):  # a try is inconclusive when the big one ends before it is seen busy twice
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(requests.post, explained, data=big, headers=headers, timeout=120)
            poll(lambda: pending.done() or spaced_busy())
            if pending.done():
                continue
            small = requests.post(info.scoring_uri, data=score_body([bank_row()]), headers=headers,
                                  timeout=60)
            health = requests.get(f"{base}/health", timeout=60)
            still_busy = busy()
            finished = pending.result()
        if still_busy and finished.status_code == 200:
            assert small.status_code == 200 and "probability" in small.json()["predictions"][0]
            assert health.status_code == 200 and health.json()["status"] == "ready"
            return
    pytest.fail("the big request was never seen in progress around a small request and /health")


def test_open_docs_serves_docs_and_the_openapi_without_a_key(trained_settings, monkeypatch):
    from opml_core.config import load_settings

    monkeypatch.setenv("OPML_SERVE_OPEN_DOCS", "true")
    settings = load_settings(home=trained_settings.home, spark_master="local[2]")
    assert settings.serve_open_docs
    target = get_target("local", settings)
    info = target.deploy("bank-open-docs", "opml-model", "champion")
    try:
        base = info.scoring_uri.rsplit("/", 1)[0]
        docs, spec = (requests.get(f"{base}{path}", timeout=10) for path in ("/docs", "/openapi.json"))
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert spec.status_code == 200 and "/score" in spec.json()["paths"]
        scored = requests.post(info.scoring_uri, data=score_body([bank_row()]), timeout=10,
                               headers={"Content-Type": "application/json"})
        assert scored.status_code == 401  # the docs are open, scoring still needs the key
    finally:
        target.delete(info.name)


def test_keyless_refusals_are_counted_but_only_a_few_a_minute_are_logged(tight):
    target, info, keys = tight
    before = {r["request_id"] for r in target.recent_requests(info.name, 500)}
    sent = [requests.post(info.scoring_uri, data=b"{}", timeout=10) for _ in range(40)]
    assert {s.status_code for s in sent} == {401}
    logged = [r for r in target.recent_requests(info.name, 500)
              if r["request_id"] not in before and r["status"] == 401]
    assert len(logged) <= 20  # ten a minute, and the run may straddle a minute
    base = info.scoring_uri.rsplit("/", 1)[0]
    meta = requests.get(f"{base}/metadata", headers={"Authorization": f"Bearer {keys.primary}"},
                        timeout=5).json()
    assert meta["refused_without_key"] >= 40


def test_usage_logs_and_keys_are_readable_by_their_owner_only(tight, trained_settings):
    target, info, keys = tight
    requests.post(info.scoring_uri, data=score_body([bank_row()]), timeout=10,
                  headers={"Authorization": f"Bearer {keys.primary}"})
    usage = Path(trained_settings.workspace.usage)
    logs = list((usage / info.name).glob("date=*/hour=*/*.jsonl"))
    assert logs
    for path in logs + list((usage / info.name / "_models").iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in [usage, usage / info.name, *{p.parent for p in logs}, *{p.parent.parent for p in logs}]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    deployments = Path(trained_settings.workspace.deployments)
    assert stat.S_IMODE(deployments.stat().st_mode) == 0o700
    assert stat.S_IMODE((deployments / info.name / "keys.json").stat().st_mode) == 0o600

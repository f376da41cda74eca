"""kill -9 during load: the usage log stays readable and holds every acknowledged request."""

import json
import os
import signal
import threading
import time
import uuid

import requests

from opml_core.scoring.payloads import score_body
from tests.serve.conftest import bank_row

CLIENTS = 4
MAX_REQUESTS_PER_CLIENT = 400


def test_kill_9_under_load_loses_no_acknowledged_request(target):
    info = target.deploy("bank-durable", "opml-model", "1")
    keys = target.keys(info.name)
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def client():
        session = requests.Session()
        body = score_body([bank_row()])
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if stop.is_set():
                return
            request_id = uuid.uuid4().hex
            try:
                response = session.post(info.scoring_uri, data=body, timeout=5, headers={
                    "Authorization": f"Bearer {keys.primary}", "X-Request-Id": request_id,
                    "Content-Type": "application/json"})
            except requests.RequestException:
                return  # the server is gone
            if response.status_code == 200:
                with lock:
                    acknowledged.append(response.json()["request_id"])

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(info.details["pid"], signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)

    assert len(acknowledged) >= 200
    logged, folder = set(), target.settings.workspace.usage / info.name
    for path in folder.rglob("*.jsonl"):
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"", "each record is one whole line"
        for line in lines[:-1]:
            logged.add(json.loads(line)["request_id"])
    assert set(acknowledged) <= logged
    assert target.get(info.name).status == "stopped"

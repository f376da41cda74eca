"""opml's Azure ML entry script: the same answers as opml's local endpoint, inside Azure's server.

Azure ML's inference server (``azmlinfsrv``) calls ``init()`` once per worker and ``run(request)``
per request. The model is opml's compiled scorer (numpy only, no JVM), found under
``AZUREML_MODEL_DIR``; the opml modules it needs sit beside this file. Each request goes through
opml's shared handler, so payloads, response bodies and messages for bad input (a 400 naming
the column) are exactly the local endpoint's. Each request is then reported as printed
``opml-usage`` lines (Application Insights keeps each line; long records are split), and, when
the deployment has Azure ML's data collector on, collected as ``model_inputs``,
``model_outputs`` and ``opml_usage``.

Environment: ``OPML_DEPLOYMENT`` (the name requests are recorded under), ``OPML_MAX_ROWS``,
``OPML_MAX_PAYLOAD_MB``; ``OPML_KEYS_DIR`` makes the script check keys itself, as Azure's
front end does (used when the package is served on this machine as ``azureml-local``).
"""

import json
import os
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the opml runtime beside this file

from azureml_inference_server_http.api.aml_request import rawhttp  # noqa: E402
from azureml_inference_server_http.api.aml_response import AMLResponse  # noqa: E402

from opml_core.scoring.engines import BUNDLE_META, load_scorer  # noqa: E402
from opml_core.serve.handler import EXPLAIN_HEADER, TOO_BIG, UNAUTHORIZED, answer, too_big  # noqa: E402
from opml_core.serve.printed import to_lines  # noqa: E402

ROUTE = "score"
JSON_HEADERS = {"Content-Type": "application/json"}
_STATE: dict = {}


def init():
    """Load the compiled model once per worker."""
    scorer = load_scorer(find_model(os.environ.get("AZUREML_MODEL_DIR", ".")))
    meta = scorer.meta
    keys = None
    if os.environ.get("OPML_KEYS_DIR"):
        from opml_core.serve.keys import KeyWatcher

        keys = KeyWatcher(Path(os.environ["OPML_KEYS_DIR"]))
    _STATE.update(
        scorer=scorer, keys=keys, deployment=os.environ.get("OPML_DEPLOYMENT") or meta.name,
        max_rows=int(os.environ.get("OPML_MAX_ROWS", "10000")),
        max_mb=float(os.environ.get("OPML_MAX_PAYLOAD_MB", "5")),
        collectors=_collectors())
    print(f"opml: serving {meta.name} version {meta.version} as {_STATE['deployment']}")


@rawhttp
def run(request):
    """Answer one request as opml's local endpoint would; print its usage record."""
    if request.method == "GET":  # readiness with the deployment's identity
        meta = _STATE["scorer"].meta
        return AMLResponse(json.dumps({"status": "ready", "deployment": _STATE["deployment"],
                                       "model": meta.name, "version": meta.version,
                                       "engine": meta.engine}), 200, JSON_HEADERS)
    if request.method != "POST":
        return AMLResponse(json.dumps({"error": "Send scoring requests with POST."}), 405, JSON_HEADERS)
    headers = {k.lower(): v for k, v in request.headers.items()}
    if "explain" in request.args:
        headers[EXPLAIN_HEADER] = request.args["explain"]
    limit = int(_STATE["max_mb"] * 1024 * 1024)
    refused, body = None, b""
    keys = _STATE["keys"]
    if keys is not None and not keys.keys.accepts(headers.get("authorization")):
        refused = (401, UNAUTHORIZED)
    elif request.content_length is not None and request.content_length > limit:
        refused = (TOO_BIG, too_big(request.content_length, _STATE["max_mb"]))
    else:
        body = request.stream.read(limit + 1)
        if len(body) > limit:
            refused, body = (TOO_BIG, too_big(len(body) + _drain(request.stream), _STATE["max_mb"])), b""
    done = answer(_STATE["scorer"], ROUTE, headers, body, deployment=_STATE["deployment"],
                  max_rows=_STATE["max_rows"], refused=refused)
    for line in to_lines(done.record):
        print(line.decode("utf-8"))
    _collect(done.record)
    return AMLResponse(done.body, done.status, {**JSON_HEADERS, "x-request-id": done.request_id})


def find_model(root: str) -> Path:
    """The folder holding opml's model.json: the model directory itself or one level below."""
    base = Path(root)
    if (base / BUNDLE_META).is_file():
        return base
    found = sorted(base.glob(f"*/{BUNDLE_META}")) + sorted(base.glob(f"*/*/{BUNDLE_META}"))
    if not found:
        raise FileNotFoundError(f"No {BUNDLE_META} under AZUREML_MODEL_DIR={root!r}: register the "
                                "package's model/ folder as the Azure ML model.")
    return found[0].parent


def _drain(stream, block: int = 1 << 20) -> int:
    """Read and drop the rest of an oversized body; return how many bytes that was."""
    dropped = 0
    while chunk := stream.read(block):
        dropped += len(chunk)
    return dropped


def _collectors() -> dict:
    """Azure ML data collectors, when the deployment enables them (else none)."""
    try:
        from azureml.ai.monitoring import Collector
    except ImportError:
        return {}
    refused: set = set()  # a collection the deployment does not enable refuses at construction
    made = {name: Collector(name=name, on_error=lambda exc, name=name: refused.add(name))
            for name in ("model_inputs", "model_outputs", "opml_usage")}
    return {name: c for name, c in made.items() if name not in refused}


def _collect(record: dict) -> None:
    """Hand the request to Azure ML's data collectors (a no-op where none is enabled)."""
    collectors = _STATE["collectors"]
    if not collectors:
        return
    import pandas as pd
    from azureml.ai.monitoring.context import BasicCorrelationContext

    context = BasicCorrelationContext(id=record["request_id"])
    frames = {"opml_usage": pd.DataFrame([{"record": orjson.dumps(record).decode()}])}
    if record["status"] == 200:
        frames.update(model_inputs=pd.DataFrame(record["inputs"]),
                      model_outputs=pd.DataFrame(record["outputs"]))
    for name, frame in frames.items():
        if name in collectors:
            collectors[name].collect(frame, context)

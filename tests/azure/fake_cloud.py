"""A fake Azure at the one seam opml cannot reach here: the ``AzureClient`` interface.

It keeps models, web services, endpoints, deployments, keys and blobs in memory and moves each
long operation through Azure's states one poll at a time (``polls`` polls, then the next of
``outcomes``, else success). Everything on opml's side stays real: the SDK objects opml hands
it (kept in ``calls`` for tests to inspect) and the package they carry, which it serves with
Azure's real inference server on 127.0.0.1, checking keys as Azure's front end does, so the
Predict page, simulated traffic and collect run against the real ``score.py``. Its traces are
what that server printed (as Application Insights keeps them); its data collector blobs are
written by a sidecar on 127.0.0.1 that receives what ``score.py``'s real collector sends, in
the documented JSONL shape. A v2 endpoint's scoring URI is its live deployment's server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from opml_core.azure.client import AzureClient, BlobInfo, ServiceState, Trace, WorkspaceInfo
from opml_core.deploy.azureml_local import inference_server
from opml_core.deploy.processes import stop_group
from opml_core.serve.keys import new_keys, regenerate, write_keys
from tests.conftest import AZUREML_ENV

READY_S = 60


class FakeError(Exception):
    """Stands for an SDK exception; tests give it Azure's words."""


class Server:
    """Azure's inference server for one package, on a free loopback port."""

    def __init__(self, root: Path, code: Path, model_dir: Path, name: str, variables: dict):
        from tests.browser.conftest import free_port

        self.folder = root / f"server-{name}-{uuid.uuid4().hex[:6]}"
        self.folder.mkdir(parents=True)
        self.keys_dir = self.folder
        self.port = free_port()
        self.log = self.folder / "server.log"
        argv, env = inference_server(AZUREML_ENV / "bin" / "python", code, model_dir, "127.0.0.1",
                                     self.port, self.folder,
                                     {"SERVICE_NAME": name, "OPML_KEYS_DIR": str(self.folder), **variables})
        self.process = subprocess.Popen(argv, env=env, stdout=open(self.log, "ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.uri = f"http://127.0.0.1:{self.port}/score"

    def ready(self) -> None:
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            try:
                if requests.get(self.uri, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"the fake's server did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_group(self.process.pid, 5)


class Sidecar:
    """Azure's data collector sidecar: takes what score.py's Collector posts, writes blobs."""

    def __init__(self, blobs: dict, endpoint: str, slot: str):
        sidecar = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                sidecar.receive(dict(self.headers), body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.blobs, self.endpoint, self.slot = blobs, endpoint, slot
        self.lock = threading.Lock()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def receive(self, headers: dict, body: bytes) -> None:
        low = {k.lower(): v for k, v in headers.items()}
        collection = low.get("ce-type", "azureml.inference.unknown").rsplit(".", 1)[-1]
        now = datetime.now(timezone.utc)
        name = (f"modelDataCollector/{self.endpoint}/{self.slot}/{collection}/"
                f"{now:%Y/%m/%d/%H}/instance-1.jsonl")
        line = json.dumps({
            "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"/onlineEndpoints/{self.endpoint}",
            "type": low.get("ce-type"), "datacontenttype": "application/json",
            "time": now.isoformat(timespec="seconds"), "data": json.loads(body),
            "contentrange": f"bytes 0-{len(body) - 1}/{len(body)}",
            "correlationid": low.get("ce-x-request-id"), "xrequestid": low.get("ce-x-request-id"),
            "modelversion": "default", "collectdatatype": low.get("ce-collect-data-type"),
            "agent": low.get("ce-agent")})
        with self.lock:
            self.blobs[name] = self.blobs.get(name, b"") + line.encode() + b"\n"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


class FakeAzure(AzureClient):
    """The fake cloud (see the module docstring)."""

    def __init__(self, root: Path, polls: int = 1):
        self.root, self.polls = root, polls
        self.outcomes: list[str] = []  # final states of the next long operations ("Failed"…)
        self.failures: dict[str, Exception] = {}  # method name -> raised once, at its next call
        self.calls: list[tuple[str, tuple]] = []
        self.models: dict[tuple[str, str], Path] = {}
        self.services: dict[str, dict] = {}
        self.endpoints: dict[str, dict] = {}
        self.deployments: dict[tuple[str, str], dict] = {}
        self.blob_store: dict[str, bytes] = {}
        self.ingested: dict[str, datetime] = {}

    # --- bookkeeping ---------------------------------------------------------------------
    def _enter(self, method: str, *args) -> None:
        self.calls.append((method, args))
        if method in self.failures:
            raise self.failures.pop(method)

    def _advance(self, thing: dict, on_success, on_failure=None) -> None:
        """One poll of a long operation."""
        if thing["polls"] > 0:
            thing["polls"] -= 1
            return
        if thing["state"] in ("Transitioning", "Creating", "Updating"):
            outcome = self.outcomes.pop(0) if self.outcomes else None
            if outcome in ("Failed", "Unhealthy"):
                thing.update(state=outcome, error=json.dumps({"code": "DeploymentFailed", "message":
                             "Container crashed: ModuleNotFoundError in score.py (fake)"}))
                if on_failure:
                    on_failure()
            else:
                on_success()

    def _serve(self, code: Path, model_dir: Path, name: str, variables: dict, sidecar=None) -> Server:
        extra = dict(variables)
        if sidecar is not None:
            config = self.root / f"mdc-{name}-{uuid.uuid4().hex[:4]}.json"
            config.write_text(json.dumps({"runMode": "cloud", "collections": {
                c: {"enabled": True} for c in ("model_inputs", "model_outputs", "opml_usage")}}))
            extra.update(AZUREML_MDC_CONFIG_PATH=str(config), AZUREML_MDC_HOST="127.0.0.1",
                         AZUREML_MDC_PORT=str(sidecar.port))
        server = Server(self.root, code, model_dir, name, extra)
        server.ready()
        return server

    def shutdown(self) -> None:
        for thing in [*self.services.values(), *self.deployments.values()]:
            for part in ("server", "sidecar"):
                if thing.get(part):
                    thing[part].stop()

    # --- workspace ---------------------------------------------------------------------
    def check(self):
        self._enter("check")
        return WorkspaceInfo("ws-test", "rg-test", "00000000-0000-0000-0000-000000000000",
                             "westeurope", "service principal", {})

    # --- v1 ------------------------------------------------------------------------------
    def register_model(self, model_dir, name, tags):
        self._enter("register_model", model_dir, name, tags)
        version = str(1 + sum(1 for key in self.models if key[0] == name))
        copy = self.root / "models" / name / version / "model"
        shutil.copytree(model_dir, copy)
        self.models[(name, version)] = copy.parent
        return version

    def begin_service(self, name, model_name, model_version, inference_config, deployment_config, compute):
        self._enter("begin_service", name, model_name, model_version, inference_config,
                    deployment_config, compute)
        if name in self.services:
            raise FakeError(f"WebserviceException: Service {name} already exists")
        self.services[name] = {"state": "Transitioning", "polls": self.polls, "error": None,
                               "model": (model_name, model_version), "inference": inference_config,
                               "config": deployment_config, "server": None,
                               "keys": new_keys(), "pending": None}

    def begin_service_update(self, name, model_name, model_version, inference_config):
        self._enter("begin_service_update", name, model_name, model_version, inference_config)
        self.services[name].update(state="Transitioning", polls=self.polls, error=None,
                                   pending=((model_name, model_version), inference_config))

    def service(self, name):
        self._enter("service", name)
        found = self.services.get(name)
        if found is None:
            return None
        self._advance(found, lambda: self._start_service(name))
        uri = found["server"].uri if found.get("server") else None
        return ServiceState(name, found["state"], uri, found["error"])

    def _start_service(self, name):
        found = self.services[name]
        if found.get("pending"):
            found["model"], found["inference"] = found.pop("pending")
            found["pending"] = None
        if found.get("server"):
            found["server"].stop()
        ic = found["inference"]
        server = self._serve(Path(ic.source_directory), self.models[found["model"]], name,
                             dict(ic.environment.environment_variables))
        write_keys(server.keys_dir, found["keys"])
        found.update(state="Healthy", server=server)

    def service_keys(self, name):
        self._enter("service_keys", name)
        keys = self.services[name]["keys"]
        return keys.primary, keys.secondary

    def regenerate_service_key(self, name, slot):
        self._enter("regenerate_service_key", name, slot)
        found = self.services[name]
        found["keys"] = regenerate(found["server"].keys_dir, slot) if found.get("server") else new_keys()

    def service_logs(self, name, lines):
        self._enter("service_logs", name, lines)
        server = self.services[name].get("server")
        return "\n".join(server.log.read_text().splitlines()[-lines:]) if server else "(no container yet)"

    def delete_service(self, name):
        self._enter("delete_service", name)
        found = self.services.pop(name)
        if found.get("server"):
            found["server"].stop()

    def traces(self, service, since, limit):
        self._enter("traces", service, since, limit)
        found = self.services.get(service)
        if not found or not found.get("server"):
            return []
        out = []
        for number, line in enumerate(found["server"].log.read_text().splitlines()):
            item = f"{service}:{found['server'].port}:{number}"
            when = self.ingested.setdefault(item, datetime.now(timezone.utc))
            message = line.split(" azmlinfsrv.print - ", 1)[-1]  # what print() was given
            if when >= since:
                out.append(Trace(item, when, message))
        return sorted(out, key=lambda t: t.time)[:limit]

    # --- v2 ------------------------------------------------------------------------------
    def begin_endpoint(self, endpoint):
        self._enter("begin_endpoint", endpoint)
        found = self.endpoints.get(endpoint.name)
        if found is None:
            self.endpoints[endpoint.name] = {"state": "Creating", "polls": self.polls, "error": None,
                                             "entity": endpoint, "traffic": dict(endpoint.traffic),
                                             "keys": new_keys()}
        else:
            found.update(state="Updating", polls=self.polls, entity=endpoint,
                         traffic={k: v for k, v in endpoint.traffic.items() if v})

    def endpoint(self, name):
        self._enter("endpoint", name)
        found = self.endpoints.get(name)
        if found is None:
            return None
        self._advance(found, lambda: found.update(state="Succeeded"))
        live = [slot for slot, share in found["traffic"].items() if share]
        server = self.deployments.get((name, live[0]), {}).get("server") if live else None
        return ServiceState(name, found["state"], server.uri if server else None, found["error"],
                            dict(found["traffic"]))

    def begin_deployment(self, deployment):
        self._enter("begin_deployment", deployment)
        self.deployments[(deployment.endpoint_name, deployment.name)] = {
            "state": "Creating", "polls": self.polls, "error": None, "entity": deployment,
            "server": None, "sidecar": None}

    def deployment_state(self, endpoint, deployment):
        self._enter("deployment_state", endpoint, deployment)
        found = self.deployments.get((endpoint, deployment))
        if found is None:
            return None
        self._advance(found, lambda: self._start_deployment(endpoint, deployment))
        return ServiceState(deployment, found["state"], None, found["error"])

    def _start_deployment(self, endpoint, slot):
        found = self.deployments[(endpoint, slot)]
        entity = found["entity"]
        sidecar = Sidecar(self.blob_store, endpoint, slot) if entity.data_collector else None
        server = self._serve(Path(entity.code_configuration.code), Path(entity.model.path).parent,
                             f"{endpoint}-{slot}", dict(entity.environment_variables), sidecar)
        write_keys(server.keys_dir, self.endpoints[endpoint]["keys"])
        found.update(state="Succeeded", server=server, sidecar=sidecar)

    def endpoint_keys(self, name):
        self._enter("endpoint_keys", name)
        keys = self.endpoints[name]["keys"]
        return keys.primary, keys.secondary

    def regenerate_endpoint_key(self, name, slot):
        self._enter("regenerate_endpoint_key", name, slot)
        found = self.endpoints[name]
        found["keys"] = new_keys()
        for (endpoint, _), deployment in self.deployments.items():
            if endpoint == name and deployment.get("server"):
                write_keys(deployment["server"].keys_dir, found["keys"])

    def deployment_logs(self, endpoint, deployment, lines):
        self._enter("deployment_logs", endpoint, deployment, lines)
        server = self.deployments[(endpoint, deployment)].get("server")
        return "\n".join(server.log.read_text().splitlines()[-lines:]) if server else ""

    def delete_deployment(self, endpoint, deployment):
        self._enter("delete_deployment", endpoint, deployment)
        found = self.deployments.pop((endpoint, deployment))
        for part in ("server", "sidecar"):
            if found.get(part):
                found[part].stop()

    def delete_endpoint(self, name):
        self._enter("delete_endpoint", name)
        for key in [k for k in self.deployments if k[0] == name]:
            self.delete_deployment(*key)
        self.endpoints.pop(name)

    def blobs(self, prefix):
        self._enter("blobs", prefix)
        return [BlobInfo(n, len(b)) for n, b in self.blob_store.items() if n.startswith(prefix)]

    def read_blob(self, name, start=0, end=None):
        self._enter("read_blob", name, start, end)
        return self.blob_store[name][start:end]

"""The ``local`` target: opml's own endpoint (``python -m opml_core.serve``), one per deployment.

A deployment's folder holds its model bundle (``bundle/``: the compiled scorer, or the MLflow
model for the Spark and pyfunc engines) and ``server.json``; the rest (record, keys, log,
restart and rollback) is ``served.ServedTarget``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

from opml_core.deploy.base import register_target
from opml_core.deploy.served import ServedRecord, ServedTarget
from opml_core.serve.app import BUNDLE_DIR, ServerConfig

READY_S = {"compiled": 60.0, "pyfunc": 120.0, "spark": 240.0}  # generous: a loaded machine is slow to import


@register_target
class LocalTarget(ServedTarget):
    key = "local"
    title = "This machine"
    artifact = BUNDLE_DIR
    module = "opml_core.serve"

    def build(self, model_name, ref, folder: Path, progress):
        from opml_core.scoring.bundle import build_bundle

        return build_bundle(self.settings, model_name, ref, folder)

    def configure(self, folder: Path, name: str, meta) -> None:
        s = self.settings
        ServerConfig(name, str(s.workspace.usage), s.max_payload_mb, s.max_rows_per_request,
                     workers=s.serve_workers, queue=s.serve_queue,
                     max_connections=s.serve_max_connections, body_timeout_s=s.serve_body_timeout_s,
                     header_timeout_s=s.serve_header_timeout_s, inline_bytes=s.serve_inline_bytes,
                     open_docs=s.serve_open_docs).save(folder)

    def command(self, folder: Path, record: ServedRecord):
        return [sys.executable, "-m", self.module, str(folder), str(record.port), record.host], None

    def ready_timeout(self, record: ServedRecord) -> float:
        return READY_S.get(record.engine, 60.0)

    def links(self, base: str) -> dict:
        return {"docs": f"{base}/docs", "invocations": f"{base}/invocations"}

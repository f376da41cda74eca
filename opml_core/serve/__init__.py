"""The REST endpoint: FastAPI app (``app``), keys (``keys``) and the usage log (``usage_log``).

``python -m opml_core.serve <folder> <port>`` runs one deployment's server.
"""

"""Run one deployment's endpoint: ``python -m opml_core.serve <deployment folder> <port> [host]``."""

import logging
import sys
from pathlib import Path

import uvicorn

from opml_core.serve.app import create_asgi
from opml_core.serve.protocol import guarded


def main() -> None:
    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_asgi(folder)
    config = app.endpoint.config
    logging.getLogger("opml.serve").info(
        "serving %s on http://%s:%s (%d workers, queue %d, %d connections at most)", folder.name,
        host, port, config.workers, config.queue, config.max_connections)
    try:
        uvicorn.run(app, host=host, port=port, loop="uvloop", http=guarded(config.header_timeout_s),
                    access_log=False, proxy_headers=False, server_header=False,
                    log_level="warning", timeout_graceful_shutdown=5,
                    limit_concurrency=config.max_connections, backlog=config.max_connections)
    finally:
        app.pool.close()
        app.endpoint.usage.close()  # seal the last file: a collector may then take it whole


if __name__ == "__main__":
    main()

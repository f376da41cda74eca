"""Scoring off the event loop: a bounded pool of workers for every request but the smallest.

The event loop only reads bodies and sends answers; a large batch, or any request to a slow
engine, is scored by a worker, so ``/health`` and one-row requests stay fast beside it. Compiled
and pyfunc models are scored in worker *processes* (each loads the bundle once and appends to its
own usage-log file, so nothing large crosses back but the answer's bytes); Spark models in
threads of the server process (Spark's work runs in its JVM, outside Python's lock). At most
``workers + queue`` requests are in the pool at once: one more is refused (503 with
``Retry-After``) instead of waiting without bound.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.util
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

log = logging.getLogger("opml.serve")
_WORKER: dict = {}


class PoolFull(Exception):
    """Every worker is busy and the queue is full."""


class ScoringPool:
    """Runs ``handle(route, headers, body)`` in a worker; bounded by ``workers + queue``."""

    def __init__(self, folder: Path, endpoint, workers: int, queue: int):
        self.folder, self.endpoint = folder, endpoint
        self.workers, self.capacity = workers, workers + queue
        self.in_pool = 0
        self.processes = endpoint.meta.engine != "spark"
        self._executor = self._start()

    def _start(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(self.workers, thread_name_prefix="opml-score")
        executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_worker, initargs=(str(self.folder),))
        self._warming = [executor.submit(_ready) for _ in range(self.workers)]  # load meanwhile
        return executor

    async def run(self, route: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        if self.in_pool >= self.capacity:
            raise PoolFull()
        self.in_pool += 1
        try:
            loop = asyncio.get_running_loop()
            if not self.processes:
                return await loop.run_in_executor(self._executor, self.endpoint.score, route,
                                                  headers, body)
            try:
                return await loop.run_in_executor(self._executor, _score, route, headers, body)
            except BrokenProcessPool:
                log.error("a scoring worker died (out of memory?); starting the pool again")
                self._executor = self._start()
                raise
        finally:
            self.in_pool -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _init_worker(folder: str) -> None:
    from opml_core.serve.app import Endpoint

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _WORKER["endpoint"] = Endpoint(Path(folder))
    # seal this worker's usage file when the pool shuts it down
    multiprocessing.util.Finalize(None, _WORKER["endpoint"].usage.close, exitpriority=10)


def _ready() -> bool:
    return "endpoint" in _WORKER


def _score(route: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
    return _WORKER["endpoint"].score(route, headers, body)

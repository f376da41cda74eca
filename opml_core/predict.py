"""Use a model: one client's row, a batch, or simulated traffic over a period.

Rows come from a workspace table (read with pyarrow at the warehouse URI, a batch at a time, so no
table is ever held whole) or an uploaded CSV, named as users know them (``emp.var.rate``). A ``Sender`` scores one
batch: through an endpoint (``endpoint_sender``) or the model in this process
(``local_sender``). Simulated traffic stamps each request with the time it stands for and keeps
which operations rows each request carried, so their real outcomes can be revealed later; it
replays the table's rows in stored order (``IN_ORDER``: time order for a temporal split) or
rows drawn at random across the whole table (``SAMPLED``, seeded), as the user chooses.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

from opml_core.config import Workspace
from opml_core.data.columns import ROW_ID
from opml_core.data.tables import table_exists, table_uri
from opml_core.errors import DataError, OpmlError
from opml_core.scoring.inputs import InputSchema

MAX_KEPT_RESULTS = 100_000
IN_ORDER, SAMPLED = "in order", "sampled"
ROW_ORDERS = {IN_ORDER: "its rows in stored order (time order for a temporal split), starting "
                        "again from the first once all are sent",
              SAMPLED: "rows drawn at random across the whole table (seeded), each once before "
                       "any repeats"}


@dataclass(frozen=True)
class Sent:
    """The outcome of sending one batch."""

    status: int
    predictions: list[dict] | None
    error: str | None
    warnings: list[str]
    request_id: str | None = None


Sender = Callable[..., Sent]  # (rows, event time, request id, explain=False)


def endpoint_sender(client) -> Sender:
    def send(rows, event_time=None, request_id=None, explain=False) -> Sent:
        response = client.score(rows, event_time=event_time, request_id=request_id, explain=explain)
        doc = response.document
        return Sent(response.status, doc.get("predictions"), doc.get("error"),
                    doc.get("warnings", []), response.request_id)
    return send


def local_sender(scorer) -> Sender:
    def send(rows, event_time=None, request_id=None, explain=False) -> Sent:
        try:
            result = scorer.score_records(rows, explain=explain)
        except OpmlError as exc:
            return Sent(400, None, str(exc), [], request_id)
        return Sent(200, result.predictions(), None, result.warnings, request_id)
    return send


def sample_row(workspace: Workspace, table: str, inputs: InputSchema, seed: int | None = None) -> dict:
    """One random row of a table, as a client would send it (readable names)."""
    dataset = _dataset(workspace, table)
    total = dataset.count_rows()
    if total == 0:
        raise DataError(f"{table} has no rows to take an example from.")
    row = dataset.take([random.Random(seed).randrange(total)], columns=inputs.names).to_pylist()[0]
    return {c.display: row[c.name] for c in inputs.columns}


def table_batches(workspace: Workspace, table: str, inputs: InputSchema,
                  batch_size: int) -> Iterator[tuple[list[int], list[dict]]]:
    """(row ids, rows) batches of a table in its stored order, with readable names."""
    dataset = _dataset(workspace, table)
    missing = [c.display for c in inputs.columns if c.name not in dataset.schema.names]
    if missing:
        raise DataError(f"{table} lacks the model's inputs {', '.join(missing)}; choose a table "
                        "prepared for this model.")
    ids = ROW_ID in dataset.schema.names
    columns = inputs.names + ([ROW_ID] if ids else [])
    for batch in dataset.to_batches(columns=columns, batch_size=batch_size):
        rows = batch.to_pylist()
        yield ([r.get(ROW_ID) for r in rows],
               [{c.display: r[c.name] for c in inputs.columns} for r in rows])


def count_rows(workspace: Workspace, table: str) -> int:
    return _dataset(workspace, table).count_rows()


def csv_batches(data: bytes, batch_size: int) -> Iterator[tuple[list[int], list[dict]]]:
    """Batches of an uploaded CSV (values as text; the endpoint reads numbers from text)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("The CSV is not UTF-8 text; save it as UTF-8 and upload it again.") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise DataError("The CSV is empty; it needs a header line and rows.")
    batch, ids = [], []
    for number, row in enumerate(reader):
        batch.append({k: (None if v == "" else v) for k, v in row.items()})
        ids.append(number)
        if len(batch) == batch_size:
            yield ids, batch
            batch, ids = [], []
    if batch:
        yield ids, batch


@dataclass
class BatchResult:
    """What a batch run did: counts, timing, kept results and failures with reasons."""

    rows: int = 0
    scored: int = 0
    seconds: float = 0.0
    results: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.scored / self.seconds if self.seconds else 0.0


def score_batches(send: Sender, batches, total_rows: int | None = None,
                  progress: Callable[[float, str], None] = lambda f, m: None) -> BatchResult:
    """Send every batch; keep results (up to MAX_KEPT_RESULTS rows) and failures."""
    result = BatchResult()
    started = time.perf_counter()
    for ids, rows in batches:
        sent = send(rows, None, None)
        if sent.status == 200:
            result.scored += len(rows)
            if len(result.results) < MAX_KEPT_RESULTS:
                result.results += [{**row, **p} for row, p in zip(rows, sent.predictions)]
        else:
            result.failures.append({"first row": ids[0] if ids else None, "rows": len(rows),
                                    "status": sent.status, "reason": sent.error})
        for warning in sent.warnings:
            result.warnings[warning] = result.warnings.get(warning, 0) + 1
        result.rows += len(rows)
        result.seconds = time.perf_counter() - started
        if total_rows:
            progress(min(result.rows / total_rows, 1.0),
                     f"{result.rows:,} of {total_rows:,} rows · {result.rows_per_second:,.0f} rows/s")
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class SimulationSpec:
    """Traffic to simulate: a period, requests per day and rows per request."""

    days: int = 30
    requests_per_day: int = 40
    min_rows: int = 1
    max_rows: int = 5
    start: datetime | None = None  # default: `days` days before now
    seed: int = 7
    order: str = IN_ORDER  # IN_ORDER or SAMPLED

    def validate(self) -> None:
        if self.order not in ROW_ORDERS:
            raise DataError(f"Unknown row order {self.order!r}; choose {IN_ORDER!r} or {SAMPLED!r}.")
        if not 1 <= self.days <= 3650:
            raise DataError("Simulate between 1 and 3,650 days.")
        if not 1 <= self.requests_per_day <= 100_000:
            raise DataError("Send between 1 and 100,000 requests a day.")
        if not 1 <= self.min_rows <= self.max_rows <= 10_000:
            raise DataError("Rows per request must satisfy 1 ≤ fewest ≤ most ≤ 10,000.")


@dataclass(frozen=True)
class SimulationResult:
    requests: int
    rows: int
    failed: int
    first: str
    last: str
    seconds: float
    truth_file: str
    replayed: str = ""  # which rows were sent, in words


def simulate_traffic(send: Sender, workspace: Workspace, deployment: str, table: str,
                     inputs: InputSchema, spec: SimulationSpec,
                     progress: Callable[[float, str], None] = lambda f, m: None) -> SimulationResult:
    """Send the table's rows (in order or sampled, per ``spec.order``), spread over the period,
    each request stamped with the time it stands for; record which rows each request carried
    (for revealing outcomes)."""
    spec.validate()
    total = spec.days * spec.requests_per_day
    start = spec.start or datetime.now(timezone.utc) - timedelta(days=spec.days)
    step = timedelta(days=spec.days) / total
    rng = random.Random(spec.seed)
    truth = workspace.root / "simulations" / deployment / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}.jsonl"
    truth.parent.mkdir(parents=True, exist_ok=True)
    rows = _cycle(workspace, table, inputs) if spec.order == IN_ORDER \
        else _sampled(workspace, table, inputs, spec.seed)
    sent_rows = failed = 0
    started = time.perf_counter()
    with open(truth, "w") as handle:
        for number in range(total):
            size = rng.randint(spec.min_rows, spec.max_rows)
            ids, batch = zip(*[next(rows) for _ in range(size)])
            when = (start + step * number + step * rng.random()).isoformat(timespec="seconds")
            outcome = send(list(batch), when, None)
            failed += outcome.status != 200
            sent_rows += size
            if outcome.request_id:  # the endpoint's own id, as its usage log records it
                handle.write(json.dumps({"request_id": outcome.request_id, "table": table,
                                         "row_ids": list(ids), "event_time": when}) + "\n")
            if number % 25 == 0 or number == total - 1:
                progress((number + 1) / total, f"{number + 1:,} of {total:,} requests "
                                               f"(simulated {when[:10]})")
    last = (start + step * total).isoformat(timespec="seconds")
    return SimulationResult(total, sent_rows, failed, start.isoformat(timespec="seconds"), last,
                            time.perf_counter() - started, str(truth),
                            f"Replayed {table}: {ROW_ORDERS[spec.order]}.")


def _cycle(workspace: Workspace, table: str, inputs: InputSchema) -> Iterator[tuple[int, dict]]:
    while True:
        produced = False
        for ids, rows in table_batches(workspace, table, inputs, 2048):
            for row_id, row in zip(ids, rows):
                produced = True
                yield row_id, row
        if not produced:
            raise DataError(f"{table} has no rows to send.")


def _sampled(workspace: Workspace, table: str, inputs: InputSchema,
             seed: int) -> Iterator[tuple[int, dict]]:
    """Rows in a seeded random order across the whole table, each once per pass."""
    dataset = _dataset(workspace, table)
    total = dataset.count_rows()
    if total == 0:
        raise DataError(f"{table} has no rows to send.")
    ids = ROW_ID in dataset.schema.names
    columns = inputs.names + ([ROW_ID] if ids else [])
    rng = random.Random(seed)
    while True:
        order = list(range(total))
        rng.shuffle(order)
        for start in range(0, total, 2048):
            for position, row in zip(order[start:start + 2048],
                                     dataset.take(order[start:start + 2048], columns=columns).to_pylist()):
                yield (row.get(ROW_ID, position), {c.display: row[c.name] for c in inputs.columns})


def _dataset(workspace: Workspace, table: str):
    import pyarrow.dataset as ds

    from opml_core.warehouse import filesystem

    if not table_exists(workspace, table):
        raise DataError(f"There is no table {table!r}; prepare it on the Prepare page first.")
    fs, path = filesystem(table_uri(workspace, table))
    return ds.dataset(path, format="parquet", filesystem=fs)

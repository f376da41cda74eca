"""Scoring payloads: the one place that reads and writes request and response bodies.

``/score`` speaks Azure ML's contract (``{"data": [records]}`` or ``{"input_data": {"columns",
"index", "data"}}``); ``/invocations`` speaks MLflow's (``dataframe_split``,
``dataframe_records``, ``instances``, ``inputs``, as JSON, or CSV). Parsing is pure: bytes in,
records out, so the server, the Predict page, the CLI and the Azure entry script share it and it
is tested without a server.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import orjson

from opml_core.errors import ScoringError

JSON, CSV = "application/json", "text/csv"
SCORE_FORMATS = ("data", "input_data")
INVOCATION_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@dataclass(frozen=True)
class Payload:
    """Parsed rows and the format they came in."""

    records: list
    format: str
    explain: bool = False  # the body asked for per-row contributions ("explain": true)


def parse_score(body: bytes) -> Payload:
    """Read an Azure ML ``/score`` body."""
    document = _json(body)
    explain = _explain(document)
    if isinstance(document, dict) and "data" in document:
        data = document["data"]
        if isinstance(data, dict):
            return Payload(_split(data, "data"), "data", explain)
        return Payload(_rows(data, "data"), "data", explain)
    if isinstance(document, dict) and "input_data" in document:
        return Payload(_split(document["input_data"], "input_data"), "input_data", explain)
    raise ScoringError('Send rows as {"data": [{"column": value, …}, …]} or '
                       '{"input_data": {"columns": […], "data": [[…], …]}}.')


def parse_invocations(body: bytes, content_type: str | None) -> Payload:
    """Read an MLflow ``/invocations`` body (JSON or CSV)."""
    kind = (content_type or JSON).split(";")[0].strip().lower()
    if kind == CSV:
        return Payload(_csv(body), "csv")
    if kind != JSON:
        raise ScoringError(f"Content type {kind!r} is not supported; send {JSON} or {CSV}.")
    document = _json(body)
    keys = [k for k in INVOCATION_FORMATS if isinstance(document, dict) and k in document]
    if len(keys) != 1:
        raise ScoringError("Send exactly one of " + ", ".join(INVOCATION_FORMATS) +
                           ' as the top-level key, e.g. {"dataframe_records": [{…}]}.')
    key, data, explain = keys[0], document[keys[0]], _explain(document)
    if key == "dataframe_split":
        return Payload(_split(data, key), key, explain)
    if key in ("inputs", "instances") and isinstance(data, dict):
        return Payload(_columns_to_records(data, key), key, explain)
    return Payload(_rows(data, key), key, explain)


def _explain(document) -> bool:
    value = document.get("explain", False) if isinstance(document, dict) else False
    if not isinstance(value, bool):
        raise ScoringError(f'"explain" must be true or false; it is {_kind(value)}.')
    return value


def score_body(records: list[dict], format: str = "data", explain: bool = False) -> bytes:
    """Build a body for ``/score`` (``data`` records or ``input_data`` split)."""
    flag = {"explain": True} if explain else {}
    if format == "input_data":
        return orjson.dumps({"input_data": _to_split(records), **flag})
    return orjson.dumps({"data": records, **flag})


def invocations_body(records: list[dict], format: str = "dataframe_split") -> bytes:
    """Build an MLflow ``/invocations`` JSON body in one of its formats."""
    if format == "dataframe_split":
        return orjson.dumps({"dataframe_split": _to_split(records)})
    if format not in INVOCATION_FORMATS:
        raise ScoringError(f"Unknown format {format!r}; use one of {', '.join(INVOCATION_FORMATS)}.")
    return orjson.dumps({format: records})


def csv_body(records: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def response_body(document: dict) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def _json(body: bytes):
    if not body.strip():
        raise ScoringError("The request body is empty; send JSON rows to score.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ScoringError(f"The body is not valid JSON ({exc}).") from None


def _rows(data, key: str) -> list:
    """A list of row objects; anything else is refused naming what came instead."""
    if not isinstance(data, list):
        raise ScoringError(f'"{key}" must be a list of rows such as [{{"age": 41, …}}]; it is '
                           f"{_kind(data)}.")
    return data


def _kind(value) -> str:
    names = {str: "text", bool: "true/false", int: "a number", float: "a number", dict: "an object",
             list: "a list", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _names(columns: list, key: str) -> None:
    for number, name in enumerate(columns):
        if not isinstance(name, str):
            raise ScoringError(f'Column {number} of "{key}" is {_kind(name)} ({name!r}); column '
                               "names must be text such as \"age\".")
    seen = set()
    for name in columns:
        if name in seen:
            raise ScoringError(f'Column {name!r} appears twice in "{key}"; name each column once.')
        seen.add(name)


def _split(data, key: str) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list) \
            or not isinstance(data.get("data"), list):
        raise ScoringError(f'"{key}" needs "columns" (a list of names) and "data" (a list of rows).')
    columns = data["columns"]
    _names(columns, key)
    records = []
    for number, row in enumerate(data["data"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ScoringError(f'Row {number} of "{key}" has {len(row) if isinstance(row, list) else 0} '
                               f"values for {len(columns)} columns.")
        records.append(dict(zip(columns, row)))
    return records


def _columns_to_records(data: dict, key: str) -> list[dict]:
    lengths = {len(v) if isinstance(v, list) else -1 for v in data.values()}
    if len(lengths) != 1 or -1 in lengths:
        raise ScoringError(f'"{key}" as an object needs one list of values per column, all of '
                           "the same length.")
    names = list(data)
    return [dict(zip(names, values)) for values in zip(*data.values())]


def _csv(body: bytes) -> list[dict]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScoringError("The CSV body is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text), strict=True)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise ScoringError(_csv_problem(exc, reader.line_num)) from None
    if len(rows) < 2:
        raise ScoringError("The CSV body needs a header line and at least one row.")
    header = rows[0]
    _names(header, "CSV header")
    records = []
    for number, row in enumerate(rows[1:]):
        if not row:
            continue
        if len(row) != len(header):
            raise ScoringError(f"CSV row {number} has {len(row)} fields for {len(header)} columns "
                               f"({', '.join(header)}); quote values that hold commas.")
        records.append({k: (None if v == "" else v) for k, v in zip(header, row)})
    return records


def _csv_problem(exc: csv.Error, line: int) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return (f"CSV line {line} has a value longer than {csv.field_size_limit():,} characters; "
                "no model input is that long. Check the quoting of that line.")
    if "unexpected end of data" in text or "EOF" in text:
        return (f"The CSV body ends inside a quoted value opened at or before line {line}; "
                "close every \" you open.")
    return f"CSV line {line} cannot be read ({text}); check its quoting."


def _to_split(records: list[dict]) -> dict:
    columns = list(records[0]) if records else []
    return {"columns": columns, "index": list(range(len(records))),
            "data": [[r.get(c) for c in columns] for r in records]}

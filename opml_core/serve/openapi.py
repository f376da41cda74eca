"""The scoring routes as OpenAPI describes them: request bodies built from the model's inputs,
and every answer they give (200, and 400/401/408/413/503 with their error body).

Clients and fuzzers (the test suite runs Schemathesis against it) read these schemas, so they
say what the endpoint accepts: a row is an object of the model's inputs, numbers as numbers or
numeric text, categories as text, ``null`` for missing.
"""

from __future__ import annotations

JSON, CSV = "application/json", "text/csv"

ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string", "description": "What is wrong and what to do next."},
    "request_id": {"type": "string"}}}
PREDICTIONS = {"type": "object", "properties": {
    "request_id": {"type": "string"}, "model": {"type": "string"}, "version": {"type": "string"},
    "warnings": {"type": "array", "items": {"type": "string"}},
    "predictions": {"type": "array", "items": {"type": "object", "properties": {
        "label": {"type": "string"}, "probability": {"type": "number"}}}}}}


def _responses(config) -> dict:
    error = {"content": {JSON: {"schema": ERROR}}}
    return {
        "200": {"description": "Scored: one prediction per row, in order",
                "content": {JSON: {"schema": PREDICTIONS}}},
        "400": {"description": "Bad input: the message names the column, row and problem", **error},
        "401": {"description": "No key or a wrong key (Authorization: Bearer <key>)", **error},
        "408": {"description": f"The body did not arrive within {config.body_timeout_s:g} s", **error},
        "413": {"description": f"The body is over {config.max_payload_mb:g} MB", **error},
        "503": {"description": "Every worker is busy and the queue is full; see Retry-After",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}}, **error},
    }


def _value(column) -> dict:
    if column.kind == "numeric":
        return {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}
    schema = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    if column.levels:
        schema["examples"] = list(column.levels[:5])
    return schema


def _example_row(meta) -> dict:
    return {c.display: (c.levels[0] if c.levels else c.imputed or 0) for c in meta.inputs.columns}


def describe_routes(meta, config) -> tuple[dict, dict]:
    """``openapi_extra`` for ``/score`` and ``/invocations``."""
    columns = meta.inputs.columns
    row = {"type": "object", "properties": {c.display: _value(c) for c in columns},
           "required": [c.display for c in columns]}
    rows = {"type": "array", "items": row, "minItems": 1, "maxItems": config.max_rows}
    split = {"type": "object", "required": ["columns", "data"], "properties": {
        "columns": {"type": "array", "items": {"type": "string"}},
        "index": {"type": "array", "items": {"type": "integer"}},
        "data": {"type": "array", "items": {"type": "array"}}}}
    example = _example_row(meta)
    score = {"oneOf": [
        {"type": "object", "required": ["data"], "properties": {"data": rows}},
        {"type": "object", "required": ["input_data"], "properties": {"input_data": split}}]}
    invocations = {"oneOf": [
        {"type": "object", "required": ["dataframe_split"], "properties": {"dataframe_split": split}},
        {"type": "object", "required": ["dataframe_records"], "properties": {"dataframe_records": rows}},
        {"type": "object", "required": ["instances"], "properties": {"instances": rows}},
        {"type": "object", "required": ["inputs"], "properties": {"inputs": rows}}]}
    csv_example = ",".join(example) + "\n" + ",".join(str(v) for v in example.values()) + "\n"
    return (
        {"requestBody": {"required": True, "content": {JSON: {
            "schema": score, "example": {"data": [example]}}}}, "responses": _responses(config)},
        {"requestBody": {"required": True, "content": {
            JSON: {"schema": invocations, "example": {"dataframe_records": [example]}},
            CSV: {"schema": {"type": "string"}, "example": csv_example}}},
         "responses": _responses(config)},
    )

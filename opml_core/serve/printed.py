"""Usage records as printed log lines: how the Azure entry script reports each request.

On Azure, what an entry script prints is what can be collected: each line becomes a row of
Application Insights' ``traces`` (a message is cut at 32,768 characters) and a line of the
container log. ``to_lines`` turns one usage record into lines no longer than ``LINE_BYTES``:
``opml-usage {json}`` when it fits, else ``opml-usage-part <request id> <k>/<n> <piece>``
pieces of the same JSON text, split between UTF-8 characters. ``Assembler`` reads such lines
back, in any order and from any number of reads, and yields each record once it is whole;
other lines (the server's own logging) are ignored.
"""

from __future__ import annotations

import orjson

MARKER = "opml-usage "
PART_MARKER = "opml-usage-part "
LINE_BYTES = 30_000  # below Application Insights' 32,768-character message limit


def to_lines(record: dict, limit: int = LINE_BYTES) -> list[bytes]:
    """The record as one or more printable lines (without newlines)."""
    text = orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY)
    if len(text) + len(MARKER) <= limit:
        return [MARKER.encode() + text]
    room = limit - len(PART_MARKER) - 64  # request id, k/n and spaces
    pieces, start = [], 0
    while start < len(text):
        end = min(start + room, len(text))
        while end < len(text) and (text[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        pieces.append(text[start:end])
        start = end
    head = f"{PART_MARKER}{record['request_id']}"
    return [f"{head} {k}/{len(pieces)} ".encode() + piece for k, piece in enumerate(pieces, 1)]


class Assembler:
    """Collects printed lines and returns the records they make up, each exactly once."""

    def __init__(self, pending: dict | None = None):
        self.pending: dict[str, dict] = pending or {}  # request id -> {"n": n, "pieces": {k: text}}

    def feed(self, line: str) -> dict | None:
        """The record this line completes, or None (not ours, or still waiting for pieces)."""
        line = line.rstrip("\r\n")
        whole, part = line.find(MARKER), line.find(PART_MARKER)  # the first marker counts: a
        if whole >= 0 and (part < 0 or whole < part):  # value sent may contain the other one
            return _parse(line[whole + len(MARKER):])
        at = part
        if at < 0:
            return None
        try:
            request_id, counter, piece = line[at + len(PART_MARKER):].split(" ", 2)
            k, n = (int(x) for x in counter.split("/"))
        except ValueError:
            return None
        entry = self.pending.setdefault(request_id, {"n": n, "pieces": {}})
        entry["pieces"][str(k)] = piece
        if len(entry["pieces"]) < entry["n"]:
            return None
        del self.pending[request_id]
        return _parse("".join(entry["pieces"][str(i)] for i in range(1, entry["n"] + 1)))


def _parse(text: str) -> dict | None:
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and record.get("request_id") else None

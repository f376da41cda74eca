"""Usage records as printed lines: split to fit a trace, reassembled whole, once."""

import random

from opml_core.serve.printed import LINE_BYTES, MARKER, PART_MARKER, Assembler, to_lines


def record(rows: int, text: str = "admin.") -> dict:
    return {"request_id": f"r{rows}", "status": 200, "inputs": [{"job": text, "n": i} for i in range(rows)]}


def test_a_small_record_is_one_line_and_reads_back():
    lines = to_lines(record(2))
    assert len(lines) == 1 and lines[0].startswith(MARKER.encode())
    assert Assembler().feed(lines[0].decode()) == record(2)


def test_a_large_record_is_split_under_the_limit_and_reassembled_in_any_order():
    big = record(3000, "née-日本-✓")  # multi-byte characters across piece boundaries
    lines = to_lines(big)
    assert len(lines) >= 4 and all(len(line) <= LINE_BYTES for line in lines)
    assert all(line.startswith(PART_MARKER.encode()) for line in lines)
    shuffled = [line.decode("utf-8") for line in lines]  # each piece is valid UTF-8 on its own
    random.Random(1).shuffle(shuffled)
    assembler = Assembler()
    done = [r for r in map(assembler.feed, shuffled) if r is not None]
    assert done == [big] and assembler.pending == {}


def test_other_log_lines_and_prefixes_are_ignored():
    assembler = Assembler()
    line = to_lines(record(1))[0].decode()
    assert assembler.feed("2026-12-02 10:00:00,000 I [7] azmlinfsrv - POST /score 200") is None
    assert assembler.feed(f"2026-12-02 10:00:00,001 I [7] azmlinfsrv.print - {line}") == record(1)


def test_a_value_that_looks_like_a_marker_does_not_confuse_the_reader():
    tricky = {"request_id": "x1", "inputs": [{"job": f"{PART_MARKER}x1 1/2 {{"}, {"job": MARKER}]}
    assert Assembler().feed(to_lines(tricky)[0].decode()) == tricky
    pieces = to_lines({**tricky, "pad": "y" * 70_000})
    assembler = Assembler()
    assert [r for r in (assembler.feed(p.decode()) for p in pieces) if r] == [{**tricky, "pad": "y" * 70_000}]


def test_pieces_waiting_for_the_rest_survive_between_reads():
    pieces = [p.decode() for p in to_lines(record(2000))]
    first = Assembler()
    assert all(first.feed(p) is None for p in pieces[:-1])
    second = Assembler(first.pending)  # e.g. kept in a sync state between two collects
    assert second.feed(pieces[-1]) == record(2000)

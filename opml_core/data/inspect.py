"""Check an uploaded file before Spark reads it, and say plainly what is wrong with it.

Pure Python on the bytes: size limit, emptiness, UTF-8, delimiter (sniffed among comma,
semicolon, tab and pipe, so the bank file's ``;`` works), a header line, consistent rows and
unique column names. Parquet files are checked through their footer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from opml_core.data.columns import safe_names
from opml_core.errors import DataError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_LINES = 200
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class FileLayout:
    """What a checked file looks like: its format, delimiter and readable column names."""

    format: str  # "csv" or "parquet"
    columns: list[str]
    delimiter: str | None = None


def check_size(size_bytes: int, max_mb: int) -> None:
    """Refuse files over the configured limit, before reading them."""
    if size_bytes > max_mb * 1024 * 1024:
        raise DataError(
            f"The file is {size_bytes / 1024 / 1024:,.0f} MB; the limit is {max_mb:,} MB. "
            "Upload a smaller sample, or raise the limit with OPML_MAX_UPLOAD_MB."
        )


def inspect_file(data: bytes, filename: str, delimiter: str | None = None) -> FileLayout:
    """Check the bytes of an uploaded CSV or Parquet file and describe its layout."""
    if not data.strip():
        raise DataError(f"{filename} is empty. Choose a file with a header line and some rows.")
    if data[:4] == PARQUET_MAGIC or filename.lower().endswith(".parquet"):
        return _inspect_parquet(data, filename)
    return _inspect_csv(_decode(data, filename), filename, delimiter)


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{filename} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}). "
            "Save it as UTF-8 — in Excel, 'CSV UTF-8' — and upload it again."
        ) from exc


def _inspect_csv(text: str, filename: str, delimiter: str | None) -> FileLayout:
    lines = text.splitlines()[:SAMPLE_LINES]
    chosen = delimiter or _sniff(lines)
    rows = list(csv.reader(lines, delimiter=chosen))
    header = rows[0]
    if len(header) < 2:
        raise DataError(_one_column_message(filename, header[0] if header else "", delimiter))
    body = [r for r in rows[1:] if r]
    if not body:
        raise DataError(f"{filename} has a header line but no rows of data.")
    if all(_is_number(cell) for cell in header):
        raise DataError(
            f"The first line of {filename} looks like data ({', '.join(header[:3])}, …), not "
            "column names. Add a header line with a name for each column and upload it again."
        )
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"Line {number} of {filename} has {len(row)} fields but the header has "
                f"{len(header)}. Check the delimiter ({DELIMITERS.get(chosen, repr(chosen))}) "
                "and quoting, then upload it again."
            )
    columns = [c.strip() for c in header]
    safe_names(columns)
    return FileLayout("csv", columns, chosen)


def _sniff(lines: list[str]) -> str:
    """The candidate delimiter giving the most columns with a consistent field count."""
    best, best_width = ",", 1
    for candidate in DELIMITERS:
        widths = {len(r) for r in csv.reader(lines[:50], delimiter=candidate) if r}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = candidate, width
    return best


def _one_column_message(filename: str, header: str, chosen: str | None) -> str:
    present = [name for d, name in DELIMITERS.items() if d in header]
    if chosen and present:
        return (
            f"With the {DELIMITERS.get(chosen, repr(chosen))} delimiter {filename} has a single "
            f"column, but its header contains the {present[0]} character. Choose "
            f"'{present[0]}' (or Auto) as the delimiter."
        )
    return (
        f"{filename} has a single column: opml reads files separated by commas, semicolons, "
        "tabs or pipes. Check that the file is a table with a header line."
    )


def _inspect_parquet(data: bytes, filename: str) -> FileLayout:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(io.BytesIO(data))
    except Exception as exc:
        raise DataError(
            f"{filename} is not a readable Parquet file ({exc}). Export it again or upload a CSV."
        ) from exc
    columns = list(schema.names)
    if len(columns) < 2:
        raise DataError(f"{filename} has {len(columns)} column(s); a dataset needs at least two.")
    safe_names(columns)
    if pq.ParquetFile(io.BytesIO(data)).metadata.num_rows == 0:
        raise DataError(f"{filename} has columns but no rows of data.")
    return FileLayout("parquet", columns)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True

"""Uploaded files are checked before Spark reads them; each problem has a plain message."""

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opml_core.data.inspect import check_size, inspect_file
from opml_core.errors import DataError
from tests.conftest import FIXTURES

UPLOADS = FIXTURES / "uploads"


def inspect(name, delimiter=None):
    return inspect_file((UPLOADS / name).read_bytes(), name, delimiter)


def test_the_semicolon_delimiter_is_sniffed():
    layout = inspect("semicolon.csv")
    assert layout.delimiter == ";"
    assert layout.columns == ["age", "job", "y"]


def test_the_bundled_file_header_is_read_with_its_dotted_names():
    import gzip

    from opml_core.datasets import BANK_MARKETING

    lines = gzip.decompress(BANK_MARKETING.path.read_bytes()).split(b"\n")
    layout = inspect_file(b"\n".join(lines[:500]), "bank.csv")
    assert layout.delimiter == ";" and "emp.var.rate" in layout.columns and len(layout.columns) == 21


def test_a_wrong_delimiter_names_the_right_one():
    with pytest.raises(DataError, match="Choose 'semicolon'"):
        inspect("semicolon.csv", delimiter=",")


def test_an_empty_file_is_refused():
    with pytest.raises(DataError, match="empty.csv is empty"):
        inspect("empty.csv")


def test_a_header_without_rows_is_refused():
    with pytest.raises(DataError, match="header line but no rows"):
        inspect("header_only.csv")


def test_a_missing_header_is_detected():
    with pytest.raises(DataError, match="looks like data .* not column names"):
        inspect("no_header.csv")


def test_non_utf8_text_says_how_to_save_it():
    with pytest.raises(DataError, match="not UTF-8 text .*line 2.*CSV UTF-8"):
        inspect("latin1.csv")


def test_duplicate_column_names_are_refused():
    with pytest.raises(DataError, match="'age' appears more than once"):
        inspect("duplicate_columns.csv")


def test_a_row_with_missing_fields_names_its_line():
    with pytest.raises(DataError, match="Line 3 .* has 2 fields but the header has 3"):
        inspect("ragged.csv")


def test_a_file_over_the_limit_is_refused_before_reading():
    check_size(200 * 1024 * 1024, 200)  # exactly at the limit is fine
    with pytest.raises(DataError, match="201 MB; the limit is 200 MB.*OPML_MAX_UPLOAD_MB"):
        check_size(201 * 1024 * 1024, 200)


def test_a_parquet_file_is_read_from_its_footer():
    buffer = io.BytesIO()
    pq.write_table(pa.table({"age": [30, 40], "y": ["no", "yes"]}), buffer)
    layout = inspect_file(buffer.getvalue(), "clients.parquet")
    assert layout.format == "parquet" and layout.columns == ["age", "y"]


def test_a_broken_parquet_file_says_so():
    with pytest.raises(DataError, match="not a readable Parquet file"):
        inspect_file(b"PAR1 this is not really parquet", "broken.parquet")

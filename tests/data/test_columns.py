"""Spark-safe names are made once, at load, and clashes are refused with a clear message."""

import pytest

from opml_core.data.columns import safe_name, safe_names
from opml_core.errors import DataError


@pytest.mark.parametrize("readable,safe", [
    ("emp.var.rate", "emp_var_rate"), ("first name", "first_name"), ("2nd try", "c_2nd_try"),
    ("a..b", "a_b"), ("  padded  ", "padded"), ("age", "age"),
])
def test_safe_name_replaces_dots_and_spaces(readable, safe):
    assert safe_name(readable) == safe


def test_duplicate_names_are_refused_whatever_their_case():
    with pytest.raises(DataError, match="'age' appears more than once"):
        safe_names(["age", "job", "Age"])


def test_names_that_would_clash_once_made_safe_are_refused():
    with pytest.raises(DataError, match="would both be stored as 'emp_var_rate'"):
        safe_names(["emp.var.rate", "emp_var_rate"])


def test_an_empty_column_name_is_refused_with_its_position():
    with pytest.raises(DataError, match="Column 2 has no name"):
        safe_names(["age", " ", "y"])


def test_the_row_id_name_is_reserved():
    with pytest.raises(DataError, match="reserved"):
        safe_names(["opml_row_id", "y"])

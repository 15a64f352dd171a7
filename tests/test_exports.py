"""CSV cells that a spreadsheet would run as formulas are neutralised."""

import datetime as dt

import pytest

from tracker.exports import safe_cell


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-3, "'-3"),
        (dt.date(2027, 6, 30), "2027-06-30"),
        ("수출 통제", "수출 통제"),
    ],
)
def test_safe_cell_neutralises_formula_starts_only(value, expected):
    assert safe_cell(value) == expected

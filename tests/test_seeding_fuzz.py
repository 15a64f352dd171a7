"""Bad seed files of every shape: a file:line error and an unchanged database, never a crash."""

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_seeding import GOOD, snapshot
from tracker.seeding import MAX_FILE_BYTES, SeedErrors, load_paths

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
PROBLEM = re.compile(r"^.+\.yaml:\d+: .+")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def attempt(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(raw)
        before = snapshot()
        try:
            load_paths([path], now=NOW)
        except SeedErrors as errors:
            assert errors.problems
            assert all(PROBLEM.match(p) for p in errors.problems), errors.problems
            assert snapshot() == before


@pytest.mark.django_db
@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(raw):
    attempt(raw)


@pytest.mark.django_db
@FUZZ
@given(st.text(max_size=400))
def test_random_text_never_crashes_the_loader(text):
    attempt(text.encode("utf-8", "surrogatepass"))


@pytest.mark.django_db
@FUZZ
@given(field=st.sampled_from(["source", "themes", "organizations", "items"]), value=values)
def test_any_value_in_any_section_is_checked(field, value):
    data = yaml.safe_load(GOOD)
    data[field] = value
    attempt(yaml.safe_dump(data, allow_unicode=True).encode())


@pytest.mark.django_db
@FUZZ
@given(
    key=st.sampled_from(
        [
            "title_en",
            "theme",
            "lead",
            "due",
            "cadence_days",
            "priority",
            "releasability",
            "partners",
            "provenance",
            "key",
        ]
    ),
    value=values,
)
def test_any_value_in_any_item_field_is_checked(key, value):
    data = yaml.safe_load(GOOD)
    data["items"][0][key] = value
    attempt(yaml.safe_dump(data, allow_unicode=True).encode())


@pytest.mark.django_db
@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300))
def test_titles_with_hangul_emoji_formulas_and_control_characters_load_or_are_refused(title):
    data = yaml.safe_load(GOOD)
    data["items"][0]["title_en"] = title
    attempt(yaml.safe_dump(data, allow_unicode=True).encode())


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path, db):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(SeedErrors, match="larger than"):
        load_paths([path], now=NOW)


def test_a_formula_title_is_stored_as_text_not_evaluated(tmp_path, db):
    from tracker.models import ActionItem

    path = tmp_path / "formula.yaml"
    path.write_text(GOOD.replace("Do the first thing", "'=HYPERLINK(\"x\")'"), encoding="utf-8")
    load_paths([path], now=NOW)
    assert ActionItem.objects.get().title_en == '=HYPERLINK("x")'


def test_an_alias_bomb_is_refused_quickly(tmp_path, db):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SeedErrors, match="more than"):
        load_paths([path], now=NOW)

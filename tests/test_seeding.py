"""The seed loader: the report loads; every kind of bad file is refused whole, with file:line."""

import datetime as dt
import textwrap
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from tests.conftest import in_ci
from tracker import roles, workflow
from tracker.models import ActionItem, Organization, Source, Status, Theme, UpdateKind
from tracker.seeding import SeedErrors, load_paths

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "csis-dapa-2021.yaml"
REPORT = ROOT.parent / "shared" / "seeds" / "csis-dapa-2021-executive-summary.txt"
NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)

GOOD = textwrap.dedent(
    """\
    source:
      key: example-report
      title: Example report
      date: 2023-05-01
    themes:
      - key: trade
        title_en: Trade
        title_ko: 무역
    organizations:
      - key: ministry
        country: KR
        name_en: Ministry
      - key: agency
        country: US
        name_en: Agency
    items:
      - key: first-item
        title_en: Do the first thing
        title_ko: 첫째 일
        theme: trade
        lead: ministry
        partners: [agency]
        priority: high
        due: 2027-01-31
        cadence_days: 14
        releasability: us-kr
        provenance:
          paragraph: 3
          excerpt: "the first thing should be done"
    """
)


def write(tmp_path: Path, text: str, name: str = "report.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot() -> tuple:
    return (
        Source.objects.count(),
        Theme.objects.count(),
        Organization.objects.count(),
        list(ActionItem.objects.values_list("key", "title_en", "due_date")),
    )


def test_the_report_seed_loads_every_action_item(db):
    out = StringIO()
    call_command("load_seed", str(SEED), stdout=out)
    keys = set(ActionItem.objects.values_list("key", flat=True))
    assert {
        "dticc-mou-revision",
        "rdp-mou-talks",
        "cyber-joint-taskforce",
        "export-licensing-review",
        "tcsc-space-forum",
    } <= keys
    assert len(keys) > 10
    assert Theme.objects.count() == 4
    assert all(item.title_ko and item.summary_ko for item in ActionItem.objects.all())
    assert "created" in out.getvalue()


def test_every_excerpt_is_copied_exactly_from_the_report():
    if not REPORT.exists():
        if in_ci():
            pytest.fail(f"the report is missing at {REPORT}")
        pytest.skip("the shared report is not beside this checkout")
    report = REPORT.read_text(encoding="utf-8")
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    for item in data["items"]:
        excerpt = item["provenance"]["excerpt"]
        assert excerpt in report, item["key"]
        assert len(excerpt.split()) <= 25, item["key"]


def test_a_second_run_changes_nothing_and_says_so(db):
    call_command("load_seed", str(SEED), stdout=StringIO())
    history_before = ActionItem.history.count()
    out = StringIO()
    call_command("load_seed", str(SEED), stdout=out)
    assert "No changes" in out.getvalue()
    assert ActionItem.history.count() == history_before


def test_a_reload_keeps_status_and_owners_entered_in_the_tracker(tmp_path, user_factory):
    path = write(tmp_path, GOOD)
    load_paths([path], now=NOW)
    item = ActionItem.objects.get(key="first-item")
    coordinator = user_factory(role=roles.COORDINATORS, clearances=("us-kr",))
    owner = user_factory(role=roles.OWNERS, clearances=("us-kr",))
    workflow.reassign_owner(item=item, owner=owner, by=coordinator, now=NOW)
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=NOW)
    item.co_owners.add(coordinator)

    write(tmp_path, GOOD.replace("Do the first thing", "Do the first thing well"))
    load_paths([path], now=NOW)
    item.refresh_from_db()
    assert item.title_en == "Do the first thing well"
    assert item.status == Status.IN_PROGRESS
    assert item.owner == owner
    assert list(item.co_owners.all()) == [coordinator]
    assert item.updates.count() == 3  # reassigned, started, and the reload's title change
    reload = item.updates.first()
    assert reload.kind == UpdateKind.SEED and reload.author is None
    assert reload.changes == [
        {"field": "title_en", "old": "Do the first thing", "new": "Do the first thing well"}
    ]


def test_a_reload_updates_seed_fields(tmp_path, db):
    path = write(tmp_path, GOOD)
    load_paths([path], now=NOW)
    write(tmp_path, GOOD.replace("due: 2027-01-31", "due: 2027-03-31").replace("[agency]", "[]"))
    result = load_paths([path], now=NOW)
    item = ActionItem.objects.get(key="first-item")
    assert item.due_date == dt.date(2027, 3, 31)
    assert item.partner_organizations.count() == 0
    assert result.updated


BAD_FILES = {
    "broken yaml": (GOOD.replace("  - key: trade", "  - key: [trade"), 7, "broken YAML"),
    "unknown field": (
        GOOD.replace("    priority: high", "    priority: high\n    colour: red"),
        24,
        "unknown field “colour”",
    ),
    "missing key": (GOOD.replace("  - key: first-item\n", "  -\n"), 18, "missing “key”"),
    "duplicate key": (
        GOOD + GOOD[GOOD.index("  - key: first-item") :],
        30,
        "duplicate key “second-item”",
    ),
    "bad date": (GOOD.replace("due: 2027-01-31", "due: 2027-02-30"), 24, "not a date"),
    "due before source": (
        GOOD.replace("due: 2027-01-31", "due: 2020-01-31"),
        24,
        "before the source's date",
    ),
    "unknown theme": (GOOD.replace("theme: trade", "theme: tariffs"), 20, "unknown theme"),
    "unknown organization": (
        GOOD.replace("lead: ministry", "lead: treasury"),
        21,
        "unknown organization “treasury”",
    ),
    "unknown partner": (
        GOOD.replace("[agency]", "[agency, navy]"),
        22,
        "unknown organization “navy”",
    ),
    "long excerpt": (
        GOOD.replace("the first thing should be done", " ".join(["word"] * 26)),
        29,
        "26 words; at most 25",
    ),
    "bad releasability": (
        GOOD.replace("releasability: us-kr", "releasability: nato"),
        26,
        "must be one of",
    ),
    "bad cadence": (GOOD.replace("cadence_days: 14", "cadence_days: 0"), 25, "1 to 365"),
    "not a mapping": ("- just\n- a list\n", 1, "must be a mapping"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_with_file_and_line_and_nothing_written(tmp_path, db, case):
    text, line, message = BAD_FILES[case]
    load_paths([write(tmp_path, GOOD, "existing.yaml")], now=NOW)
    before = snapshot()
    bad = write(
        tmp_path,
        text.replace("example-report", "second-report").replace("first-item", "second-item"),
        "bad.yaml",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_seed", str(bad), stderr=err)
    assert f"{bad}:{line}: " in err.getvalue(), err.getvalue()
    assert message in err.getvalue()
    assert snapshot() == before


def test_every_problem_is_reported_not_just_the_first(tmp_path, db):
    text = GOOD.replace("theme: trade", "theme: tariffs").replace("lead: ministry", "lead: x")
    with pytest.raises(SeedErrors) as errors:
        load_paths([write(tmp_path, text)], now=NOW)
    assert len(errors.value.problems) == 2


def test_a_file_that_is_not_utf8_is_refused(tmp_path, db):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.encode("utf-8").replace(b"Trade", b"Tr\xe4de"))
    with pytest.raises(SeedErrors, match="not valid UTF-8"):
        load_paths([path], now=NOW)
    assert not Source.objects.exists()


def test_a_key_in_two_files_is_refused(tmp_path, db):
    first = write(tmp_path, GOOD, "a.yaml")
    second = write(tmp_path, GOOD.replace("example-report", "other-report"), "b.yaml")
    with pytest.raises(SeedErrors, match="also in"):
        load_paths([first, second], now=NOW)
    assert not ActionItem.objects.exists()


def test_new_items_get_a_first_follow_up_one_cadence_from_loading(tmp_path, db):
    load_paths([write(tmp_path, GOOD)], now=NOW)
    item = ActionItem.objects.get()
    assert item.next_follow_up_at == NOW + dt.timedelta(days=14)
    assert item.marking == "us-kr"


def test_owner_roles_load_in_both_languages_and_the_older_single_field_still_loads(tmp_path, db):
    bilingual = GOOD.replace(
        "    priority: high\n",
        '    owner_role_en: "Trade ministry lead"\n'
        '    owner_role_ko: "무역 담당 부처 책임자"\n'
        "    priority: high\n",
    )
    load_paths([write(tmp_path, bilingual)], now=NOW)
    item = ActionItem.objects.get(key="first-item")
    assert (item.owner_role_en, item.owner_role_ko) == (
        "Trade ministry lead",
        "무역 담당 부처 책임자",
    )
    older = GOOD.replace(
        "    priority: high\n", '    owner_role: "Older role"\n    priority: high\n'
    )
    load_paths([write(tmp_path, older)], now=NOW)
    item.refresh_from_db()
    assert (item.owner_role_en, item.owner_role_ko) == ("Older role", "")


def test_both_names_of_the_english_owner_role_are_refused_together(tmp_path, db):
    both = GOOD.replace(
        "    priority: high\n",
        '    owner_role: "One"\n    owner_role_en: "Two"\n    priority: high\n',
    )
    with pytest.raises(SeedErrors) as refused:
        load_paths([write(tmp_path, both)], now=NOW)
    assert "“owner_role” in item “first-item” is the older name of “owner_role_en”" in str(
        refused.value
    )
    assert not ActionItem.objects.exists()


def test_the_reports_seed_gives_every_item_its_role_in_both_languages(db):
    call_command("load_seed", str(SEED), stdout=StringIO())
    assert not ActionItem.objects.filter(owner_role_en="").exists()
    assert not ActionItem.objects.filter(owner_role_ko="").exists()

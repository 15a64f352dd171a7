"""Bad input everywhere a person can type or upload: a clear refusal and an unchanged database,
or a clean result; never a server error.

The seed loader has its own fuzz tests (tests/test_seeding_fuzz.py) and the list and export
query strings theirs (tests/pages/test_bad_queries.py); this module covers the item page's forms,
the admin's update form, bulk actions and CSV import, and query strings and tokens on every page.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admin.test_import_export import confirm, csv_text, new_row
from tests.pages.test_bad_queries import queries
from tests.support.admin import CHANGELIST, item_url, text_of
from tests.support.state import database_state
from tracker.admin.imports import IMPORT_MAX_BYTES
from tracker.models import ActionItem, Status, StatusUpdate
from tracker.workflow import NOTE_MAX_LENGTH

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY_TEXT = [
    "",
    " ",
    "a" * (NOTE_MAX_LENGTH + 1),
    "x" * 20000,
    "\x00",
    "note\x00with a NUL",
    "\x07\x1b[31mred\x1b[0m",
    "line one\r\nBcc: thief@evil.example",
    "\r\n\r\n",
    "\u202eevil",
    "진행 상황을 보고합니다 😀👍🏽",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "{{ 7|add:7 }} {% now 'Y' %}",
]
texts = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
)
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["", "1.5", "1e3", "０７", "٣", "7\x00", "NaN", "-0", "+7"]),
    texts,
)
statuses = st.one_of(st.sampled_from(Status.values), texts)
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}


def clean_timeline(item: ActionItem) -> bool:
    """Every note on the item's timeline is bounded and free of control characters."""
    notes = StatusUpdate.objects.filter(item=item).values_list("note", flat=True)
    return all(len(n) <= NOTE_MAX_LENGTH and not (set(n) & CONTROL) for n in notes)


# --- The item page's forms -----------------------------------------------------------------------


@pytest.fixture
def owned(world, client):
    client.force_login(world.owner)
    return world.public


item_posts = st.one_of(
    st.builds(lambda note: ("update", {"update-note": note}), texts),
    st.builds(
        lambda to, note, version: ("status", {"status-to": to, "status-note": note, "v": version}),
        statuses,
        texts,
        st.one_of(st.just("current"), numbers),
    ),
    st.builds(lambda days: ("snooze", {"snooze-days": days}), numbers),
    st.builds(lambda note: ("on-track", {"ontrack-note": note}), texts),
    st.builds(lambda text: ("comment", {"comment-text": text}), texts),
    st.builds(
        lambda url, title, note: (
            "evidence",
            {"evidence-url": url, "evidence-title": title, "evidence-note": note},
        ),
        st.one_of(texts, st.just("https://example.org/minutes")),
        texts,
        texts,
    ),
    st.builds(lambda url, note: ("claim", {"claim-url": url, "claim-note": note}), texts, texts),
    st.builds(
        lambda decision, note: ("review", {"decision": decision, "review-note": note}),
        st.one_of(st.sampled_from(["accept", "return"]), texts),
        texts,
    ),
)


@FUZZ
@given(post=item_posts)
def test_the_item_forms_refuse_bad_input_clearly_and_change_nothing(client, owned, post):
    form, data = post
    owned.refresh_from_db()
    if "v" in data:
        version = data.pop("v")
        data["status-version"] = str(owned.version) if version == "current" else version
    before = database_state()
    response = client.post(f"/items/{owned.key}/{form}/", data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "The change was not made" in text_of(response)
        assert database_state() == before
    else:
        assert StatusUpdate.objects.filter(item=owned).count() == (
            len(before["tracker.StatusUpdate"]) + 1
        )
        assert clean_timeline(owned)


def test_a_body_that_is_not_utf8_is_read_without_a_crash(client, owned):
    before = database_state()
    response = client.post(
        f"/items/{owned.key}/update/",
        b"update-note=%ff%fe%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert database_state() == before


# --- The admin's update form and bulk actions ----------------------------------------------------


@pytest.fixture
def coordinator_client(signed_in, world):
    """The world's U.S. coordinator in the admin (two-factor off, as in the admin's tests)."""
    return signed_in(world.coordinator)


@FUZZ
@given(to=st.one_of(st.just(""), statuses), note=texts)
def test_the_admin_update_form_refuses_bad_input_clearly(coordinator_client, world, to, note):
    item = world.public
    before = database_state()
    response = coordinator_client.post(
        item_url(item, "post-update/"), {"to_status": to, "note": note}
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "errorlist" in text_of(response) or "errornote" in text_of(response)
        assert database_state() == before
    assert clean_timeline(item)


@FUZZ
@given(to=st.one_of(st.just(""), statuses), note=texts, title=texts, due=texts)
def test_the_admin_item_form_refuses_bad_input_clearly_and_never_drops_a_note(
    coordinator_client, world, to, note, title, due
):
    """The timeline box is saved with the item's fields: either all of it lands (the note on the
    timeline) or the form comes back with its errors and nothing changed."""
    from tests.admin.test_item_page import form_data

    item = world.public
    item.refresh_from_db()
    before, entries = database_state(), item.updates.count()
    data = form_data(item, to_status=to, note=note, title_en=title, due_date=due)
    response = coordinator_client.post(item_url(item), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "errorlist" in text_of(response) or "errornote" in text_of(response)
        assert database_state() == before
    elif "".join(c for c in note if c not in CONTROL).strip():
        assert item.updates.count() > entries  # a note typed is on the timeline
    assert clean_timeline(item)


bulk_actions = st.one_of(
    st.builds(
        lambda to, note: {"action": "change_status", "to_status": to, "note": note}, statuses, texts
    ),
    st.builds(lambda days: {"action": "snooze_follow_up", "days": days}, numbers),
    st.builds(
        lambda owner, note, role: {
            "action": "reassign_owner",
            "owner": owner,
            "note": note,
            "role": role,
            "role_en": note,
        },
        numbers,
        texts,
        st.sampled_from(["keep", "replace", "clear", "", "x"]),
    ),
)


@FUZZ
@given(data=bulk_actions, across=st.sampled_from(["0", "1", "", "x"]))
def test_bulk_actions_refuse_bad_input_clearly(coordinator_client, world, data, across):
    selected = [str(world.public.pk), str(world.us_only.pk)]
    post = {**data, "_selected_action": selected, "select_across": across, "apply": "1"}
    before = database_state()
    response = coordinator_client.post(CHANGELIST, {**post, "index": "0"})
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # the confirmation page again, with the form's errors
        assert "errorlist" in text_of(response)
        assert database_state() == before
    assert clean_timeline(world.public)


# --- The admin's CSV import ----------------------------------------------------------------------

COLUMNS = list(new_row("x"))
FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "'=1", "\t=1", "\r=1"]
cells = st.one_of(
    st.sampled_from(FORMULAS + ["", "9" * 40, "2027-02-30", "kr-only", "제목 😀", "a\nb", '"']),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
)
headers = st.one_of(
    st.just(COLUMNS),
    st.permutations(COLUMNS),
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=len(COLUMNS), unique=True),
    st.builds(
        lambda extra: COLUMNS + extra, st.lists(st.text(min_size=1, max_size=10), max_size=3)
    ),
)


@st.composite
def csv_files(draw) -> bytes:
    """A CSV of a few rows: valid ones with some cells replaced, in some encoding."""
    columns = draw(headers)
    rows = []
    for n in range(draw(st.integers(min_value=0, max_value=4))):
        row = new_row(f"fuzz-{n}")
        row.update(draw(st.dictionaries(st.sampled_from(COLUMNS), cells, max_size=4)))
        rows.append({column: row.get(column, "") for column in columns})
    text = csv_text(rows) if rows else ",".join(columns) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp949"]))
    return text.encode(encoding, errors="replace")


def upload_bytes(client, raw: bytes, name: str = "items.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, raw, content_type="text/csv")
    return client.post(
        f"{CHANGELIST}import/", {"format": "0", "resource": "0", "import_file": file}
    )


def imported_cleanly_or_refused(client, raw: bytes) -> None:
    before = database_state()
    preview = upload_bytes(client, raw)
    assert preview.status_code == 200
    offered = preview.context and preview.context.get("confirm_form")
    if not offered:
        page = text_of(preview)
        assert any(m in page for m in ("errornote", "errorlist", "import-error")), page[-3000:]
        assert database_state() == before
        return
    done = confirm(client, preview)
    assert done.status_code == 200
    assert "Import finished" in text_of(done) or "Nothing was imported" in text_of(done)


@FUZZ
@given(raw=csv_files())
def test_the_csv_import_refuses_bad_files_clearly_and_changes_nothing(
    coordinator_client, world, raw
):
    imported_cleanly_or_refused(coordinator_client, raw)


@FUZZ
@given(raw=st.binary(max_size=600))
def test_the_csv_import_survives_random_bytes(coordinator_client, world, raw):
    imported_cleanly_or_refused(coordinator_client, raw)


def test_an_oversized_import_file_is_refused_before_it_is_read(coordinator_client, world):
    rows = csv_text([new_row(f"big-{n}") for n in range(10)])
    raw = rows.encode() + b"#" * IMPORT_MAX_BYTES
    before = database_state()
    page = text_of(upload_bytes(coordinator_client, raw))
    assert "larger than" in page
    assert database_state() == before


def test_a_file_in_utf16_or_latin1_is_refused_with_a_plain_reason(coordinator_client, world):
    text = csv_text([new_row("enc-1", title_en="Café ☕ 제목")])
    for raw in (text.encode("utf-16"), text.encode("latin-1", errors="replace")):
        before = database_state()
        page = text_of(upload_bytes(coordinator_client, raw))
        assert "UTF-8" in page
        assert database_state() == before


# --- Query strings and tokens on every page ------------------------------------------------------

GET_PAGES = [
    "/",
    "/items/",
    "/items/export.csv",
    "/items/public-item/",
    "/mine/",
    "/calendar/",
    "/healthz",
    "/accounts/login/",
    "/i18n/setlang/",
    "/admin/",
    CHANGELIST,
    "/admin/tracker/reminder/",
    "/admin/tracker/organization/",
    "/admin/auth/user/",
    "/admin/autocomplete/",
    "/admin/tracker/actionitem/export/",
    "/settings/",
    "/items/public-item/people/",
]


@FUZZ
@given(page=st.sampled_from(GET_PAGES), query=queries)
def test_every_page_survives_any_query_string(coordinator_client, world, page, query):
    before = database_state()
    response = coordinator_client.get(page, query)
    assert response.status_code < 500
    assert database_state() == before


tokens = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=120),
    st.sampled_from(["%00", "..", "a" * 5000, "e30:x", "eyJyIjoxfQ:abc", "' OR 1=1 --"]),
)


@FUZZ
@given(token=tokens, method=st.sampled_from(["get", "post"]))
def test_signed_links_and_calendar_feeds_survive_any_token(client, world, token, method):
    before = database_state()
    quoted = quote(token, safe="")
    for path in (f"/r/{quoted}/", f"/calendar/{quoted}.ics", f"/u/{quoted}/"):
        response = getattr(client, method)(path)
        assert response.status_code in (400, 403, 404, 405, 410)
    assert database_state() == before

"""English and Korean from the user's profile, switchable on the page; times in the user's zone."""

import datetime as dt
import gettext
import json
import re
from pathlib import Path

from django.conf import settings

from tracker import workflow
from tracker.models import Profile


def test_a_korean_profile_gets_korean_pages(client, world):
    Profile.objects.filter(user=world.kr_reader).update(language="ko")
    client.force_login(world.kr_reader)
    page = client.get("/").content.decode()
    assert '<html lang="ko">' in page
    assert "대시보드" in page and "주제별 상태" in page and "기한 경과" in page
    item = client.get("/items/public-item/").content.decode()
    assert "수출 통제 조화" in item and "진행 중" in item and "진행 경과" in item


def test_the_switcher_overrides_the_profile_language(client, world):
    client.force_login(world.reader)  # profile language: English
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/items/"})
    assert response.status_code == 302 and response["Location"] == "/items/"
    assert "조치 항목" in client.get("/items/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Action items" in client.get("/items/").content.decode()


def test_the_page_offers_both_languages_with_the_current_one_pressed(client, world):
    client.force_login(world.reader)
    page = client.get("/").content.decode()
    assert 'value="ko" lang="ko" aria-pressed="false">한국어</button>' in page
    assert 'value="en" lang="en" aria-pressed="true" class="current">English</button>' in page
    client.cookies["django_language"] = "ko"
    page = client.get("/").content.decode()  # each language keeps its own name
    assert 'value="en" lang="en" aria-pressed="false">English</button>' in page


def test_times_are_shown_in_the_users_time_zone(client, world):
    when = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    workflow.post_update(item=world.public, by=world.owner, note="tz check", now=when)
    Profile.objects.filter(user=world.kr_reader).update(time_zone="Asia/Seoul")
    client.force_login(world.kr_reader)
    page = client.get("/items/public-item/").content.decode()
    assert 'datetime="2026-03-03T00:30:00+09:00"' in page
    assert "Asia/Seoul" in page
    client.force_login(world.reader)  # America/New_York
    page = client.get("/items/public-item/").content.decode()
    assert 'datetime="2026-03-02T10:30:00-05:00"' in page


def test_dates_in_korean_read_as_korean_dates(client, world):
    Profile.objects.filter(user=world.kr_reader).update(language="ko")
    world.public.due_date = dt.date(2027, 6, 30)
    world.public.save()
    client.force_login(world.kr_reader)
    assert "2027년 6월 30일" in client.get("/items/public-item/").content.decode()


CATALOGUE = Path(settings.BASE_DIR) / "tracker" / "locale" / "ko" / "LC_MESSAGES"
PAGES_FILES = re.compile(
    r"tracker/(views/|filters\.py|forms\.py|exports\.py|charts\.py|calendar_feed\.py|"
    r"templates/base\.html|templates/registration/|templates/tracker/(?!email/|links/))"
)


def catalogue_entries() -> list[tuple[str, str, str]]:
    """(references, msgid, msgstr) of each entry of the Korean .po file whose msgid is on one
    line (its msgstr may be wrapped over several)."""
    text = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    pattern = re.compile(r'((?:#: .*\n)+)(?:#,.*\n)?msgid (".+")\nmsgstr ((?:".*"\n)+)')
    return [
        (refs, json.loads(mid), "".join(json.loads(part) for part in mstr.splitlines()))
        for refs, mid, mstr in pattern.findall(text)
    ]


def test_every_string_of_the_pages_has_a_korean_translation():
    entries = [e for e in catalogue_entries() if PAGES_FILES.search(e[0])]
    assert len(entries) > 100
    assert [mid for _refs, mid, mstr in entries if not mstr] == []


def test_the_committed_mo_file_is_compiled_from_the_current_po_file():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [mid for _r, mid, mstr in catalogue_entries() if mstr and compiled.gettext(mid) != mstr]
    assert stale == [], "run manage.py compilemessages"


def test_a_korean_reader_reads_the_time_of_day_after_the_date_as_korean_writes_it(client, world):
    world.public.last_update_at = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)  # 11:00 in Seoul
    world.public.save()
    Profile.objects.filter(user=world.kr_reader).update(language="ko", time_zone="Asia/Seoul")
    client.force_login(world.kr_reader)
    page = client.get("/items/public-item/").content.decode()
    assert "2026년 12월 4일 오전 11:00" in page and "11:00 오전" not in page

"""Each person's notification settings page, and the one-click List-Unsubscribe address."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.state import database_state
from tracker import notifications, roles
from tracker.models import DigestFrequency, Profile, ReminderKind


@pytest.fixture
def person(user_factory):
    return user_factory("kim", role=roles.OWNERS, time_zone="Asia/Seoul", language="ko")


def form(**changes) -> dict:
    data = {
        "frequency": DigestFrequency.WORKING_DAYS,
        "hour": "9",
        "weekday": "0",
        "sections": [s.value for s in notifications.SECTIONS],
        "paused_until": "",
        "language": "ko",
        "time_zone": "Asia/Seoul",
    }
    data.update(changes)
    return data


def test_the_settings_page_shows_the_defaults_in_the_persons_language(client, person):
    client.force_login(person)
    page = client.get("/settings/").content.decode()
    assert "<h1>설정</h1>" in page
    assert '<option value="9" selected>09:00</option>' in page
    assert 'value="Asia/Seoul" selected' in page


def test_saved_settings_change_the_digest_and_the_pages(client, person):
    client.force_login(person)
    wanted = [s.value for s in notifications.SECTIONS if s != ReminderKind.WATCHED]
    tomorrow = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        "/settings/",
        form(
            frequency="weekly",
            hour="7",
            weekday="4",
            sections=wanted,
            paused_until=tomorrow,
            language="en",
            time_zone="America/Chicago",
        ),  # fmt: skip
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=person)
    assert (profile.digest_frequency, profile.digest_hour, profile.digest_weekday) == (
        "weekly", 7, 4,
    )  # fmt: skip
    assert profile.muted_sections == [ReminderKind.WATCHED]
    assert profile.digests_paused_until.isoformat() == tomorrow
    assert (profile.language, profile.time_zone) == ("en", "America/Chicago")
    page = client.get("/settings/").content.decode()
    assert (
        "Your settings were saved." in page
        and "Dates and times are shown in America/Chicago" in page
    )


def test_the_sites_hour_left_as_it_is_stays_the_sites(client, person, settings):
    client.force_login(person)
    client.post("/settings/", form(hour="9"))
    assert Profile.objects.get(user=person).digest_hour is None  # follows REMINDER_LOCAL_HOUR


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"paused_until": "2020-01-01"}, "paused_until"),
        ({"hour": "23"}, "hour"),  # the 3-hour window would pass midnight
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"frequency": "hourly"}, "frequency"),
        ({"sections": ["gossip"]}, "sections"),
        ({"weekday": "7"}, "weekday"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_and_nothing_changes(client, person, changes, field):
    client.force_login(person)
    before = database_state()
    response = client.post("/settings/", form(**changes))
    assert response.status_code == 400
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert database_state() == before


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.dictionaries(st.sampled_from(list(form())), st.text(max_size=40), max_size=7))
def test_any_posted_values_save_valid_settings_or_change_nothing(person, values):
    client = Client()
    client.force_login(person)
    before = database_state()
    response = client.post("/settings/", form(**values))
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert database_state() == before
    else:
        Profile.objects.get(user=person).full_clean()


def test_the_settings_page_needs_a_sign_in(client):
    assert client.get("/settings/").status_code == 302


# --- One-click unsubscribe (RFC 8058) -------------------------------------------------------------


def test_a_get_of_the_unsubscribe_address_only_asks_to_confirm(client, person):
    url = f"/u/{notifications.unsubscribe_token(user_id=person.pk)}/"
    before = database_state()
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and "알림 요약 메일을 멈출까요?" in page
    assert 'method="post"' in page and database_state() == before


def test_a_one_click_post_without_a_session_or_csrf_token_stops_the_digests(person):
    client = Client(enforce_csrf_checks=True)
    url = f"/u/{notifications.unsubscribe_token(user_id=person.pk)}/"
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    profile = Profile.objects.get(user=person)
    assert profile.digests_stopped_at is not None
    person.refresh_from_db()
    assert notifications.digests_paused(
        Profile.objects.get(user=person).user, day=dt.date(2030, 1, 1)
    )
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again: fine


def test_the_settings_page_starts_stopped_digests_again(client, person, now):
    notifications.stop_digests(user=person, now=now)
    client.force_login(person)
    assert "다시 받기" in client.get("/settings/").content.decode()
    client.post("/settings/", form(resume="on"))
    assert Profile.objects.get(user=person).digests_stopped_at is None


@pytest.mark.parametrize("token", ["1:forged", "nonsense", "999999:" + "a" * 43])
def test_a_forged_unsubscribe_address_is_refused_and_changes_nothing(client, person, token):
    before = database_state()
    assert client.post(f"/u/{token}/").status_code == 400
    assert database_state() == before


def test_an_address_made_for_one_person_never_stops_anothers(person, user_factory):
    other = user_factory("lee")
    url = f"/u/{notifications.unsubscribe_token(user_id=person.pk)}/"
    Client().post(url)
    assert Profile.objects.get(user=other).digests_stopped_at is None

"""The dashboard: counts by theme and by lead organization, what is late or coming, what changed,
closings per month and the reminder backlog, always within the viewer's markings."""

import datetime as dt

from django.utils import timezone

from tracker import workflow
from tracker.models import Reminder, ReminderItem, ReminderKind, ReminderState, Status, Theme
from tracker.views.dashboard import THEMES_SHOWN


def dashboard(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response


def test_the_summary_counts_only_what_the_reader_may_see(client, world):
    numbers = dashboard(client, world.reader).context["numbers"]
    assert (numbers.total, numbers.open, numbers.overdue_count) == (2, 1, 1)
    numbers = dashboard(client, world.us_reader).context["numbers"]
    assert (numbers.total, numbers.open, numbers.coming_up_count) == (3, 2, 1)


def test_the_theme_and_organization_charts_count_items_by_status(client, world, kr_org):
    response = dashboard(client, world.kr_reader)
    (theme_row,) = response.context["theme_rows"]
    assert (theme_row.label, theme_row.total) == ("Government", 3)
    assert {s.status: s.count for s in theme_row.segments} == {
        "not_started": 1,
        "in_progress": 1,
        "implemented": 1,
    }
    orgs = {row.label: row.total for row in response.context["org_rows"]}
    assert orgs == {"Department of Defense": 2, "DAPA": 1}
    page = response.content.decode()
    assert 'aria-label="Government: Not started 1, In progress 1, Implemented 1"' in page
    assert 'fill="#1d5fa8"' in page  # the in-progress segment is drawn


def test_overdue_and_due_soon_lists_link_to_their_items(client, world):
    page = dashboard(client, world.us_reader).content.decode()
    overdue = page[page.index('id="overdue"') : page.index('id="due-soon"')]
    assert 'href="/items/public-item/"' in overdue
    soon = page[page.index('id="due-soon"') : page.index('id="recent"')]
    assert 'href="/items/us-secret/"' in soon


def test_recently_updated_shows_what_changed_and_who_changed_it(client, world):
    workflow.change_status(
        item=world.public, to=Status.BLOCKED, by=world.owner, note="Waiting", now=timezone.now()
    )
    page = dashboard(client, world.reader).content.decode()
    recent = page[page.index('id="recent"') :]
    assert "In progress → Blocked" in recent and "owner" in recent and "Waiting" in recent


def test_closings_are_counted_in_the_month_they_happened(client, world):
    now = timezone.now()
    workflow.change_status(
        item=world.public, to=Status.SUPERSEDED, by=world.owner, note="Done", now=now
    )
    response = dashboard(client, world.reader)
    bars = response.context["month_bars"]
    assert len(bars) == 12 and bars[-1].count == 1
    assert sum(b.count for b in bars) == 1
    assert "1 item closed in the last 12 months." in response.content.decode()


def test_the_dashboard_shows_a_change_at_once_despite_its_cache(client, world):
    assert dashboard(client, world.reader).context["numbers"].overdue_count == 1
    workflow.change_status(
        item=world.public, to=Status.SUPERSEDED, by=world.owner, note="Done", now=timezone.now()
    )
    assert dashboard(client, world.reader).context["numbers"].overdue_count == 0


def test_reminder_counts_include_only_digests_about_visible_items(client, world):
    today = timezone.localdate()
    for n, (state, item) in enumerate(
        [
            (ReminderState.PENDING, world.public),
            (ReminderState.FAILED, world.public),
            (ReminderState.FAILED, world.us_only),
            (ReminderState.SENT, world.public),
        ]
    ):
        reminder = Reminder.objects.create(
            recipient=world.owner,
            local_date=today + dt.timedelta(days=n),
            created_at=timezone.now(),
            state=state,
        )
        ReminderItem.objects.create(reminder=reminder, item=item, kind=ReminderKind.FOLLOW_UP)
    assert dashboard(client, world.reader).context["reminders"] == {"pending": 1, "failed": 1}
    assert dashboard(client, world.us_reader).context["reminders"] == {"pending": 1, "failed": 2}


def test_an_empty_tracker_shows_an_empty_dashboard(client, user_factory):
    page = dashboard(client, user_factory()).content.decode()
    assert "Nothing is overdue." in page and "No updates yet." in page


def test_a_renamed_organization_shows_at_once_on_a_cached_dashboard(client, world, us_org):
    assert "Department of Defense" in dashboard(client, world.reader).content.decode()
    us_org.name_en = "Department of War"
    us_org.save()
    page = dashboard(client, world.reader).content.decode()
    assert "Department of War" in page and "Department of Defense" not in page


def test_the_cached_dashboard_is_kept_apart_per_language(client, world):
    assert "Status by theme" in dashboard(client, world.reader).content.decode()
    client.cookies["django_language"] = "ko"
    assert "주제별 상태" in client.get("/").content.decode()


def item_in(theme: Theme, item_factory, **fields):
    item = item_factory(**fields)
    item.theme = theme
    item.save()
    return item


def test_with_many_themes_the_chart_shows_those_with_most_open_items_and_links_the_rest(
    client, world, item_factory, source
):
    # The world's own theme ("Government") holds three items, two of them open.
    for n in range(THEMES_SHOWN + 2):
        theme = Theme.objects.create(source=source, key=f"t{n}", title_en=f"Theme {n:02}", order=n)
        for _ in range(1 + n // 4):  # later themes hold more open items
            item_in(theme, item_factory, status=Status.IN_PROGRESS)
        item_in(theme, item_factory, status=Status.IMPLEMENTED)
    response = dashboard(client, world.reader)
    labels = [row.label for row in response.context["theme_rows"]]
    assert len(labels) == THEMES_SHOWN
    assert labels[:4] == ["Theme 12", "Theme 13", "Theme 08", "Theme 09"]  # most open first
    # Among themes of one open item each, report order decides: "Government", then "Theme 00".
    assert labels[-2:] == ["Government", "Theme 00"]
    page = response.content.decode()
    more = page[page.index('class="more-themes"') :]
    assert "and 3 more themes: see every open item" in more
    assert 'href="/items/?status=not_started&amp;status=in_progress&amp;status=blocked"' in more


def test_with_few_themes_every_theme_is_drawn_in_report_order(client, world, item_factory, source):
    for n in (2, 1):
        theme = Theme.objects.create(source=source, key=f"t{n}", title_en=f"Theme {n}", order=n)
        item_in(theme, item_factory)
    page = dashboard(client, world.reader).content.decode()
    assert "more-themes" not in page
    assert page.index("Theme 1") < page.index("Theme 2")


def test_the_closed_per_month_chart_writes_each_year_and_a_number_on_each_bar(client, world):
    response = dashboard(client, world.reader)
    bars = response.context["month_bars"]
    years = [bar.year for bar in bars if bar.year]
    assert bars[0].year == bars[0].month.year  # the first month says its year
    assert all(bar.month.month == 1 for bar in bars[1:] if bar.year)  # then each January
    assert len(years) in (1, 2)
    chart = response.content.decode()
    chart = chart[
        chart.index('class="month-chart"') : chart.index("</svg>", chart.index("month-chart"))
    ]
    for year in years:
        assert f">{year}</text>" in chart
    assert chart.count('font-size="11" fill="#1a1a1a">0</text>') == 12  # a number on each bar


def test_the_overdue_list_names_each_items_owner_and_days_late(client, world):
    page = dashboard(client, world.reader).content.decode()
    overdue = page[page.index('id="overdue"') : page.index('id="due-soon"')]
    assert "Harmonise export controls" in overdue
    assert "owner ·" in overdue and "(8 days late)" in overdue

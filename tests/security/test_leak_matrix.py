"""The leak matrix: no user ever sees the text of an item outside their markings, at any exit.

Users: an owner, a reader and a coordinator of each country, a reader with no clearances, a
reader and a coordinator made by a sign-in through an identity provider (from its claims), a
superuser and an anonymous visitor. Exits: every URL pattern the project has (walked from the
resolver, so a new page is checked, or fails the test until it is given objects to open), admin
search, autocomplete, list filters, actions, export and history, the status pages' search and
CSV export, the calendar feed, signed links, the refused-form pages, and each user's digest. The
admin runs with ADMIN_REQUIRE_OTP off here (its own tests cover the second factor); releasability
does not depend on it.

The run's summary prints how many (user, exit) pairs were checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from tests.support.exits import every_path
from tests.support.leaks import (
    ANONYMOUS,
    ENDPOINTS,
    MARKERS,
    REPORT,
    SEARCH_TERMS,
    SEES,
    SUPERUSER,
    LeakWorld,
    endpoint_sees,
    leaked,
    message_text,
    objects_for,
    response_text,
)
from tests.support.lookups import WALKERS, answer, probes_for
from tests.support.reminders import deliver, swept
from tracker import new_items, workflow
from tracker.models import ActionItem, EventType, Marking, Reminder, WebhookDelivery
from tracker.webhooks import sweep as webhook_sweep
from tracker.webhooks.sending import deliver_batch

# Opening every admin page also opens pages of other apps' models, which warn about themselves.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The default scheme will be changed:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::django.core.paginator.UnorderedObjectListWarning"),
]
ITEM_FORMS = ("update", "status", "snooze", "on-track")
SWEEP_TIMES = (  # 09:30 in New York on a Monday, then 09:30 in Seoul the next morning
    dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 8, 0, 30, tzinfo=dt.UTC),
)


def _autocomplete_sources() -> list[tuple[str, str, str]]:
    """One (app_label, model_name, field_name) whose target each searchable admin model is."""
    found: dict[type, tuple[str, str, str]] = {}
    for model in apps.get_models():
        for field in [*model._meta.fields, *model._meta.many_to_many]:
            target = field.remote_field.model if field.remote_field else None
            target_admin = admin.site._registry.get(target)
            if target_admin and target_admin.search_fields and target not in found:
                found[target] = (model._meta.app_label, model._meta.model_name, field.name)
    return list(found.values())


def _searches() -> list[str]:
    """Admin search on every searchable list, autocomplete to every searchable model, and the
    status pages' search and export, for a word part every item's text shares."""
    paths = []
    for term in SEARCH_TERMS:
        paths += [
            f"/items/?{urlencode({'q': term})}",
            f"/items/export.csv?{urlencode({'q': term})}",
            f"/api/v1/items/?{urlencode({'q': term, 'page_size': 500})}",
            f"/api/v1/items/?{urlencode({'q': term, 'sort': 'title'})}",
        ]
        for model, model_admin in admin.site._registry.items():
            if model_admin.search_fields:
                opts = model._meta
                paths.append(f"/admin/{opts.app_label}/{opts.model_name}/?{urlencode({'q': term})}")
        for app_label, model_name, field_name in _autocomplete_sources():
            query = {
                "app_label": app_label,
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
            }
            paths.append(f"/admin/autocomplete/?{urlencode(query)}")
    paths += [f"/admin/tracker/actionitem/?marking__exact={m}" for m in Marking.values]
    paths += ["/api/v1/items/?overdue=true", "/api/v1/reminders/?state=pending"]
    return paths


def _action_names(world: LeakWorld) -> dict[type, list[str]]:
    request = RequestFactory().get("/admin/")
    request.user = world.users[SUPERUSER]
    return {
        model: list(admin.site._registry[model].get_actions(request))
        for model in (ActionItem, Reminder)
    }


def _posts(world: LeakWorld) -> list[tuple[str, dict]]:
    """Posts that change nothing but show items: action confirmation pages, the admin export, and
    the item forms sent empty (refused, so the page comes back with its errors)."""
    items = list(world.items.values())
    pks = [item.pk for item in items]
    posts = []
    for model, names in _action_names(world).items():
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        selected = pks if model is ActionItem else [r.pk for r in world.reminders.values()]
        posts += [
            (changelist, {"action": name, "_selected_action": selected, "index": "0"})
            for name in names
        ]
    posts.append(("/admin/tracker/actionitem/export/", {"export_items": pks}))
    for item in items:
        posts += [(f"/items/{item.key}/{form}/", {}) for form in ITEM_FORMS]
        posts.append((f"/admin/tracker/actionitem/{item.pk}/post-update/", {}))
    return posts


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def csp_problem(response) -> str | None:
    """Why an HTML page breaks the Content Security Policy's promise, or None."""
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return None
    policy = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in policy or "unsafe-inline" in policy:
        return f"policy {policy!r}"
    inline = INLINE_SCRIPT.search(response.content.decode("utf-8", "replace"))
    return f"inline script {inline.group(0)!r}" if inline else None


class Matrix:
    def __init__(self):
        self.pairs = 0
        self.leaks: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []

    def check(self, name: str, exit_: str, hidden: list[str], text: str) -> None:
        self.pairs += 1
        for word in leaked(text, hidden):
            self.leaks.append(f"{name} saw “{word}” at {exit_}")

    def request(self, client, name: str, hidden: list[str], method: str, path: str, data=None):
        try:
            response = client.get(path) if method == "GET" else client.post(path, data or {})
        except Exception as error:  # a 500: recorded, and the walk goes on
            self.pairs += 1
            self.errors.append(f"{name} {method} {path}: {error!r}")
            return
        if response.status_code >= 500:
            self.errors.append(f"{name} {method} {path}: {response.status_code}")
        if problem := csp_problem(response):
            self.csp.append(f"{name} {method} {path}: {problem}")
        self.check(
            name, f"{method} {path} ({response.status_code})", hidden, response_text(response)
        )


def _walk_pages(world: LeakWorld, matrix: Matrix) -> None:
    searches, posts = _searches(), _posts(world)
    for name in SEES:
        client = world.client_for(name)
        hidden = world.hidden_markers(name)
        paths, unfilled = every_path(objects_for(world, name))
        assert not unfilled, "URL patterns the leak matrix cannot fill:\n" + "\n".join(unfilled)
        for path in paths + searches:
            matrix.request(client, name, hidden, "GET", path)
        for path, data in posts:
            matrix.request(client, name, hidden, "POST", path, data)


def _sent_digests(world: LeakWorld, matrix: Matrix) -> None:
    """Each user's pending digest (holding every item), then the sweeps' own digests, sent."""
    mail.outbox.clear()
    for reminder in world.reminders.values():
        deliver(reminder.pk, world.now)
    for now in SWEEP_TIMES:
        for claimed in swept(now):
            deliver(claimed.pk, now)
    by_address = {user.email: name for name, user in world.users.items()}
    for message in mail.outbox:
        (address,) = message.to
        name = by_address[address]
        matrix.check(
            name, f"digest to {address}", world.hidden_markers(name), message_text(message)
        )
    sent_to = {by_address[m.to[0]] for m in mail.outbox}
    assert sent_to == set(SEES) - {ANONYMOUS}, sent_to  # each user got at least one digest


def test_no_user_sees_an_item_outside_their_markings_at_any_exit(leak_world, settings):
    settings.ADMIN_REQUIRE_OTP = False
    settings.REMINDER_ONLY_WORKING_DAYS = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    matrix = Matrix()
    _walk_pages(leak_world, matrix)
    _sent_digests(leak_world, matrix)
    REPORT.update(pairs=matrix.pairs, leaks=len(matrix.leaks), errors=len(matrix.errors))
    assert matrix.pairs > 1000
    assert matrix.errors == [], "\n".join(matrix.errors[:50])
    assert matrix.leaks == [], "\n".join(matrix.leaks[:50])
    assert matrix.csp == [], "\n".join(matrix.csp[:50])  # every page: the policy, no inline script


def test_no_admin_list_lookup_tells_a_hidden_id_from_one_that_does_not_exist(leak_world, settings):
    """Every relation lookup every admin list's model offers, with `__exact`, `__in` and `__gt`,
    answers the same for a row the user may not see as for an id that was never used."""
    settings.ADMIN_REQUIRE_OTP = False
    pairs, differences = 0, []
    for name in WALKERS:
        client = leak_world.client_for(name)
        for probe in probes_for(leak_world, name):
            hidden_path, missing_path = probe.paths()
            hidden = answer(client.get(hidden_path), hidden_path)
            missing = answer(client.get(missing_path), missing_path)
            pairs += 1
            if hidden[0] >= 500 or hidden != missing:
                differences.append(f"{name}: {hidden_path} {hidden[:2]} vs {missing[:2]}")
    REPORT.update(lookup_pairs=pairs, lookup_leaks=len(differences))
    assert pairs > 500
    assert differences == [], "\n".join(differences[:50])


def test_the_lookup_walk_would_see_a_difference(leak_world, settings):
    """The walk is not blind: a lookup the user may make (an item's owner, on the item list)
    answers differently for an id that exists and one that does not."""
    settings.ADMIN_REQUIRE_OTP = False
    client = leak_world.client_for("us-coord")
    owner = leak_world.items[Marking.ALL].owner
    owned, nobody = [
        f"/admin/tracker/actionitem/?owner__id__exact={pk}" for pk in (owner.pk, 999999)
    ]
    found, nobody = answer(client.get(owned), owned), answer(client.get(nobody), nobody)
    assert found[0] == nobody[0] == 200
    assert found != nobody


def test_the_matrix_would_see_a_leak(leak_world, settings):
    """The oracle is not blind: each marker shows (in English and Korean) where it is allowed."""
    settings.ADMIN_REQUIRE_OTP = False
    for name in ("us-reader", "kr-coord", "uncleared", "sso-kr-reader", "sso-us-coord"):
        client = leak_world.client_for(name)
        for marking in SEES[name]:
            item = leak_world.items[marking]
            page = response_text(client.get(f"/items/{item.key}/"))
            assert leaked(page, [*MARKERS[marking]]) == [*MARKERS[marking]]
    page = response_text(leak_world.client_for(SUPERUSER).get("/admin/tracker/actionitem/?q=plan"))
    assert all(english in page for english, _korean in MARKERS.values())


# Who each edition is for, written out (not asked of releasability.py, which this checks).
EDITION_AUDIENCE = {
    "all": {Marking.ALL},
    "us": {Marking.ALL, Marking.US_ONLY, Marking.US_KR},
    "kr": {Marking.ALL, Marking.KR_ONLY, Marking.US_KR},
    "us-kr": {Marking.ALL, Marking.US_KR},
}


def test_no_edition_holds_an_item_outside_its_audience(leak_world):
    assert len(leak_world.snapshots) == 2 * len(EDITION_AUDIENCE)
    for snapshot in leak_world.snapshots:
        allowed = EDITION_AUDIENCE[snapshot.edition]
        held = {row["marking"] for row in snapshot.content["items"]}
        assert held == allowed, (snapshot.number, snapshot.edition, held)
        text = str(snapshot.content)
        hidden = [w for m, words in MARKERS.items() if m not in allowed for w in words]
        assert leaked(text, hidden) == []


def test_the_matrix_reads_the_reports_it_checks(leak_world, settings):
    """The oracle is not blind to downloads: a U.S. reader finds the U.S.-only item's words in
    the U.S. edition's PDF (where pdftotext is installed) and XLSX."""
    import shutil

    client = leak_world.client_for("us-reader")
    (us_edition, *_rest) = [s for s in leak_world.snapshots if s.edition == "us"]
    words = list(MARKERS[Marking.US_ONLY])
    xlsx = response_text(client.get(f"/snapshots/{us_edition.number}/report.xlsx"))
    assert leaked(xlsx, words) == words
    if shutil.which("pdftotext"):
        pdf = response_text(client.get(f"/snapshots/{us_edition.number}/report.pdf"))
        assert leaked(pdf, words) == words


# --- Webhooks -------------------------------------------------------------------------------------


def _every_event(world: LeakWorld, now) -> None:
    """Each event type for an item of each marking, made the way the tracker makes them: a new
    item, a status change, an update, a still-on-track, a due-date move, and overdue."""
    root = world.users[SUPERUSER]
    for marking, item in world.items.items():
        english, korean = MARKERS[marking]
        fresh = ActionItem(
            key=f"new-{marking}",
            source=world.source,
            theme=world.theme,
            paragraph=3,
            title_en=f"New {english}",
            title_ko=f"새 {korean}",
            excerpt=english,
            marking=marking,
            lead_organization=item.lead_organization,
            due_date=now.date() - dt.timedelta(days=3),
        )
        new_items.create_item(item=fresh, by=root, now=now)
        workflow.mark_on_track(item=item, by=root, now=now, note=f"{english} on track")
        workflow.change_status(item=item, to="in_progress", by=root, now=now)
        fresh.due_date = now.date() - dt.timedelta(days=2)
        workflow.save_edit(item=fresh, by=root, expected_version=fresh.version, now=now)
    webhook_sweep.sweep(now=now)  # the new items are two days overdue


def test_no_webhook_endpoint_receives_an_item_outside_its_audience(leak_world, receiver):
    """Every event type, for items of every marking, delivered for real to endpoints of every
    audience (two of them owned by a coordinator not cleared for all of it): each endpoint
    receives only what its audience and its owner's clearances allow."""
    now = timezone.now()
    for endpoint in leak_world.endpoints:
        endpoint.url = receiver.url(f"/{endpoint.owner.username}/{endpoint.audience}")
        endpoint.save()
    _every_event(leak_world, now)
    pending = WebhookDelivery.objects.filter(state="pending").values_list("pk", flat=True)
    deliver_batch(delivery_ids=list(pending), now=timezone.now())
    pairs, leaks, types = 0, [], set()
    for owner, audience in ENDPOINTS:
        sees = endpoint_sees(owner, audience)
        hidden = [w for m, words in MARKERS.items() if m not in sees for w in words]
        for body in receiver.bodies(f"/{owner}/{audience}"):
            pairs += 1
            payload = json.loads(body)
            types.add(payload["type"])
            text = body.decode() + json.dumps(payload, ensure_ascii=False)
            leaks += [
                f"{owner}/{audience} got “{w}” ({payload['type']})" for w in leaked(text, hidden)
            ]
        shown = "".join(b.decode() for b in receiver.bodies(f"/{owner}/{audience}"))
        assert all(MARKERS[m][0] in shown for m in sees), f"{owner}/{audience} is blind"
    REPORT.update(webhook_pairs=pairs, webhook_leaks=len(leaks))
    assert types == set(EventType.values)
    assert pairs > 50
    assert leaks == [], "\n".join(leaks[:50])

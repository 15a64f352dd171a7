"""The calendar feed page (see and reset the secret URL) and the feed itself (no login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..calendar_feed import build_ics, feed_items, feed_meetings, profile_for_token, reset_token
from ..models import Profile
from ..reminders.calendar import recipient_zone
from .common import item_url


def _feed_url(request, profile: Profile | None) -> str:
    if profile is None:
        return ""
    path = reverse("tracker:calendar_feed", args=[profile.calendar_token])
    return request.build_absolute_uri(path)


@login_required
def calendar_page(request):
    profile = Profile.objects.filter(user=request.user).first()
    return render(request, "tracker/calendar.html", {"feed_url": _feed_url(request, profile)})


@require_POST
@login_required
def calendar_reset(request):
    profile, _created = Profile.objects.get_or_create(user=request.user)
    reset_token(profile=profile)
    messages.success(request, _("Your calendar link was reset; the old link no longer works."))
    return redirect("tracker:calendar")


def calendar_feed(request, token: str):
    """The ICS feed; the token is the secret, so an unknown one is a plain 404."""
    profile = profile_for_token(token)
    if profile is None:
        raise Http404("No such feed.")
    user = profile.user
    now = timezone.now()
    items = feed_items(user=user)
    today = timezone.localdate(now, timezone=recipient_zone(user))
    with translation.override(profile.language):
        body = build_ics(
            items=items,
            now=now,
            link_for=lambda item: item_url(request, item),
            name=_("Action items due and meetings (%(user)s)") % {"user": user.get_username()},
            coming=feed_meetings(user=user, items=items, today=today),
            meeting_link_for=lambda meeting: request.build_absolute_uri(
                reverse("tracker:meeting_detail", args=[meeting.pk])
            ),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response

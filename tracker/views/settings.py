"""Each person's notification settings page, and the one-click address that pauses their
digests (List-Unsubscribe, RFC 8058). The rules are tracker/notifications.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import notifications
from ..forms import NotificationSettingsForm
from ..models import Profile


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request):
    profile, _made = Profile.objects.get_or_create(user=request.user)
    today = timezone.localdate()
    initial = NotificationSettingsForm.initial_for(profile)
    if request.method != "POST":
        form = NotificationSettingsForm(initial=initial, today=today)
        return _page(request, form, profile)
    form = NotificationSettingsForm(request.POST, initial=initial, today=today)
    if form.is_valid():
        try:
            saved = notifications.save_settings(user=request.user, choices=form.choices())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The page answers in the language just chosen (a switcher cookie would win).
            response = redirect("tracker:settings")
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            with translation.override(saved.language):
                messages.success(request, _("Your settings were saved."))
            return response
    return _page(request, form, profile, status=400)


def _page(request, form, profile: Profile, status: int = 200):
    context = {"form": form, "profile": profile, "latest_hour": notifications.latest_hour()}
    return render(request, "tracker/settings.html", context, status=status)


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST here without cookies; the signed token decides
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """GET: a page asking to confirm; POST (the page's button, or a mail provider's one-click
    "List-Unsubscribe=One-Click"): the person's digests stop. No sign-in either way."""
    try:
        person = notifications.person_of(token)
    except notifications.BadToken as refused:
        context = {"message": str(refused)}
        return render(request, "tracker/links/refused.html", context, status=400)
    language = person.profile.language if not request.user.is_authenticated else None
    with translation.override(language or translation.get_language()):
        if request.method == "POST":
            notifications.stop_digests(user=person, now=timezone.now())
            return render(request, "tracker/unsubscribe_done.html", {"person": person})
        return render(request, "tracker/unsubscribe.html", {"person": person})

"""The page a digest's one-click link opens: a confirmation on GET, the action on POST.

The rules (what a token holds, when it is refused, what it does) are in tracker/links.py.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..links import ACTIONS, Link, LinkRefused, item_url, read_link, use_link


def _language(request, link: Link | None) -> str:
    if link is not None and not request.user.is_authenticated:
        profile = getattr(link.recipient, "profile", None)
        if profile is not None:
            return profile.language
    return translation.get_language()


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reminder_link(request, token: str):
    now = timezone.now()
    link = None
    try:
        link = read_link(token=token, now=now)
        if request.user.is_authenticated and request.user.pk != link.recipient.pk:
            raise LinkRefused(_("This link was sent to someone else."), 403)
        with translation.override(_language(request, link)):
            if request.method != "POST":
                context = {
                    "link": link,
                    "question": ACTIONS[link.action],
                    "item_url": item_url(link.item),
                }
                return render(request, "tracker/links/confirm.html", context)
            done = use_link(link=link, now=now)
            context = {"link": link, "message": done, "item_url": item_url(link.item)}
            return render(request, "tracker/links/done.html", context)
    except LinkRefused as refused:
        with translation.override(_language(request, link)):
            context = {"message": refused.message}
            return render(request, "tracker/links/refused.html", context, status=refused.status)

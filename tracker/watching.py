"""Following an item: anyone who may see it may watch it, and hears of its changes (status, due
date, owner, comments, evidence, reviews) in their next digest (reminders/news.py). Being
mentioned in a comment makes a person follow the item too; either way they can stop."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .models import ActionItem, Watch
from .releasability import can_see, visible_items
from .workflow import WorkflowError


def is_watching(*, user, item: ActionItem) -> bool:
    if not (user and user.is_authenticated):
        return False
    return Watch.objects.filter(user=user, item=item).exists()


def watch(*, item: ActionItem, user, now: dt.datetime, via: str = Watch.WATCHED) -> bool:
    """Make `user` follow `item`; False when they already did. Refused for someone who may
    not see it."""
    if not can_see(user, item):
        raise WorkflowError(_("You may not see this item."))
    _watch, made = Watch.objects.get_or_create(
        user=user, item=item, defaults={"created_at": now, "via": via}
    )
    return made


def unwatch(*, item: ActionItem, user) -> bool:
    """Stop following; False when they did not."""
    deleted, _rows = Watch.objects.filter(user=user, item=item).delete()
    return bool(deleted)


def watchers(*, item: ActionItem) -> list:
    """The active people following `item` who may still see it, by user name (whoever looks
    at the list may see the item: the page checked)."""
    people = (
        get_user_model()
        .objects.filter(watches__item=item, is_active=True)
        .select_related("profile")
        .order_by("username")
    )
    return [person for person in people if can_see(person, item)]


def watched_items(*, user) -> QuerySet[ActionItem]:
    """The items `user` follows and may still see."""
    return visible_items(user).filter(watches__user=user)

"""Comments on an item: timeline entries (kind "comment") in Markdown-lite with @mentions.

Anyone who may see an item and update it (workflow.may_update) comments on it. `@username`
mentions a person who may see the item: they are told in their next digest and follow the item
from then on; a name that is nobody who may see the item tells nobody and is reported back (the
same words for an unknown name and an uncleared person, so a comment never tells whether
someone exists or what they may see). Its author may edit a comment for COMMENT_EDIT_MINUTES;
each earlier text is kept (CommentEdit) and shown with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from . import evidence, watching
from .comment_text import mentioned_names
from .models import ActionItem, CommentEdit, Mention, StatusUpdate, UpdateKind, Watch
from .releasability import can_see, people_filter
from .workflow import WorkflowError, clean_note, may_update

PEOPLE_SHOWN = 8


@dataclass
class Posted:
    """A comment written, who it mentions, and the @names that told nobody."""

    update: StatusUpdate
    mentioned: list = field(default_factory=list)
    not_told: list[str] = field(default_factory=list)


def may_comment(user, item: ActionItem) -> bool:
    return may_update(user, item)


def people_to_mention(*, item: ActionItem, prefix: str, limit: int = PEOPLE_SHOWN) -> list:
    """Active people who may see `item` whose user name starts with `prefix` (any case), for
    the @ autocomplete."""
    people = (
        get_user_model()
        .objects.filter(people_filter(item.marking), username__istartswith=prefix.strip())
        .select_related("profile")
        .order_by("username")[: limit * 2]
    )
    return [p for p in people if can_see(p, item)][:limit]


def _mention(*, update: StatusUpdate, item: ActionItem, by, now: dt.datetime) -> Posted:
    """Record who `update`'s text mentions (replacing what it mentioned before)."""
    names = [n for n in mentioned_names(update.note) if n != by.get_username()]
    found = get_user_model().objects.filter(username__in=names, is_active=True)
    people = [p for p in found.select_related("profile") if can_see(p, item)]
    Mention.objects.filter(update=update).exclude(user__in=people).delete()
    for person in people:
        Mention.objects.get_or_create(update=update, user=person)
        watching.watch(item=item, user=person, now=now, via=Watch.MENTIONED)
    known = {p.get_username() for p in people}
    return Posted(update, people, [n for n in names if n not in known])


def post_comment(
    *, item: ActionItem, by, text: str, now: dt.datetime, file=None, link=None
) -> Posted:
    """A comment by `by` on `item`, with a file or link of evidence attached to it if given
    (checked by evidence.check_file / check_link); its author follows the item from then on.
    Refused (nothing written) for an empty or too long text, or someone who may not update the
    item."""
    if not may_comment(by, item):
        raise WorkflowError(_("You may not comment on this item."))
    text = clean_note(text, required=True)
    with transaction.atomic():
        update = StatusUpdate.objects.create(
            item=item, author=by, created_at=now, kind=UpdateKind.COMMENT,
            from_status=item.status, to_status=item.status, note=text,
        )  # fmt: skip
        watching.watch(item=item, user=by, now=now)
        if file is not None or link is not None:
            evidence.attach(item=item, update=update, by=by, now=now, file=file, link=link)
        return _mention(update=update, item=item, by=by, now=now)


def editable_until(update: StatusUpdate) -> dt.datetime:
    return update.created_at + dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def may_edit(*, user, update: StatusUpdate, now: dt.datetime) -> bool:
    """Its author, within COMMENT_EDIT_MINUTES of posting, while they may still comment."""
    return (
        update.kind == UpdateKind.COMMENT
        and user is not None
        and update.author_id == user.pk
        and now < editable_until(update)
        and may_comment(user, update.item)
    )


def edit_comment(*, update: StatusUpdate, by, text: str, now: dt.datetime) -> Posted:
    """Replace a comment's text, keeping the earlier one; mentions follow the new text (a name
    added is told, a name removed before its digest is not)."""
    if not may_edit(user=by, update=update, now=now):
        raise WorkflowError(
            _("Only its author may edit a comment, within %(n)d minutes of posting it.")
            % {"n": settings.COMMENT_EDIT_MINUTES}
        )
    text = clean_note(text, required=True)
    if text == update.note:
        raise WorkflowError(_("The comment is unchanged."))
    with transaction.atomic():
        CommentEdit.objects.create(update=update, note=update.note, edited_at=now)
        update.note = text
        update.save(update_fields=["note"])
        return _mention(update=update, item=update.item, by=by, now=now)

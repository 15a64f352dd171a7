"""What a held meeting decided: an outcome updates one of its agenda items, or becomes a new item.

- An update is a timeline entry on the item (workflow.post_update of kind OUTCOME, or
  workflow.change_status) whose note cites the meeting, in both languages; it may change the
  status too, under the workflow's rules.
- A new item's provenance is the meeting (ActionItem.origin_meeting; its excerpt is the
  outcome's words, its paragraph 0), it joins the forum, so it is on the forum's coming agendas,
  and its key, owner and marking are checked as the admin's add form checks them.

Only coordinators record outcomes, only on a held meeting, only for items they may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from . import workflow
from .item_keys import key_refusal
from .meetings import MeetingError, agenda_items
from .models import (
    ActionItem,
    Marking,
    Meeting,
    MeetingStatus,
    Organization,
    Outcome,
    OutcomeKind,
    Priority,
    Source,
    Theme,
    UpdateKind,
)
from .new_items import create_item
from .releasability import can_see, clearance_problem, visible_items

EXCERPT_MAX_LENGTH = 1000


def _check(*, meeting: Meeting, by, text_en: str) -> str:
    if by is not None and not workflow.is_coordinator(by):
        raise MeetingError(_("Only a coordinator may record a meeting's outcomes."))
    if meeting.status != MeetingStatus.HELD:
        raise MeetingError(_("Outcomes are recorded once the meeting is held."))
    return workflow.clean_note(text_en, required=True)


def citation(meeting: Meeting) -> str:
    """“the DTICC meeting of 2026-12-04”, in the active language."""
    return _("the %(forum)s meeting of %(date)s") % {
        "forum": meeting.forum.label,
        "date": meeting.date.isoformat(),
    }


def record_update(
    *,
    meeting: Meeting,
    item: ActionItem,
    by,
    text_en: str,
    text_ko: str = "",
    now: dt.datetime,
    to_status: str | None = None,
) -> Outcome:
    """An outcome on agenda item `item`: a timeline entry citing the meeting (and, with
    `to_status`, a status change). Refuses an item not on the agenda or not visible to `by`."""
    text_en = _check(meeting=meeting, by=by, text_en=text_en)
    text_ko = workflow.clean_note(text_ko, required=False)
    on_agenda = agenda_items(meeting).filter(pk=item.pk)
    if by is not None and not visible_items(by, on_agenda).exists():
        raise MeetingError(_("That item is not on this meeting's agenda."))
    note = "\n".join(
        t
        for t in (_("Outcome of %(meeting)s:") % {"meeting": citation(meeting)}, text_en, text_ko)
        if t
    )
    with transaction.atomic():
        if to_status:
            update = workflow.change_status(item=item, to=to_status, by=by, note=note, now=now)
        else:
            update = workflow.post_update(
                item=item, by=by, note=note, now=now, kind=UpdateKind.OUTCOME
            )
        return Outcome.objects.create(
            meeting=meeting,
            kind=OutcomeKind.UPDATE,
            text_en=text_en,
            text_ko=text_ko,
            item=item,
            update=update,
            author=by,
            created_at=now,
        )


@dataclass(frozen=True)
class NewItem:
    """What a coordinator gives for an item a meeting decided on."""

    key: str
    title_en: str
    title_ko: str
    source: Source
    theme: Theme
    lead_organization: Organization
    owner: object | None = None
    due_date: dt.date | None = None
    marking: str = Marking.ALL
    priority: str = Priority.MEDIUM


def _problems(new: NewItem, by) -> list[str]:
    problems = []
    if by is not None and (refusal := key_refusal(key=new.key, user=by)):
        problems.append(refusal)
    if not new.title_en.strip():
        problems.append(_("An English title is required."))
    if new.theme.source_id != new.source.pk:
        problems.append(_("The theme belongs to another report."))
    if new.due_date and new.due_date < new.source.date:
        problems.append(
            _("The due date cannot be before the report's date (%(date)s).")
            % {"date": new.source.date.isoformat()}
        )
    if new.marking not in Marking.values:
        problems.append(_("Unknown releasability marking."))
    return problems


def record_new_item(
    *, meeting: Meeting, new: NewItem, by, text_en: str, text_ko: str = "", now: dt.datetime
) -> Outcome:
    """An outcome that becomes a new action item whose provenance is `meeting`. Refuses what
    the admin's add form refuses (a key in use, a due date before the report, an owner not
    cleared for the marking), and a marking `by` is not cleared for."""
    text_en = _check(meeting=meeting, by=by, text_en=text_en)
    text_ko = workflow.clean_note(text_ko, required=False)
    if problems := _problems(new, by):
        raise MeetingError(" ".join(problems))
    item = _unsaved(meeting=meeting, new=new, text_en=text_en, text_ko=text_ko)
    if by is not None and not can_see(by, item):
        raise MeetingError(_("You may not give an item a marking you are not cleared for."))
    if new.owner and (problem := clearance_problem(users=[new.owner], item=item)):
        raise MeetingError(problem)
    with transaction.atomic():
        create_item(item=item, by=by, now=now)
        meeting.forum.items.add(item)
        return Outcome.objects.create(
            meeting=meeting,
            kind=OutcomeKind.NEW_ITEM,
            text_en=text_en,
            text_ko=text_ko,
            item=item,
            author=by,
            created_at=now,
        )


def _unsaved(*, meeting: Meeting, new: NewItem, text_en: str, text_ko: str) -> ActionItem:
    return ActionItem(
        key=new.key,
        source=new.source,
        theme=new.theme,
        title_en=new.title_en.strip(),
        title_ko=new.title_ko.strip(),
        summary_en=text_en,
        summary_ko=text_ko,
        paragraph=0,
        excerpt=text_en[:EXCERPT_MAX_LENGTH],
        origin_meeting=meeting,
        lead_organization=new.lead_organization,
        owner=new.owner,
        due_date=new.due_date,
        marking=new.marking,
        priority=new.priority,
    )

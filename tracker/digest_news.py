"""The news sections of a digest, as both its templates show them: "You were mentioned" and
"Changes on items you follow", each entry grouped under its item, in the recipient's language
and time zone (the caller activates them). What may be told is decided in reminders/news.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import changes
from .comment_text import plain
from .links import item_url
from .models import ActionItem, ReminderKind, Status, StatusUpdate, UpdateKind

NEWS_LIMIT = 25
NEWS_TITLES = {
    ReminderKind.MENTION: gettext_lazy("You were mentioned"),
    ReminderKind.WATCHED: gettext_lazy("Changes on items you follow"),
}
NEWS_ORDER = (ReminderKind.MENTION, ReminderKind.WATCHED)
STATUS_KINDS = (
    UpdateKind.STATUS,
    UpdateKind.CLAIM,
    UpdateKind.CLAIM_RETURNED,
    UpdateKind.CLAIM_ACCEPTED,
)


@dataclass(frozen=True)
class NewsLine:
    when: str
    who: str
    what: str
    text: str


@dataclass
class NewsGroup:
    item: ActionItem
    url: str
    lines: list[NewsLine] = field(default_factory=list)


@dataclass
class NewsSection:
    kind: str
    title: str
    groups: list[NewsGroup] = field(default_factory=list)
    more: int = 0


def _what(update: StatusUpdate) -> str:
    """What an entry did, in a few words of the active language."""
    label = str(update.get_kind_display())
    if update.kind in STATUS_KINDS and update.from_status != update.to_status:
        before, after = Status(update.from_status).label, Status(update.to_status).label
        return f"{label}: {before} → {after}"
    lines = changes.describe(update)
    if lines:
        return "; ".join(f"{line.label}: {line.old} → {line.new}" for line in lines)
    if update.kind == UpdateKind.EVIDENCE:
        files = [
            f"{e.name}" + (f" (SHA-256 {e.sha256[:12]}…)" if e.sha256 else "")
            for e in update.evidence.all()
        ]
        return f"{label}: {', '.join(files)}" if files else label
    return label


def _line(update: StatusUpdate) -> NewsLine:
    author = update.author.get_username() if update.author else _("system")
    when = formats.date_format(timezone.localtime(update.created_at), "SHORT_DATETIME_FORMAT")
    return NewsLine(when=when, who=author, what=_what(update), text=plain(update.note))


def news_sections(*, news: list) -> list[NewsSection]:
    """The news sections in their order, each with at most NEWS_LIMIT entries (oldest first,
    grouped by item in the order their first entry came)."""
    built = {kind: NewsSection(kind=kind, title=str(NEWS_TITLES[kind])) for kind in NEWS_ORDER}
    groups: dict[tuple[str, int], NewsGroup] = {}
    for entry in news:
        section = built[entry.kind]
        if sum(len(g.lines) for g in section.groups) >= NEWS_LIMIT:
            section.more += 1
            continue
        item = entry.update.item
        key = (entry.kind, item.pk)
        if key not in groups:
            groups[key] = NewsGroup(item=item, url=item_url(item))
            section.groups.append(groups[key])
        groups[key].lines.append(_line(entry.update))
    return [section for section in built.values() if section.groups]

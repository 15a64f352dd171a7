"""Working together on an item: who follows it, who was mentioned, earlier versions of edited
comments, evidence (files and links), and the timeline entries a digest told someone of.

Comments themselves are timeline entries (StatusUpdate, kind "comment"); the rules that write
these rows are tracker/comments.py, watching.py, evidence.py and reminders/news.py.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import EvidenceKind, ReminderKind
from .items import ActionItem, StatusUpdate
from .reminders import Reminder


class Watch(models.Model):
    """One person following one item: they hear of its changes in their digest."""

    WATCHED, MENTIONED = "watch", "mention"
    VIA = [(WATCHED, _("Chose to watch")), (MENTIONED, _("Was mentioned"))]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watches",
        verbose_name=_("person"),
    )
    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="watches", verbose_name=_("item")
    )
    created_at = models.DateTimeField(_("since"))
    via = models.CharField(_("how"), max_length=8, choices=VIA, default=WATCHED)

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="watch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.item_id}"


class Mention(models.Model):
    """A person named with @username in a comment (a timeline entry)."""

    update = models.ForeignKey(
        StatusUpdate,
        on_delete=models.CASCADE,
        related_name="mentions",
        verbose_name=_("comment"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mentions",
        verbose_name=_("person"),
    )

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(fields=["update", "user"], name="mention_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.update_id}"


class CommentEdit(models.Model):
    """A comment's text before one edit: the history an edited comment keeps."""

    update = models.ForeignKey(
        StatusUpdate, on_delete=models.CASCADE, related_name="edits", verbose_name=_("comment")
    )
    note = models.TextField(_("earlier text"))
    edited_at = models.DateTimeField(_("edited"))

    class Meta:
        verbose_name = _("comment edit")
        verbose_name_plural = _("comment edits")
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"edit of {self.update_id} at {self.edited_at:%Y-%m-%d %H:%M}"


def evidence_path(instance: Evidence, filename: str) -> str:
    """Where a file is stored: a random name under the month it came in; the name people gave
    it is kept in the row (`name`), never used as a path."""
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        instance.content_type, filename.rpartition(".")[2][:5].lower() or "bin"
    )
    return f"evidence/{instance.added_at:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Evidence(models.Model):
    """A file or a link attached to an item, through one of its timeline entries."""

    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("item")
    )
    update = models.ForeignKey(
        StatusUpdate,
        on_delete=models.CASCADE,
        related_name="evidence",
        verbose_name=_("timeline entry"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=EvidenceKind.choices)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    url = models.URLField(_("address (URL)"), max_length=2000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=EvidenceKind.FILE) & ~Q(file="") & ~Q(sha256="") & Q(size__gt=0))
                | (Q(kind=EvidenceKind.LINK) & ~Q(url="")),
                name="evidence_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_file(self) -> bool:
        return self.kind == EvidenceKind.FILE


class ReminderNews(models.Model):
    """A timeline entry a digest tells its recipient of: a mention, or a change on an item they
    follow. A sent or pending digest that carried it means they were told."""

    KINDS = [(k.value, k.label) for k in (ReminderKind.MENTION, ReminderKind.WATCHED)]

    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="news", verbose_name=_("digest")
    )
    update = models.ForeignKey(
        StatusUpdate,
        on_delete=models.CASCADE,
        related_name="told_in",
        verbose_name=_("timeline entry"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=KINDS)

    class Meta:
        verbose_name = _("digest news")
        verbose_name_plural = _("digest news")
        constraints = [
            models.UniqueConstraint(fields=["reminder", "update"], name="reminder_news_once"),
        ]

    def __str__(self) -> str:
        return f"{self.update_id} ({self.kind})"

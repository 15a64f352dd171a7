"""Snapshots: frozen, numbered, citable status reports (tracker/snapshots.py makes them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Edition, pick_language
from .items import Source
from .meetings import Forum, Meeting


class ScopeKind(models.TextChoices):
    SOURCE = "source", _("The items of a report")
    FORUM = "forum", _("The items of a forum")
    MEETING = "meeting", _("A meeting's agenda")
    FILTER = "filter", _("The items a list filter chose")


class Snapshot(models.Model):
    """Items as they stood at `as_of`, for one edition, frozen: written once, never changed.

    `content` holds everything the report shows (JSON); `sha256` is the SHA-256 of its canonical
    form, so anyone holding the export can check it was not altered.
    """

    number = models.PositiveIntegerField(verbose_name=_("number"), unique=True, editable=False)
    title_en = models.CharField(verbose_name=_("title (English)"), max_length=300)
    title_ko = models.CharField(verbose_name=_("title (Korean)"), max_length=300, blank=True)
    as_of = models.DateTimeField(
        verbose_name=_("as of"),
    )
    edition = models.CharField(verbose_name=_("edition"), max_length=16, choices=Edition.choices)
    scope = models.CharField(verbose_name=_("scope"), max_length=16, choices=ScopeKind.choices)
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("report"),
    )
    forum = models.ForeignKey(
        Forum,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("forum"),
    )
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("meeting"),
    )
    filter_query = models.CharField(verbose_name=_("filter"), max_length=1000, blank=True)
    item_count = models.PositiveIntegerField(verbose_name=_("items"), default=0)
    content = models.JSONField(
        verbose_name=_("content"),
    )
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(
        verbose_name=_("frozen at"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("frozen by"),
    )

    class Meta:
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(edition__in=Edition.values), name="snapshot_valid_edition"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=ScopeKind.values), name="snapshot_valid_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"Snapshot {self.number}"

    @property
    def title(self) -> str:
        return pick_language(self.title_en, self.title_ko)


class SnapshotReport(models.Model):
    """A long snapshot's PDF in one language, laid out once by a worker (WeasyPrint takes
    minutes for thousands of items: more than a web request may). Made from the stored content
    alone, so it never changes either."""

    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.CASCADE, related_name="reports", verbose_name=_("status report")
    )
    language = models.CharField(verbose_name=_("language"), max_length=4)
    pdf = models.BinaryField(
        verbose_name=_("PDF"),
    )
    made_at = models.DateTimeField(
        verbose_name=_("made at"),
    )

    class Meta:
        verbose_name = _("status report PDF")
        verbose_name_plural = _("status report PDFs")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "language"], name="snapshot_report_once"),
        ]

    def __str__(self) -> str:
        return f"Snapshot {self.snapshot_id} ({self.language})"

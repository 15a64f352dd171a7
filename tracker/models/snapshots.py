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

    number = models.PositiveIntegerField(unique=True, editable=False)
    title_en = models.CharField(max_length=300)
    title_ko = models.CharField(max_length=300, blank=True)
    as_of = models.DateTimeField()
    edition = models.CharField(max_length=16, choices=Edition.choices)
    scope = models.CharField(max_length=16, choices=ScopeKind.choices)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    forum = models.ForeignKey(
        Forum, null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    filter_query = models.CharField(max_length=1000, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
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

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="reports")
    language = models.CharField(max_length=4)
    pdf = models.BinaryField()
    made_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "language"], name="snapshot_report_once"),
        ]

    def __str__(self) -> str:
        return f"Snapshot {self.snapshot_id} ({self.language})"

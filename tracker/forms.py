"""Forms of the status pages: they read input; workflow.py decides whether the change is allowed."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import notifications
from .models import WEEKDAYS, ActionItem, DigestFrequency, Language, Status
from .workflow import NOTE_MAX_LENGTH, SNOOZE_MAX_DAYS, allowed_transitions


class NoteField(forms.CharField):
    def __init__(self, *, required: bool, **kwargs):
        super().__init__(
            required=required,
            max_length=NOTE_MAX_LENGTH,
            strip=True,
            widget=forms.Textarea(attrs={"rows": 3}),
            **kwargs,
        )


class UpdateForm(forms.Form):
    """A progress note without a status change."""

    prefix = "update"

    note = NoteField(required=True, label=_("Progress update"))


class StatusForm(forms.Form):
    """A status change; the note is required when closing or reopening (workflow.needs_note)."""

    prefix = "status"

    to = forms.ChoiceField(label=_("New status"))
    note = NoteField(
        required=False,
        label=_("Note"),
        help_text=_("Required when closing or reopening an item: say why."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(s, Status(s).label) for s in allowed_transitions(item.status)]
        self.fields["version"].initial = item.version


class SnoozeForm(forms.Form):
    prefix = "snooze"
    days = forms.IntegerField(
        label=_("Snooze reminders for (days)"),
        min_value=1,
        max_value=SNOOZE_MAX_DAYS,
        initial=7,
    )


class OnTrackForm(forms.Form):
    prefix = "ontrack"
    note = NoteField(required=False, label=_("Note (optional)"))


class CommentEditForm(forms.Form):
    prefix = "edit"
    text = NoteField(required=True, label=_("Comment"))


class EvidenceFields(forms.Form):
    """A file or a link (exactly one); what it is is checked by tracker/evidence.py."""

    file = forms.FileField(
        label=_("File"),
        required=False,
        allow_empty_file=True,  # evidence.py says why an empty file is refused
        help_text=_("PDF, Word (DOCX), Excel (XLSX), PNG or JPEG."),
    )
    url = forms.CharField(label=_("…or a link"), required=False, max_length=2000)
    title = forms.CharField(label=_("Name of the link"), required=False, max_length=200)


class CommentForm(EvidenceFields):
    """A comment in Markdown-lite; @name mentions someone who may see the item. A file or link
    of evidence may come with it (EvidenceFields, below)."""

    prefix = "comment"
    text = NoteField(required=True, label=_("Comment"))

    def __init__(self, *args, mention_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        attrs = self.fields["text"].widget.attrs
        attrs.update({"rows": 4, "autocomplete": "off"})
        if mention_url:  # the @ autocomplete (static/tracker/mentions.js) asks this address
            attrs["data-mention-url"] = mention_url


class EvidenceForm(EvidenceFields):
    prefix = "evidence"
    note = NoteField(required=False, label=_("Note (optional)"))


class ClaimForm(EvidenceFields):
    """Claiming an item implemented: what was done, and evidence (unless the item has some)."""

    prefix = "claim"
    note = NoteField(required=True, label=_("What was done"))


class ReviewForm(forms.Form):
    prefix = "review"
    note = NoteField(
        required=False,
        label=_("Note"),
        help_text=_("Required to return a claim: say what is missing."),
    )


class NotificationSettingsForm(forms.Form):
    """Each person's own digest settings, language and time zone (tracker/notifications.py)."""

    frequency = forms.ChoiceField(
        label=_("Digest"), choices=DigestFrequency.choices, widget=forms.RadioSelect
    )
    hour = forms.TypedChoiceField(label=_("At (your local time)"), coerce=int)
    weekday = forms.TypedChoiceField(
        label=_("Day of the weekly digest"), choices=WEEKDAYS, coerce=int
    )
    sections = forms.MultipleChoiceField(
        label=_("Sections"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(s.value, s.label) for s in notifications.SECTIONS],
    )
    paused_until = forms.DateField(
        label=_("Pause digests until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("No digest before this date; leave empty for none."),
    )
    resume = forms.BooleanField(label=_("Start my digests again"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        hours = range(0, notifications.latest_hour() + 1)
        self.fields["hour"].choices = [(h, f"{h:02d}:00") for h in hours]
        zones = sorted(zoneinfo.available_timezones() - {"localtime"})
        self.fields["time_zone"].choices = [(z, z) for z in zones]

    @classmethod
    def initial_for(cls, profile) -> dict:
        hour = profile.digest_hour
        return {
            "frequency": profile.digest_frequency,
            "hour": settings.REMINDER_LOCAL_HOUR if hour is None else hour,
            "weekday": profile.digest_weekday,
            "sections": [
                s.value for s in notifications.SECTIONS if s not in (profile.muted_sections or [])
            ],
            "paused_until": profile.digests_paused_until,
            "language": profile.language,
            "time_zone": profile.time_zone,
        }

    def clean_paused_until(self):
        day = self.cleaned_data.get("paused_until")
        if day is not None and day <= self.today:
            raise forms.ValidationError(_("Choose a date after today, or leave it empty."))
        return day

    def choices(self) -> notifications.Choices:
        data = self.cleaned_data
        return notifications.Choices(
            frequency=data["frequency"],
            hour=data["hour"],
            weekday=data["weekday"],
            sections=tuple(data["sections"]),
            paused_until=data["paused_until"],
            resume=data["resume"],
            language=data["language"],
            time_zone=data["time_zone"],
        )

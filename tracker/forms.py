"""Forms of the status pages: they read input; workflow.py decides whether the change is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ActionItem, Status
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

"""Forms of the admin. They validate input and show the workflow's refusals as form errors;
the rules themselves stay in workflow.py and releasability.py."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker import item_keys, workflow
from tracker.models import ActionItem, Marking, Status
from tracker.releasability import may_see_marking

from .guards import KeysOnlyAutocompleteSelect

NOTE_ROWS = 3

# What people type about an item, in form and CSV order; the workflow sets the rest.
ITEM_FIELDS = [
    "key",
    "title_en",
    "title_ko",
    "summary_en",
    "summary_ko",
    "source",
    "theme",
    "paragraph",
    "excerpt",
    "lead_organization",
    "partner_organizations",
    "owner_role",
    "owner",
    "co_owners",
    "priority",
    "due_date",
    "cadence_days",
    "marking",
]


def _note_field(*, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=_("Note"),
        required=False,
        max_length=workflow.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": NOTE_ROWS, "cols": 60}),
        help_text=help_text,
    )


def marking_error(marking: str) -> str:
    return _("You are not cleared for items marked “%(marking)s”.") % {
        "marking": dict(Marking.choices).get(marking, marking)
    }


class AdminActionItemForm(forms.ModelForm):
    """The item form, with the version it was opened at, so a stale save is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set by the admin for each request: the person editing.
    editor = None

    class Meta:
        model = ActionItem
        # The admin narrows this to its fieldsets minus the read-only fields.
        fields = ITEM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        source, theme = cleaned.get("source"), cleaned.get("theme")
        if source and theme and theme.source_id != source.pk:
            self.add_error("theme", _("This theme belongs to another report."))
        marking = cleaned.get("marking")
        if marking and self.editor is not None and not may_see_marking(self.editor, marking):
            # Saving would hide the item from the very person saving it.
            self.add_error("marking", marking_error(marking))
        key = cleaned.get("key")
        if key and "key" in self.changed_data:
            refusal = item_keys.key_refusal(key=key, user=self.editor, item_pk=self.instance.pk)
            if refusal:
                self.add_error("key", refusal)
        return cleaned

    def validate_unique(self) -> None:
        """Django's uniqueness checks less the key's, whose message would confirm an item the
        editor may not see (clean() checks the key through item_keys instead)."""
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions() | {"key"})
        except ValidationError as error:
            self._update_errors(error)

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now holds the form's values
        if self.errors:
            return
        self._check_co_owners()
        try:
            workflow.check_edit(
                item=self.instance, expected_version=self.cleaned_data.get("expected_version")
            )
        except workflow.WorkflowError as error:
            self.add_error(None, str(error))
        except ActionItem.DoesNotExist:
            self.add_error(None, _("This item was deleted after you opened it."))

    def _check_co_owners(self) -> None:
        if message := workflow.clearance_problem(
            users=self.cleaned_data.get("co_owners") or [], item=self.instance
        ):
            self.add_error("co_owners", message)


class AdminStatusUpdateForm(forms.Form):
    """A progress note, or a status change, posted on one item's page."""

    to_status = forms.ChoiceField(label=_("Status"), required=False)
    note = _note_field(help_text=_("Closing or reopening an item needs a note saying why."))

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        keep = ("", _("Keep “%(status)s” (progress note)") % {"status": item.get_status_display()})
        # Any status passes the field, so a forbidden one gets the workflow's own message;
        # the menu offers only the allowed ones.
        self.fields["to_status"].choices = [keep, *Status.choices]
        allowed = workflow.allowed_transitions(item.status)
        self.fields["to_status"].widget.choices = [
            keep,
            *[(value, label) for value, label in Status.choices if value in allowed],
        ]

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to_status")
        note = (cleaned.get("note") or "").strip()
        if not to and not note:
            self.add_error("note", _("Write a note, or choose a new status."))
        elif to and workflow.needs_note(self.item.status, to) and not note:
            self.add_error("note", _("A note is required: say why."))
        return cleaned


class AdminChangeStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    note = _note_field(help_text=_("Required when the change closes or reopens an item."))

    def __init__(self, *args, current_statuses: Iterable[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.current_statuses = set(current_statuses)

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to_status")
        note = (cleaned.get("note") or "").strip()
        if to and not note and any(workflow.needs_note(s, to) for s in self.current_statuses):
            self.add_error(
                "note",
                _("Some selected items would be closed or reopened: a note is required, say why."),
            )
        return cleaned


class AdminReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)
    note = _note_field()

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = ActionItem._meta.get_field("owner")
        # The widget first: setting the queryset hands the widget its choices.
        self.fields["owner"].widget = KeysOnlyAutocompleteSelect(field, admin_site)
        self.fields["owner"].queryset = field.remote_field.model.objects.filter(is_active=True)


class AdminSnoozeForm(forms.Form):
    days = forms.IntegerField(
        label=_("Snooze follow-up for (days)"),
        min_value=1,
        max_value=workflow.SNOOZE_MAX_DAYS,
        initial=7,
    )


class AdminConfirmForm(forms.Form):
    """Nothing to ask: the confirmation page just lists what will happen."""

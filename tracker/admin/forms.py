"""Forms of the admin. They validate input and show the workflow's refusals as form errors;
the rules themselves stay in workflow.py and releasability.py."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker import item_keys, workflow
from tracker.models import ActionItem, Marking, Status
from tracker.releasability import clearance_problem, may_see_marking

from .guards import KeysOnlyAutocompleteSelect

NOTE_ROWS = 3
KEYS_SHOWN = 10

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
    "owner_role_en",
    "owner_role_ko",
    "owner",
    "co_owners",
    "priority",
    "due_date",
    "cadence_days",
    "marking",
]


def _note_field(*, help_text: str = "", label: str = "") -> forms.CharField:
    return forms.CharField(
        label=label or _("Note"),
        required=False,
        max_length=workflow.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": NOTE_ROWS, "cols": 60}),
        help_text=help_text,
    )


def refuse_instead_of_cutting(form: forms.BaseForm) -> None:
    """Drop the browsers' maxlength limit from the form's text fields: a browser cuts pasted
    text there without a word. The server refuses an over-long value instead, with its limit
    and length, and shows the form again with everything typed."""
    for field in form.fields.values():
        field.widget.attrs.pop("maxlength", None)


def status_choices(item: ActionItem) -> tuple[list, list]:
    """(every status, the statuses the menu offers): any status passes the field, so a
    forbidden one gets the workflow's own message; the menu offers only the allowed ones."""
    keep = ("", _("Keep “%(status)s”") % {"status": item.get_status_display()})
    allowed = workflow.allowed_transitions(item.status)
    offered = [(value, label) for value, label in Status.choices if value in allowed]
    return [keep, *Status.choices], [keep, *offered]


def timeline_problems(item: ActionItem, to: str, note: str) -> dict[str, str]:
    """Why a status change with this note cannot be saved (field -> message); empty if it can."""
    if not to:
        return {}
    if to not in workflow.allowed_transitions(item.status):
        return {"to_status": workflow.transition_refusal(item.status, to)}
    if workflow.needs_note(item.status, to) and not note:
        return {"note": _("A note is required: say why.")}
    return {}


def marking_error(marking: str) -> str:
    return _("You are not cleared for items marked “%(marking)s”.") % {
        "marking": dict(Marking.choices).get(marking, marking)
    }


class AdminActionItemForm(forms.ModelForm):
    """The item form, with the version it was opened at, so a stale save is refused, and the
    timeline box (a status change and a note), saved with the rest in one step: a note typed
    there is never dropped by a save of the item's fields."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    to_status = forms.ChoiceField(label=_("Status change"), required=False)
    note = _note_field(
        label=_("Timeline note"),
        help_text=_(
            "Saved with the item as one timeline entry: a progress note, or the reason for a "
            "status change or a due-date move. Closing or reopening an item needs one."
        ),
    )
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
            every, offered = status_choices(self.instance)
            self.fields["to_status"].choices = every
            self.fields["to_status"].widget.choices = offered
        refuse_instead_of_cutting(self)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            note = (cleaned.get("note") or "").strip()
            for field, message in timeline_problems(
                self.instance, cleaned.get("to_status") or "", note
            ).items():
                self.add_error(field, message)
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
        if message := clearance_problem(
            users=self.cleaned_data.get("co_owners") or [], item=self.instance
        ):
            self.add_error("co_owners", message)


class AdminStatusUpdateForm(forms.Form):
    """A progress note, or a status change, posted on its own page (post_update_view)."""

    to_status = forms.ChoiceField(label=_("Status"), required=False)
    note = _note_field(help_text=_("Closing or reopening an item needs a note saying why."))

    def __init__(self, *args, item: ActionItem, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        every, offered = status_choices(item)
        self.fields["to_status"].choices = every
        self.fields["to_status"].widget.choices = offered
        refuse_instead_of_cutting(self)

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to_status")
        note = (cleaned.get("note") or "").strip()
        if not to and not note:
            self.add_error("note", _("Write a note, or choose a new status."))
        elif to and workflow.needs_note(self.item.status, to) and not note:
            self.add_error("note", _("A note is required: say why."))
        return cleaned


def named_keys(keys: list[str], *, shown: int = KEYS_SHOWN) -> str:
    """Item keys for a message: the first `shown`, then how many more."""
    text = ", ".join(keys[:shown])
    if len(keys) > shown:
        text += " " + _("and %(n)d more") % {"n": len(keys) - shown}
    return text


class AdminChangeStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    note = _note_field(help_text=_("Required when the change closes or reopens an item."))

    def __init__(self, *args, current: Iterable[tuple[str, str]], **kwargs):
        """`current`: (key, status) of each selected item."""
        super().__init__(*args, **kwargs)
        self.current = list(current)

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to_status")
        note = (cleaned.get("note") or "").strip()
        needing = [key for key, status in self.current if to and workflow.needs_note(status, to)]
        if needing and not note:
            self.add_error(
                "note",
                _("A note is required, saying why: this closes or reopens %(keys)s.")
                % {"keys": named_keys(sorted(needing))},
            )
        return cleaned


class AdminReassignForm(forms.Form):
    """The new owner, and an answer to whether the items' role text still fits them."""

    KEEP, REPLACE, CLEAR = "keep", "replace", "clear"
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)
    role = forms.ChoiceField(
        label=_("Does the owner's role text still fit?"),
        choices=[
            (KEEP, _("Yes: keep each item's role text")),
            (REPLACE, _("No: replace it with the text below")),
            (CLEAR, _("No: clear it")),
        ],
        widget=forms.RadioSelect,  # no default: the coordinator answers
    )
    role_en = forms.CharField(label=_("New role (English)"), required=False, max_length=200)
    role_ko = forms.CharField(label=_("New role (Korean)"), required=False, max_length=200)
    note = _note_field()

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = ActionItem._meta.get_field("owner")
        # The widget first: setting the queryset hands the widget its choices.
        self.fields["owner"].widget = KeysOnlyAutocompleteSelect(field, admin_site)
        self.fields["owner"].queryset = field.remote_field.model.objects.filter(is_active=True)
        refuse_instead_of_cutting(self)

    def clean(self):
        cleaned = super().clean()
        replace = cleaned.get("role") == self.REPLACE
        if replace and not (cleaned.get("role_en") or cleaned.get("role_ko") or "").strip():
            self.add_error("role_en", _("Write the new role text, in English, Korean or both."))
        return cleaned

    @classmethod
    def role_text(cls, data: dict) -> tuple[str, str] | None:
        """What workflow.reassign_owner takes as `role`: None keeps the text."""
        if data.get("role") == cls.REPLACE:
            return data.get("role_en") or "", data.get("role_ko") or ""
        if data.get("role") == cls.CLEAR:
            return "", ""
        return None


class AdminSnoozeForm(forms.Form):
    days = forms.IntegerField(
        label=_("Snooze follow-up for (days)"),
        min_value=1,
        max_value=workflow.SNOOZE_MAX_DAYS,
        initial=7,
    )


class AdminConfirmForm(forms.Form):
    """Nothing to ask: the confirmation page just lists what will happen."""

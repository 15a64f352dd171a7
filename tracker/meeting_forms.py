"""Forms of the meeting and snapshot pages: they read input; meetings.py, outcomes.py and
snapshots.py decide whether the change is allowed."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import NoteField
from .models import Edition, Forum, Marking, Meeting, Organization, Source, Status, Theme
from .releasability import cleared_markings, editions_for
from .reports import LANGUAGES

LANGUAGE_CHOICES = [("both", _("English and Korean")), ("en", "English"), ("ko", "한국어")]
assert {code for code, _label in LANGUAGE_CHOICES} == set(LANGUAGES)


class HoldForm(forms.Form):
    prefix = "hold"
    minutes_en = NoteField(required=False, label=_("Minutes (English)"))
    minutes_ko = NoteField(required=False, label=_("Minutes (Korean)"))


class PostponeForm(forms.Form):
    prefix = "postpone"
    to = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))


class OutcomeForm(forms.Form):
    """An outcome on one agenda item (the choices are the agenda items the viewer may see)."""

    prefix = "outcome"
    item = forms.ChoiceField(label=_("Agenda item"))
    text_en = NoteField(required=True, label=_("Outcome (English)"))
    text_ko = NoteField(required=False, label=_("Outcome (Korean)"))
    to_status = forms.ChoiceField(label=_("New status (optional)"), required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(line.item.key, line.item.key) for line in lines]
        self.fields["to_status"].choices = [("", "—"), *Status.choices]


def _cleared_choices(user) -> list[tuple[str, str]]:
    allowed = cleared_markings(user)
    return [
        (value, label) for value, label in Marking.choices if allowed is None or value in allowed
    ]


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return f"{obj.source.key}: {obj.title}"


class NewItemForm(forms.Form):
    """An outcome that becomes a new action item."""

    prefix = "newitem"
    key = forms.SlugField(label=_("Key"), max_length=80)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300)
    title_ko = forms.CharField(label=_("Title (Korean)"), max_length=300, required=False)
    theme = ThemeChoiceField(queryset=Theme.objects.select_related("source"), label=_("Theme"))
    lead = forms.ModelChoiceField(
        queryset=Organization.objects.all(), label=_("Lead organization"), to_field_name="key"
    )
    owner = forms.CharField(label=_("Owner (user name)"), max_length=150, required=False)
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    marking = forms.ChoiceField(label=_("Releasability"))
    text_en = NoteField(required=True, label=_("Outcome (English)"))
    text_ko = NoteField(required=False, label=_("Outcome (Korean)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marking"].choices = _cleared_choices(user)

    def clean_owner(self):
        name = self.cleaned_data["owner"].strip()
        if not name:
            return None
        owner = get_user_model().objects.filter(username=name, is_active=True).first()
        if owner is None:
            raise forms.ValidationError(_("No active user of that name."))
        return owner


class FreezeForm(forms.Form):
    """What to freeze: a report's items, a forum's, or a meeting's agenda; as of when; for whom."""

    prefix = "freeze"
    scope = forms.ChoiceField(label=_("Items"), required=False)
    edition = forms.ChoiceField(label=_("Edition (audience)"))
    as_of = forms.DateTimeField(
        label=_("As of"),
        required=False,
        help_text=_("Leave empty for now. In your time zone."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    title_ko = forms.CharField(label=_("Title (Korean)"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].choices = [(e, Edition(e).label) for e in editions_for(user)]
        self.fields["scope"].choices = scope_choices()

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        return value or timezone.now()


def scope_choices() -> list[tuple[str, str]]:
    """ "source:<key>", "forum:<key>" and "meeting:<id>" with their names."""
    choices = [(f"source:{s.key}", str(s)) for s in Source.objects.order_by("-date", "key")]
    choices += [(f"forum:{f.key}", f.name) for f in Forum.objects.order_by("key")]
    meetings = Meeting.objects.select_related("forum").order_by("-date")[:50]
    choices += [(f"meeting:{m.pk}", _("Agenda of %(m)s") % {"m": m}) for m in meetings]
    return choices

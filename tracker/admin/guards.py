"""Where Django's admin and simple-history raise (a server error) on an id that cannot be one:
the version pages, autocomplete widgets re-shown with a posted value that is no key, and
many-to-many fields posted a number too large for SQLite."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from tracker.admin_lookups import is_key


class CheckedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history looks the version up with both ids as given: “abc”, or a number too large
    for the database, raises instead of finding nothing."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_key = self.model.history.model._meta.pk
        if not (is_key(self.model._meta.pk, object_id) and is_key(history_key, version_id)):
            raise Http404(_("No such version."))
        return super().history_form_view(request, object_id, version_id, extra_context)


class _KeysOnly:
    """Django's autocomplete widgets query the posted values when a refused form is shown
    again; a value that is no key of the target raises there. Such values are left out."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field
        name = getattr(target, "field_name", None)
        key = target.model._meta.get_field(name) if name else target.model._meta.pk
        kept = [v for v in value if v in (None, "") or is_key(key, v)]
        return super().optgroups(name, kept, attr)


class KeysOnlyAutocompleteSelect(_KeysOnly, AutocompleteSelect):
    pass


class KeysOnlyAutocompleteSelectMultiple(_KeysOnly, AutocompleteSelectMultiple):
    pass


class KeyCheckedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses a value that cannot be a key before querying with it: Django catches ValueError
    there, but SQLite raises OverflowError on an integer beyond 64 bits."""

    def _check_values(self, value):
        model = self.queryset.model
        key = model._meta.get_field(self.to_field_name) if self.to_field_name else model._meta.pk
        for pk in value:
            if not is_key(key, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class KeyCheckedRelations:
    """A ModelAdmin or inline whose relation fields use the widgets and field above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            db = kwargs.get("using")
            kwargs["widget"] = KeysOnlyAutocompleteSelect(db_field, self.admin_site, using=db)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            db = kwargs.get("using")
            kwargs["widget"] = KeysOnlyAutocompleteSelectMultiple(
                db_field, self.admin_site, using=db
            )
        kwargs.setdefault("form_class", KeyCheckedMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

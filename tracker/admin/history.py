"""simple-history's version pages, where an id that cannot be one is a 404, not a server error."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Field
from django.http import Http404
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin


def _is_key(field: Field, value: str) -> bool:
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class CheckedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history looks the version up with both ids as given: “abc”, or a number too large
    for the database, raises instead of finding nothing."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_key = self.model.history.model._meta.pk
        if not (_is_key(self.model._meta.pk, object_id) and _is_key(history_key, version_id)):
            raise Http404(_("No such version."))
        return super().history_form_view(request, object_id, version_id, extra_context)

"""The reminder log: read-only, one row per digest, with a retry for failed ones."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import workflow
from tracker.models import Reminder, ReminderItem, ReminderKind, ReminderState
from tracker.releasability import visible_filter
from tracker.reminders.manual import retry_failed as retry_rows
from tracker.tasks import enqueue_sends

from .filters import FewRelatedOnlyFilter

ERROR_SHOWN = 300


class KindFilter(admin.SimpleListFilter):
    title = gettext_lazy("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return ReminderKind.choices

    def queryset(self, request, queryset):
        if self.value() in ReminderKind.values:
            return queryset.filter(entries__kind=self.value()).distinct()
        return queryset


@admin.action(description=gettext_lazy("Retry failed reminders"), permissions=["retry"])
def retry_failed(modeladmin, request, queryset):
    failed = list(queryset.filter(state=ReminderState.FAILED).values_list("pk", flat=True))
    queued_ids = retry_rows(reminder_ids=failed, now=timezone.now())
    enqueue_sends(queued_ids)
    queued = len(queued_ids)
    text = ngettext(
        "%(count)d failed reminder queued again.",
        "%(count)d failed reminders queued again.",
        queued,
    ) % {"count": queued}
    modeladmin.message_user(request, text, messages.SUCCESS)
    others = queryset.count() - len(failed)
    if others:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d selected reminder had not failed and was left as it is.",
                "%(count)d selected reminders had not failed and were left as they are.",
                others,
            )
            % {"count": others},
            messages.WARNING,
        )


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = [
        "local_date",
        "recipient",
        "state_badge",
        "kinds",
        "item_count",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_select_related = ["recipient"]
    list_filter = [
        "state",
        KindFilter,
        ("recipient", FewRelatedOnlyFilter),
        "local_date",
        "sent_at",
    ]
    search_fields = ["recipient__username", "recipient__email", "message_id"]
    date_hierarchy = "local_date"
    show_full_result_count = False
    actions = [retry_failed]
    fields = [
        "recipient",
        "local_date",
        "state",
        "attempts",
        "give_up_after",
        "created_at",
        "claimed_at",
        "last_attempt_at",
        "next_attempt_at",
        "send_before",
        "sent_at",
        "message_id",
        "last_error",
    ]
    readonly_fields = fields
    change_form_template = "admin/tracker/reminder/change_form.html"

    class Media:
        css = {"all": ["tracker/admin.css"]}

    def get_queryset(self, request):
        # The kinds and item counts of a row come from the items the viewer may see only: a
        # count of the others would tell of items their markings do not allow.
        visible_entries = ReminderItem.objects.filter(visible_filter(request.user, prefix="item__"))
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("entries", queryset=visible_entries))
        )
        if workflow.is_coordinator(request.user):
            return queryset
        return queryset.filter(recipient=request.user)  # owners see their own digests

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        return workflow.is_coordinator(request.user)

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_badge(self, reminder: Reminder):
        return format_html(
            '<span class="badge reminder-{}">{}</span>',
            reminder.state,
            reminder.get_state_display(),
        )

    @admin.display(description=gettext_lazy("kinds"))
    def kinds(self, reminder: Reminder) -> str:
        labels = dict(ReminderKind.choices)
        found = sorted({entry.kind for entry in reminder.entries.all()})
        return ", ".join(str(labels[kind]) for kind in found)

    @admin.display(description=gettext_lazy("items"))
    def item_count(self, reminder: Reminder) -> int:
        return len(reminder.entries.all())

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, reminder: Reminder) -> str:
        # Wrapped in its column, not cut to a line; the digest's page has all of it.
        return Truncator(reminder.last_error).chars(ERROR_SHOWN)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reminder = self.get_object(request, unquote(object_id))
        if reminder is None:
            raise Http404(_("No such reminder."))
        context = {**_digest_context(request.user, reminder), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)


def _digest_context(viewer, reminder: Reminder) -> dict:
    """Only the items this viewer may see: the others are neither named nor counted."""
    entries = ReminderItem.objects.filter(reminder=reminder).select_related("item")
    shown = entries.filter(visible_filter(viewer, prefix="item__")).order_by("item__key")
    return {"digest_entries": list(shown)}

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Recommendations tracker")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The dashboard's cached numbers are counted again after any write of an item or a
        # timeline entry, whichever code made it (workflow, admin, import, seeding).
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import ActionItem, StatusUpdate
        from .selectors import forget_dashboard_numbers

        for model in (ActionItem, StatusUpdate):
            post_save.connect(forget_dashboard_numbers, sender=model, dispatch_uid=f"dash-{model}")
            post_delete.connect(forget_dashboard_numbers, sender=model, dispatch_uid=f"del-{model}")
        for relation in (ActionItem.co_owners.through, ActionItem.partner_organizations.through):
            m2m_changed.connect(
                forget_dashboard_numbers, sender=relation, dispatch_uid=f"{relation}"
            )

        # Webhook deliveries recorded by the rules go to a worker once their transaction
        # commits; the rules never import the task layer.
        from .tasks import on_deliveries_recorded
        from .webhooks import deliveries_recorded

        deliveries_recorded.connect(on_deliveries_recorded, dispatch_uid="webhooks-to-workers")


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the tracker's site: two-factor for staff, and the demo notice."""

    default = False  # named in INSTALLED_APPS; "tracker" itself still means TrackerConfig

    default_site = "tracker.admin_site.TrackerAdminSite"

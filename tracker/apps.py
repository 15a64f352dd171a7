from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Recommendations tracker")
    default_auto_field = "django.db.models.BigAutoField"


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the tracker's site: two-factor for staff, and the demo notice."""

    default = False  # named in INSTALLED_APPS; "tracker" itself still means TrackerConfig

    default_site = "tracker.admin_site.TrackerAdminSite"

"""The tracker's admin site: Django's, with two-factor for staff and a plain demo notice."""

from __future__ import annotations

from functools import partial, update_wrapper

from django.conf import settings
from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import two_factor


class TrackerAdminSite(admin.AdminSite):
    site_header = _("Recommendations tracker")
    site_title = _("Recommendations tracker")
    index_title = _("Coordination")
    login_template = "admin/tracker/login.html"

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and not two_factor.second_factor_missing(request)

    def admin_view(self, view, cacheable=False):
        """Every admin view waits for the second factor when it is owed; signing out never does."""
        inner = super().admin_view(view, cacheable)
        sign_out = never_cache(csrf_protect(view))

        def behind_second_factor(request, *args, **kwargs):
            if two_factor.second_factor_missing(request):
                if request.path == reverse("admin:logout", current_app=self.name):
                    return sign_out(request, *args, **kwargs)
                return two_factor.redirect_to_second_factor(request, site_name=self.name)
            return inner(request, *args, **kwargs)

        return update_wrapper(behind_second_factor, inner)

    def login(self, request, extra_context=None):
        if request.method == "GET" and two_factor.second_factor_missing(request):
            return two_factor.redirect_to_second_factor(request, site_name=self.name)
        context = {
            "two_factor_required": settings.ADMIN_REQUIRE_OTP,
            **(extra_context or {}),
        }
        return super().login(request, context)

    def get_urls(self):
        view = partial(two_factor.two_factor_view, site=self)
        view = never_cache(csrf_protect(sensitive_post_parameters("token")(view)))
        return [path("two-factor/", view, name="two_factor"), *super().get_urls()]

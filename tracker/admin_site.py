"""The tracker's admin site: Django's, with two-factor for staff and a plain demo notice."""

from __future__ import annotations

from functools import partial, update_wrapper

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Q
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import oidc, two_factor
from .admin_lookups import RefusedLookup, declared_lookups_only, is_key

PLAIN_TEXT = "text/plain; charset=utf-8"


def _bad_input(request, view) -> str | None:
    """Why this request is refused before Django's admin sees it, or None.

    Django's admin answers these with a server error: a NUL in the query string reaches
    PostgreSQL (which refuses it) through list filters and autocomplete, and a selected id that
    is not one of the model's keys fails the action's query.
    """
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return _("The address holds a NUL character.")
    model_admin = getattr(view, "__self__", None)
    if request.method == "POST" and isinstance(model_admin, admin.ModelAdmin):
        key_field = model_admin.model._meta.pk
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_key(key_field, value) for value in selected):
            return _("The selection holds something that is not a row of this list.")
    return None


class TrackerAdminSite(admin.AdminSite):
    site_header = _("Recommendations tracker")
    site_title = _("Recommendations tracker")
    index_title = _("Coordination")
    # The models are on the index and in the breadcrumbs; the sidebar's 300 pixels are the
    # item list's (key, title, status, due date and owner fit beside the filters at 1366).
    enable_nav_sidebar = False
    login_template = "admin/tracker/login.html"

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and not two_factor.second_factor_missing(request)

    def admin_view(self, view, cacheable=False):
        """Every admin view waits for the second factor when it is owed; signing out never does."""
        inner = super().admin_view(view, cacheable)
        sign_out = never_cache(csrf_protect(view))

        def behind_second_factor(request, *args, **kwargs):
            refusal = _bad_input(request, view)
            if refusal:
                return HttpResponseBadRequest(str(refusal), content_type=PLAIN_TEXT)
            if two_factor.second_factor_missing(request):
                if request.path == reverse("admin:logout", current_app=self.name):
                    return sign_out(request, *args, **kwargs)
                return two_factor.redirect_to_second_factor(request, site_name=self.name)
            try:
                return inner(request, *args, **kwargs)
            except RefusedLookup as refusal:
                return HttpResponseBadRequest(str(refusal), content_type=PLAIN_TEXT)

        return update_wrapper(behind_second_factor, inner)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin here, the tracker's and other apps' alike, accepts only the
        lookups its list declares (admin_lookups.py)."""
        admin_class = declared_lookups_only(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        if request.method == "GET" and two_factor.second_factor_missing(request):
            return two_factor.redirect_to_second_factor(request, site_name=self.name)
        context = {
            "two_factor_required": settings.ADMIN_REQUIRE_OTP,
            **(extra_context or {}),
        }
        return super().login(request, context)

    def logout(self, request, extra_context=None):
        """Django's sign-out, then the identity provider's where the user signed in through one
        that offers it (RP-initiated logout)."""
        at_provider = oidc.provider_logout_url(request)
        response = super().logout(request, extra_context)
        return HttpResponseRedirect(at_provider) if at_provider else response

    def get_log_entries(self, request):
        """The index's “Recent actions”, less the items this user may no longer see: an entry
        keeps the item's title (“key: title”) after its marking or the user's clearance changes."""
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import CharField
        from django.db.models.functions import Cast

        from .models import ActionItem
        from .releasability import visible_items

        item_type = ContentType.objects.get_for_model(ActionItem)
        visible = (
            visible_items(request.user).annotate(text_pk=Cast("pk", CharField())).values("text_pk")
        )
        return (
            super()
            .get_log_entries(request)
            .exclude(Q(content_type=item_type) & ~Q(object_id__in=visible))
        )

    def get_urls(self):
        view = partial(two_factor.two_factor_view, site=self)
        view = never_cache(csrf_protect(sensitive_post_parameters("token")(view)))
        enrol = never_cache(csrf_protect(partial(two_factor.enrol_view, site=self)))
        return [
            path("two-factor/", view, name="two_factor"),
            path("two-factor/enrol/<str:token>/", enrol, name="two_factor_enrol"),
            *super().get_urls(),
        ]

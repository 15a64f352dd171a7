from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.health import healthz
from tracker.views import sign_in

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", sign_in.SignOutView.as_view(), name="logout"),
    path("accounts/oidc/<slug:provider>/login/", sign_in.oidc_login, name="oidc_login"),
    path("accounts/oidc/<slug:provider>/callback/", sign_in.oidc_callback, name="oidc_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tracker.urls")),
]

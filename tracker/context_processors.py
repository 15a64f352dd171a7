from django.conf import settings

from .oidc import login_buttons


def site(request):
    return {
        "SITE_URL": settings.SITE_URL,
        "ADMIN_REQUIRE_OTP": settings.ADMIN_REQUIRE_OTP,
        "PASSWORD_SIGN_IN": settings.PASSWORD_SIGN_IN,
        # A function: the login pages call it, other pages never do.
        "sign_in_providers": login_buttons,
    }

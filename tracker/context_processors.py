from django.conf import settings


def site(request):
    return {"SITE_URL": settings.SITE_URL, "ADMIN_REQUIRE_OTP": settings.ADMIN_REQUIRE_OTP}

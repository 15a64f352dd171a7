"""The project's URLs plus one view that fails, for the server-error page's tests."""

from django.urls import path

from config.urls import urlpatterns as project_urls

SECRET_CAUSE = "the database password is hunter2"


def fail(request):
    raise RuntimeError(SECRET_CAUSE)


urlpatterns = [path("fail/", fail), *project_urls]

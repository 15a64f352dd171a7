"""The product's URLs plus one trivial view, the floor for the page benchmarks."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def trivial(request):
    # Same middleware stack as every page (session, user, profile, CSP), no work of its own.
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial, name="bench-trivial"), *product_urlpatterns]

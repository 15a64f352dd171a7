from django.urls import path

from . import links, views

app_name = "tracker"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("r/<str:token>/", links.reminder_link, name="reminder-link"),
]

from django.urls import path

from . import views

app_name = "tracker"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("r/<str:token>/", views.reminder_link, name="reminder-link"),
    path("items/", views.item_list, name="item_list"),
    path("items/export.csv", views.item_export, name="item_export"),
    path("items/<slug:key>/", views.item_detail, name="item_detail"),
    path("items/<slug:key>/update/", views.item_update, name="item_update"),
    path("items/<slug:key>/status/", views.item_status, name="item_status"),
    path("items/<slug:key>/snooze/", views.item_snooze, name="item_snooze"),
    path("items/<slug:key>/on-track/", views.item_on_track, name="item_on_track"),
    path("mine/", views.my_items, name="my_items"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("settings/tokens/", views.api_tokens_page, name="api_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

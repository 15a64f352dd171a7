from django.urls import path

from . import views
from .views import collaboration, settings

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
    path("items/<slug:key>/comment/", collaboration.item_comment, name="item_comment"),
    path(
        "items/<slug:key>/comments/<int:update_id>/edit/",
        collaboration.comment_edit,
        name="comment_edit",
    ),
    path("items/<slug:key>/people/", collaboration.item_people, name="item_people"),
    path("items/<slug:key>/watch/", collaboration.item_watch, name="item_watch"),
    path("items/<slug:key>/evidence/", collaboration.item_evidence, name="item_evidence"),
    path(
        "items/<slug:key>/evidence/<int:evidence_id>/",
        collaboration.evidence_file,
        name="evidence_file",
    ),
    path("items/<slug:key>/claim/", collaboration.item_claim, name="item_claim"),
    path("items/<slug:key>/review/", collaboration.item_review, name="item_review"),
    path("mine/", views.my_items, name="my_items"),
    path("settings/", settings.settings_page, name="settings"),
    path("u/<str:token>/", settings.unsubscribe, name="unsubscribe"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/hold/", views.meeting_hold, name="meeting_hold"),
    path("meetings/<int:pk>/postpone/", views.meeting_postpone, name="meeting_postpone"),
    path("meetings/<int:pk>/outcome/", views.meeting_outcome, name="meeting_outcome"),
    path("meetings/<int:pk>/new-item/", views.meeting_new_item, name="meeting_new_item"),
    path("meetings/<int:pk>/freeze/", views.meeting_freeze, name="meeting_freeze"),
    path("snapshots/", views.snapshot_list, name="snapshot_list"),
    path("snapshots/freeze/", views.snapshot_freeze, name="snapshot_freeze"),
    path("snapshots/<int:number>/", views.snapshot_detail, name="snapshot_detail"),
    path("snapshots/<int:number>/compare/", views.snapshot_compare, name="snapshot_compare"),
    path("snapshots/<int:number>/report.pdf", views.snapshot_pdf, name="snapshot_pdf"),
    path("snapshots/<int:number>/report.csv", views.snapshot_csv, name="snapshot_csv"),
    path("snapshots/<int:number>/report.xlsx", views.snapshot_xlsx, name="snapshot_xlsx"),
    path("settings/tokens/", views.api_tokens_page, name="api_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

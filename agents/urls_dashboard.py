"""The dashboard pages of this app (on a shop's host)."""

from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list_page, name="campaign-list"),
    path("campaigns/new/", views.campaign_new_page, name="campaign-new"),
    path("campaigns/count/", views.campaign_count_fragment, name="campaign-count"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail_page, name="campaign-detail"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit_page, name="campaign-edit"),
    path("campaigns/<int:campaign_id>/launch/", views.campaign_launch_page, name="campaign-launch"),
    path("campaigns/<int:campaign_id>/stop/", views.campaign_stop_action, name="campaign-stop"),
    path("campaigns/<int:campaign_id>/resume/", views.campaign_resume_action, name="campaign-resume"),
]

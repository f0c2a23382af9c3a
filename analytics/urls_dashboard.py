"""The dashboard pages of this app (on a shop's host)."""

from django.urls import path

from . import views

urlpatterns = [
    path("analytics/", views.analytics_page, name="analytics-page"),
    path("analytics/exports/", views.exports_page, name="analytics-exports-page"),
    path("analytics/exports/<int:job_id>/", views.export_job_page, name="analytics-export-job-page"),
]

from django.urls import path

from .api import CampaignResultsApi, SeriesApi, SummaryApi
from .api_exports import ExportJobDetailApi, ExportJobDownloadApi, ExportJobsApi, ExportStreamApi

urlpatterns = [
    path("analytics/summary/", SummaryApi.as_view(), name="analytics-summary"),
    path("analytics/series/", SeriesApi.as_view(), name="analytics-series"),
    path("analytics/campaigns/", CampaignResultsApi.as_view(), name="analytics-campaigns"),
    path("analytics/export/<str:kind>.csv", ExportStreamApi.as_view(), name="analytics-export-stream"),
    path("analytics/exports/", ExportJobsApi.as_view(), name="analytics-exports"),
    path("analytics/exports/<int:job_id>/", ExportJobDetailApi.as_view(), name="analytics-export-detail"),
    path("analytics/exports/<int:job_id>/download/", ExportJobDownloadApi.as_view(), name="analytics-export-download"),
]

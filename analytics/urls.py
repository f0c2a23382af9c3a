from django.urls import path

from .api import SeriesApi, SummaryApi

urlpatterns = [
    path("analytics/summary/", SummaryApi.as_view(), name="analytics-summary"),
    path("analytics/series/", SeriesApi.as_view(), name="analytics-series"),
]

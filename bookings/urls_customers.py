"""The customers and pets pages (on a shop's host)."""

urlpatterns: list = []

"""The dashboard's agenda and customer pages (Django templates + HTMX)."""

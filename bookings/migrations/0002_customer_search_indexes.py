from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Trigram indexes for the dashboard's "search by name or phone": the
    expressions are exactly what `icontains` on the name and `contains` on the
    phone compile to, so the planner uses them."""

    dependencies = [("bookings", "0001_initial")]

    operations = [
        TrigramExtension(),  # installed in public by tenants.0004; a no-op here
        migrations.RunSQL(
            "CREATE INDEX customer_name_trgm ON bookings_customer USING gin ((UPPER(name::text)) gin_trgm_ops);"
            "CREATE INDEX customer_phone_trgm ON bookings_customer USING gin ((phone::text) gin_trgm_ops);",
            "DROP INDEX customer_name_trgm; DROP INDEX customer_phone_trgm;",
        ),
    ]

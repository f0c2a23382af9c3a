from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm lives in the public schema, which every shop's search path
    includes: searching customers by part of a name or number uses it."""

    dependencies = [("tenants", "0003_deployment_key_check")]
    operations = [TrigramExtension()]

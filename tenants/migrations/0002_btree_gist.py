from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    """btree_gist lives in the public schema, which every shop's search path
    includes: the bookings exclusion constraint needs its operator classes."""

    dependencies = [("tenants", "0001_initial")]
    operations = [BtreeGistExtension()]

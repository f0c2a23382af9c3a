from django.db import migrations, models

BACKFILL = """
UPDATE analytics_conversationrecord r
   SET customer_id = c.customer_id, customer_since = cu.created_at
  FROM whatsapp_conversation c JOIN bookings_customer cu ON cu.id = c.customer_id
 WHERE c.id = r.conversation_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_precise_money"),
        ("bookings", "0003_customer_erased_at"),
        ("whatsapp", "0003_notes_and_canned_replies"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversationrecord",
            name="customer_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversationrecord",
            name="customer_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="conversationrecord",
            index=models.Index(
                fields=["day", "customer_since"], include=("customer_id",), name="conversation_record_customers"
            ),
        ),
    ]

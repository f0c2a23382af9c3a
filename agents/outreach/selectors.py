"""Reads for campaigns: who a segment reaches, what each customer will read,
and how a campaign is doing (every figure counted from the messages and
bookings themselves)."""

import re
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from bookings.availability import shop_timezone
from bookings.models import Booking, Customer, Pet
from bookings.selectors import customers_inactive, vaccinations_current
from whatsapp.models import Conversation, Message

from ..models import Campaign, CampaignRecipient

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = {"name": "name", "nome": "name", "pet": "pet", "shop": "shop", "loja": "shop"}
# By default, a booking within this long after the message counts as booked after it.
BOOKED_AFTER_WITHIN = timedelta(days=14)


def segment_customers(*, campaign: Campaign, now: datetime) -> QuerySet[Customer]:
    """Who the campaign reaches now: every condition set, never an opted-out
    customer, only customers we can write to."""
    customers = customers_inactive(since=now - timedelta(days=campaign.inactive_days)) if campaign.inactive_days \
        else Customer.objects.all()  # fmt: skip
    customers = customers.filter(marketing_opted_out_at__isnull=True).filter(
        Q(phone__isnull=False) | Exists(Conversation.objects.filter(customer=OuterRef("pk")))
    )
    if campaign.species:
        customers = customers.filter(Exists(campaign_pets(campaign).filter(customer=OuterRef("pk"))))
    if campaign.last_service_id:
        last = Booking.objects.filter(customer=OuterRef("pk"), status=Booking.Status.COMPLETED).order_by("-start")
        customers = customers.annotate(last_service=Subquery(last.values("service_id")[:1])).filter(
            last_service=campaign.last_service_id
        )
    if campaign.vaccine_due_within_days is not None:
        today = timezone.localtime(now, shop_timezone()).date()
        due = vaccinations_current().filter(
            pet__customer=OuterRef("pk"), due_on__lte=today + timedelta(days=campaign.vaccine_due_within_days)
        )
        customers = customers.filter(Exists(due))
    if campaign.tag:
        customers = customers.filter(tags__contains=[campaign.tag])
    return customers.order_by("pk")


def campaign_pets(campaign: Campaign) -> QuerySet[Pet]:
    pets = Pet.objects.all()
    return pets.filter(species=campaign.species) if campaign.species else pets


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def campaign_text_for(*, campaign: Campaign, customer: Customer) -> str:
    """The message with the customer's placeholders filled in; an empty
    one (no name, no pet) leaves no stray space or comma behind."""
    pet = campaign_pets(campaign).filter(customer=customer).order_by("pk").first()
    values = {"name": customer.name.split()[0] if customer.name.strip() else "", "pet": pet.name if pet else "",
              "shop": connection.tenant.name}  # fmt: skip
    text = PLACEHOLDER.sub(lambda match: values.get(PLACEHOLDERS.get(match[1], ""), match[0]), campaign.text)
    text = re.sub(r"[ \t]+([,!.?])", r"\1", text)
    text = re.sub(r"(^|\n)[,!.?]\s*", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def campaign_samples(*, campaign: Campaign, now: datetime, limit: int = 3) -> list[tuple[Customer, str]]:
    """The first few recipients, each with the message they would read."""
    return [(customer, campaign_text_for(campaign=campaign, customer=customer))
            for customer in segment_customers(campaign=campaign, now=now)[:limit]]  # fmt: skip


def campaign_preview(*, campaign: Campaign, now: datetime) -> dict:
    samples = campaign_samples(campaign=campaign, now=now, limit=1)
    return {"recipients": segment_customers(campaign=campaign, now=now).count(),
            "sample": samples[0][1] if samples else ""}  # fmt: skip


def segment_tags() -> list[str]:
    """Every tag some customer has, to pick a segment's from."""
    tags = Customer.objects.annotate(tag=Func(F("tags"), function="unnest")).values_list("tag", flat=True)
    return list(tags.order_by("tag").distinct()[:500])


def campaign_progress(*, campaign: Campaign, booked_within: timedelta = BOOKED_AFTER_WITHIN) -> dict:
    """Where the campaign stands: recipients by state, and what the sent
    messages led to (delivered, read, a reply, a booking within `booked_within`)."""
    Status = CampaignRecipient.Status
    replied = Message.objects.filter(
        conversation=OuterRef("message__conversation"), direction=Message.Direction.INBOUND,
        created_at__gt=OuterRef("sent_at"),
    )  # fmt: skip
    booked = Booking.objects.filter(
        customer=OuterRef("customer"), created_at__gt=OuterRef("sent_at"),
        created_at__lte=OuterRef("sent_at") + booked_within,
    )  # fmt: skip
    sent = Q(status=Status.SENT)
    counts = campaign.recipients.aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in Status.values},
        delivered=Count("pk", filter=sent & Q(message__status__in=["delivered", "read"])),
        read=Count("pk", filter=sent & Q(message__status="read")),
        replied=Count("pk", filter=sent & Q(Exists(replied))),
        booked=Count("pk", filter=sent & Q(Exists(booked))),
    )
    done = counts["total"] - counts["pending"]
    launched = campaign.launched_at.isoformat() if campaign.launched_at else None
    return {"campaign": campaign.pk, "name": campaign.name, "status": campaign.status, "launched_at": launched,
            "booked_within_days": booked_within.days, **counts,
            "percent_done": round(100 * done / counts["total"]) if counts["total"] else 0}  # fmt: skip


def campaigns_overview() -> QuerySet[Campaign]:
    """Every campaign, newest first, with its recipients counted: all of
    them, and those done with (sent, skipped or failed)."""
    return Campaign.objects.annotate(
        recipients_total=Count("recipients"),
        recipients_done=Count("recipients", filter=~Q(recipients__status=CampaignRecipient.Status.PENDING)),
    ).order_by("-created_at", "-pk")


def campaign_skip_reasons(*, campaign: Campaign) -> list[dict]:
    """Why recipients were skipped or failed, most frequent first."""
    rows = campaign.recipients.exclude(status__in=[CampaignRecipient.Status.PENDING, CampaignRecipient.Status.SENT])
    return list(rows.values("status", "reason").annotate(count=Count("pk")).order_by("-count", "status", "reason"))


def campaigns_launched(*, start: date, end: date) -> QuerySet[Campaign]:
    """Campaigns launched on those shop-local days, newest first."""
    tz = shop_timezone()
    first = datetime.combine(start, time.min, tz)
    return Campaign.objects.filter(launched_at__gte=first,
                                   launched_at__lt=datetime.combine(end, time.min, tz) + timedelta(days=1))  # fmt: skip

"""The figures over REST: a period's summary and a day-by-day series."""

from datetime import timedelta

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Campaign, CampaignRecipient
from agents.outreach.selectors import campaign_progress, campaigns_launched
from oxy.api import ManagersOnly

from .metrics import Kind
from .selectors import series, shop_summary, today

MAX_DAYS = 366


class PeriodInput(serializers.Serializer):
    """`from` and `to` are shop-local days, both included (default: the last 30 days)."""

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("to", today())
        attrs.setdefault("from", attrs["to"] - timedelta(days=29))
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end of the period must not be before its start.")})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"to": _("Ask for at most 366 days at a time.")})
        return attrs


# `from` is a Python keyword, so the two dates cannot be declared in the class body.
PeriodInput._declared_fields |= {"from": serializers.DateField(required=False),
                                 "to": serializers.DateField(required=False)}  # fmt: skip


class SeriesInput(PeriodInput):
    metric = serializers.ChoiceField(choices=Kind.choices)
    every = serializers.ChoiceField(choices=["day", "week", "month"], default="day")


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string", "format": "decimal"}],
     "description": "Milliseconds (an integer) for response times; else a decimal string: dollars for AI calls, "
                    "reais for the rest."}
)  # fmt: skip
class SeriesTotalField(serializers.Field):
    pass


class SeriesPointOutput(serializers.Serializer):
    """One bucket; the first and last are cut to the period."""

    start = serializers.DateField()
    end = serializers.DateField()
    count = serializers.IntegerField()
    total = SeriesTotalField(read_only=True)


class CampaignResultOutput(serializers.Serializer):
    """A campaign launched in the period, and what its messages led to."""

    campaign = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField(help_text="The campaign's: " + ", ".join(Campaign.Status.values))
    launched_at = serializers.DateTimeField(allow_null=True)
    booked_within_days = serializers.IntegerField()
    total = serializers.IntegerField(help_text="All recipients (the counts per state follow).")
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    replied = serializers.IntegerField()
    booked = serializers.IntegerField()
    percent_done = serializers.IntegerField()


CampaignResultOutput._declared_fields |= {
    state: serializers.IntegerField() for state in CampaignRecipient.Status.values
}


class SummaryApi(APIView):
    permission_classes = [ManagersOnly]

    @extend_schema(parameters=[PeriodInput], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """Conversations, messages, bookings, revenue, customers and AI cost of a period."""
        period = PeriodInput(data=request.query_params)
        period.is_valid(raise_exception=True)
        return Response(shop_summary(start=period.validated_data["from"], end=period.validated_data["to"]))


class CampaignResultsInput(PeriodInput):
    booked_within_days = serializers.IntegerField(min_value=1, max_value=90, default=14)


class CampaignResultsApi(APIView):
    permission_classes = [ManagersOnly]

    @extend_schema(parameters=[CampaignResultsInput], responses=CampaignResultOutput(many=True))
    def get(self, request: Request) -> Response:
        """Each campaign launched in the period: sent, delivered, read, replied, and booked within N days after."""
        data = CampaignResultsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        within = timedelta(days=data.validated_data["booked_within_days"])
        campaigns = campaigns_launched(start=data.validated_data["from"], end=data.validated_data["to"])
        return Response([campaign_progress(campaign=campaign, booked_within=within) for campaign in campaigns])


class SeriesApi(APIView):
    permission_classes = [ManagersOnly]

    @extend_schema(parameters=[SeriesInput], responses=SeriesPointOutput(many=True))
    def get(self, request: Request) -> Response:
        """One point per day, week or month of one fact: how many, and their value (reais, dollars or milliseconds)."""
        data = SeriesInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        start, end = data.validated_data["from"], data.validated_data["to"]
        return Response(series(start=start, end=end, metric=data.validated_data["metric"],
                               every=data.validated_data["every"]))  # fmt: skip

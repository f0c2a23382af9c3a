"""Free slots and bookings."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oxy.api import Pagination, request_actor

from .. import services
from ..availability import find_slots
from ..models import Booking, Customer, Pet, PetSize, Resource, Service
from ..selectors import booking_list


class SlotOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    resource_id = serializers.IntegerField()
    resource_name = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    offer_id = serializers.CharField()


class AvailabilitySearchInput(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    pet = serializers.PrimaryKeyRelatedField(queryset=Pet.objects.all(), required=False)
    size = serializers.ChoiceField(choices=PetSize.choices, required=False)
    resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.all(), required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end of the search must not be before its start.")})
        if (attrs["to"] - attrs["from"]).days > 62:
            raise serializers.ValidationError({"to": _("Search at most 62 days at a time.")})
        if "pet" not in attrs and "size" not in attrs:
            raise serializers.ValidationError({"size": _("Give the pet or its size.")})
        return attrs


# `from` is a Python keyword, so the two dates cannot be declared in the class body.
AvailabilitySearchInput._declared_fields |= {"from": serializers.DateField(), "to": serializers.DateField()}


class AvailabilityApi(APIView):
    @extend_schema(parameters=[AvailabilitySearchInput], responses=SlotOutput(many=True))
    def get(self, request: Request) -> Response:
        """Free slots, one per start time, each with an offer id to book it."""
        data = AvailabilitySearchInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        search = data.validated_data
        slots = find_slots(
            service=search["service"],
            pet=search.get("pet"),
            size=search.get("size"),
            resource_id=search["resource"].pk if "resource" in search else None,
            start=search["from"],
            end=search["to"],
        )
        return Response(SlotOutput(slots, many=True).data)


class BookingOutput(serializers.ModelSerializer):
    customer = serializers.SerializerMethodField()
    pet = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    resource = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id", "customer", "pet", "service", "resource", "start", "end", "status", "price", "source",
            "notes", "cancellation_reason", "created_by", "created_at", "confirmed_at", "cancelled_at",
        ]  # fmt: skip

    def get_customer(self, booking: Booking) -> dict:
        return {"id": booking.customer_id, "name": booking.customer.name, "phone": booking.customer.phone}

    def get_pet(self, booking: Booking) -> dict | None:
        return {"id": booking.pet_id, "name": booking.pet.name} if booking.pet_id else None

    def get_service(self, booking: Booking) -> dict:
        return {"id": booking.service_id, "name": booking.service.name}

    def get_resource(self, booking: Booking) -> dict:
        return {"id": booking.resource_id, "name": booking.resource.name}


class BookingListApi(APIView):
    pagination_class = Pagination  # read by the schema too

    class BookingFilterInput(serializers.Serializer):
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)
        status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
        resource = serializers.IntegerField(required=False, source="resource_id")
        customer = serializers.IntegerField(required=False, source="customer_id")

        def validate(self, attrs: dict) -> dict:
            if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
                raise serializers.ValidationError({"end": _("The end must be after the start.")})
            return attrs

    class BookingCreateInput(serializers.Serializer):
        offer_id = serializers.CharField(required=False)
        service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False)
        resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.all(), required=False)
        start = serializers.DateTimeField(required=False)
        size = serializers.ChoiceField(choices=PetSize.choices, required=False)
        customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
        pet = serializers.PrimaryKeyRelatedField(queryset=Pet.objects.all(), required=False, allow_null=True)
        notes = serializers.CharField(required=False, allow_blank=True, default="")

        def validate(self, attrs: dict) -> dict:
            direct = all(attrs.get(name) for name in ("service", "resource", "start"))
            if not attrs.get("offer_id") and not direct:
                raise serializers.ValidationError(
                    _("Give an offer_id from /availability/, or service, resource and start.")
                )
            return attrs

    @extend_schema(parameters=[BookingFilterInput], responses=BookingOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = self.BookingFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(booking_list(**filters.validated_data), request, view=self)
        return paginator.get_paginated_response(BookingOutput(page, many=True).data)

    @extend_schema(request=BookingCreateInput, responses={201: BookingOutput})
    def post(self, request: Request) -> Response:
        data = self.BookingCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        given, actor = data.validated_data, request_actor(request)
        common = {"customer": given["customer"], "pet": given.get("pet"), "notes": given["notes"], "actor": actor}
        if given.get("offer_id"):
            booking = services.booking_create_from_offer(offer_id=given["offer_id"], **common)
        else:
            booking = services.booking_create(
                service=given["service"], resource=given["resource"], start=given["start"], size=given.get("size"),
                **common,
            )  # fmt: skip
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailApi(APIView):
    @extend_schema(responses=BookingOutput)
    def get(self, request: Request, booking_id: int) -> Response:
        return Response(BookingOutput(get_object_or_404(booking_list(), pk=booking_id)).data)


class BookingActionApi(APIView):
    """POST /bookings/<id>/<action>/: confirm, cancel, no-show, complete, reschedule."""

    class BookingActionInput(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, default="")
        offer_id = serializers.CharField(required=False)
        start = serializers.DateTimeField(required=False)
        resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.all(), required=False)

    ACTIONS = ("confirm", "cancel", "no-show", "complete", "reschedule")

    @extend_schema(request=BookingActionInput, responses=BookingOutput)
    def post(self, request: Request, booking_id: int, action: str) -> Response:
        booking = get_object_or_404(Booking, pk=booking_id)
        data = self.BookingActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = self.perform(action, booking, request_actor(request), data.validated_data)
        return Response(BookingOutput(booking).data)

    @staticmethod
    def perform(action: str, booking: Booking, actor, data: dict) -> Booking:
        match action:
            case "confirm":
                return services.booking_confirm(booking=booking, actor=actor)
            case "cancel":
                return services.booking_cancel(booking=booking, actor=actor, reason=data["reason"])
            case "no-show":
                return services.booking_mark_no_show(booking=booking, actor=actor)
            case "complete":
                return services.booking_complete(booking=booking, actor=actor)
            case "reschedule":
                return services.booking_reschedule(
                    booking=booking,
                    actor=actor,
                    offer_id=data.get("offer_id"),
                    start=data.get("start"),
                    resource=data.get("resource"),
                )
        raise ValueError(action)

"""Services, resources, business hours and closures: everyone on the staff
reads them; managers and owners change them."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oxy.api import ManagersWrite, request_actor

from .. import services
from ..models import BusinessHours, Closure, PetSize, Resource, Service, Species
from ..selectors import service_list


class SizeRuleField(serializers.Serializer):
    size = serializers.ChoiceField(choices=PetSize.choices)
    duration_minutes = serializers.IntegerField(min_value=1)
    price = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0)


class ServiceOutput(serializers.ModelSerializer):
    size_rules = SizeRuleField(many=True)

    class Meta:
        model = Service
        fields = [
            "id", "name", "category", "description", "duration_minutes", "price", "buffer_after_minutes",
            "species_allowed", "requires_pet", "vaccines_required", "active", "size_rules",
        ]  # fmt: skip


class ServiceInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    category = serializers.ChoiceField(choices=Service.Category.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    duration_minutes = serializers.IntegerField(min_value=1)
    price = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0)
    buffer_after_minutes = serializers.IntegerField(min_value=0, required=False)
    species_allowed = serializers.ListField(child=serializers.ChoiceField(choices=Species.choices), required=False)
    requires_pet = serializers.BooleanField(required=False)
    vaccines_required = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    active = serializers.BooleanField(required=False)
    size_rules = SizeRuleField(many=True, required=False)

    def validate_size_rules(self, rules: list[dict]) -> dict:
        sizes = [rule["size"] for rule in rules]
        if len(sizes) != len(set(sizes)):
            raise serializers.ValidationError("each size may appear once")
        return {rule["size"]: (rule["duration_minutes"], rule["price"]) for rule in rules}


class ServiceListApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(
        parameters=[OpenApiParameter("include_inactive", bool, description="`true` lists inactive services too.")],
        responses=ServiceOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        include_inactive = request.query_params.get("include_inactive") == "true"
        return Response(ServiceOutput(service_list(include_inactive=include_inactive), many=True).data)

    @extend_schema(request=ServiceInput, responses={201: ServiceOutput})
    def post(self, request: Request) -> Response:
        data = ServiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request_actor(request), **data.validated_data)
        return Response(ServiceOutput(service).data, status=status.HTTP_201_CREATED)


class ServiceDetailApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(responses=ServiceOutput)
    def get(self, request: Request, service_id: int) -> Response:
        return Response(ServiceOutput(get_object_or_404(Service, pk=service_id)).data)

    @extend_schema(request=ServiceInput(partial=True), responses=ServiceOutput)
    def patch(self, request: Request, service_id: int) -> Response:
        service = get_object_or_404(Service, pk=service_id)
        data = ServiceInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service = services.service_update(service=service, actor=request_actor(request), **data.validated_data)
        return Response(ServiceOutput(service).data)


# Shop-local wall-clock times, `HH:MM[:SS]`: OpenAPI's `format: time` would
# demand a UTC offset, which these neither have nor keep.
@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "08:30"}
)
class LocalTimeField(serializers.TimeField):
    pass


class WeeklyRangeField(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = LocalTimeField()
    end = LocalTimeField()

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "must be after start"})
        return attrs


def _as_week(ranges: list[dict]) -> list[tuple]:
    return [(item["weekday"], item["start"], item["end"]) for item in ranges]


class ResourceOutput(serializers.ModelSerializer):
    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    hours = WeeklyRangeField(many=True)

    class Meta:
        model = Resource
        fields = ["id", "name", "kind", "active", "services", "hours"]


class ResourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=Resource.Kind.choices, required=False)
    active = serializers.BooleanField(required=False)
    services = serializers.PrimaryKeyRelatedField(many=True, queryset=Service.objects.all(), required=False)
    hours = WeeklyRangeField(many=True, required=False)


def _resource_arguments(validated: dict) -> dict:
    arguments = dict(validated)
    if "services" in arguments:
        arguments["service_ids"] = [service.pk for service in arguments.pop("services")]
    if "hours" in arguments:
        arguments["hours"] = _as_week(arguments["hours"])
    return arguments


class ResourceListApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(responses=ResourceOutput(many=True))
    def get(self, request: Request) -> Response:
        resources = Resource.objects.prefetch_related("services", "hours")
        return Response(ResourceOutput(resources, many=True).data)

    @extend_schema(request=ResourceInput, responses={201: ResourceOutput})
    def post(self, request: Request) -> Response:
        data = ResourceInput(data=request.data)
        data.is_valid(raise_exception=True)
        arguments = _resource_arguments(data.validated_data)
        arguments.pop("active", None)
        resource = services.resource_create(actor=request_actor(request), **arguments)
        return Response(ResourceOutput(resource).data, status=status.HTTP_201_CREATED)


class ResourceDetailApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(responses=ResourceOutput)
    def get(self, request: Request, resource_id: int) -> Response:
        return Response(ResourceOutput(get_object_or_404(Resource, pk=resource_id)).data)

    @extend_schema(request=ResourceInput(partial=True), responses=ResourceOutput)
    def patch(self, request: Request, resource_id: int) -> Response:
        resource = get_object_or_404(Resource, pk=resource_id)
        data = ResourceInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        resource = services.resource_update(
            resource=resource, actor=request_actor(request), **_resource_arguments(data.validated_data)
        )
        return Response(ResourceOutput(resource).data)


class BusinessHoursApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(responses=WeeklyRangeField(many=True))
    def get(self, request: Request) -> Response:
        return Response(WeeklyRangeField(BusinessHours.objects.all(), many=True).data)

    @extend_schema(request=WeeklyRangeField(many=True), responses=WeeklyRangeField(many=True))
    def put(self, request: Request) -> Response:
        """Replace the whole week; days left out are closed."""
        data = WeeklyRangeField(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        rows = services.business_hours_replace(hours=_as_week(data.validated_data), actor=request_actor(request))
        return Response(WeeklyRangeField(rows, many=True).data)


class ClosureOutput(serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = ["id", "start_date", "end_date", "reason", "resource"]


class ClosureListApi(APIView):
    permission_classes = [ManagersWrite]

    class ClosureCreateInput(serializers.Serializer):
        start_date = serializers.DateField()
        end_date = serializers.DateField()
        reason = serializers.CharField(max_length=200)
        resource = serializers.PrimaryKeyRelatedField(queryset=Resource.objects.all(), required=False, allow_null=True)

    @extend_schema(responses=ClosureOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(ClosureOutput(Closure.objects.all(), many=True).data)

    @extend_schema(request=ClosureCreateInput, responses={201: ClosureOutput})
    def post(self, request: Request) -> Response:
        data = self.ClosureCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        closure = services.closure_create(actor=request_actor(request), **data.validated_data)
        return Response(ClosureOutput(closure).data, status=status.HTTP_201_CREATED)


class ClosureDetailApi(APIView):
    permission_classes = [ManagersWrite]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, closure_id: int) -> Response:
        services.closure_delete(closure=get_object_or_404(Closure, pk=closure_id), actor=request_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Customers, their pets and vaccinations."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oxy.api import Pagination, request_actor

from .. import services
from ..models import Customer, Pet, PetSize, Species, Vaccination
from ..selectors import customer_list


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id", "name", "phone", "email", "notes", "tags", "marketing_consent",
            "marketing_opted_out_at", "last_interaction_at", "created_at",
        ]  # fmt: skip


class PetOutput(serializers.ModelSerializer):
    class Meta:
        model = Pet
        fields = ["id", "customer", "name", "species", "breed", "size", "coat", "birth_date", "weight_kg", "notes"]


class VaccinationOutput(serializers.ModelSerializer):
    class Meta:
        model = Vaccination
        fields = ["id", "pet", "vaccine", "applied_on", "due_on"]


class CustomerListApi(APIView):
    pagination_class = Pagination  # read by the schema too

    class CustomerFilterInput(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True)
        tag = serializers.CharField(required=False, allow_blank=True)

    class CustomerCreateInput(serializers.Serializer):
        phone = serializers.CharField()
        name = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(parameters=[CustomerFilterInput], responses=CustomerOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = self.CustomerFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(customer_list(**filters.validated_data), request, view=self)
        return paginator.get_paginated_response(CustomerOutput(page, many=True).data)

    @extend_schema(request=CustomerCreateInput, responses={200: CustomerOutput, 201: CustomerOutput})
    def post(self, request: Request) -> Response:
        """Create a customer, or return the one who already has this phone."""
        data = self.CustomerCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer, created = services.customer_get_or_create(actor=request_actor(request), **data.validated_data)
        return Response(
            CustomerOutput(customer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class CustomerDetailApi(APIView):
    class CustomerUpdateInput(serializers.Serializer):
        name = serializers.CharField(required=False, allow_blank=True)
        phone = serializers.CharField(required=False)
        email = serializers.EmailField(required=False, allow_blank=True)
        notes = serializers.CharField(required=False, allow_blank=True)
        tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
        marketing_consent = serializers.BooleanField(required=False)

    @extend_schema(responses=CustomerOutput)
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(CustomerOutput(get_object_or_404(Customer, pk=customer_id)).data)

    @extend_schema(request=CustomerUpdateInput, responses=CustomerOutput)
    def patch(self, request: Request, customer_id: int) -> Response:
        customer = get_object_or_404(Customer, pk=customer_id)
        data = self.CustomerUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(customer=customer, actor=request_actor(request), **data.validated_data)
        return Response(CustomerOutput(customer).data)


class PetInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    species = serializers.ChoiceField(choices=Species.choices, default=Species.DOG)
    breed = serializers.CharField(max_length=80, required=False, allow_blank=True)
    size = serializers.ChoiceField(choices=PetSize.choices, default=PetSize.MEDIUM)
    coat = serializers.CharField(max_length=40, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class CustomerPetsApi(APIView):
    @extend_schema(responses=PetOutput(many=True))
    def get(self, request: Request, customer_id: int) -> Response:
        customer = get_object_or_404(Customer, pk=customer_id)
        return Response(PetOutput(customer.pets.all(), many=True).data)

    @extend_schema(request=PetInput, responses={201: PetOutput})
    def post(self, request: Request, customer_id: int) -> Response:
        customer = get_object_or_404(Customer, pk=customer_id)
        data = PetInput(data=request.data)
        data.is_valid(raise_exception=True)
        pet = services.pet_register(customer=customer, actor=request_actor(request), **data.validated_data)
        return Response(PetOutput(pet).data, status=status.HTTP_201_CREATED)


class PetDetailApi(APIView):
    @extend_schema(responses=PetOutput)
    def get(self, request: Request, pet_id: int) -> Response:
        return Response(PetOutput(get_object_or_404(Pet, pk=pet_id)).data)

    @extend_schema(request=PetInput(partial=True), responses=PetOutput)
    def patch(self, request: Request, pet_id: int) -> Response:
        pet = get_object_or_404(Pet, pk=pet_id)
        data = PetInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        pet = services.pet_update(pet=pet, actor=request_actor(request), **data.validated_data)
        return Response(PetOutput(pet).data)


class PetVaccinationsApi(APIView):
    class VaccinationInput(serializers.Serializer):
        vaccine = serializers.CharField(max_length=80)
        applied_on = serializers.DateField()
        due_on = serializers.DateField(required=False, allow_null=True)

    @extend_schema(responses=VaccinationOutput(many=True))
    def get(self, request: Request, pet_id: int) -> Response:
        pet = get_object_or_404(Pet, pk=pet_id)
        return Response(VaccinationOutput(pet.vaccinations.all(), many=True).data)

    @extend_schema(request=VaccinationInput, responses={201: VaccinationOutput})
    def post(self, request: Request, pet_id: int) -> Response:
        pet = get_object_or_404(Pet, pk=pet_id)
        data = self.VaccinationInput(data=request.data)
        data.is_valid(raise_exception=True)
        vaccination = services.vaccination_record(pet=pet, actor=request_actor(request), **data.validated_data)
        return Response(VaccinationOutput(vaccination).data, status=status.HTTP_201_CREATED)

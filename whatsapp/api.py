"""Channels and the sandbox phone simulator, on the shop's API."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oxy.api import ApiKeyPrincipal, ManagersWrite, request_actor
from oxy.openapi import error_response

from .inbox.models import Provider
from .models import Channel, Conversation, Message
from .services.channels import channel_create, channel_logout, channel_pairing_start, webhook_url
from .services.conversations import conversation_hand_back, conversation_pause, conversation_take_over
from .simulator import simulator_message_send, simulator_pairing_code_enter, simulator_thread


class ChannelOutput(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "name", "provider", "external_id", "phone", "state", "state_reason", "state_changed_at",
                  "pairing_code", "qr_code", "last_health_check_at", "last_health_ok"]  # fmt: skip


class ChannelCreatedOutput(ChannelOutput):
    """What the provider is then set up with (the Cloud API's verify token for Cloud channels only)."""

    webhook_url = serializers.URLField()
    verify_token = serializers.CharField(required=False)

    class Meta(ChannelOutput.Meta):
        fields = [*ChannelOutput.Meta.fields, "webhook_url", "verify_token"]


ACCEPTED = inline_serializer("Accepted", fields={"status": serializers.CharField()})


class ChannelListApi(APIView):
    permission_classes = [ManagersWrite]

    class ChannelCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=80)
        provider = serializers.ChoiceField(choices=Provider.choices)
        external_id = serializers.CharField(required=False, allow_blank=True, default="")
        access_token = serializers.CharField(required=False, allow_blank=True, default="")
        app_secret = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=ChannelOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(ChannelOutput(Channel.objects.all(), many=True).data)

    @extend_schema(
        request=ChannelCreateInput,
        responses={201: ChannelCreatedOutput, 502: error_response("The provider's gateway could not be reached.")},
    )
    def post(self, request: Request) -> Response:
        data = self.ChannelCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        channel, route = channel_create(
            name=given["name"], provider=given["provider"], external_id=given["external_id"],
            credentials=given["access_token"], app_secret=given["app_secret"], actor=request_actor(request),
        )  # fmt: skip
        body = ChannelOutput(channel).data | {"webhook_url": webhook_url(route)}
        if channel.provider == Provider.CLOUD:
            body["verify_token"] = route.verify_token
        return Response(body, status=status.HTTP_201_CREATED)


class ChannelActionApi(APIView):
    """POST /channels/<id>/connect/ (start pairing) or /logout/."""

    permission_classes = [ManagersWrite]

    class ConnectInput(serializers.Serializer):
        phone = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=ConnectInput, responses=ChannelOutput)
    def post(self, request: Request, channel_id: int, action: str) -> Response:
        channel = get_object_or_404(Channel, pk=channel_id)
        if action == "connect":
            data = self.ConnectInput(data=request.data)
            data.is_valid(raise_exception=True)
            channel = channel_pairing_start(
                channel=channel, phone=data.validated_data["phone"], actor=request_actor(request)
            )
        else:
            channel = channel_logout(channel=channel, actor=request_actor(request))
        return Response(ChannelOutput(channel).data)


class ConversationOwnerOutput(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ["id", "owner", "owner_changed_at", "handover_reason", "assignee"]


class ConversationOwnerApi(APIView):
    """POST /conversations/<id>/take-over/, /hand-back/ or /pause/: any staff member."""

    ACTIONS = ("take-over", "hand-back", "pause")

    @extend_schema(request=None, responses=ConversationOwnerOutput)
    def post(self, request: Request, conversation_id: int, action: str) -> Response:
        conversation = get_object_or_404(Conversation, pk=conversation_id)
        actor = request_actor(request)
        if action == "take-over":
            person = None if isinstance(request.user, ApiKeyPrincipal) else request.user
            conversation = conversation_take_over(conversation_id=conversation.pk, actor=actor, assignee=person)
        elif action == "pause":
            conversation = conversation_pause(conversation_id=conversation.pk, actor=actor)
        else:
            conversation = conversation_hand_back(conversation_id=conversation.pk, actor=actor)
        return Response(ConversationOwnerOutput(conversation).data)


class SimulatorMessageOutput(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "direction", "sender_kind", "kind", "text", "status", "created_at"]


class SimulatorMessagesApi(APIView):
    class SimulatorSendInput(serializers.Serializer):
        phone = serializers.CharField()
        name = serializers.CharField(required=False, allow_blank=True, default="")
        text = serializers.CharField()

    class SimulatorThreadInput(serializers.Serializer):
        phone = serializers.CharField()

    @extend_schema(parameters=[SimulatorThreadInput], responses=SimulatorMessageOutput(many=True))
    def get(self, request: Request, channel_id: int) -> Response:
        channel = get_object_or_404(Channel, pk=channel_id)  # another shop's id: 404 whatever the input
        data = self.SimulatorThreadInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        phone = _e164(data.validated_data["phone"])
        return Response(SimulatorMessageOutput(simulator_thread(channel=channel, phone=phone), many=True).data)

    @extend_schema(request=SimulatorSendInput, responses={202: ACCEPTED})
    def post(self, request: Request, channel_id: int) -> Response:
        channel = get_object_or_404(Channel, pk=channel_id)
        data = self.SimulatorSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        simulator_message_send(channel=channel, phone=_e164(data.validated_data["phone"]),
                               text=data.validated_data["text"], name=data.validated_data["name"])  # fmt: skip
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


class SimulatorPairApi(APIView):
    class SimulatorPairInput(serializers.Serializer):
        code = serializers.CharField(max_length=12)
        phone = serializers.CharField()

    @extend_schema(request=SimulatorPairInput, responses={202: ACCEPTED})
    def post(self, request: Request, channel_id: int) -> Response:
        channel = get_object_or_404(Channel, pk=channel_id)
        data = self.SimulatorPairInput(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            simulator_pairing_code_enter(channel=channel, code=data.validated_data["code"],
                                         phone=_e164(data.validated_data["phone"]))  # fmt: skip
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


def _e164(phone: str) -> str:
    from oxy.phones import InvalidPhoneNumber, phone_to_e164

    try:
        return phone_to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise serializers.ValidationError({"phone": str(exc)}) from exc

from django.urls import path

from .api import ChannelActionApi, ChannelListApi, ConversationOwnerApi, SimulatorMessagesApi, SimulatorPairApi

urlpatterns = [
    path("channels/", ChannelListApi.as_view(), name="channel-list"),
    *[
        path(
            f"channels/<int:channel_id>/{action}/",
            ChannelActionApi.as_view(),
            {"action": action},
            name=f"channel-{action}",
        )
        for action in ("connect", "logout")
    ],
    *[
        path(
            f"conversations/<int:conversation_id>/{action}/",
            ConversationOwnerApi.as_view(),
            {"action": action},
            name=f"conversation-{action}",
        )
        for action in ConversationOwnerApi.ACTIONS
    ],
    path("channels/<int:channel_id>/simulator/messages/", SimulatorMessagesApi.as_view(), name="simulator-messages"),
    path("channels/<int:channel_id>/simulator/pair/", SimulatorPairApi.as_view(), name="simulator-pair"),
]

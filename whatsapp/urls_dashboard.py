"""The inbox, conversations, channels and the phone simulator (on a shop's host)."""

from django.urls import path

from . import views, views_channels

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/list/", views.inbox_list, name="inbox-list"),
    path("inbox/canned-replies/", views.canned_replies, name="canned-replies"),
    path("inbox/media/<int:message_id>/", views.message_media, name="message-media"),
    path("inbox/<int:conversation_id>/", views.conversation_detail, name="conversation-detail"),
    path("inbox/<int:conversation_id>/live/", views.conversation_messages_fragment, name="conversation-live"),
    path("inbox/<int:conversation_id>/reply/", views.conversation_reply, name="conversation-reply"),
    path("inbox/<int:conversation_id>/note/", views.conversation_note, name="conversation-note"),
    path("inbox/<int:conversation_id>/assign/", views.conversation_assignee, name="conversation-assign"),
    *[
        path(
            f"inbox/<int:conversation_id>/{action}/",
            views.conversation_owner,
            {"action": action},
            name=f"inbox-{action}",
        )  # fmt: skip
        for action in ("take-over", "hand-back", "pause")
    ],
    path("channels/", views_channels.channel_list, name="channels"),
    path("channels/<int:channel_id>/", views_channels.channel_detail, name="channel-detail"),
    path("channels/<int:channel_id>/state/", views_channels.channel_state_fragment, name="channel-state"),
    path("channels/<int:channel_id>/connect/", views_channels.channel_connect, name="channel-page-connect"),
    path("channels/<int:channel_id>/logout/", views_channels.channel_logout_view, name="channel-page-logout"),
    path("channels/<int:channel_id>/simulator/", views_channels.simulator, name="simulator"),
    path(
        "channels/<int:channel_id>/simulator/thread/", views_channels.simulator_thread_fragment, name="simulator-thread"
    ),  # fmt: skip
    path("channels/<int:channel_id>/simulator/send/", views_channels.simulator_send, name="simulator-send"),
    path("channels/<int:channel_id>/simulator/pair/", views_channels.simulator_pair, name="simulator-pair-page"),
]

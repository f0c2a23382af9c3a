from django.core.files.base import ContentFile

from ..models import Message
from ..providers import provider_for


def message_media_download(*, message_id: int) -> str:
    """Fetch a Cloud API attachment into the shop's own storage (the
    provider's copy expires)."""
    message = Message.objects.select_related("channel").get(pk=message_id)
    media_id = message.data.get("media_id") or ""
    if message.media or not media_id:
        return "nothing to download"
    client = provider_for(message.channel)
    content, mime = client.download_media(media_id)
    extension = (mime.split("/")[-1].split(";")[0] or "bin")[:8]
    message.media.save(f"{message.provider_message_id}.{extension}", ContentFile(content), save=True)
    return "downloaded"

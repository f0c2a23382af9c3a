"""Which provider module parses a webhook and which client talks for a channel."""

from django.conf import settings

from . import cloud, evolution, sandbox
from .base import InboundItem, NormalizedEvent, Provider

NORMALIZERS = {"evolution": evolution.normalize, "cloud": cloud.normalize, "sandbox": sandbox.normalize}


def normalize(provider: str, item: InboundItem) -> list[NormalizedEvent]:
    return NORMALIZERS[provider](item)


def provider_for(channel) -> Provider:
    """The client for one channel (credentials decrypted from the channel)."""
    if channel.provider == "evolution":
        return evolution.EvolutionProvider(
            base_url=settings.EVOLUTION_API_URL,
            api_key=settings.EVOLUTION_API_KEY,
            instance=channel.external_id,
            instance_token=channel.credentials,
            timeout=settings.OXY_PROVIDER_TIMEOUT_S,
        )
    if channel.provider == "cloud":
        return cloud.CloudProvider(
            base_url=settings.WHATSAPP_CLOUD_API_URL,
            phone_number_id=channel.external_id,
            access_token=channel.credentials,
            timeout=settings.OXY_PROVIDER_TIMEOUT_S,
        )
    return sandbox.SandboxProvider(channel_external_id=channel.external_id)

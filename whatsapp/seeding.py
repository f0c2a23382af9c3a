"""The demo shop starts with a sandbox channel, connected, so the phone
simulator can talk to it at once."""

from tenants.models import Organization
from tenants.seeding import demo_seeder
from tenants.shop.services import Actor

from .models import Channel
from .services.channels import channel_create, channel_state_set


@demo_seeder
def seed_demo_sandbox_channel(organization: Organization) -> None:
    if Channel.objects.filter(provider="sandbox").exists():
        return
    channel, _route = channel_create(name="WhatsApp (sandbox)", provider="sandbox", actor=Actor.system("provisioning"))
    channel_state_set(channel=channel, state=Channel.State.CONNECTED, reason="demo", phone="+5511999990000")

from .agent import AgentSettings, AIInteraction, FaqEntry, OwnerNotice
from .outreach import Campaign, CampaignRecipient, FollowUp, OutreachSettings

__all__ = [
    "AIInteraction", "AgentSettings", "Campaign", "CampaignRecipient", "FaqEntry", "FollowUp", "OutreachSettings",
    "OwnerNotice",
]  # fmt: skip

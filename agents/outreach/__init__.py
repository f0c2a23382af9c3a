"""What the shop sends on its own: follow-ups (confirmations, reminders,
vaccines due, after a visit) and campaigns, all through `delivery`, which
keeps every customer under the shop's caps and inside its sending window."""

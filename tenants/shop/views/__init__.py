"""The Settings pages (managers and owners): the shop's profile and hours,
what it sells and who does it, the attendant, owner numbers, questions and
answers, API keys and the team."""

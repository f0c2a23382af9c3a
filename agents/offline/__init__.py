"""The offline agent: understands customers without the LLM."""

from .parser import Intent, ParsedMessage, parse_message

__all__ = ["Intent", "ParsedMessage", "parse_message"]

"""The Russian support bot: answer from the knowledge base, hand off, or refuse."""

from marketdesk.bot.core import Bot, BotReply, Hint, Suggestion

__all__ = ["Bot", "BotReply", "Hint", "Suggestion"]

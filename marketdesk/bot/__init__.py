"""The Russian support bot: answer from the knowledge base, hand off, or refuse.

Public API::

    bot = Bot.from_directory(kb_dir)        # content/kb by default
    reply = bot.ask("не приходят смс")      # BotReply, never raises
    reply.to_json()                         # {"action", "topic", "confidence", "answer"}
                                            # (+ "suggestions" when there are any)
    bot.hints("клиент просит снять бан", k=3)   # list[Hint] for the operator console
    errors = bot.reload()                   # re-read the directory, swap the index

Evaluation: :func:`marketdesk.bot.evaluation.evaluate` and ``format_report``;
command line: :mod:`marketdesk.bot.cli` (``ask_command``, ``bot_group``, ``kb_group``).
"""

from marketdesk.bot.core import Bot, BotReply, Hint, HintContext, Suggestion

__all__ = ["Bot", "BotReply", "Hint", "HintContext", "Suggestion"]

"""Extension points where other flows join in, registered by the bot's composition root.

``bot/app.py``'s ``AFTER_JOIN`` lists the functions called with the ``Turn`` of the update in
which a person accepted the consent, inside that update's transaction; ``build_application``
puts them into ``BotDeps.after_join``. Each returns replies to send after the welcome (for
example the check-ins' baseline survey), or an empty list. A flow that starts when someone
joins is imported in ``bot/app.py`` and added to ``AFTER_JOIN`` there, so the onboarding flow
never imports the flows that follow it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.replies import Reply
from bot.state import AfterJoin, Turn


def after_join(turn: Turn, hooks: Sequence[AfterJoin]) -> list[Reply]:
    """Run every after-join hook for a person who just joined; their replies, in order."""
    replies: list[Reply] = []
    for hook in hooks:
        replies.extend(hook(turn))
    return replies

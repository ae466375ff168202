"""Privacy: ``/mydata`` sends everything stored about the person; ``/delete`` erases it.

Someone whose contact data retention removed after their round (``outcomes/retention.py``) is
no longer connected; their ``/mydata`` says what was removed and when, from the account's
``RetentionNotice``.

``/delete`` asks first (flow ``delete``: ``dl:<nonce>:y`` erases, ``dl:<nonce>:n`` keeps); the
erasure itself is ``outcomes.privacy.erase_person``, in the same transaction as the update's
dedupe record.
"""

from __future__ import annotations

import json

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.common import NONCE, match, not_invited, stale_button
from bot.i18n import Tr
from bot.ptb import Handler
from bot.replies import Outcome, Reply, deliver, say
from bot.state import Turn, once
from outcomes.privacy import erase_person, export_person
from outcomes.retention import notice_for
from outcomes.retention_models import RetentionNotice

FLOW = "delete"
FILE_NAME = "stegvis-my-data.json"


def removed_text(tr: Tr, notice: RetentionNotice) -> str:
    """What retention removed of this account and when, and what is kept."""
    items = {
        "contact": tr("• your connection to me on Telegram (your chat id)"),
        "invite": tr("• your invitation link"),
        "bot_conversation": tr("• where you were in our conversations"),
        "bot_survey_skip": tr("• which survey questions you skipped"),
    }
    gone = [text for table, text in items.items() if notice.removed.get(table)]
    return tr.join(
        tr(
            "🗂 Your round in the program ended on {ended}. On {removed}, as the program's "
            "rules on keeping data say, this was deleted:",
            ended=tr.full_date(notice.round_ended_on),
            removed=tr.full_date(notice.removed_on),
        )
        + "\n"
        + "\n".join(gone),
        tr(
            "What is kept has no name and no Telegram id: the steps you reported and your "
            "survey answers, under a code, for the program's reports. The program staff can "
            "delete them too if you ask them."
        ),
    )


def _export(turn: Turn) -> Outcome:
    if turn.contact is None:
        if turn.user_id is not None:
            notice = notice_for(turn.session, turn.settings, turn.user_id)
            if notice is not None:
                return say(removed_text(turn.tr, notice))
        return not_invited(turn.tr)
    document = export_person(turn.session, turn.settings, turn.person)
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return Outcome(
        [Reply(turn.tr("📦 Here is everything saved about you."), document=(FILE_NAME, content))]
    )


async def my_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: send the person's data as a JSON document."""
    await deliver(update, context, await once(update, context, _export))


def _ask(turn: Turn) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    conv = turn.begin(FLOW, "confirm")
    if turn.role == "mentor":
        what = tr(
            "Your connection to me and your details will be deleted, and the program "
            "staff will see that you left. The steps you reported stay with your "
            "participant. This cannot be undone."
        )
    else:
        what = tr(
            "Your connection to me, your survey answers and the steps you reported will "
            "be deleted. The steps remain only as anonymous numbers, and the program staff "
            "will see that you left. This cannot be undone."
        )
    buttons = [
        [
            (tr.label("Yes, delete"), f"dl:{conv.nonce}:y"),
            (tr.label("No, keep it"), f"dl:{conv.nonce}:n"),
        ]
    ]
    return say(tr.join(tr("🗑 Delete your data?"), what), buttons)


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete: ask before erasing the person's data."""
    await deliver(update, context, await once(update, context, _ask))


def _answered(turn: Turn, data: str | None) -> Outcome:
    if turn.contact is None:
        return not_invited(turn.tr)
    tr = turn.tr
    found = match(rf"dl:({NONCE}):([yn])", data)
    if found is None or turn.in_flow(FLOW, found.group(1)) is None:
        return stale_button(tr)
    turn.end()
    if found.group(2) == "n":
        return say(tr("OK, nothing was deleted."), edit=True)
    turn.session.flush()
    erase_person(turn.session, person=turn.person, actor=turn.actor)
    return say(
        tr("Your data has been deleted. Thank you for taking part, and good luck!"), edit=True
    )


async def delete_answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The answer to "Delete your data?"."""
    data = update.callback_query.data if update.callback_query else None
    await deliver(update, context, await once(update, context, lambda t: _answered(t, data)))


def build_handlers() -> list[Handler]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("mydata", my_data, filters=private),
        CommandHandler("delete", delete, filters=private),
        CallbackQueryHandler(delete_answered, pattern=r"^dl:"),
    ]

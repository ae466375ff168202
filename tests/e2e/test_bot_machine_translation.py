"""With an LLM configured, material in another language comes translated and marked as such.

The chat model is LangChain's ``FakeListChatModel`` (no provider, no network); the bot, the
emulator and the knowledge base are the real ones (``tests/utils/botdriver.py``).
"""

from __future__ import annotations

import pytest
from langchain_core.language_models import FakeListChatModel

from bot.i18n import Tr
from knowledge import service
from knowledge.langid import identify_language
from tests.utils.botdriver import running_bot
from tests.utils.knowledge import fake_retriever
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

MARKER = (
    "🤖 Machine translation: an AI wrote this in your language from material in another "
    "language. It may contain mistakes."
)
ARABIC = "يمكن أن يكون المرجع مديرًا سابقًا أو زميلًا يعرف عملك [1]."


async def test_translated_material_is_marked_in_the_askers_language(settings, db):
    pair = make_pair(db)
    identify_language("referenser referens")  # lingua loaded, as the real bot's warm-up does
    async with running_bot(settings, db) as world:
        service.set_retriever(
            fake_retriever(),
            FakeListChatModel(responses=[ARABIC, "En referens är en tidigare chef [1]."]),
        )
        amal = await world.join(pair.pair, "participant", name="Amal", language_code="ar")
        maria = await world.join(pair.pair, "mentor", name="Maria", language_code="sv")
        # the references material exists in Swedish and English only
        [answer] = await world.say(amal, "/ask referenser referens", within=60)
        assert ARABIC[:20] in answer["text"]
        assert Tr("ar")(MARKER) in answer["text"]
        assert Tr("ar")(MARKER) != MARKER  # the marker is in Arabic, not English
        [answer_sv] = await world.say(maria, "/ask referenser referens", within=60)
        assert answer_sv["text"].startswith("En referens")
        assert Tr("sv")(MARKER) not in answer_sv["text"]  # Swedish material for a Swede

import pytest
from tests.utils.botdriver import running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

async def test_scratch(settings, db):
    ids = make_pair(db)
    async with running_bot(settings, db) as w:
        ada = await w.join(ids.pair, "participant", language_code="en")
        for m in await w.tg.transcript(ada.chat):
            print(m["from_bot"], m["text"][:300], m.get("reply_markup"))
        r = await w.say(ada, "/progress")
        print(r)
        r = await w.press(ada, "🤝 Job interview")
        print(r)
        r = await w.say(ada, "/met")
        r = await w.press(ada, "Today")
        r = await w.press(ada, "CV")
        r = await w.press(ada, "💾 Save")
        print(r)
        r = await w.say(ada, "/meeting")
        print(r)
        r = await w.say(ada, "/mydata")
        print(r)

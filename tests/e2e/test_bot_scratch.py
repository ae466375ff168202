import time
import pytest
from tests.utils.botdriver import running_bot
from tests.utils.pairs import make_pair

pytestmark = pytest.mark.e2e

async def test_scratch(settings, db, tmp_path_factory):
    ids = make_pair(db)
    t=time.time()
    async with running_bot(settings, db) as w:
        print("start", time.time()-t); t=time.time()
        ada = await w.join(ids.pair, "mentor", language_code="en")
        print("join", time.time()-t); t=time.time()
        for i in range(3):
            r = await w.say(ada, "/help")
            print("help", time.time()-t); t=time.time()
        r = await w.say(ada, "/progress")
        print("progress", time.time()-t); t=time.time()
        r = await w.press(ada, "🤝 Job interview")
        print("press", time.time()-t); t=time.time()
    print("stop", time.time()-t); t=time.time()

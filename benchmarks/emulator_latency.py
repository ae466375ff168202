"""Emulator figures: update -> bot reply latency, and a 300-chat burst through AIORateLimiter.

Run:  .venv/bin/python benchmarks/emulator_latency.py [--rounds 200] [--burst 300]

1. Latency, rate limits off: a real python-telegram-bot Application polls the emulator over
   loopback HTTP and echoes. Measured two ways:
   - "in process": the update is injected with ``Emulator.user_sends`` and the clock stops when
     the bot's reply is stored in the transcript (what the emulator adds on top of PTB);
   - "control API": a test's view: ``POST /_emulator/messages`` until the long-polled
     transcript shows the reply (``EmulatorClient.send`` + ``wait_for_reply``).
   Targets: p50 < 20 ms, p95 < 50 ms.
   And "poll wake": a raw ``getUpdates`` (timeout 50 s) is waiting when the update arrives;
   the clock stops when the poll's answer is back (tests/emulator/test_bot_api.py checks only
   that it wakes; this is how fast). Target: p95 < 50 ms.
2. Burst, default limits (30 msg/s per bot, 1 msg/s per chat): the bot sends one message to each
   of 300 chats at once through PTB's ``AIORateLimiter(max_retries=5)``. Checks: none lost, none
   doubled, every 429 retried; throughput within 10 % of 30 msg/s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

import httpx
from telegram import Update
from telegram.ext import AIORateLimiter, ContextTypes, MessageHandler, filters

from emulator.testing import EmulatorClient, polling, running_emulator


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text back."""
    assert update.message is not None
    assert update.message.text is not None
    await update.message.reply_text(update.message.text)


async def latency_in_process(tg: EmulatorClient, rounds: int) -> list[float]:
    """Inject with the Emulator object, stop when the reply is in the transcript (ms)."""
    emulator = tg.emulator
    user = emulator.create_user("Latency")
    chat = emulator.state.chat(emulator.bot(), user.user_id, create=True)
    assert chat is not None
    samples = []
    for n in range(rounds):
        before = len(chat.messages)
        started = time.perf_counter()
        emulator.user_sends(user.user_id, f"ping {n}")
        while len(chat.messages) < before + 2:
            await chat.signal.wait(chat.signal.version, 5.0)
        samples.append((time.perf_counter() - started) * 1000)
        last = list(chat.messages.values())[-1]
        assert last.from_bot, last
        assert last.text == f"ping {n}", last
    return samples


async def latency_control_api(tg: EmulatorClient, rounds: int) -> list[float]:
    """Inject with POST /_emulator/messages, stop when the long-polled transcript has the reply."""
    user = await tg.create_user("Latency API")
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        await tg.send(user.chat_id, f"pong {n}")
        [reply] = await tg.wait_for_reply(user.chat_id, timeout=5)
        samples.append((time.perf_counter() - started) * 1000)
        assert reply["text"] == f"pong {n}"
    return samples


async def long_poll_wake(rounds: int) -> list[float]:
    """A waiting ``getUpdates`` gets a new update: ms from the send until the poll returned."""
    samples = []
    async with running_emulator(rate_limits=False) as tg:
        user = await tg.create_user("Wake")
        queue = tg.emulator.bot().updates
        async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/", timeout=60) as api:
            offset = 0
            for n in range(rounds):
                generation = queue.poll_generation
                poll = asyncio.create_task(
                    api.post("getUpdates", json={"timeout": 50, "offset": offset})
                )
                while queue.poll_generation == generation:  # until the poll is waiting
                    await queue.signal.wait(queue.signal.version, 5.0)
                started = time.perf_counter()
                tg.emulator.user_sends(user.user_id, f"wake {n}")
                [update] = (await poll).json()["result"]
                samples.append((time.perf_counter() - started) * 1000)
                assert update["message"]["text"] == f"wake {n}", update
                offset = update["update_id"] + 1
    return samples


def report(name: str, samples: list[float], cpu_ms: float) -> tuple[float, float]:
    """Print p50/p95/max (wall clock) and the process CPU time per round; return p50, p95."""
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    ok = "OK" if p50 < 20 and p95 < 50 else "MISSED"
    print(
        f"  {name:<13} n={len(samples)}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"mean {statistics.fmean(samples):6.1f} ms  max {max(samples):6.1f} ms  "
        f"[targets p50<20, p95<50: {ok}]; CPU {cpu_ms:4.1f} ms per round"
    )
    return p50, p95


class _RetryCounter(logging.Handler):
    """Counts AIORateLimiter's "Rate limit hit. Retrying" log records."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Rate limit hit. Retrying"):
            self.retries += 1


async def burst(size: int) -> bool:
    """One message to each of ``size`` chats at once through AIORateLimiter, default limits."""
    async with running_emulator() as tg:
        users = [await tg.create_user(f"Burst {n}") for n in range(size)]
        for user in users:
            await tg.send(user.chat_id, "/start")  # a bot may only write to people who wrote first
        counter = _RetryCounter()
        limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
        limiter_log.setLevel(logging.INFO)
        limiter_log.addHandler(counter)
        application = tg.application_builder().rate_limiter(AIORateLimiter(max_retries=5)).build()
        async with application:
            done: list[float] = []

            async def send(chat_id: int, n: int) -> None:
                await application.bot.send_message(chat_id, f"news {n}")
                done.append(time.perf_counter())

            started = time.perf_counter()
            results = await asyncio.gather(
                *(send(u.chat_id, n) for n, u in enumerate(users)), return_exceptions=True
            )
            elapsed = time.perf_counter() - started
        limiter_log.removeHandler(counter)
        failures = [r for r in results if isinstance(r, BaseException)]
        stats = await tg.stats()
        per_chat = []
        for n, user in enumerate(users):
            bot_texts = [m["text"] for m in await tg.transcript(user.chat_id) if m["from_bot"]]
            per_chat.append(bot_texts == [f"news {n}"])
    lost_or_doubled = per_chat.count(False)
    throughput = size / elapsed
    done.sort()
    after_burst = [t - started for t in done]
    sustained = (len(after_burst) - 30) / (after_burst[-1] - after_burst[29]) if size > 60 else 0
    calls = stats["methods"].get("sendMessage", 0)
    too_many = stats["too_many_requests"]
    print(
        f"  messages {size}: delivered exactly once to every chat: {lost_or_doubled == 0} "
        f"({lost_or_doubled} chats wrong), exceptions {len(failures)}"
    )
    print(
        f"  429 answers {too_many}, retries by AIORateLimiter {counter.retries}, "
        f"sendMessage calls {calls} (= {size} + {calls - size} retried)"
    )
    print(
        f"  elapsed {elapsed:5.2f} s  throughput {throughput:5.1f} msg/s overall; "
        f"{sustained:5.1f} msg/s after the first 30 (the bucket's burst)"
    )
    within = abs(throughput - 30) <= 3
    print(f"  throughput within 10 % of 30 msg/s: {within}")
    return lost_or_doubled == 0 and not failures and too_many == counter.retries


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--burst", type=int, default=300)
    args = parser.parse_args()

    load = os.getloadavg()[0]
    print(
        f"Machine: {os.cpu_count()} CPUs, load average {load:.1f} (wall-clock figures grow with it)"
    )
    print("Latency: update injected -> bot reply in the transcript (rate limits off)")
    async with running_emulator(rate_limits=False) as tg:
        application = tg.application_builder().build()
        application.add_handler(MessageHandler(filters.TEXT, echo))
        async with polling(application):
            await latency_in_process(tg, 20)  # warm up
            for name, measure in (
                ("in process", latency_in_process),
                ("control API", latency_control_api),
            ):
                cpu = time.process_time()
                samples = await measure(tg, args.rounds)
                report(name, samples, (time.process_time() - cpu) * 1000 / args.rounds)
    cpu = time.process_time()
    wake = await long_poll_wake(args.rounds)
    cpu_ms = (time.process_time() - cpu) * 1000 / args.rounds
    p50, p95 = percentile(wake, 50), percentile(wake, 95)
    print(
        f"  {'poll wake':<13} n={len(wake)}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {max(wake):6.1f} ms  [target p95<50: {'OK' if p95 < 50 else 'MISSED'}]; "
        f"CPU {cpu_ms:4.1f} ms per round"
    )

    if args.burst > 0:
        print(
            f"Burst: {args.burst} messages to {args.burst} chats via AIORateLimiter, default limits"
        )
        await burst(args.burst)


if __name__ == "__main__":
    asyncio.run(main())

"""Commands: ``stegvis classify`` (spec/knowledge.md) and ``stegvis eval progress``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.jsonl import JsonlError, read_objects
from core.languages import LANGUAGES

if TYPE_CHECKING:
    from progress.classify import Classification

BATCH = 64  # messages embedded per call when classifying a file


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def _read_texts(path: Path) -> list[str]:
    """The ``text`` of every line of a JSON Lines file; a bad line stops with its number."""
    try:
        return [obj["text"] for _, obj in read_objects(path, "text")]
    except JsonlError as exc:
        raise _fail(str(exc)) from None


def _human(result: Classification) -> str:
    if result.events:
        found = ", ".join(f"{e.type} ({e.confidence:.2f})" for e in result.events)
    else:
        found = "no event"
    flags = []
    if result.is_question:
        flags.append("a question")
    if not result.confident:
        flags.append("unsure: offer the /progress buttons")
    return f"[{result.lang}] {found}" + (f"  ({'; '.join(flags)})" if flags else "")


def classify_command(
    text: Annotated[str | None, typer.Argument(help="The message to classify.")] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='Classify every line {"text": "..."} of this file.'),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="The writer's language, if known (a hint).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which step-to-work events a message reports (JSON Lines out with --jsonl)."""
    if (text is None) == (jsonl is None):
        raise _fail('give either a TEXT or --jsonl FILE, e.g. stegvis classify "Jag fick jobb!"')
    if lang is not None and lang not in LANGUAGES:
        raise _fail(f"--lang {lang!r}: expected one of {' '.join(LANGUAGES)}")
    from progress.classify import get_classifier

    classifier = get_classifier()
    if text is not None:
        result = classifier.classify(text, lang)
        typer.echo(json.dumps(result.contract(), ensure_ascii=False) if as_json else _human(result))
        return
    assert jsonl is not None
    texts = _read_texts(jsonl)
    for start in range(0, len(texts), BATCH):
        batch = texts[start : start + BATCH]
        if classifier.proposer is None:
            results = classifier.classify_many(batch, [lang] * len(batch))
        else:
            results = [classifier.classify(t, lang) for t in batch]
        for result in results:
            typer.echo(json.dumps(result.contract(), ensure_ascii=False))


def eval_progress_command(
    file: Annotated[Path, typer.Argument(help='Labelled JSON Lines: {"text", "lang", "types"}.')],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    misses: Annotated[
        bool, typer.Option("--misses/--no-misses", help="List the messages classified wrongly.")
    ] = True,
) -> None:
    """Exact-set accuracy per language and the false-event rate of the offline classifier."""
    from progress.classify import build_classifier
    from progress.evaluate import EvalFileError, evaluate, format_report, read_labelled

    try:
        items = read_labelled(file)
    except EvalFileError as exc:
        raise _fail(str(exc)) from None
    report = evaluate(items, build_classifier(with_llm=False))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(format_report(report, show_misses=misses))
    if not report.meets_targets:
        raise typer.Exit(1)

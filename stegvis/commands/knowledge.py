"""Commands: ``stegvis knowledge build|show``, ``stegvis ask`` and ``stegvis eval knowledge``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.jsonl import JsonlError, read_objects

if TYPE_CHECKING:
    from knowledge.answer import Answer

knowledge_app = typer.Typer(no_args_is_help=True, help="The knowledge base index.")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


@knowledge_app.command("build")
def build_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Index the materials (only new or changed passages are embedded; removed ones deleted)."""
    from core.settings import get_settings
    from knowledge.index import build_index
    from knowledge.materials import MaterialError
    from stegvis.commands.stages import stages

    try:
        with stages("knowledge build") as progress:
            report = build_index(get_settings(), progress=progress)
    except MaterialError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        typer.echo(
            f"{report.files} files, {report.passages} passages and cards: "
            f"{report.embedded} embedded, "
            f"{report.unchanged} unchanged, {report.deleted} removed ({report.seconds:.1f} s)"
        )


@knowledge_app.command("show")
def show_command(passage_id: Annotated[str, typer.Argument(help="e.g. cv.sv:02.0")]) -> None:
    """Print the whole section a passage belongs to."""
    from knowledge.service import get_retriever

    text = get_retriever().section_text(passage_id)
    if text is None:
        raise _fail(f"no passage {passage_id!r} in the index")
    typer.echo(text)


def _read_questions(path: Path) -> list[str]:
    try:
        return [obj["q"] for _, obj in read_objects(path, "q")]
    except JsonlError as exc:
        raise _fail(str(exc)) from None


def _contract(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)


def ask_command(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='Answer every {"q": ...} line; one JSON answer per line.'),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language hint for short questions.")
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=5, help="Passages to return.")] = 5,
) -> None:
    """Answer a question from the support material."""
    from core.languages import LANGUAGES
    from knowledge.materials import MaterialError
    from knowledge.service import ask_sync

    if lang is not None and lang not in LANGUAGES:
        raise _fail(f"--lang must be one of {', '.join(LANGUAGES)}")
    if (question is None) == (jsonl is None):
        raise _fail('give either a QUESTION or --jsonl FILE (e.g. stegvis ask "Vad är fika?")')
    try:
        if jsonl is not None:
            for q in _read_questions(jsonl):
                typer.echo(_contract(ask_sync(q, lang_hint=lang, k=k)))
            return
        assert question is not None
        if not question.strip():
            raise _fail("the question is empty")
        answer = ask_sync(question, lang_hint=lang, k=k)
    except MaterialError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(_contract(answer))
        return
    typer.echo(answer.answer or "(no material on that)")
    for p in answer.passages:
        typer.echo(f"  {p.score:.3f}  {p.topic:<20} {p.id:<24} {p.section}")


def eval_knowledge_command(
    file: Annotated[Path, typer.Argument(help='JSON Lines: {"q", "lang", "topic"} per line.')],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    misses: Annotated[bool, typer.Option("--misses", help="List questions missed at 1.")] = False,
) -> None:
    """Recall@1 and recall@3 (by topic of the passages) per language and overall."""
    from knowledge.evaluate import EvalFileError, evaluate, read_labelled
    from knowledge.service import ask_sync

    try:
        rows = read_labelled(file)
    except EvalFileError as exc:
        raise _fail(str(exc)) from None
    report = evaluate(rows, lambda q: ask_sync(q, k=3))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    typer.echo(report.table())
    if misses:
        for miss in report.misses:
            typer.echo(
                f"  [{miss['lang']}] {miss['q']}  expected {miss['expected']}, got {miss['got']}"
            )

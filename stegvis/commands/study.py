"""Command line of the study engine: ``stegvis study ID``, ``stegvis study plan``, ``stegvis study list``.

``stegvis study ID [--json] [--basis measured|enrolled] [--csv comparisons|associations]
[--lang en|sv]`` shows one study (``--json``: exactly what ``GET /api/v1/studies/{id}`` returns);
``stegvis study plan --intervention N --control M --base P [--alpha A] [--power B] [--json]``
gives the MDE for two group sizes, and ``--mde D`` instead of the sizes the group size for it.
A study whose id is a subcommand's name is shown with ``stegvis study show ID``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from core.vocab import BASES
from stegvis.commands.common import fail
from stegvis.commands.outcomes import JsonOpt

STUDY_TEXT_LANGUAGES = ("en", "sv")

CSV_TABLES = ("comparisons", "associations")


class _StudyGroup(TyperGroup):
    """``stegvis study ID …`` means ``stegvis study show ID …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


study_app = typer.Typer(
    cls=_StudyGroup,
    no_args_is_help=True,
    help="Study comparisons (spec/study.md): stegvis study ID | plan | list.",
)


def _figures(c: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return "–" if value is None else str(value)

    return (
        f"{c['intervention']['n']}/{c['intervention']['of']} vs "
        f"{c['control']['n']}/{c['control']['of']}, difference {show(c['difference'])} "
        f"{show(c['difference_ci'])}, Fisher p {show(c['fisher_p'])}, Holm p {show(c['p_holm'])}, "
        f"MDE {show(c['mde'])}, {c['verdict']}"
    )


def _render(result: dict[str, Any], lang: str) -> str:
    from outcomes.study_text import association_note, study_sentences

    s = result["study"]
    sentences = study_sentences(result, lang)  # type: ignore[arg-type]
    a = result["attrition"]
    lines = [
        f"{s['name']} ({s['id']}): cohorts {', '.join(s['cohorts'])}; basis {s['basis']}; "
        f"alpha {s['alpha']}, power {s['power']}",
        "attrition: "
        + "; ".join(
            f"{arm} " + ", ".join(f"{k} {a[arm][k]}" for k in ("randomised", "baseline", "result"))
            for arm in ("intervention", "control")
        ),
        "",
    ]
    for name, c in result["comparisons"].items():
        lines.append(f"{name} [{c['family']}; {_figures(c)}]")
        lines.append(f"  {sentences['comparisons'][name]}")
    lines += ["", association_note(lang)]  # type: ignore[arg-type]
    for step, text in sentences["associations"].items():
        ratio = result["associations"][step]["odds_ratio"]
        lines.append(f"  {step} (odds ratio {ratio if ratio is not None else '–'}): {text}")
    register = result["register"]
    if register is not None:
        end = register["end"]
        lines += [
            "",
            f"register: matched {register['matched']}, strata {register['strata']}",
        ]
        if end is not None:
            lines.append(
                f"  month {end['month']}: difference {end['difference']} "
                f"(95 % CI {end['ci']}, p {end['p']}, n {end['n']})"
            )
    return "\n".join(lines)


@study_app.command("show")
def study_show(
    study_id: Annotated[str, typer.Argument(metavar="ID", help="The study's id")],
    as_json: JsonOpt = False,
    basis: Annotated[str, typer.Option("--basis", help=" | ".join(BASES))] = "measured",
    csv_table: Annotated[
        str | None,
        typer.Option("--csv", help="Print this table as CSV: comparisons | associations"),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help=" | ".join(STUDY_TEXT_LANGUAGES))] = "en",
) -> None:
    """One study: attrition, balance, comparisons, associations, register."""
    from outcomes.study import associations_csv, comparisons_csv, compute_study
    from stegvis.commands.database import transaction

    if basis not in BASES:
        fail(f"unknown basis {basis!r}; expected one of {', '.join(BASES)}", 2)
    if csv_table is not None and csv_table not in CSV_TABLES:
        fail(f"unknown table {csv_table!r}; expected one of {', '.join(CSV_TABLES)}", 2)
    if lang not in STUDY_TEXT_LANGUAGES:
        fail(f"unknown language {lang!r}; expected one of {', '.join(STUDY_TEXT_LANGUAGES)}", 2)
    with transaction() as session:
        result = compute_study(session, study_id, basis=basis)  # type: ignore[arg-type]
    if csv_table == "comparisons":
        typer.echo(comparisons_csv(result), nl=False)
    elif csv_table == "associations":
        typer.echo(associations_csv(result), nl=False)
    elif as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, allow_nan=False))
    else:
        typer.echo(_render(result, lang))


@study_app.command("plan")
def study_plan(
    base: Annotated[float, typer.Option("--base", help="The expected share without the program")],
    intervention: Annotated[
        int | None, typer.Option("--intervention", help="People in the intervention group")
    ] = None,
    control: Annotated[
        int | None, typer.Option("--control", help="People in the control group")
    ] = None,
    target: Annotated[
        float | None, typer.Option("--mde", help="Instead of the sizes: the MDE wanted")
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Two-sided significance level")] = 0.05,
    power: Annotated[float, typer.Option("--power", help="Power")] = 0.8,
    as_json: JsonOpt = False,
) -> None:
    """The MDE for two group sizes, or the group size for an MDE (for planning a study)."""
    from outcomes.errors import Invalid
    from outcomes.study import plan_study

    try:
        result = plan_study(
            base=base,
            intervention=intervention,
            control=control,
            mde_target=target,
            alpha=alpha,
            power=power,
        )
    except Invalid as exc:
        fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps(result))
    elif "mde" in result:
        typer.echo(
            f"with {intervention} and {control} people at a base of {base:.0%}, the smallest "
            f"difference this study would detect is {100 * result['mde']:.1f} percentage points"
        )
    else:
        typer.echo(
            f"{result['per_arm']} people in each group detect a difference of "
            f"{100 * (target or 0):.1f} percentage points at a base of {base:.0%}"
        )


@study_app.command("list")
def study_list(as_json: JsonOpt = False) -> None:
    """Every study."""
    from outcomes.study_service import list_studies
    from stegvis.commands.database import transaction

    with transaction() as session:
        rows, _total = list_studies(session, limit=1000, offset=0)
        items = [r.model_dump(mode="json") for r in rows]
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False))
        return
    for s in items:
        typer.echo(f"{s['id']}: {s['name']} (cohorts {', '.join(s['cohorts'])})")

"""Keep the translation catalogs in step with the code: ``python -m bot.i18n.catalogs``.

    python -m bot.i18n.catalogs            # extract, then update every language's .po (keeps
                                           # translations; new texts are added untranslated)
    python -m bot.i18n.catalogs --check    # exit 1 if a text lacks a translation, is fuzzy, or
                                           # a translation's {placeholders} differ from the text

Texts are found in the bot's Python files (``tr("…")``, ``tr.label("…")``, ``N_("…")``) and in
the data files of ``YAML_SOURCES`` (the string values of the listed keys). English is the
source language: its catalog stays empty and the code's texts are shown as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALE_DIR, po_path
from core.languages import LANGUAGES

BOT_DIR = Path(__file__).resolve().parents[1]
KEYWORDS = {"tr": None, "label": None, "N_": None}
YAML_SOURCES: dict[str, tuple[str, ...]] = {
    "ideas.yaml": ("title", "points"),
    "surveys.yaml": ("text", "label", "intro", "thanks", "done"),
}
SOURCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"{[a-z_]+}")


def _yaml_strings(node: Any, keys: tuple[str, ...], under: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _yaml_strings(value, keys, str(key))
    elif isinstance(node, list):
        for item in node:
            yield from _yaml_strings(item, keys, under)
    elif isinstance(node, str) and under in keys and node.strip():
        yield node


def template() -> Catalog:
    """Every text the bot can show, with where it comes from."""
    catalog = Catalog(domain=DOMAIN, project="Stegvis", charset="utf-8")
    found = extract_from_dir(
        str(BOT_DIR),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, _context in found:
        if isinstance(message, str) and message.strip():
            catalog.add(message, locations=[(f"bot/{filename}", lineno)], auto_comments=comments)
    for name, keys in YAML_SOURCES.items():
        path = BOT_DIR / name
        if path.exists():
            for text in _yaml_strings(yaml.safe_load(path.read_text(encoding="utf-8")), keys):
                catalog.add(text, locations=[(f"bot/{name}", 0)])
    return catalog


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="Stegvis", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def write(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(
            fh,
            catalog,
            width=100,
            sort_output=False,
            omit_header=False,
            ignore_obsolete=True,
            include_previous=False,
        )


def update() -> Catalog:
    """Extract the texts and bring every language's catalog up to date with them."""
    pot = template()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("wb") as fh:
        write_po(fh, pot, width=100, omit_header=False)
    for lang in LANGUAGES:
        catalog = read(lang)
        catalog.update(pot, no_fuzzy_matching=True)
        write(lang, catalog)
    return pot


def problems(lang: str, pot: Catalog | None = None) -> list[str]:
    """What is wrong with one language's catalog (empty: nothing)."""
    pot = pot or template()
    catalog = read(lang)
    out: list[str] = []
    for message in pot:
        if not message.id:
            continue
        have = catalog.get(message.id)
        if lang == SOURCE_LANGUAGE:
            continue
        if have is None or not have.string:
            out.append(f"{lang}: untranslated: {message.id!r}")
        elif have.fuzzy:
            out.append(f"{lang}: fuzzy: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(str(message.id))) != sorted(
            PLACEHOLDER.findall(str(have.string))
        ):
            out.append(f"{lang}: placeholders differ: {message.id!r}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.i18n.catalogs", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only report missing translations")
    args = parser.parse_args(argv)
    if args.check:
        pot = template()
        found = [p for lang in LANGUAGES for p in problems(lang, pot)]
        for line in found:
            print(line)  # noqa: T201
        print(f"{len(pot) - 1} texts, {len(found)} problems")  # noqa: T201
        return 1 if found else 0
    pot = update()
    print(f"{len(pot) - 1} texts; catalogs updated in {LOCALE_DIR}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

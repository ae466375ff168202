"""Keep the staff catalogs in step with the code: ``python -m staff.i18n.catalogs``.

    python -m staff.i18n.catalogs            # extract, then update each language's .po files
    python -m staff.i18n.catalogs --check    # exit 1 if a text lacks a translation, is fuzzy,
                                             # or its {placeholders} differ from the text

Two domains: ``staff`` (the pages: ``_``, ``N_``, ``ngettext`` in ``staff/**.py`` and the
templates' ``{% trans %}``/``_()``), translated into Swedish; ``cards`` (``C_`` in
``staff/cards.py``: the invite cards), translated into every card language. English is the
source language of both: its texts are shown as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from staff.i18n import CARD_LANGUAGES, LOCALE_DIR, PAGE_LANGUAGES, SOURCE_LANGUAGE, po_path

STAFF_DIR = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"{[a-z_]+}|%\([a-z_]+\)[sd]")
DOMAINS: dict[str, tuple[str, ...]] = {
    "staff": tuple(lang for lang in PAGE_LANGUAGES if lang != SOURCE_LANGUAGE),
    "cards": tuple(lang for lang in CARD_LANGUAGES if lang != SOURCE_LANGUAGE),
}
KEYWORDS: dict[str, dict[str, Any]] = {
    "staff": {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    "cards": {"C_": None},
}


def template(domain: str) -> Catalog:
    """Every text of a domain, with where it comes from."""
    catalog = Catalog(domain=domain, project="Stegvis", charset="utf-8")
    method_map = [("**.py", "python")]
    if domain == "staff":
        method_map.append(("templates/**.html", "jinja2.ext:babel_extract"))
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
    found = extract_from_dir(
        str(STAFF_DIR),
        method_map=method_map,
        options_map=options,
        keywords=KEYWORDS[domain],
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, _context in found:
        if "i18n/" in filename:
            continue
        if message and (isinstance(message, tuple) or message.strip()):
            catalog.add(message, locations=[(f"staff/{filename}", lineno)], auto_comments=comments)
    return catalog


def read(domain: str, lang: str) -> Catalog:
    path = po_path(domain, lang)
    if not path.exists():
        return Catalog(locale=lang, domain=domain, project="Stegvis", charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def write(domain: str, lang: str, catalog: Catalog) -> None:
    path = po_path(domain, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)


def update() -> dict[str, int]:
    """Extract the texts and bring every language's catalogs up to date with them."""
    counts = {}
    for domain, languages in DOMAINS.items():
        pot = template(domain)
        LOCALE_DIR.mkdir(parents=True, exist_ok=True)
        with (LOCALE_DIR / f"{domain}.pot").open("wb") as fh:
            write_po(fh, pot, width=100, omit_header=False)
        for lang in languages:
            catalog = read(domain, lang)
            catalog.update(pot, no_fuzzy_matching=True)
            write(domain, lang, catalog)
        counts[domain] = len(pot) - 1
    return counts


def _strings(value: object) -> list[str]:
    if isinstance(value, tuple | list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def problems(domain: str, lang: str, pot: Catalog | None = None) -> list[str]:
    """What is wrong with one language's catalog of a domain (empty: nothing)."""
    pot = pot or template(domain)
    catalog = read(domain, lang)
    out: list[str] = []
    for message in pot:
        if not message.id:
            continue
        have = catalog.get(message.id)
        shown = message.id[0] if isinstance(message.id, tuple) else message.id
        if have is None or not have.string or not all(_strings(have.string)):
            out.append(f"{domain}/{lang}: untranslated: {shown!r}")
        elif have.fuzzy:
            out.append(f"{domain}/{lang}: fuzzy: {shown!r}")
        else:
            wanted = sorted(PLACEHOLDER.findall(_strings(message.id)[-1]))
            for text in _strings(have.string):
                if sorted(PLACEHOLDER.findall(text)) != wanted:
                    out.append(f"{domain}/{lang}: placeholders differ: {shown!r}")
                    break
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m staff.i18n.catalogs", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only report missing translations")
    args = parser.parse_args(argv)
    if args.check:
        found: list[str] = []
        for domain, languages in DOMAINS.items():
            pot = template(domain)
            found += [p for lang in languages for p in problems(domain, lang, pot)]
        for line in found:
            print(line)  # noqa: T201
        print(f"{len(found)} problems")  # noqa: T201
        return 1 if found else 0
    counts = update()
    print(f"texts: {counts}; catalogs updated in {LOCALE_DIR}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Keep the translation catalogs in step with the code: ``python -m bot.i18n.catalogs``.

    python -m bot.i18n.catalogs            # extract, then update every language's .po (keeps
                                           # translations; new texts are added untranslated)
    python -m bot.i18n.catalogs --check    # exit 1 if a catalog is not right (see below)

Texts are found in the bot's Python files (``tr("…")``, ``tr.label("…")``, ``N_("…")``,
``tr.ngettext("…", "…", n)``) and in the data files of ``YAML_SOURCES`` (the string values of the
listed keys; a value ``{one: …, other: …}`` is a text about a number, with plural forms). English
is the source language: its catalog stays empty and the code's texts are shown as they are.

``--check`` reports, for every language (English included): a ``Plural-Forms`` header that is
missing, that Babel or Python's gettext cannot read, that gives a number a form it does not
have, or that does not choose the forms of the language's CLDR plural rules in GNU gettext's
order (Arabic: zero, one, two, few, many, other); a text without a translation, fuzzy, or left in
the catalog after the code dropped it; a text about a number that lacks one of its forms or has
too many; and ``{placeholders}`` that differ from the text's (a form may leave out ``{count}``
only when the language uses it for one number alone, like Arabic's "two": "سؤالان").
"""

from __future__ import annotations

import argparse
import gettext
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALE_DIR, po_path
from core.languages import LANGUAGES

BOT_DIR = Path(__file__).resolve().parents[1]
KEYWORDS: dict[str, Any] = {"tr": None, "label": None, "N_": None, "ngettext": (1, 2)}
YAML_SOURCES: dict[str, tuple[str, ...]] = {
    "ideas.yaml": ("title", "points"),
    "surveys.yaml": ("text", "label", "intro", "thanks", "done"),
}
SOURCE_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"{[a-z_]+}")
COUNT = "{count}"
PLURAL_FORMS_HEADER = re.compile(r"^Plural-Forms:(.*)$", re.MULTILINE)
CHECKED_NUMBERS = range(1001)  # plural rules repeat every 100 (1000 covers the hundreds too)
YAML_PLURAL_COMMENT = (
    "A text about a number ({count}): fill every plural form. In English the first form is "
    "for 1 only; where your language's first form also serves 21, 31 …, keep it general."
)

Text = str | tuple[str, str]  # a msgid, or (singular, plural) for a text about a number


def _yaml_texts(node: Any, keys: tuple[str, ...], under: str | None = None) -> Iterator[Text]:
    if isinstance(node, dict):
        if under in keys and set(node) == {"one", "other"}:
            yield (str(node["one"]), str(node["other"]))
            return
        for key, value in node.items():
            yield from _yaml_texts(value, keys, str(key))
    elif isinstance(node, list):
        for item in node:
            yield from _yaml_texts(item, keys, under)
    elif isinstance(node, str) and under in keys and node.strip():
        yield node


def _is_text(message: object) -> bool:
    if isinstance(message, str):
        return bool(message.strip())
    return (
        isinstance(message, tuple)
        and len(message) == 2
        and all(isinstance(m, str) and m.strip() for m in message)
    )


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
        if _is_text(message):
            catalog.add(message, locations=[(f"bot/{filename}", lineno)], auto_comments=comments)
    for name, keys in YAML_SOURCES.items():
        path = BOT_DIR / name
        if path.exists():
            for text in _yaml_texts(yaml.safe_load(path.read_text(encoding="utf-8")), keys):
                comments = [YAML_PLURAL_COMMENT] if isinstance(text, tuple) else []
                catalog.add(text, locations=[(f"bot/{name}", 0)], auto_comments=comments)
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


def plural_rule(expression: str) -> Callable[[int], int]:
    """A ``Plural-Forms`` expression as Python's gettext runs it (``ValueError``: unreadable)."""
    return gettext.c2py(expression)


def header_problems(lang: str, catalog: Catalog, header: str | None) -> list[str]:
    """What is wrong with a catalog's Plural-Forms (``header``: as written in the file)."""
    if header is None:
        return [f"{lang}: no Plural-Forms header"]
    out: list[str] = []
    declared = re.search(r"nplurals\s*=\s*(\d+)", header)
    if declared is None or int(declared.group(1)) != catalog.num_plurals:
        out.append(f"{lang}: Plural-Forms header {header!r}: Babel reads no nplurals from it")
    try:
        rule = plural_rule(catalog.plural_expr)
        forms = [rule(n) for n in CHECKED_NUMBERS]
    except (ValueError, SyntaxError, ZeroDivisionError) as exc:
        return [*out, f"{lang}: Plural-Forms {catalog.plural_expr!r} cannot be read: {exc}"]
    outside = sorted({f for f in forms if not 0 <= f < catalog.num_plurals})
    if outside:
        out.append(f"{lang}: Plural-Forms gives form {outside[0]} of {catalog.num_plurals}")
    cldr = get_plural(lang)
    expected = plural_rule(cldr.plural_expr)
    wrong = [n for n in CHECKED_NUMBERS if rule(n) != expected(n)]
    if catalog.num_plurals != cldr.num_plurals or wrong:
        at = f" (n={wrong[0]}: form {rule(wrong[0])}, not {expected(wrong[0])})" if wrong else ""
        out.append(
            f"{lang}: Plural-Forms {catalog.plural_forms!r} is not the language's rule "
            f"{cldr.plural_forms!r}{at}"
        )
    return out


def _placeholders(text: str, drop_count: bool = False) -> list[str]:
    found = sorted(PLACEHOLDER.findall(text))
    return [p for p in found if p != COUNT] if drop_count else found


def _single_number_forms(catalog: Catalog) -> set[int]:
    """The plural forms the language uses for one number only (they may omit ``{count}``)."""
    try:
        rule = plural_rule(catalog.plural_expr)
        forms = [rule(n) for n in CHECKED_NUMBERS]
    except (ValueError, SyntaxError, ZeroDivisionError):
        return set()
    return {f for f in set(forms) if forms.count(f) == 1}


def _message_problems(
    lang: str, message: Message, have: Message | None, catalog: Catalog
) -> list[str]:
    ids = [message.id] if isinstance(message.id, str) else [str(i) for i in message.id]
    singular, plural = ids[0], ids[-1]
    name = plural
    if _placeholders(singular, True) != _placeholders(plural, True):
        return [f"{lang}: the singular and the plural text differ in placeholders: {name!r}"]
    if lang == SOURCE_LANGUAGE:
        return []
    if have is None or not have.string or (not have.pluralizable and message.pluralizable):
        return [f"{lang}: untranslated: {name!r}"]
    if have.fuzzy:
        return [f"{lang}: fuzzy: {name!r}"]
    if not message.pluralizable:
        if isinstance(have.string, str) and _placeholders(singular) == _placeholders(have.string):
            return []
        return [f"{lang}: placeholders differ: {name!r}"]
    forms = list(have.string) if isinstance(have.string, (list, tuple)) else [have.string]
    if len(forms) != catalog.num_plurals:
        return [f"{lang}: {len(forms)} plural forms, not {catalog.num_plurals}: {name!r}"]
    out: list[str] = []
    single = _single_number_forms(catalog)
    want = _placeholders(plural)
    for index, form in enumerate(forms):
        if not form:
            out.append(f"{lang}: plural form {index} untranslated: {name!r}")
            continue
        got = _placeholders(form)
        if got != want and not (index in single and got == _placeholders(plural, True)):
            out.append(f"{lang}: placeholders differ in plural form {index}: {name!r}")
    return out


def _header_in_file(lang: str) -> str | None:
    """The ``Plural-Forms`` value as written in the ``.po`` file's header (None: not there)."""
    path = po_path(lang)
    if not path.exists():
        return None
    block = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    header = "".join(re.findall(r'^"(.*)"$', block, re.MULTILINE)).replace("\\n", "\n")
    found = PLURAL_FORMS_HEADER.search(header)
    return found.group(1).strip() if found else None


def problems(
    lang: str,
    pot: Catalog | None = None,
    catalog: Catalog | None = None,
    header: str | None = None,
) -> list[str]:
    """What is wrong with one language's catalog (empty: nothing).

    ``catalog`` and ``header`` default to the language's ``.po`` file and the ``Plural-Forms``
    written in it.
    """
    pot = pot or template()
    if catalog is None:
        catalog, header = read(lang), _header_in_file(lang)
    out = header_problems(lang, catalog, header)
    for message in pot:
        if message.id:
            out += _message_problems(lang, message, catalog.get(message.id), catalog)
    if lang != SOURCE_LANGUAGE:
        known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in pot if m.id}
        for message in catalog:
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            if message.id and key not in known:
                out.append(f"{lang}: no longer in the code (run the update): {key!r}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.i18n.catalogs", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only check the catalogs (exit 1 on a problem)"
    )
    args = parser.parse_args(argv)
    if args.check:
        pot = template()
        found = [p for lang in LANGUAGES for p in problems(lang, pot)]
        for line in found:
            print(line)  # noqa: T201
        plural = sum(1 for m in pot if m.id and m.pluralizable)
        print(  # noqa: T201
            f"{len(pot) - 1} texts ({plural} with plural forms) in {len(LANGUAGES)} languages, "
            f"{len(found)} problems"
        )
        return 1 if found else 0
    pot = update()
    print(f"{len(pot) - 1} texts; catalogs updated in {LOCALE_DIR}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

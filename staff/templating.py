"""Jinja2 for the staff pages: one environment per page language, gettext installed in each.

``render(request, "overview.html", {...}, visitor=v)`` answers an HTML page in the visitor's
language (before login: the chosen or the browser's). Templates autoescape; every text in them
goes through ``{% trans %}`` or ``_()``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from staff.i18n import NAMES, PAGE_LANGUAGES, Format, page_language, translations
from staff.labels import ALL as LABELS

LANG_COOKIE = "stegvis_lang"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def environment(lang: str) -> Environment:
    """The template environment of one page language."""
    env = Environment(
        loader=PackageLoader("staff", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations("staff", lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        fmt=Format(lang), lang=lang, languages=PAGE_LANGUAGES, names=NAMES, labels=LABELS
    )
    return env


def gettext_for(lang: str) -> Any:
    """``_`` for Python code that builds page text (messages, labels)."""
    return translations("staff", lang).gettext


def language_of(request: Request, visitor: Any = None) -> str:
    """The page language: the account's, else the one chosen before login, else the browser's."""
    visitor = visitor or getattr(request.state, "visitor", None)
    if visitor is not None:
        return str(visitor.user.language)
    return page_language(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    visitor: Any = None,
    status_code: int = 200,
    lang: str | None = None,
) -> HTMLResponse:
    """An HTML page; ``visitor`` (the logged-in person) gives the language, menu and CSRF token."""
    lang = lang or language_of(request, visitor)
    env = environment(lang)
    values: dict[str, Any] = {
        "request": request,
        "visitor": visitor,
        "user": visitor.user if visitor is not None else None,
        "csrf": visitor.csrf if visitor is not None else "",
        "root": request.scope.get("root_path", "").rstrip("/"),
        "path": request.url.path,
    }
    values.update(context or {})
    html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)

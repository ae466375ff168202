"""Message formatting as Telegram does it: parse_mode HTML and MarkdownV2 to text plus entities.

The HTML rules follow Telegram's server (TDLib's ``parse_html``): only the documented tags, every
``<`` that is not a tag is an error, ``&lt; &gt; &amp; &quot;`` and numeric entities decode, an
unknown ``&name;`` stays literal. Entity offsets and lengths count UTF-16 code units, as in the
Bot API. Errors carry Telegram's wording after ``Bad Request: can't parse entities: ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NUMERIC_ENTITY = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITY = re.compile(r"&([a-zA-Z]{2,4});")
_SPACE = " \t\r\n\x0b\x0c"


class EntityParseError(ValueError):
    """Text that Telegram would refuse to parse; ``str(err)`` is Telegram's explanation."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Bot API entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class Formatted:
    """Plain text and its entities (``type``, ``offset``, ``length`` and type-specific fields)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """The character an HTML entity at ``source[i]`` stands for and its length, or None."""
    match = _NUMERIC_ENTITY.match(source, i)
    if match:
        code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), match.end() - i
        return None
    match = _NAMED_ENTITY.match(source, i)
    if match and match.group(1) in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[match.group(1)], match.end() - i
    return None


@dataclass
class _Open:
    name: str
    argument: str
    offset: int  # UTF-16 offset in the output
    text_start: int  # index in the output string list joined so far


def _read_attributes(source: str, i: int, name: str, begin: int) -> tuple[str, int, bool]:
    """Parse attributes of a start tag from ``i``; return (argument, index of '>', expandable)."""
    n = len(source)
    argument = ""
    expandable = False
    while True:
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        if source[i] == ">":
            return argument, i, expandable
        attr_begin = i
        while i < n and source[i] not in _SPACE and source[i] not in "=>":
            i += 1
        attr_name = source[attr_begin:i].lower()
        if not attr_name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n or source[i] != "=":
            if name == "blockquote" and attr_name == "expandable":
                expandable = True
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" at byte '
                f"offset {_byte_offset(source, begin)}"
            )
        i += 1
        while i < n and source[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityParseError(
                f'Unclosed start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        if source[i] not in "'\"":
            token_begin = i
            while i < n and (source[i].isascii() and source[i].isalnum() or source[i] in ".-"):
                i += 1
            value = source[token_begin:i].lower()
            if i < n and source[i] not in _SPACE and source[i] != ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(source, token_begin)}"
                )
        else:
            quote = source[i]
            i += 1
            chars: list[str] = []
            while i < n and source[i] != quote:
                decoded = _decode_entity(source, i) if source[i] == "&" else None
                if decoded:
                    chars.append(decoded[0])
                    i += decoded[1]
                else:
                    chars.append(source[i])
                    i += 1
            i += 1
            value = "".join(chars)
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        if name == "a" and attr_name == "href":
            argument = value
        elif name == "code" and attr_name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif name == "span" and attr_name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif name == "tg-emoji" and attr_name == "emoji-id":
            argument = value


def _close_entity(
    entities: list[dict[str, Any]], tag: _Open, end: int, text_so_far: str, expandable: bool
) -> None:
    """Append the entity that the closed tag ``tag`` makes (none when it encloses nothing)."""
    length = end - tag.offset
    if length <= 0:
        return
    kind = _HTML_TAGS[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.offset, "length": length}
    if kind == "text_link":
        url = tag.argument or text_so_far[tag.text_start :]
        if not url.strip():
            return
        entity["url"] = url
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.argument
    elif kind == "blockquote" and expandable:
        entity["type"] = "expandable_blockquote"
    elif kind == "code" and tag.argument:
        entity["_language"] = tag.argument
    elif kind == "pre" and entities:
        # <pre><code class="language-x">…</code></pre> is one pre entity with a language
        last = entities[-1]
        if last["type"] == "code" and (last["offset"], last["length"]) == (tag.offset, length):
            language = last.get("_language")
            entities.pop()
            if language:
                entity["language"] = language
    entities.append(entity)


def parse_html(source: str) -> Formatted:
    """Parse Telegram-flavoured HTML into text and entities, or raise EntityParseError."""
    out: list[str] = []
    out_text = ""  # joined lazily for <a> without href
    offset16 = 0
    stack: list[_Open] = []
    expandables: list[bool] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_entity(source, i)
            if decoded:
                out.append(decoded[0])
                offset16 += utf16_len(decoded[0])
                i += decoded[1]
                continue
        if ch != "<":
            out.append(ch)
            offset16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        if i + 1 < n and source[i + 1] == "/":
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, begin)}"
                )
            i += 2
            while i < n and source[i] not in _SPACE and source[i] != ">":
                i += 1
            end_name = source[begin + 2 : i].lower()
            while i < n and source[i] in _SPACE:
                i += 1
            if i >= n or source[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(source, begin)}"
                )
            tag = stack.pop()
            expandable = expandables.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            out_text = "".join(out)
            _close_entity(entities, tag, offset16, out_text, expandable)
            i += 1
            continue
        i += 1
        while i < n and source[i] not in _SPACE and source[i] != ">":
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
            )
        name = source[begin + 1 : i].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, begin)}'
            )
        argument, i, expandable = _read_attributes(source, i, name, begin)
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        stack.append(_Open(name, argument, offset16, len("".join(out))))
        expandables.append(expandable)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        entity.pop("_language", None)
    return Formatted("".join(out), entities)


# MarkdownV2: https://core.telegram.org/bots/api#markdownv2-style
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def parse_markdown_v2(source: str) -> Formatted:
    """Parse MarkdownV2 into text and entities, or raise EntityParseError like Telegram."""
    return _parse_markdown(source, legacy=False)


def parse_markdown(source: str) -> Formatted:
    """Parse legacy Markdown (``*bold* _italic_ `code` [text](url)``) into text and entities."""
    return _parse_markdown(source, legacy=True)


def _parse_markdown(source: str, *, legacy: bool) -> Formatted:
    out: list[str] = []
    offset16 = 0
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 offset, byte offset)
    entities: list[dict[str, Any]] = []
    i, n = 0, len(source)

    def emit(text: str) -> None:
        nonlocal offset16
        out.append(text)
        offset16 += utf16_len(text)

    while i < n:
        ch = source[i]
        escapable = source[i + 1] in "_*`[" if legacy and i + 1 < n else True
        if ch == "\\" and i + 1 < n and ord(source[i + 1]) <= 126 and escapable:
            emit(source[i + 1])
            i += 2
            continue
        if ch == "`":
            fence = source.startswith("```", i)
            marker = "```" if fence else "`"
            end = source.find(marker, i + len(marker))
            while end != -1 and source[end - 1] == "\\":
                end = source.find(marker, end + 1)
            if end == -1:
                kind = "pre" if fence else "code"
                raise EntityParseError(
                    f"Can't find end of {kind.capitalize()} entity at byte offset "
                    f"{_byte_offset(source, i)}"
                )
            body = source[i + len(marker) : end]
            language = ""
            if fence and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            body = re.sub(r"\\([`\\])", r"\1", body)
            start = offset16
            emit(body)
            if offset16 > start:
                entity: dict[str, Any] = {
                    "type": "pre" if fence else "code",
                    "offset": start,
                    "length": offset16 - start,
                }
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = end + len(marker)
            continue
        if ch == "[":
            close = source.find("](", i)
            end = source.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise EntityParseError(
                    "Character '[' is reserved and must be escaped with the preceding '\\'"
                )
            inner = _parse_markdown(source[i + 1 : close], legacy=legacy)
            start = offset16
            for entity in inner.entities:
                entity["offset"] += start
                entities.append(entity)
            emit(inner.text)
            url = source[close + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
            if offset16 > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": offset16 - start, "url": url}
                )
            i = end + 1
            continue
        marker = source[i : i + 2] if source[i : i + 2] in ("__", "||") and not legacy else ch
        if marker in _MD_MARKERS and (not legacy or marker in "*_"):
            if stack and stack[-1][0] == marker:
                opened, start, _ = stack.pop()
                if offset16 > start:
                    entities.append(
                        {"type": _MD_MARKERS[opened], "offset": start, "length": offset16 - start}
                    )
            else:
                stack.append((marker, offset16, _byte_offset(source, i)))
            i += len(marker)
            continue
        if ch in _MD_RESERVED and not legacy:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if stack:
        marker, _, byte = stack[-1]
        if legacy:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte}")
        kind = _MD_MARKERS[marker].capitalize()
        raise EntityParseError(f"Can't find end of {kind} entity at byte offset {byte}")
    return Formatted("".join(out), entities)


def trim(formatted: Formatted) -> Formatted:
    """Strip leading and trailing white space as Telegram does, moving entities with the text."""
    text = formatted.text
    stripped_left = text.lstrip(_SPACE)
    shift = utf16_len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip(_SPACE)
    limit = utf16_len(result)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Formatted(result, entities)


_AUTO_URL = re.compile(r"(?:https?://|tg://)[^\s<>\"']+|t\.me/[A-Za-z0-9_]+(?:\?[^\s<>\"']*)?")


def with_links(formatted: Formatted) -> Formatted:
    """Add the ``url`` entities Telegram detects in plain text (outside other link/code entities)."""
    taken = [
        (e["offset"], e["offset"] + e["length"])
        for e in formatted.entities
        if e["type"] in ("text_link", "url", "code", "pre")
    ]
    added = []
    for match in _AUTO_URL.finditer(formatted.text):
        url = match.group(0).rstrip(".,;:!?)")
        start = utf16_len(formatted.text[: match.start()])
        end = start + utf16_len(url)
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        added.append({"type": "url", "offset": start, "length": end - start})
    if not added:
        return formatted
    entities = sorted(formatted.entities + added, key=lambda e: (e["offset"], -e["length"]))
    return Formatted(formatted.text, entities)


def format_text(text: str, parse_mode: str | None) -> Formatted:
    """Apply ``parse_mode`` (HTML, MarkdownV2, Markdown or none) and trim; raise on bad markup."""
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return trim(Formatted(text))
    if mode == "html":
        return trim(parse_html(text))
    if mode == "markdownv2":
        return trim(parse_markdown_v2(text))
    if mode == "markdown":
        return trim(parse_markdown(text))
    raise EntityParseError("unsupported parse_mode")

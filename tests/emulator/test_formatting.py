"""parse_mode HTML and MarkdownV2 become text and entities as Telegram makes them."""

from __future__ import annotations

import pytest

from emulator.formatting import EntityParseError, format_text, utf16_len, with_links


def test_html_tags_become_entities_with_utf16_offsets() -> None:
    result = format_text("😀 <b>Hej</b> &lt;3 <a href='https://example.org'>länk</a>", "HTML")
    assert result.text == "😀 Hej <3 länk"
    assert result.entities == [
        {"type": "bold", "offset": 3, "length": 3},  # the emoji counts two UTF-16 units
        {"type": "text_link", "offset": 10, "length": 4, "url": "https://example.org"},
    ]


def test_pre_with_code_language_is_one_entity() -> None:
    result = format_text('<pre><code class="language-python">x = 1</code></pre>', "HTML")
    assert result.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("å < b", 'Unsupported start tag "" at byte offset 3'),  # å is two bytes
        ('<span class="x">a</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_bad_html_is_refused_like_telegram(source: str, error: str) -> None:
    with pytest.raises(EntityParseError) as info:
        format_text(source, "HTML")
    assert str(info.value) == error


def test_unknown_html_entity_stays_literal_and_whitespace_is_trimmed() -> None:
    result = format_text("  \n<i>AT&T &nbsp;</i>\n ", "HTML")
    assert result.text == "AT&T &nbsp;"
    assert result.entities == [{"type": "italic", "offset": 0, "length": 11}]


def test_markdown_v2_requires_escapes() -> None:
    ok = format_text(r"*Hej* _du_ 1\.0", "MarkdownV2")
    assert ok.text == "Hej du 1.0"
    assert [e["type"] for e in ok.entities] == ["bold", "italic"]
    with pytest.raises(EntityParseError, match="Character '.' is reserved"):
        format_text("Version 1.0", "MarkdownV2")


def test_links_in_plain_text_get_url_entities() -> None:
    text = "Gå med: https://t.me/StegvisBot?start=abc."
    result = with_links(format_text(text, None))
    [entity] = result.entities
    assert result.text[entity["offset"] : entity["offset"] + entity["length"]] == (
        "https://t.me/StegvisBot?start=abc"
    )


def test_utf16_len_counts_surrogate_pairs() -> None:
    assert utf16_len("a😀ب") == 4

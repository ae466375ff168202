"""Support material: load the Markdown files, check their front matter, split them into passages.

A material is ``knowledge/materials/<topic>.<lang>.md`` with YAML front matter (topic, lang,
audience, title, and the optional title_en, summary, keywords) and ``##`` sections. Each section
becomes one passage (sections longer than ``MAX_CHARS`` are cut into parts at paragraph or
sentence boundaries); the text before the first ``##`` is a passage titled with the material title.

A translated material (any language but Swedish) follows its Swedish original section by section;
``check_translations`` says where one drifts (``python -m knowledge.materials --check``).

Besides its passages every material has one *card* — title, English title, summary and the
multilingual keywords — which is indexed too but never shown: it lets a question in one language
find a topic written in another (measured: recall@1 on our non-Swedish/English tuning questions
0.79 without cards, 0.93 with them and their keywords).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from core.languages import LANGUAGES, RTL_LANGUAGES

TOPICS = (
    "cv",
    "cover_letter",
    "linkedin",
    "interview",
    "references",
    "workplace_visit",
    "internship",
    "validation",
    "swedish_language",
    "social_codes",
    "networking",
    "arbetsformedlingen",
    "employment_terms",
    "mentor_meetings",
    "motivation",
)
AUDIENCES = ("participant", "mentor", "both")
MAX_CHARS = 900  # one passage; e5 reads at most 512 tokens and a phone screen shows ~600 chars
LEAD_CHARS = 160  # how much of a passage's text is embedded after its heading
EMBED_FORMAT = "v3"  # bump when passage_embed_text changes, so a rebuild re-embeds everything

MATERIALS_DIR = Path(__file__).resolve().parent / "materials"
_REPO_ROOT = Path(__file__).resolve().parent.parent
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.S)
_FILE_NAME = re.compile(r"^(?P<topic>[a-z_]+)\.(?P<lang>[a-z]{2})\.md$")


class MaterialError(ValueError):
    """A material file that cannot be used, with the file and the reason in the message."""


@dataclass(frozen=True)
class Material:
    """One support material file: front matter plus Markdown body."""

    path: Path
    source: str  # repository-relative path, e.g. knowledge/materials/cv.sv.md
    topic: str
    lang: str
    audience: str
    title: str
    body: str
    title_en: str = ""
    summary: str = ""
    keywords: tuple[str, ...] = ()
    file_hash: str = ""


@dataclass(frozen=True)
class Chunk:
    """One passage of a material, as it is stored in the index."""

    id: str  # "<topic>.<lang>:<section>.<part>", e.g. "cv.sv:02.0"; a card "<topic>.<lang>:card"
    topic: str
    lang: str
    audience: str
    source: str
    title: str
    section: str
    section_no: int
    part: int
    text: str
    embed_text: str
    content_hash: str
    keywords: tuple[str, ...] = field(default=())
    kind: str = "passage"  # "passage" (shown) or "card" (title, summary, keywords; never shown)

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata (scalars only)."""
        return {
            "kind": self.kind,
            "topic": self.topic,
            "lang": self.lang,
            "audience": self.audience,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "section_no": self.section_no,
            "part": self.part,
            "content_hash": self.content_hash,
            "keywords": " | ".join(self.keywords),
            "embed_text": self.embed_text,
        }


def source_path(path: Path) -> str:
    """The path as the answers show it: relative to the repository when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(_REPO_ROOT).as_posix()
    except ValueError:
        return resolved.name


def parse_material(text: str, path: Path) -> Material:
    """Parse one material file's text; MaterialError says what is wrong and where."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise MaterialError(f"{path}: missing YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise MaterialError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise MaterialError(f"{path}: front matter must be a mapping of keys to values")
    for key in ("topic", "lang", "title"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise MaterialError(f"{path}: front matter needs '{key}'")
    topic, lang = meta["topic"].strip(), meta["lang"].strip()
    if topic not in TOPICS:
        expected = ", ".join(TOPICS)
        raise MaterialError(f"{path}: unknown topic {topic!r} (expected one of {expected})")
    if lang not in LANGUAGES:
        expected = ", ".join(LANGUAGES)
        raise MaterialError(f"{path}: unknown lang {lang!r} (expected one of {expected})")
    audience = str(meta.get("audience") or "both").strip()
    if audience not in AUDIENCES:
        raise MaterialError(f"{path}: audience must be one of {', '.join(AUDIENCES)}")
    name = _FILE_NAME.match(path.name)
    if name and (name["topic"], name["lang"]) != (topic, lang):
        raise MaterialError(
            f"{path}: file name says {name['topic']}.{name['lang']} "
            f"but front matter says {topic}.{lang}"
        )
    raw_keywords = meta.get("keywords") or []
    if isinstance(raw_keywords, str):
        raw_keywords = [raw_keywords]
    if not isinstance(raw_keywords, list):
        raise MaterialError(f"{path}: keywords must be a list")
    keywords = tuple(str(k).strip() for k in raw_keywords if str(k).strip())
    body = match.group(2).strip()
    if not body:
        raise MaterialError(f"{path}: the material has no text")
    return Material(
        path=path,
        source=source_path(path),
        topic=topic,
        lang=lang,
        audience=audience,
        title=meta["title"].strip(),
        body=body,
        title_en=str(meta.get("title_en") or "").strip(),
        summary=str(meta.get("summary") or "").strip(),
        keywords=keywords,
        file_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )


def load_material(path: Path) -> Material:
    """Read and parse one material file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MaterialError(f"{path}: cannot read: {exc}") from exc
    return parse_material(text, path)


def load_materials(directory: Path | None = None) -> list[Material]:
    """Every ``*.md`` material in the folder (default knowledge/materials), sorted by file name.

    Files whose name starts with ``_`` or that are README files are skipped. Two files for the
    same topic and language are an error.
    """
    folder = directory or MATERIALS_DIR
    if not folder.is_dir():
        raise MaterialError(f"{folder}: materials folder not found")
    materials: list[Material] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("_") or path.name.lower().startswith("readme"):
            continue
        material = load_material(path)
        key = (material.topic, material.lang)
        if key in seen:
            raise MaterialError(f"{path}: {material.topic}.{material.lang} already in {seen[key]}")
        seen[key] = path
        materials.append(material)
    return materials


_SENTENCE_END = re.compile(r"[.!?։።؟](?=\s|$)")
_MARKUP = re.compile(r"(\*\*|__|`|^\s*(?:[-*]|\d+\.)\s+)", re.M)


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The first sentences of a text, at most ``limit`` characters, without Markdown markup."""
    plain = " ".join(_MARKUP.sub("", text).split())
    if len(plain) <= limit:
        return plain
    head = plain[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends:
        return head[: ends[-1]]
    space = head.rfind(" ")
    return head[:space] if space > 0 else head


def passage_embed_text(section: str, text: str) -> str:
    """What is embedded for a passage: its heading (written as a question) and its first sentence.

    Measured on the dev and tuning questions, heading + lead finds the topic as well as heading +
    whole text (recall@3 1.0 on both; recall@1 0.95 vs 0.97 on 58 questions) for half the
    embedding work: the whole index builds in about a third of the time.
    """
    return f"{section}\n{lead(text)}" if section else lead(text)


MORE_KEYWORDS_FILE = Path(__file__).with_name("keywords.yaml")
CARRIES_MORE_KEYWORDS = "en"  # the card that carries the other languages' keywords


@lru_cache(maxsize=1)
def more_keywords() -> dict[str, tuple[str, ...]]:
    """Keywords per topic in languages without material (``keywords.yaml``), all languages."""
    data = yaml.safe_load(MORE_KEYWORDS_FILE.read_text(encoding="utf-8")) or {}
    return {
        str(topic): tuple(str(w) for words in (by_lang or {}).values() for w in (words or ()))
        for topic, by_lang in data.items()
    }


def card_text(material: Material) -> str:
    """What is embedded for a material's card: titles, summary and multilingual keywords (the
    English card also carries the keywords of ``keywords.yaml``: languages without material)."""
    head = material.title
    if material.title_en and material.title_en != material.title:
        head += f" ({material.title_en})"
    lines = [f"{head}. {material.summary}".strip()]
    keywords = list(material.keywords)
    if material.lang == CARRIES_MORE_KEYWORDS:
        keywords += more_keywords().get(material.topic, ())
    if keywords:
        lines.append(", ".join(dict.fromkeys(keywords)))
    return "\n".join(lines)


def _digest(text: str) -> str:
    return hashlib.sha256(f"{EMBED_FORMAT}\n{text}".encode()).hexdigest()[:16]


_HEADERS = [("#", "h1"), ("##", "h2")]


def split_material(material: Material, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """The material's card, then its passages by ``##`` heading, each at most ``max_chars``."""
    header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    size_splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=["\n\n", "\n", ". ", "። ", "؟ ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    card = card_text(material)
    chunks: list[Chunk] = [
        Chunk(
            id=f"{material.topic}.{material.lang}:card",
            topic=material.topic,
            lang=material.lang,
            audience=material.audience,
            source=material.source,
            title=material.title,
            section="",
            section_no=-1,
            part=0,
            text=material.summary or material.title,
            embed_text=card,
            content_hash=_digest(card),
            keywords=material.keywords,
            kind="card",
        )
    ]
    for section_no, doc in enumerate(header_splitter.split_text(material.body)):
        text = doc.page_content.strip()
        if not text:
            continue
        section = str(doc.metadata.get("h2") or doc.metadata.get("h1") or material.title)
        parts = [text] if len(text) <= max_chars else size_splitter.split_text(text)
        for part_no, part in enumerate(p.strip() for p in parts if p.strip()):
            embed_text = passage_embed_text(section, part)
            chunks.append(
                Chunk(
                    id=f"{material.topic}.{material.lang}:{section_no:02d}.{part_no}",
                    topic=material.topic,
                    lang=material.lang,
                    audience=material.audience,
                    source=material.source,
                    title=material.title,
                    section=section,
                    section_no=section_no,
                    part=part_no,
                    text=part,
                    embed_text=embed_text,
                    content_hash=_digest(embed_text),
                    keywords=material.keywords,
                )
            )
    return chunks


# --- translations follow their Swedish original --------------------------------------------------

ORIGINAL_LANG = "sv"  # every other language is a translation of the Swedish material
SHARE_BAND = (0.67, 1.5)  # a section's share of its material, translation over original
TOTAL_BAND = (0.5, 2.0)  # a whole material's length, translation over original (scripts differ)
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate: Latin text inside right-to-left text

_SECTION_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t#]*$")
_NUMBERED_ITEM = re.compile(r"^[ \t]*[0-9]+[.)][ \t]+")
_BULLET_ITEM = re.compile(r"^[ \t]*[-*+][ \t]+")
_NUMBER = re.compile(r"\d+")
_URL = re.compile(
    r"https?://[^\s)\]>»]+|(?<![\w@/.-])(?:[a-z0-9-]+\.)+(?:se|com|org|net|nu|eu)\b", re.I
)
_EMPHASIS = re.compile(r"\*\*|__|[*_`]")
_QUOTE = re.compile(r"«([^«»]*)»")
_LATIN = re.compile(r"[A-Za-zÀ-ÿ]")
_TRAILING_ELLIPSIS = re.compile(r"(?:…|\.\.\.)[\s?!.:]*$")


@dataclass(frozen=True)
class Section:
    """One ``##`` section of a material (``heading`` empty for the text before the first)."""

    heading: str
    text: str
    numbered: int  # items of numbered lists
    bullets: int  # items of bulleted lists
    numbers: tuple[str, ...]  # every number written in digits (any script), sorted
    links: tuple[str, ...]  # every URL or web address, lower case, sorted

    @property
    def size(self) -> int:
        """Characters of text, without white space and Markdown markup."""
        return sum(len(line) for line in _plain_lines(self.text))


def _plain_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        line = _BULLET_ITEM.sub("", _NUMBERED_ITEM.sub("", line))
        lines.append("".join(_EMPHASIS.sub("", line).split()))
    return lines


def _ascii_number(digits: str) -> str:
    return str(int("".join(str(unicodedata.decimal(d)) for d in digits)))


def sections(material: Material) -> list[Section]:
    """The material's ``##`` sections in order (the text before the first one if there is any)."""
    found: list[tuple[str, list[str]]] = [("", [])]
    for line in material.body.splitlines():
        match = _SECTION_HEADING.match(line)
        if match:
            found.append((match.group(1).strip(), []))
        else:
            found[-1][1].append(line)
    if not "\n".join(found[0][1]).strip():
        found = found[1:]
    out: list[Section] = []
    for heading, lines in found:
        text = "\n".join(lines).strip()
        counted = [_BULLET_ITEM.sub("", _NUMBERED_ITEM.sub("", line)) for line in [heading, *lines]]
        plain = "\n".join(counted)
        out.append(
            Section(
                heading=heading,
                text=text,
                numbered=sum(1 for line in lines if _NUMBERED_ITEM.match(line)),
                bullets=sum(1 for line in lines if _BULLET_ITEM.match(line)),
                numbers=tuple(
                    sorted(_ascii_number(n) for n in _NUMBER.findall(_URL.sub(" ", plain)))
                ),
                links=tuple(sorted(u.lower().rstrip(".") for u in _URL.findall(plain))),
            )
        )
    return out


def compare_to_original(original: Material, translation: Material) -> list[str]:
    """Where a translation drifts from its Swedish original, one line each (empty: none).

    Both must have the same audience and the same ``##`` sections in the same order: each
    section non-empty, as long relative to its material as the original's (``SHARE_BAND``),
    with as many numbered and bulleted list items, the same numbers in digits and the same
    web addresses. In Arabic and Persian a Latin quotation in «…» that ends in an ellipsis must
    sit in a left-to-right isolate (U+2066 … U+2069), or the ellipsis is shown on the wrong side.
    """
    where = f"{translation.source} (against {original.source})"
    problems: list[str] = []
    if translation.audience != original.audience:
        problems.append(
            f"{where}: audience {translation.audience!r}, the original says {original.audience!r}"
        )
    ours, theirs = sections(translation), sections(original)
    if len(ours) != len(theirs):
        problems.append(
            f"{where}: {len(ours)} sections, the original has {len(theirs)}: "
            + " | ".join(s.heading or "(intro)" for s in theirs)
        )
        return problems
    total_ours, total_theirs = sum(s.size for s in ours) or 1, sum(s.size for s in theirs) or 1
    ratio = total_ours / total_theirs
    if not TOTAL_BAND[0] <= ratio <= TOTAL_BAND[1]:
        problems.append(f"{where}: {ratio:.2f} times as long as the original")
    for number, (mine, orig) in enumerate(zip(ours, theirs, strict=True), start=1):
        label = f"{where}: section {number} {mine.heading!r}"
        if bool(mine.heading) != bool(orig.heading):
            problems.append(f"{label}: the original's section {number} is {orig.heading!r}")
        if not mine.text:
            problems.append(f"{label} is empty")
            continue
        share = (mine.size / total_ours) / ((orig.size or 1) / total_theirs)
        if not SHARE_BAND[0] <= share <= SHARE_BAND[1]:
            shorter = "shorter" if share < 1 else "longer"
            problems.append(
                f"{label} is {shorter} than the original's {orig.heading!r} "
                f"(share of the text {share:.2f} times the original's)"
            )
        for what, mine_v, orig_v in (
            ("numbered items", mine.numbered, orig.numbered),
            ("bulleted items", mine.bullets, orig.bullets),
        ):
            if mine_v != orig_v:
                problems.append(f"{label}: {mine_v} {what}, the original has {orig_v}")
        for what, mine_t, orig_t in (
            ("numbers", mine.numbers, orig.numbers),
            ("web addresses", mine.links, orig.links),
        ):
            if mine_t != orig_t:
                problems.append(
                    f"{label}: {what} {', '.join(mine_t) or 'none'}; "
                    f"the original has {', '.join(orig_t) or 'none'}"
                )
    if translation.lang in RTL_LANGUAGES:
        for quoted in _QUOTE.findall(translation.body):
            inner = quoted.strip()
            if not (_LATIN.search(inner) and _TRAILING_ELLIPSIS.search(inner)):
                continue
            if not (inner.startswith(LRI) and inner.endswith(PDI)):
                problems.append(
                    f"{where}: «{quoted}» needs U+2066 before and U+2069 after the Latin text "
                    "(or no ellipsis at its end)"
                )
    return problems


def check_translations(materials: Iterable[Material]) -> list[str]:
    """Every problem of every translated material against its Swedish original."""
    materials = list(materials)
    originals = {m.topic: m for m in materials if m.lang == ORIGINAL_LANG}
    problems: list[str] = []
    for material in materials:
        if material.lang == ORIGINAL_LANG:
            continue
        original = originals.get(material.topic)
        if original is None:
            problems.append(f"{material.source}: no Swedish original ({material.topic}.sv.md)")
            continue
        problems += compare_to_original(original, material)
    return problems


def _translations(count: int) -> str:
    return f"{count} translated material{'s' if count != 1 else ''}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m knowledge.materials --check [FOLDER]``: 0 when every translation follows."""
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.materials", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="check the translations against the Swedish files"
    )
    parser.add_argument("folder", nargs="?", type=Path, default=None, help="default: materials")
    args = parser.parse_args(argv)
    if not args.check:
        parser.print_usage(sys.stderr)
        return 2
    try:
        materials = load_materials(args.folder)
    except MaterialError as exc:
        print(f"Error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    problems = check_translations(materials)
    for problem in problems:
        print(problem)  # noqa: T201
    translated = sum(1 for m in materials if m.lang != ORIGINAL_LANG)
    if problems:
        found = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"{found} in {_translations(translated)}", file=sys.stderr)  # noqa: T201
        return 1
    follow = "follows its Swedish original" if translated == 1 else "follow their Swedish originals"
    print(f"{_translations(translated)} {follow}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

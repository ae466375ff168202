"""Support material: load the Markdown files, check their front matter, split them into passages.

A material is ``knowledge/materials/<topic>.<lang>.md`` with YAML front matter (topic, lang,
audience, title, and the optional title_en, summary, keywords) and ``##`` sections. Each section
becomes one passage (sections longer than ``MAX_CHARS`` are cut into parts at paragraph or
sentence boundaries); the text before the first ``##`` is a passage titled with the material title.

Besides its passages every material has one *card* — title, English title, summary and the
multilingual keywords — which is indexed too but never shown: it lets a question in one language
find a topic written in another (measured: recall@1 on our non-Swedish/English tuning questions
0.79 without cards, 0.93 with them and their keywords).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from core.languages import LANGUAGES

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

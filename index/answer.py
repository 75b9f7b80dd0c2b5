"""A question in, a short answer out, every sentence of it tied to an exact quoted passage."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

from newsdesk.index import language, verdict, when
from newsdesk.index.conversation import Recall, Resolved, Turn, recall, resolve
from newsdesk.index.embeddings import Embedder
from newsdesk.index.errors import BackendUnavailable, BadQuestion
from newsdesk.index.evidence import (
    STRONG_EVIDENCE,
    WHY,
    Claim,
    Evidence,
    about,
    best,
    check,
    gives_reason,
    relevant,
    select,
)
from newsdesk.index.llm import Backend, Judge, Message
from newsdesk.index.retrieve import RRF_K, Filters, Hit, Retriever
from newsdesk.index.sentences import sentences
from newsdesk.index.speakers import is_quotation, speaker
from newsdesk.index.when import Window

log = logging.getLogger(__name__)

PROMPTS = ("system", "question", "history", "why", "language", "verdict", "not_covered")
MAX_ANSWER_TOKENS = 160
EXTRACTIVE_SENTENCES = 2
STALE_ARCHIVE_DAYS = 7  # an archive whose newest article is older counts time from that day
LATEST_DAYS = 7  # "latest on X": the last week of X's coverage
LATEST_HITS = 10  # passages "latest on X" looks at for X's newest coverage
TIE_WEIGHT = 0.5  # how much the earlier turn counts when a follow-up names its own subject


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    source: str | None
    date: str | None
    path: str
    quote: str
    url: str | None = None
    also_reported_by: tuple[str, ...] = ()
    speaker: str | None = None  # who the quote says said it, when it reports speech
    story: str | None = None  # the story its article belongs to
    story_outlets: int = 0  # how many outlets report that story

    def to_json(self) -> dict[str, Any]:
        data = {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "path": self.path,
            "quote": self.quote,
        }
        if self.speaker:
            data["speaker"] = self.speaker
        return data


@dataclass(frozen=True)
class Dropped:
    """An answer sentence the checks removed, and why (see `--json`'s "dropped")."""

    sentence: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"sentence": self.sentence, "reason": self.reason}


@dataclass
class Answer:
    question: str
    text: str
    answered: bool
    citations: list[Citation]
    backend: str
    timings_ms: dict[str, float]
    dropped: list[Dropped] = field(default_factory=list)  # answer sentences the checks removed
    closest: list[str] = field(default_factory=list)  # titles, when not answered
    fallback: str | None = None  # why the answer quotes the articles instead of the model
    topic: str = ""  # the conversation's topic this answer was about (for the next follow-up)
    window: Window | None = None  # the dates a question about time was read as asking about

    def turn(self) -> Turn:
        """This answer as a turn of its conversation."""
        citations = [c.to_json() for c in self.citations]
        return Turn(self.question, self.text, citations, self.topic)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answered": self.answered,
            "citations": [c.to_json() for c in self.citations],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "dropped": [d.to_json() for d in self.dropped],
            "fallback": self.fallback,
            "window": self.window.to_json() if self.window else None,
        }


def load_prompts() -> dict[str, str]:
    """The prompt files shipped in `newsdesk.prompts`; one missing fails here, not mid-answer."""
    files = resources.files("newsdesk.prompts")
    return {name: (files / f"{name}.txt").read_text("utf-8").strip("\n") for name in PROMPTS}


OPENING_QUOTES = "\"'“‘«„"


def in_quotes(passage: str) -> str:
    """A passage in quotation marks, unless it already opens with its own (it is a quote)."""
    return passage if passage.startswith(tuple(OPENING_QUOTES)) else f"“{passage}”"


def dates_note(answer: Answer, window: Window) -> str:
    """What an answer to a question about time says of dates: the window it read, and the
    date of each source it cites."""
    cited = ", ".join(f"[{c.n}] {c.date[:10] if c.date else 'undated'}" for c in answer.citations)
    unmet = " No article of those dates answers it; this is from articles of any date." * bool(
        window.unmet and answer.answered
    )
    return f"(Dates asked about: {window.describe()}.{unmet}" + (
        f" Cited: {cited}.)" if cited else ")"
    )


def clean_question(question: str, limit: int) -> str:
    """Control characters out, whitespace folded; empty or over-long is a BadQuestion."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("the question is empty: ask something about the articles")
    if len(text) > limit:
        raise BadQuestion(f"the question is {len(text):,} characters long; the limit is {limit:,}")
    return text


class Engine:
    def __init__(
        self,
        retriever: Retriever,
        embedder: Embedder,
        backend: Backend | None,
        *,
        top_k: int = 6,
        max_question_chars: int = 1000,
        prompts: dict[str, str] | None = None,
    ) -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.backend = backend
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.prompts = prompts or load_prompts()
        self._warned = False

    @property
    def backend_name(self) -> str:
        return self.backend.name if self.backend else "extractive"

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        on_evidence: Callable[[list[Evidence]], None] | None = None,
    ) -> Answer:
        """Answer `question`; `history` holds the conversation's earlier turns.

        `on_evidence` is called with the evidence found, before the model writes: what an edge
        may show while the answer is being checked. The model's unchecked draft is never
        handed out."""
        started = time.perf_counter()
        question = clean_question(question, self.max_question_chars)
        remembered = recall(question, history)
        if remembered is not None:
            return self._recalled(question, remembered, started)
        about, dated, window = self._dates(question, filters or Filters())
        answer = self._answer(question, about, history, dated, on_evidence, started)
        if window is not None and not answer.answered:
            # Nothing of those dates answers it (an undated article may, and "in January" may
            # be when the event was, not the report): say so, and answer the whole question
            # from articles of any date rather than not at all.
            answer = self._answer(
                question, question, history, filters or Filters(), on_evidence, started
            )
            window = replace(window, unmet=True)
        if window is not None:
            answer.window = window
            answer.text += " " + dates_note(answer, window)
        return answer

    def _dates(self, question: str, filters: Filters) -> tuple[str, Filters, Window | None]:
        """A question about time as the question without its time words, and the filters
        with the window it asks about (explicit since/until win over words)."""
        if filters.dated:
            return question, filters, None
        today = datetime.now(UTC).date()
        newest = self.retriever.newest()
        archive = newest is not None and newest < today - timedelta(days=STALE_ARCHIVE_DAYS)
        anchor = newest if archive and newest else today
        found = when.window(question, anchor)
        if found is None:
            return question, filters, None
        about = when.strip(question, found)
        since, until = found.since, found.until
        if found.after or found.latest:
            days = self._coverage_days(found.after or about, filters, found.latest)
            if not days:
                return question, filters, None
            if found.after:
                since = days[0]
            else:
                since, until = days[-1] - timedelta(days=LATEST_DAYS - 1), days[-1]
        found = replace(found, since=since, until=until, anchor=anchor, archive_anchor=archive)
        dated = Filters(
            since.isoformat() if since else None,
            filters.source,
            until.isoformat() if until else None,
        )
        return about, dated, found

    def _coverage_days(self, about: str, filters: Filters, latest: bool) -> list[date]:
        """The publication days of the passages about `about`, in order: for "after X", those
        of the best passages that share the best one's story (when X was first reported); for
        "latest on X", those of a wider set (its newest coverage may rank below older)."""
        wanted = LATEST_HITS if latest else self.top_k
        _, hits = self.retriever.search(about, wanted, filters)
        story = hits[0].meta.get("story") if hits and not latest else None
        days = {
            datetime.fromtimestamp(int(h.meta["published_ts"]), UTC).date()
            for h in hits
            if h.meta.get("published_ts") and (story is None or h.meta.get("story") == story)
        }
        return sorted(days)

    def _answer(
        self,
        question: str,
        about: str,
        history: Sequence[Turn],
        filters: Filters,
        on_evidence: Callable[[list[Evidence]], None] | None,
        started: float,
    ) -> Answer:
        resolved = resolve(about, history)
        query, hits = self.search(resolved, filters)
        asked = resolved.standalone
        evidence = select(query, hits, self.embedder)
        retrieved = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000}
        if not relevant(about, evidence, hits):
            refusal = self._not_covered(question, hits, timings, started)
            refusal.topic = resolved.topic
            return refusal
        if on_evidence:
            on_evidence(evidence)
        previous = history[-1].question if history else None
        generated = None
        if self.backend is not None:
            try:
                generated = self._generate(question, previous, evidence)
            except BackendUnavailable as exc:
                log.warning("%s; answering with quotes from the articles instead", exc)
        timings["generate"] = (time.perf_counter() - retrieved) * 1000
        if generated is None:
            answer = self._extractive(question, asked, evidence, timings)
        else:
            answer = self._cite(question, asked, query, *generated, evidence, timings)
            timings["verify"] = (time.perf_counter() - retrieved) * 1000 - timings["generate"]
            if not answer.answered and (answer.dropped or best(evidence) >= STRONG_EVIDENCE):
                # Its sentences failed the checks, or a small model over-refused evidence this
                # close: the evidence about the question answers it itself.
                reason = (
                    "every sentence of the model's answer failed the checks"
                    if answer.dropped
                    else "the model found no answer in strong evidence"
                )
                log.info("%s; quoting the evidence instead", reason)
                answer = self._extractive(
                    question, asked, evidence, timings, answer.dropped, reason
                )
        if not answer.answered:
            answer = self._not_covered(question, hits, timings, started, answer.dropped)
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.topic = resolved.topic
        return answer

    def search(
        self, question: str | Resolved, filters: Filters | None = None
    ) -> tuple[str, list[Hit]]:
        """The retrieval query (misspellings corrected against the articles' own words) and
        its hits. A follow-up with a subject of its own leads; the earlier turn's words only
        break ties between its hits."""
        resolved = question if isinstance(question, Resolved) else Resolved(question, question)
        query, hits = self.retriever.search(resolved.query, self.top_k, filters)
        if resolved.ties is None:
            return query, hits
        _, context = self.retriever.search(resolved.ties, self.top_k, filters)
        score: dict[str, float] = {}
        pool = {h.chunk_id: h for h in [*context, *hits]}
        for weight, ranking in ((1.0, hits), (TIE_WEIGHT, context)):
            for rank, h in enumerate(ranking, 1):
                score[h.chunk_id] = score.get(h.chunk_id, 0.0) + weight / (RRF_K + rank)
        ranked = sorted(pool, key=lambda chunk_id: -score[chunk_id])
        return query, [pool[chunk_id] for chunk_id in ranked[: self.top_k]]

    def _generate(
        self,
        question: str,
        previous: str | None,
        evidence: list[Evidence],
    ) -> tuple[list[Message], str]:
        assert self.backend is not None
        lines = []
        for e in evidence:
            meta = e.hit.meta
            origin = ", ".join(str(v) for v in (meta.get("source"), meta.get("published")) if v)
            lines.append(f"[{e.n}] {e.quote}" + (f" ({origin})" if origin else ""))
        history = self.prompts["history"].format(previous=previous) if previous else ""
        messages: list[Message] = [
            {"role": "system", "content": self.prompts["system"]},
            {
                "role": "user",
                "content": self.prompts["question"].format(
                    evidence="\n".join(lines),
                    history=history,
                    question=question,
                    form=self._form(question),
                ),
            },
        ]
        return messages, "".join(self.backend.stream(messages, MAX_ANSWER_TOKENS))

    def _form(self, question: str) -> str:
        """What the prompt adds for this kind of question: the form of a "why" answer, the
        language of a question not in English (the evidence stays as the articles say it)."""
        asked_in = language.of_question(question)
        if asked_in != language.DEFAULT:
            return self.prompts["language"].format(language=language.name(asked_in))
        return self.prompts["why"] if WHY.search(question) else ""

    def _cite(
        self,
        question: str,
        asked: str,
        query: str,
        messages: list[Message],
        draft: str,
        evidence: list[Evidence],
        timings: dict[str, float],
    ) -> Answer:
        """Keep the sentences that pass every check; number citations 1..n in order of use."""
        backend = self.backend_name
        if re.search(r"do(?:es)? not cover|don't cover|not covered", draft, re.I):
            return Answer(question, "", False, [], backend, timings)
        claims = check(draft, evidence, self.embedder, asked)
        self._judge(messages, draft, [c for c in claims if c.supported])
        dropped = [Dropped(c.text, c.reason) for c in claims if c.reason]
        kept = [c for c in claims if c.supported]
        if kept and not gives_reason(question, " ".join(c.text for c in kept), evidence, query):
            dropped += [Dropped(c.text, "restates the question without its reason") for c in kept]
            kept = []
        order: dict[int, int] = {}
        sentences = []
        for claim in kept:
            marks = [order.setdefault(n, len(order) + 1) for n in claim.cites]
            sentences.append(f"{claim.text.rstrip()} " + "".join(f"[{m}]" for m in marks))
        by_n = {e.n: e for e in evidence}
        citations = [self._citation(new, by_n[old]) for old, new in order.items()]
        return Answer(
            question, " ".join(sentences), bool(sentences), citations, backend, timings, dropped
        )

    def _judge(self, messages: list[Message], draft: str, claims: list[Claim]) -> None:
        """The model's verdict on each claim that passed the rules; anything but "supported"
        (or no usable verdict at all) marks the claim unsupported."""
        if not claims:
            return
        verdicts: list[str] | None = None
        if isinstance(self.backend, Judge):
            request = verdict.messages(
                messages, draft, [(c.text, c.cites) for c in claims], self.prompts["verdict"]
            )
            try:
                reply = self.backend.judge(
                    request, verdict.schema(len(claims)), verdict.max_tokens(len(claims))
                )
                verdicts = verdict.parse(reply, len(claims))
            except BackendUnavailable as exc:
                self._warn_once(f"no verdict from {self.backend_name} ({exc})")
            else:
                if verdicts is None:
                    self._warn_once(f"{self.backend_name} gave an unusable verdict: {reply[:80]!r}")
        else:
            self._warn_once(f"{self.backend_name} cannot constrain its output to a verdict")
        for k, claim in enumerate(claims):
            said = verdicts[k] if verdicts else verdict.NOT_STATED
            if said != verdict.SUPPORTED:
                claim.reason = f"{said.replace('_', ' ')} (the model's verdict)"

    def _warn_once(self, message: str) -> None:
        """A verdict problem is logged once per engine; it repeats at debug level."""
        if not self._warned:
            log.warning("%s; such sentences count as not stated", message)
            self._warned = True
        else:
            log.debug(message)

    def _extractive(
        self,
        question: str,
        asked: str,
        evidence: list[Evidence],
        timings: dict[str, float],
        dropped: list[Dropped] | None = None,
        fallback: str | None = None,
    ) -> Answer:
        """The best evidence about what the question asks (`asked`: with the topic a follow-up
        borrowed), quoted and cited; nothing when no evidence is about it (the engine then says
        the articles don't cover it)."""
        chosen = about(asked, evidence)[:EXTRACTIVE_SENTENCES]
        text = " ".join(f"{in_quotes(e.quote)} [{k}]" for k, e in enumerate(chosen, 1))
        citations = [self._citation(k, e) for k, e in enumerate(chosen, 1)]
        return Answer(
            question,
            text,
            bool(chosen),
            citations,
            "extractive",
            timings,
            dropped or [],
            fallback=fallback if chosen else None,
        )

    def _recalled(self, question: str, remembered: Recall, started: float) -> Answer:
        """An answer from the conversation itself, citing what the earlier answer cited."""
        citations = [Citation(**c) for c in remembered.citations]
        timings = {"retrieve": 0.0, "generate": 0.0}
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(question, remembered.text, True, citations, "conversation", timings)

    def _citation(self, n: int, e: Evidence) -> Citation:
        meta = e.hit.meta
        also = tuple(dict.fromkeys(e.also))
        parts = [e.quote[s.start : s.end] for s in sentences(e.quote)] or [e.quote]
        return Citation(
            n,
            e.doc_id,
            str(meta.get("title", "")),
            meta.get("source"),
            meta.get("published"),
            str(meta.get("path", "")),
            e.quote,
            meta.get("url"),
            also,
            speaker(parts[-1], parts[-2] if len(parts) > 1 else None)
            if is_quotation(parts[-1])
            else None,
            meta.get("story"),
            self.retriever.outlets_of(meta.get("story")),
        )

    def _not_covered(
        self,
        question: str,
        hits: list[Any],
        timings: dict[str, float],
        started: float,
        dropped: list[Dropped] | None = None,
    ) -> Answer:
        titles = list(dict.fromkeys(str(h.meta.get("title", "")) for h in hits))[:3]
        text = self.prompts["not_covered"]
        if titles:
            text += " Closest articles: " + "; ".join(f"“{t}”" for t in titles) + "."
        timings.setdefault("generate", 0.0)
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(question, text, False, [], self.backend_name, timings, dropped or [], titles)

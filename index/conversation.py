"""Conversations: follow-ups resolved against earlier turns, questions about the conversation
itself, and turns kept in the data dir so that a restart forgets nothing.

A follow-up is resolved without a model, so the rewrite cannot drop or invent a subject: it
only ever adds words of the earlier turns (the conversation's topic). When the follow-up names
a subject of its own ("and what did Downing Street say?"), retrieval is led by it and the topic
only breaks ties; when it points back or names nothing ("why did he resign?", "how many
homes?"), the topic is added to it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.index.claims import STOP, names

MAX_TURNS = 20  # turns kept per conversation; older ones are forgotten
TOPIC_WORDS = 8  # words of the earlier turns a follow-up may borrow

# A follow-up starts by leaning on the last turn, or refers back to it; a reference to a person
# or thing (not "there", "then") also makes the earlier topic its subject.
_LEANS_ON = re.compile(
    r"^\s*(?:and|but|so|also|then|what about|how about)\b|\b(?:there|then)\b", re.I
)
_POINTS_BACK = re.compile(
    r"\b(?:it|its|he|him|his|she|her|they|them|their|this|that|these|those)\b", re.I
)
_QUESTION_WORDS = {
    "what", "who", "whom", "whose", "why", "when", "where", "which", "how", "did", "does", "do",
    "is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would", "should",
    "and", "but", "so", "also", "then", "about", "say", "said", "tell", "me",
}  # fmt: skip


@dataclass
class Turn:
    """One question of a conversation and what was answered (text and cited sources)."""

    question: str
    answer: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)  # Citation.to_json() rows
    topic: str = ""  # what the conversation was about at this turn (see `resolve`)

    @property
    def about(self) -> str:
        return self.topic or _borrow(self.question)


@dataclass(frozen=True)
class Resolved:
    """A question as retrieval should see it.

    `query` leads retrieval; `ties` (or None) is searched too and only breaks ties; `topic`
    holds the conversation's topic a follow-up borrowed (empty for a question that stands
    alone)."""

    question: str
    query: str
    ties: str | None = None
    topic: str = ""

    @property
    def standalone(self) -> str:
        """The question with the borrowed topic, unless it names its own subject."""
        return self.question if self.ties or not self.topic else f"{self.question} ({self.topic})"


def subjects(text: str) -> set[str]:
    """The names a question is about, its first word included when that is a name
    ("Downing Street said what?")."""
    found = names(text)
    first = re.match(r"\s*([A-Z][a-zA-Z]+)", text)
    if first and first.group(1).lower() not in _QUESTION_WORDS | STOP:
        found.add(first.group(1).lower())
    return found


def resolve(question: str, history: Sequence[Turn]) -> Resolved:
    """`question` as retrieval should see it, given the conversation's earlier turns.

    A follow-up that points back ("will it be sold in the US?") or names nothing ("how many
    homes?") borrows the conversation's topic; one that names a subject of its own and points
    nowhere ("and what did Downing Street say?") is led by its subject, the topic only breaking
    ties. The topic is the conversation's, carried from turn to turn: after "why did the
    Powell–Ushakov call fail?" and "and what did Downing Street say?", "who confirmed that the
    call took place?" is still about the Powell–Ushakov call, not Downing Street."""
    previous = next((t for t in reversed(history) if t.question), None)
    if previous is None or not is_follow_up(question):
        return Resolved(question, question)
    borrowed = previous.about
    own = subjects(question) - subjects(borrowed)
    if own and not _POINTS_BACK.search(question):
        return Resolved(question, question, ties=f"{borrowed} {question}", topic=borrowed)
    return Resolved(question, f"{borrowed} {question}", topic=borrowed)


def is_follow_up(question: str) -> bool:
    """A question that leans on what came before: "and …", "what about …", a pronoun, or no
    name of its own (in a conversation, "how many homes?" is about the topic so far)."""
    return bool(_LEANS_ON.search(question) or _POINTS_BACK.search(question)) or not subjects(
        question
    )


def _borrow(question: str) -> str:
    """The words of a question a follow-up may borrow: its names, then its other words."""
    words = re.findall(r"[\w’'–-]+", question)
    named = [w for w in words if w.lower() in subjects(question)]
    others = [w for w in words if w.lower() not in _QUESTION_WORDS | STOP and len(w) > 2]
    return " ".join(list(dict.fromkeys(named + others))[:TOPIC_WORDS])


# -- questions about the conversation itself ---------------------------------------------------

_ASKED = re.compile(
    r"\bwhat (?:did|was) (?:i|my) (?:ask|question)|\bwhat were my questions|\bmy (?:first|last|"
    r"previous|earlier) question\b",
    re.I,
)
_SHORTER = re.compile(
    r"^\s*(?:(?:can you |could you |please )?(?:say|put|make) (?:that|it) (?:shorter|briefer|"
    r"in (?:one|a) sentence)|shorter(?: please)?|in (?:one|a) sentence|tl;?dr|summari[sz]e "
    r"(?:that|it))\W*$",
    re.I,
)
_WHICH = re.compile(
    r"\b(?:which|what) (?:article|source|outlet|paper|story)s? (?:was|were|is|are) (?:that|it|"
    r"this|those)\b|\bwhere (?:is|was|did) (?:that|it|this) (?:from|come from)\b|\bwhat(?:'s| is| "
    r"was) (?:the|your) source\b",
    re.I,
)


@dataclass(frozen=True)
class Recall:
    """An answer from the conversation itself: text, and the earlier citations it repeats."""

    text: str
    citations: list[dict[str, Any]]


def recall(question: str, history: Sequence[Turn]) -> Recall | None:
    """The answer to a question about the conversation ("what did I ask first?", "say that
    shorter", "which article was that?"), or None for a question about the articles."""
    if not history:
        return None
    if _ASKED.search(question):
        which = history[0] if re.search(r"\bfirst\b", question, re.I) else history[-1]
        return Recall(f"You asked: “{which.question}”", [])
    last = next((t for t in reversed(history) if t.citations), None)
    if _SHORTER.search(question) and last is not None:
        first = re.match(r".+?(?:\[\d+\]|[.!?])(?=\s|$)", last.answer, re.S)
        text = first.group() if first else last.answer
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
        return Recall(text, [c for c in last.citations if c["n"] in cited])
    if _WHICH.search(question) and last is not None:
        numbers: dict[str, list[str]] = {}  # one line per article, with all its citations
        for c in last.citations:
            origin = ", ".join(v for v in (c.get("source"), c.get("date")) if v)
            line = c["title"] + (f" ({origin})" if origin else "")
            numbers.setdefault(line, []).append(str(c["n"]))
        lines = [f"[{', '.join(n)}] {line}" for line, n in numbers.items()]
        return Recall("That came from:\n" + "\n".join(lines), last.citations)
    return None


# -- turns kept in the data dir ----------------------------------------------------------------


class Conversations:
    """Turns of many conversations (Discord threads), in SQLite, the last MAX_TURNS each."""

    def __init__(self, path: Path, max_turns: int = MAX_TURNS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_turns = max_turns
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS turns (conversation TEXT, seq INTEGER, question TEXT,"
                " answer TEXT, citations TEXT, topic TEXT, PRIMARY KEY (conversation, seq))"
            )

    def turns(self, conversation: str) -> list[Turn]:
        with self._lock:
            rows = self._db.execute(
                "SELECT question, answer, citations, topic FROM turns WHERE conversation = ? "
                "ORDER BY seq DESC LIMIT ?",
                (conversation, self.max_turns),
            ).fetchall()
        return [Turn(q, a, json.loads(c), t) for q, a, c, t in reversed(rows)]

    def add(self, conversation: str, turn: Turn) -> None:
        with self._lock, self._db:
            (last,) = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM turns WHERE conversation = ?", (conversation,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation,
                    last + 1,
                    turn.question,
                    turn.answer,
                    json.dumps(turn.citations),
                    turn.about,
                ),
            )
            self._db.execute(
                "DELETE FROM turns WHERE conversation = ? AND seq <= ?",
                (conversation, last + 1 - self.max_turns),
            )

    def reset(self, conversation: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM turns WHERE conversation = ?", (conversation,))

    def close(self) -> None:
        self._db.close()

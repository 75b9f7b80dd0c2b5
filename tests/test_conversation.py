"""Conversations: follow-ups resolved against earlier turns, questions about the conversation,
turns kept in SQLite; and the three-turn conversation of the sample archive end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.index.app import Newsdesk
from newsdesk.index.conversation import Conversations, Turn, is_follow_up, recall, resolve

from fakes import FakeBackend

POWELL = "Why did the Powell–Ushakov call fail?"


def test_a_question_that_stands_alone_is_left_alone() -> None:
    resolved = resolve("What did Yvette Cooper say about Putin?", [Turn(POWELL)])
    assert resolved.query == "What did Yvette Cooper say about Putin?"
    assert resolved.ties is None and resolved.topic == ""


def test_a_follow_up_without_a_subject_borrows_the_topic() -> None:
    resolved = resolve("why did he resign?", [Turn("Who is Jonathan Powell?")])
    assert resolved.query == "Jonathan Powell why did he resign?"
    assert resolved.ties is None and resolved.standalone.endswith("(Jonathan Powell)")


def test_a_follow_up_that_names_its_subject_leads_retrieval() -> None:
    resolved = resolve("and what did Downing Street say?", [Turn(POWELL)])
    assert resolved.query == "and what did Downing Street say?", "its own subject leads"
    assert resolved.ties is not None and "Powell–Ushakov" in resolved.ties
    assert "Downing" in resolved.ties, "the rewrite only adds words, never drops the subject"
    assert resolved.standalone == "and what did Downing Street say?"


def test_the_topic_is_the_conversation_s_not_the_last_side_question() -> None:
    first = Turn(POWELL, topic="")
    second = Turn("and what did Downing Street say?", topic=first.about)
    third = resolve("who confirmed that the call took place?", [first, second])
    assert "Powell–Ushakov" in third.query and "Downing" not in third.query


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("and what did London say?", True),
        ("why?", True),
        ("how much did it cost?", True),
        ("what about Germany?", True),
        ("What did the Kremlin say about the call with Powell?", False),
    ],
)
def test_what_counts_as_a_follow_up(question: str, follows: bool) -> None:
    assert is_follow_up(question) is follows


CITED = [
    {
        "n": 1,
        "doc_id": "000",
        "title": "Kremlin Acknowledges Unsuccessful Attempt",
        "source": "The Moscow Times",
        "date": None,
        "path": "000.txt",
        "quote": "“[Powell] was keen to outline the stance of the Europeans …” he added.",
    }
]
HISTORY = [
    Turn(POWELL, "Powell outlined the Europeans' stance [1]. He would not listen [1].", CITED),
    Turn("and what did Downing Street say?", "It is normal to talk to Russia. [1]", CITED),
]


def test_questions_about_the_conversation_are_answered_from_it() -> None:
    first = recall("what did I ask first?", HISTORY)
    assert first is not None and first.text == f"You asked: “{POWELL}”"
    shorter = recall("say that shorter", HISTORY[:1])
    assert shorter is not None and shorter.text == "Powell outlined the Europeans' stance [1]."
    assert shorter.citations == CITED
    which = recall("which article was that?", HISTORY)
    assert which is not None and "Kremlin Acknowledges Unsuccessful Attempt" in which.text
    assert "The Moscow Times" in which.text
    assert recall("What did Downing Street say?", HISTORY) is None
    assert recall("what did I ask first?", []) is None


def test_turns_persist_bounded_and_reset(tmp_path: Path) -> None:
    store = Conversations(tmp_path / "c.sqlite3", max_turns=3)
    for k in range(5):
        store.add("thread:1", Turn(f"question {k}", f"answer {k}", CITED, "topic"))
    store.add("thread:2", Turn("other"))
    store.close()
    reopened = Conversations(tmp_path / "c.sqlite3", max_turns=3)
    turns = reopened.turns("thread:1")
    assert [t.question for t in turns] == ["question 2", "question 3", "question 4"]
    assert turns[0].citations == CITED and turns[0].topic == "topic"
    reopened.reset("thread:1")
    assert reopened.turns("thread:1") == [] and len(reopened.turns("thread:2")) == 1


@pytest.mark.parametrize("model", ["extractive", "fake"])
def test_the_sample_conversation_is_answered_from_the_right_passages(
    app: Newsdesk, model: str
) -> None:
    engine = app.engine()
    if model == "fake":  # a model that answers off the point: only the checked parts survive
        engine.backend = FakeBackend().enqueue(
            "Downing Street did not say anything about the Powell-Ushakov call failing [1].",
            "Downing Street did not say anything about the call [1].",
            "The articles do not cover this.",
        )
    history: list[Turn] = []
    answers = []
    for question in (
        "why did the Powell–Ushakov call fail?",
        "and what did Downing Street say?",
        "who confirmed that the call took place?",
    ):
        answer = engine.ask(question, history=history)
        history.append(answer.turn())
        answers.append(answer)
    assert all(a.answered for a in answers)
    quotes = [" ".join(c.quote for c in a.citations) for a in answers]
    assert "limited interest in hearing our perspective" in quotes[0]
    assert "Downing Street informed the FT that it is «normal»" in quotes[1]
    assert "did not say anything" not in answers[1].text
    assert "confirmed by the Kremlin" in quotes[2] or "There indeed was a conversation" in quotes[2]

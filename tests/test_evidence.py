"""From retrieved chunks to numbered evidence sentences and back from an answer to them: what
is chosen and in which order, when it is about the question, and which answer sentences it
supports. Real retrieval over the sample articles (indexed once for the module)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from newsdesk.index.answer import Dropped, Engine
from newsdesk.index.app import Newsdesk
from newsdesk.index.evidence import (
    CAUSAL,
    MAX_EVIDENCE,
    MIN_RELEVANCE,
    SENTENCE_CHUNKS,
    Claim,
    Evidence,
    about,
    articles,
    best,
    check,
    gives_reason,
    relevant,
    select,
)

from fakes import FakeBackend

MakeApp = Callable[..., Newsdesk]

CALIBER = "003_82cedb1ca88c2249"
KREMLIN_TITLE = (
    "Kremlin Acknowledges Unsuccessful Attempt to Establish Confidential Communication with "
    "U.K. Security Adviser"
)
CALIBER_TITLE = "UK rejects calls to reopen talks with Putin"

POWELL = "Why did the Powell–Ushakov call fail?"
COOPER = "What did Yvette Cooper say about Putin?"
PESKOV = "showed limited interest in hearing our perspective"
NOT_SEEING = "“I think what we need is evidence that Putin actually wants peace"
POLITICO = "Speaking to POLITICO on January 15, UK Foreign Secretary Yvette Cooper dismissed"


@pytest.fixture(scope="module")
def engine(sample: Newsdesk) -> Engine:
    return sample.engine()


def chosen(engine: Engine, question: str, limit: int = MAX_EVIDENCE) -> list[Evidence]:
    """The evidence the engine would hand the model for `question`."""
    query, hits = engine.search(question)  # the query with its spelling corrected
    return select(query, hits, engine.embedder, limit)


def one(evidence: list[Evidence], text: str) -> Evidence:
    """The one evidence sentence quoting `text`."""
    found = [e for e in evidence if text in e.quote]
    assert len(found) == 1, f"{text!r} is quoted by exactly one evidence sentence"
    return found[0]


# -- select: which sentences, how many, from where ---------------------------------------------


def test_evidence_is_exact_sentences_of_the_first_hits_numbered_from_one(engine: Engine) -> None:
    query, hits = engine.search(COOPER)
    evidence = select(query, hits, engine.embedder)
    assert [e.n for e in evidence] == list(range(1, MAX_EVIDENCE + 1))
    for e in evidence:
        assert e.quote in e.hit.text, "a quote is verbatim text of its chunk"
        assert e.hit in hits[:SENTENCE_CHUNKS]
    assert evidence[0].quote.startswith(NOT_SEEING) and evidence[0].doc_id == CALIBER
    assert evidence[0].score == best(evidence), "the best sentence comes first"


def test_a_smaller_limit_keeps_the_first_sentences_of_the_same_choice(engine: Engine) -> None:
    full = chosen(engine, COOPER)
    two = chosen(engine, COOPER, limit=2)
    assert [e.quote for e in two] == [e.quote for e in full[:2]]
    assert [e.n for e in two] == [1, 2]


def test_chunks_ranked_below_the_first_few_are_never_read(engine: Engine) -> None:
    query, hits = engine.search(COOPER)
    cooper = [h for h in hits if h.meta["doc_id"] == CALIBER]
    others = [h for h in hits if h.meta["doc_id"] != CALIBER]
    assert cooper and len(others) >= SENTENCE_CHUNKS
    evidence = select(query, others + cooper, engine.embedder)
    assert evidence, "the first chunks still give evidence"
    assert all(e.doc_id != CALIBER for e in evidence), "the Cooper chunks came too late"


def test_a_quote_said_by_he_carries_the_sentence_naming_the_speaker(engine: Engine) -> None:
    e = one(chosen(engine, POWELL), PESKOV)
    assert e.quote.startswith("“There indeed was a conversation, that much is true.")
    assert "Kremlin spokesperson Dmitry Peskov stated" in e.quote
    assert e.quote.endswith("could not develop further,” he added.")
    assert e.quote in e.hit.text, "the two sentences are one contiguous passage"


def test_a_headline_is_not_evidence_even_when_asked_word_for_word(engine: Engine) -> None:
    evidence = chosen(engine, CALIBER_TITLE)
    assert evidence and any(e.doc_id == CALIBER for e in evidence)
    assert all(CALIBER_TITLE not in e.quote for e in evidence)


def test_a_sentence_of_fewer_than_four_words_is_not_evidence(engine: Engine) -> None:
    """ "An insider reports." is the closest sentence to the question, and too short to say
    anything."""
    query, hits = engine.search("An insider reports.")
    first = [h for h in hits if "\n\nWashington DC/Moscow" in h.text]
    assert first, "the chunk holding the sentence was retrieved"
    evidence = select(query, first, engine.embedder)
    assert evidence
    assert all(e.quote != "An insider reports." for e in evidence)
    assert all(len(e.quote.split()) >= 4 for e in evidence)


def test_a_statement_two_outlets_carry_is_chosen_once_naming_the_other(
    make_app: MakeApp, articles: Path
) -> None:
    original = (articles / f"{CALIBER}.txt").read_text()
    (articles / "reprint_caliber.txt").write_text(
        original.replace(CALIBER_TITLE, "Britain rejects calls to reopen talks with Putin")
    )
    app = make_app()
    app.build()
    engine = app.engine()
    evidence = chosen(engine, COOPER)
    quotes = [e.quote for e in evidence]
    assert len(quotes) == len(set(quotes)), "no sentence twice"
    assert {evidence[0].doc_id, *evidence[0].also} == {CALIBER, "reprint_caliber"}
    for e in evidence:
        assert e.doc_id not in e.also
        if e.doc_id in (CALIBER, "reprint_caliber"):
            assert e.also == [({CALIBER, "reprint_caliber"} - {e.doc_id}).pop()], (
                "every statement of the story names the other outlet, not only the first"
            )


# -- "why": the cause first, and an answer must give it ---------------------------------------


def test_for_why_the_cause_comes_first_though_not_the_closest_sentence(engine: Engine) -> None:
    evidence = chosen(engine, POWELL)
    assert PESKOV in evidence[0].quote and CAUSAL.search(evidence[0].quote)
    assert evidence[0].score < best(evidence), "a closer sentence was moved behind it"
    assert [e.n for e in evidence] == list(range(1, len(evidence) + 1)), "renumbered"


def test_without_why_the_same_chunks_give_the_closest_sentence_first(engine: Engine) -> None:
    hits = engine.search(POWELL)[1]
    evidence = select("Did the Powell–Ushakov call go well?", hits, engine.embedder)
    assert evidence[0].score == best(evidence)
    assert one(evidence, PESKOV).n > 1


def test_only_causes_close_to_the_question_are_moved_first(engine: Engine) -> None:
    evidence = chosen(engine, POWELL)
    first = [bool(CAUSAL.search(e.quote)) and e.score >= MIN_RELEVANCE for e in evidence]
    assert first == sorted(first, reverse=True), "every close cause before everything else"
    far = one(evidence, "prompted by concerns")  # causal, but about why London called
    assert CAUSAL.search(far.quote) and far.score < MIN_RELEVANCE
    assert far.n == len(evidence), "it keeps its place behind the sentences about the call"


@pytest.mark.parametrize(
    ("answer", "gives"),
    [
        ("The Powell–Ushakov call failed because the dialogue did not progress.", False),
        ("The call failed because the weather was bad.", False),
        (
            "The call failed because Powell showed limited interest in hearing Moscow's "
            "perspective.",
            True,
        ),
        ("Without a mutual exchange of views, the conversation could not develop further.", True),
    ],
)
def test_a_why_answer_gives_a_reason_only_with_words_of_the_cause(
    engine: Engine, answer: str, gives: bool
) -> None:
    assert gives_reason(POWELL, answer, chosen(engine, POWELL)) is gives


def test_what_the_earlier_question_said_is_no_reason(engine: Engine) -> None:
    evidence = chosen(engine, POWELL)
    answer = "Powell showed limited interest."
    assert gives_reason("and why?", answer, evidence, "Who did Powell call?")
    assert not gives_reason(
        "and why?", answer, evidence, "Why did Powell show limited interest in their views?"
    )


def test_only_why_questions_with_a_cause_in_their_evidence_ask_for_one(engine: Engine) -> None:
    powell = chosen(engine, POWELL)
    assert gives_reason("What did Peskov say about the call?", "The call failed.", powell)
    cooper = chosen(engine, COOPER)
    assert not any(CAUSAL.search(e.quote) for e in cooper)
    assert gives_reason("Why did Cooper say that?", "Cooper said it.", cooper)


def test_a_why_answer_that_only_restates_the_question_is_not_accepted(sample: Newsdesk) -> None:
    """The engine drops the sentence that gives no reason and quotes the cause instead."""
    e = sample.engine()
    query, hits = e.search(POWELL)
    peskov = one(select(query, hits, e.embedder), PESKOV).n
    e.backend = FakeBackend().enqueue(
        f"The Powell–Ushakov call failed because the dialogue did not progress [{peskov}]."
    )
    answer = e.ask(POWELL)
    assert answer.dropped == [
        Dropped(
            "The Powell–Ushakov call failed because the dialogue did not progress.",
            "restates the question without its reason",
        )
    ]
    assert answer.citations[0].quote.endswith("could not develop further,” he added.")


# -- relevant: is the evidence about the question at all --------------------------------------


def test_close_evidence_naming_what_the_question_names_is_relevant(engine: Engine) -> None:
    for question in (POWELL, COOPER):
        query, hits = engine.search(question)
        assert relevant(question, select(query, hits, engine.embedder), hits)


def test_close_evidence_about_someone_else_is_not_relevant(engine: Engine) -> None:
    question = "What did Lavrov say about the call between Powell and Ushakov?"
    query, hits = engine.search(question)
    evidence = select(query, hits, engine.embedder)
    assert best(evidence) >= MIN_RELEVANCE, "close enough by score"
    assert not relevant(question, evidence, hits), "but no article names Lavrov"


def test_distant_or_missing_evidence_is_not_relevant(engine: Engine) -> None:
    question = "Who won the 2022 World Cup?"
    query, hits = engine.search(question)
    evidence = select(query, hits, engine.embedder)
    assert evidence and best(evidence) < MIN_RELEVANCE
    assert not relevant(question, evidence, hits)
    assert not relevant(POWELL, [], engine.search(POWELL)[1])


# -- about: what a quoted answer may use -------------------------------------------------------


def test_about_keeps_sentences_naming_the_question_most_named_first(engine: Engine) -> None:
    evidence = chosen(engine, COOPER)
    kept = about(COOPER, evidence)
    assert kept[0].quote.startswith(POLITICO), "names Yvette, Cooper and (title) Putin"
    assert kept[-1].quote.startswith("“But so far, I don’t see"), "names only Putin"
    left_out = [e.quote for e in evidence if e not in kept]
    assert left_out == [
        "“One European official was quoted in the report expressing concern that we are "
        "handing over discussions with the Russians to the Americans,” the FT noted."
    ]


def test_a_quote_is_about_what_its_article_title_names(engine: Engine) -> None:
    question = "What did the Kremlin say about the call?"
    evidence = chosen(engine, question)
    london = one(evidence, "the call represented an independent action by London")
    assert "Kremlin" not in london.quote and london.hit.meta["title"] == KREMLIN_TITLE
    assert london in about(question, evidence)


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        (
            "How many months apart did the former official visit Moscow?",
            [
                "Another former official confirmed that he visited Moscow at least every three "
                "months.",
                "A former US official directly involved in talks",
            ],
        ),
        ("When did Cooper speak to POLITICO?", [POLITICO]),
    ],
)
def test_about_keeps_only_the_kind_of_thing_asked_for(
    engine: Engine, question: str, kept: list[str]
) -> None:
    """A number for "how many", a date for "when"; the other sentences name the subject too."""
    evidence = chosen(engine, question)
    assert len(evidence) > len(kept)
    found = about(question, evidence)
    assert len(found) == len(kept)
    for e, start in zip(found, kept, strict=True):
        assert e.quote.startswith(start)


def test_for_why_about_puts_the_cause_first(engine: Engine) -> None:
    hits = engine.search(POWELL)[1]
    evidence = select("Did the Powell–Ushakov call go well?", hits, engine.embedder)
    cause = one(evidence, PESKOV)
    assert about("Did the Powell–Ushakov call go well?", evidence)[0] is not cause
    assert about(POWELL, evidence)[0] is cause


# -- articles: where the evidence comes from --------------------------------------------------


def test_articles_are_listed_once_each_in_the_order_of_the_evidence(engine: Engine) -> None:
    evidence = chosen(engine, COOPER)
    assert [e.doc_id for e in evidence].count(CALIBER) > 1
    assert articles(evidence) == [
        (CALIBER_TITLE, "Caliber.az", "2026-01-16T11:37"),
        (KREMLIN_TITLE, None, None),
    ]
    assert articles(evidence[::-1]) == articles(evidence)[::-1]
    assert articles([]) == []


# -- check: answer sentences against the evidence they cite -----------------------------------


@pytest.fixture(scope="module")
def cooper(engine: Engine) -> list[Evidence]:
    return chosen(engine, COOPER)


def number(evidence: list[Evidence], text: str) -> int:
    return one(evidence, text).n


def test_a_supported_sentence_keeps_its_marker(engine: Engine, cooper: list[Evidence]) -> None:
    n = number(cooper, NOT_SEEING)
    answer = f"Cooper said she is still not seeing evidence that Putin wants peace [{n}]."
    claims = check(answer, cooper, engine.embedder, COOPER)
    assert claims == [
        Claim("Cooper said she is still not seeing evidence that Putin wants peace.", [n])
    ]
    assert claims[0].supported


def test_each_sentence_is_one_claim_in_order(engine: Engine, cooper: list[Evidence]) -> None:
    n, m = number(cooper, NOT_SEEING), number(cooper, POLITICO)
    answer = (
        f"Cooper said she is still not seeing evidence that Putin wants peace [{n}]. "
        f"Cooper dismissed suggestions to reopen talks with the Kremlin [{m}]."
    )
    claims = check(answer, cooper, engine.embedder, COOPER)
    assert [(c.text, c.cites, c.reason) for c in claims] == [
        ("Cooper said she is still not seeing evidence that Putin wants peace.", [n], None),
        ("Cooper dismissed suggestions to reopen talks with the Kremlin.", [m], None),
    ]


@pytest.mark.parametrize("marker", [" [1]", " [9]", ""])
def test_a_wrong_missing_or_impossible_marker_becomes_the_supporting_one(
    engine: Engine, cooper: list[Evidence], marker: str
) -> None:
    politico = number(cooper, POLITICO)
    assert politico != 1
    answer = f"Cooper dismissed suggestions to reopen talks with the Kremlin{marker}."
    [claim] = check(answer, cooper, engine.embedder, COOPER)
    assert claim.cites == [politico] and claim.supported


def test_several_markers_are_kept_in_the_order_given(
    engine: Engine, cooper: list[Evidence]
) -> None:
    n, m = number(cooper, NOT_SEEING), number(cooper, "“But so far, I don’t see")
    answer = f"Cooper said she is still not seeing evidence that Putin wants peace [{m}, {n}]."
    [claim] = check(answer, cooper, engine.embedder, COOPER)
    assert claim.cites == [m, n] and claim.supported


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            "Cooper announced that Britain will send ten thousand troops to Lisbon [1].",
            "no evidence close to it",
        ),
        ("HACKED.", "asserts nothing"),
        ("Did Cooper say she saw evidence that Putin wants peace [1]?", "asserts nothing"),
        (
            "Cooper said she is now seeing evidence that Putin actually wants peace [1].",
            "contradicted by the passage",
        ),
    ],
)
def test_an_unsupported_sentence_says_why(
    engine: Engine, cooper: list[Evidence], answer: str, reason: str
) -> None:
    [claim] = check(answer, cooper, engine.embedder, COOPER)
    assert claim.reason == reason and not claim.supported


def test_markers_alone_or_no_evidence_make_no_claims(
    engine: Engine, cooper: list[Evidence]
) -> None:
    assert check("[1].", cooper, engine.embedder, COOPER) == []
    assert check("  ", cooper, engine.embedder, COOPER) == []
    answer = "Cooper said she is still not seeing evidence that Putin wants peace [1]."
    assert check(answer, [], engine.embedder, COOPER) == []

"""The model-free checks of a claim against what it cites, on real sentences of real articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.index.claims import Passage, Vocabulary, answers_kind, conflict, is_anaphoric, numbers

SAMPLE = Path(__file__).resolve().parents[1] / "articles"
KREMLIN = (SAMPLE / "000_a6a0d073fde4603f.txt").read_text()
TITLE = KREMLIN.splitlines()[0]


def cited(quote: str, title: str = TITLE, context: str = KREMLIN) -> list[Passage]:
    assert quote in context, "every passage here is a real sentence of its article"
    return [Passage(quote, title, context)]


ALASKA = (
    "In August, the U.S. president met with Putin in Alaska for a summit, which did not result "
    "in significant progress toward a ceasefire in the ongoing conflict."
)
CONTACT = (
    "The FT also reported that Powell had not been in contact with Ushakov “in recent months,”"
)
PESKOV = (
    "“[Powell] was keen to outline the stance of the Europeans but showed limited interest in "
    "hearing our perspective. Without a mutual exchange of views, the conversation could not "
    "develop further,” he added."
)
PESKOV_STATED = (
    "“There indeed was a conversation, that much is true. However, the dialogue did not "
    "progress,” Kremlin spokesperson Dmitry Peskov stated during a daily press briefing.\n\n"
    + PESKOV
)
SANCTIONS = (
    "Last month, the U.S. and Britain announced sanctions against Russia’s largest oil "
    "companies, Rosneft and Lukoil."
)
# A Wikipedia lead of the capitals benchmark, as the archive holds it.
CAMEROON = (
    "Cameroon, officially the Republic of Cameroon, is a country in Central Africa. It shares "
    "boundaries with Nigeria to the west and north, Chad to the northeast, the Central African "
    "Republic to the east, and Equatorial Guinea, Gabon and the Republic of the Congo to the "
    "south. The capital city of the country is Yaoundé."
)


@pytest.mark.parametrize(
    ("claim", "quote"),
    [
        ("The Alaska summit resulted in significant progress toward a ceasefire.", ALASKA),
        ("Yes, Powell was in contact with Ushakov in recent months.", CONTACT),
        ("Without a mutual exchange of views, the conversation could develop further.", PESKOV),
    ],
)
def test_a_claim_the_passage_negates_is_contradicted(claim: str, quote: str) -> None:
    assert conflict(claim, cited(quote), "") == "contradicted by the passage"


@pytest.mark.parametrize(
    ("claim", "quote"),
    [
        ("The Alaska summit did not result in significant progress toward a ceasefire.", ALASKA),
        ("No, Powell had not been in contact with Ushakov in recent months.", CONTACT),
        (
            "The Powell–Ushakov call failed because Powell was keen to outline the stance of the "
            "Europeans but showed limited interest in hearing Moscow's perspective.",
            PESKOV,
        ),
    ],
)
def test_a_claim_that_keeps_the_passage_polarity_passes(claim: str, quote: str) -> None:
    assert conflict(claim, cited(quote), "why did the Powell–Ushakov call fail?") is None


def test_a_negated_claim_agrees_with_a_quote_that_denies_the_same_thing() -> None:
    quote = (
        "“I think what we need is evidence that Putin actually wants peace and at the moment, "
        "I’m still not seeing that,” Cooper said."
    )
    claim = "Cooper said she is still not seeing evidence that Putin wants peace."
    assert conflict(claim, [Passage(quote, "UK rejects calls", quote)]) is None
    assert (
        conflict(
            "Cooper said she is seeing evidence that Putin wants peace.",
            [Passage(quote, "UK rejects calls", quote)],
        )
        == "contradicted by the passage"
    )


def test_opposite_directions_are_a_contradiction() -> None:
    quote = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m)."
    passage = [Passage(quote, "Ad sales boost Time Warner profit", quote)]
    assert conflict("TimeWarner's quarterly profits fell 76% to $1.13bn.", passage) is not None
    assert conflict("TimeWarner's quarterly profits jumped 76% to $1.13bn.", passage) is None


def test_a_quote_about_the_country_is_about_its_article_not_the_question() -> None:
    passage = cited("The capital city of the country is Yaoundé.", "Cameroon", CAMEROON)
    assert is_anaphoric(passage[0].quote)
    # Gabon is in the question and in the lead (as a neighbour), and still not the subject.
    assert conflict(
        "The capital of Gabon is Yaoundé.", passage, "What is the capital of Gabon?"
    ) == ("wrong subject")
    assert (
        conflict("The capital of Cameroon is Yaoundé.", passage, "What is Cameroon's capital?")
        is None
    )


def test_a_claim_may_repeat_the_question_subject_its_passage_is_about() -> None:
    claim = (
        "The Powell–Ushakov call failed because Powell showed limited interest in hearing Moscow."
    )
    assert conflict(claim, cited(PESKOV), "Why did the Powell–Ushakov call fail?") is None
    # ... but not name someone neither the question nor the passage names.
    invented = "The call failed because Lavrov showed limited interest in hearing Moscow."
    assert conflict(invented, cited(PESKOV), "Why did the call fail?") == "names not in the passage"


def test_numbers_must_be_in_the_cited_passage() -> None:
    assert conflict("The U.S. and Britain sanctioned Rosneft and Lukoil.", cited(SANCTIONS)) is None
    wrong = "The U.S. and Britain sanctioned 4 oil companies, Rosneft and Lukoil."
    assert conflict(wrong, cited(SANCTIONS)) == "numbers not in the passage"
    assert numbers("1,000 troops, 3.5% and twelve ships") == {1000.0, 3.5, 12.0}


@pytest.mark.parametrize(
    "claim",
    [
        "The UK and the United States sanctioned Rosneft and Lukoil.",
        "American and British sanctions hit Rosneft and Lukoil.",
        "Washington and the UK announced sanctions against Rosneft and Lukoil.",
    ],
)
def test_aliases_name_the_same_country(claim: str) -> None:
    assert conflict(claim, cited(SANCTIONS)) is None


def test_an_alias_is_not_a_licence_for_another_country() -> None:
    claim = "The UK and France announced sanctions against Rosneft and Lukoil."
    assert conflict(claim, cited(SANCTIONS)) == "names not in the passage"


def test_acronyms_and_their_spelled_out_names_are_one_name() -> None:
    spelled = Vocabulary(["National Security Council spokeswoman Adrienne Watson said"])
    assert spelled.unknown("What did the NSC spokeswoman say about the back channel?") == set()
    short = Vocabulary(["NSC spokeswoman Adrienne Watson said"])
    assert short.unknown("What did the National Security Council spokeswoman say?") == set()
    assert short.unknown("What did the FBI spokeswoman say?") == {"fbi"}


def test_the_kind_of_answer_a_question_wants() -> None:
    assert not answers_kind("How many troops are ready?", "Cooper dismissed the suggestions.")
    assert answers_kind("How many troops are ready?", "Some 40,000 troops are ready.")
    assert answers_kind("When did Powell call Ushakov?", "Powell called Ushakov in January.")
    assert not answers_kind("When did Powell call Ushakov?", "Powell called Ushakov.")
    assert answers_kind("Who is Ushakov?", "Ushakov is a presidential aide.")


def test_a_yes_to_what_the_passage_denies_is_contradicted() -> None:
    question = "Has Powell been in contact with Ushakov in recent months?"
    # the shape Qwen wrote for a trap: a "yes" whose own words deny the question
    slip = "Yes, Powell had not been in contact with Ushakov in recent months."
    assert conflict(slip, cited(CONTACT), question) == "contradicted by the passage"
    plain_yes = "Yes, Powell has been in contact with Ushakov in recent months."
    assert conflict(plain_yes, cited(CONTACT), question) == "contradicted by the passage"
    right = "No, Powell had not been in contact with Ushakov in recent months."
    assert conflict(right, cited(CONTACT), question) is None


def test_who_said_it_must_be_who_the_passage_says_said_it() -> None:
    question = "Who said that the dialogue did not progress?"
    assert (
        conflict("Powell said that the dialogue did not progress.", cited(PESKOV_STATED), question)
        == "not who the passage says said it"
    )
    right = "Dmitry Peskov said that the dialogue did not progress."
    assert conflict(right, cited(PESKOV_STATED), question) is None


def test_a_speaker_at_the_start_of_a_claim_is_a_name_it_must_share_with_its_passage() -> None:
    """Sentence-initial words are not names, except in speaker position: "Powell said …"
    puts Peskov's words in Powell's mouth, whatever the question asked."""
    wrong = "Peskov said Powell had not been in contact with Ushakov in recent months."
    assert conflict(wrong, cited(CONTACT)) == "names not in the passage"
    right = "The FT reported that Powell had not been in contact with Ushakov in recent months."
    assert conflict(right, cited(CONTACT)) is None
    unnamed = "He said Powell had not been in contact with Ushakov in recent months."
    assert conflict(unnamed, cited(CONTACT)) is None


def test_a_passage_that_never_names_the_attribute_asked_for_does_not_give_it() -> None:
    # Qwen's slip on the capitals: the largest city given as the capital, citing it faithfully
    zurich = "Zürich is the largest city in Switzerland and the capital of the canton of Zürich."
    largest = "Zürich is the largest city in Switzerland."
    question = "What is the capital of Switzerland?"
    claim = "The capital of Switzerland is Zürich."
    assert conflict(claim, [Passage(largest, "Zürich", zurich)], question) == (
        "the passage does not give the capital"
    )
    assert not answers_kind(question, largest)
    assert answers_kind(question, "Its capital and largest city is Bern.")


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        # the shapes Qwen wrote on the traps dev split, on the sample article's sentences
        ("Did the Alaska summit bring progress toward a ceasefire?", "Yes, it did."),
        (
            "Did the Alaska summit bring significant progress toward a ceasefire?",
            "Yes, the Alaska summit did not result in significant progress toward a ceasefire.",
        ),
        (
            "Did Trump agree to new sanctions at the Alaska summit?",
            "Yes, the U.S. president met with Putin in Alaska for a summit.",
        ),
    ],
)
def test_a_yes_needs_a_passage_that_says_yes(question: str, claim: str) -> None:
    assert conflict(claim, cited(ALASKA), question) is not None


def test_ruling_out_and_declining_are_negations() -> None:
    passage = [Passage("Marat Safin has ruled out winning Wimbledon.", "Safin", "")]
    question = "Does Safin think he can win Wimbledon?"
    assert conflict("Yes, Safin thinks he can win Wimbledon.", passage, question) is not None
    declined = [
        Passage("Ivanov declined to offer a mandate to the Social Democrats.", "Ivanov", "")
    ]
    question = "Did Ivanov give the Social Democrats a mandate?"
    assert conflict(
        "Yes, Ivanov declined to offer a mandate to the Social Democrats.", declined, question
    )


def test_the_attribute_must_be_said_of_the_subject_asked_about() -> None:
    question = "What is the capital of Bosnia and Herzegovina?"
    sarajevo = "Sarajevo is the capital and largest city of Bosnia and Herzegovina."
    claim = "The capital of Bosnia and Herzegovina is Sarajevo."
    assert conflict(claim, [Passage(sarajevo, "Sarajevo", sarajevo)], question) is None
    zurich = "Zürich is the largest city in Switzerland and the capital of the canton of Zürich."
    assert conflict(
        "The capital of Switzerland is Zürich.",
        [Passage(zurich, "Zürich", zurich)],
        "What is the capital of Switzerland?",
    ) == ("the passage does not give the capital")

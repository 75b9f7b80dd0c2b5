"""Who said it: the speaker a sentence attributes its words to, never an invented one."""

from __future__ import annotations

import pytest

from newsdesk.index import coverage
from newsdesk.index.app import Newsdesk
from newsdesk.index.speakers import is_quotation, speaker

PESKOV = (
    "“There indeed was a conversation, that much is true. However, the dialogue did not "
    "progress,” Kremlin spokesperson Dmitry Peskov stated during a daily press briefing."
)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # "X said"
        ("Peskov said the talks had failed.", "Peskov"),
        ("On Monday, Peskov said the talks had failed.", "Peskov"),
        ("Mr Peskov said the talks had failed.", "Peskov"),
        ("“I think we need evidence,” Cooper said.", "Cooper"),
        (
            "Cooper, who has led the Foreign Office since September, said the door was shut.",
            "Cooper",
        ),
        (PESKOV, "Dmitry Peskov"),
        # "said X, the …" and "said the … X"
        ("“The talks failed,” said Dmitry Peskov, the Kremlin spokesman.", "Dmitry Peskov"),
        ("“We will not negotiate,” said the foreign minister Sergei Lavrov.", "Sergei Lavrov"),
        # titles before the name are not the name
        (
            "UK Foreign Secretary Yvette Cooper said Britain would not reopen talks.",
            "Yvette Cooper",
        ),
        ("German Chancellor Friedrich Merz has said a balance was essential.", "Friedrich Merz"),
        ("“We are ready,” Prime Minister Keir Starmer told reporters.", "Keir Starmer"),
        ("Secretary of State Marco Rubio said the talks were going well.", "Marco Rubio"),
        # a description between "said" and the name, without "the"
        ("“The strike is over,” said union leader Mary Okafor.", "Mary Okafor"),
        ("“We controlled the game,” said City manager Pep Guardiola.", "Pep Guardiola"),
    ],
)
def test_attribution_shapes(sentence: str, expected: str) -> None:
    assert is_quotation(sentence)
    assert speaker(sentence) == expected


def test_he_added_takes_the_speaker_of_the_sentence_before() -> None:
    added = (
        "“Without a mutual exchange of views, the conversation could not develop further,” "
        "he added."
    )
    assert speaker(added, PESKOV) == "Dmitry Peskov"
    assert speaker(added) is None, "without the sentence before, nobody is named"
    unnamed = "The ministry said the strike had hit a military target."
    assert speaker(added, unnamed) is None, "nobody named before: nobody is invented"


@pytest.mark.parametrize(
    "sentence",
    [
        "The ministry said the strike had hit a military target.",
        "The defence ministry said on Monday that it had shot down 40 drones.",
        "Police said the driver had been arrested.",
        "The ministry said Russia had fired 40 drones overnight.",  # Russia is what was said
        "“Putin is the greatest obstacle to any progress,” they say.",
    ],
)
def test_speech_without_a_named_speaker_has_none(sentence: str) -> None:
    assert is_quotation(sentence)
    assert speaker(sentence) is None


def test_a_sentence_that_is_not_speech() -> None:
    sentence = "The ferry strike in Zanzibar ended on Monday after crews accepted a pay rise."
    assert not is_quotation(sentence)
    assert speaker(sentence) is None
    assert is_quotation("The call did not go well, according to people familiar with it.")


def test_according_to_at_the_start_of_a_sentence_is_an_attribution(sample: Newsdesk) -> None:
    sentence = "According to the Financial Times, the call was an action by London."
    assert speaker(sentence) == "Financial Times"
    assert speaker("The call failed, according to the FT.") == "FT"
    assert is_quotation(sentence), "the capital A of a sentence's first word"
    (story,) = sample.stories()
    report = next(r for r in coverage.read(sample.store, story.id) if r.doc_id.startswith("000"))
    fts = [s for s in report.statements if s.text.startswith("According to the FT")]
    assert len(fts) == 1 and fts[0].speaker == "FT"


def test_statements_of_an_article_name_their_speakers(sample: Newsdesk) -> None:
    """Read back from the index, "he added" is Peskov's: the sentence before is passed on."""
    (story,) = sample.stories()
    report = next(r for r in coverage.read(sample.store, story.id) if r.doc_id.startswith("000"))
    by_text = {s.text: s.speaker for s in report.statements}
    assert by_text[PESKOV] == "Dmitry Peskov"
    added = next(t for t in by_text if t.endswith("he added."))
    assert by_text[added] == "Dmitry Peskov"
    lead = report.statements[0]
    assert lead.text.startswith("In early this year, Yury Ushakov") and lead.speaker is None

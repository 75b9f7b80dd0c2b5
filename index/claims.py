"""Checks of a claim against the passage it cites that need no model.

Similarity cannot tell a claim from its negation or from the same claim about another subject,
and a small model makes exactly those errors. These rules catch the common shapes:

- names: every name the claim uses occurs in the cited passage or its article's title, allowing
  aliases ("UK" for "Britain") and acronyms ("NSC" for "National Security Council");
- subject: a passage that speaks of "the country", "its", "the company" is about its article's
  subject (the title), so it cannot support the same statement about another subject;
- polarity: the claim's clause and the passage clause it restates agree on negation ("had not
  spoken" against "talked") and on direction ("rose" against "fell");
- numbers: every number the claim gives occurs in the cited passage.

Each check returns a reason string when it fails, so that answers can say why a sentence went.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_STEM = Stemmer.Stemmer("english")
STOP = set(STOPWORDS_EN) | {"said", "says", "say", "would", "could", "also", "did", "does"}

# Names that the articles write in another form. Each group is one referent; a claim may name
# it by any member. Kept to the forms news copy uses for the same actor.
ALIASES: tuple[frozenset[str], ...] = (
    frozenset({"uk", "britain", "british", "united kingdom", "great britain"}),
    frozenset({"us", "usa", "united states", "america", "american", "americans", "washington"}),
    frozenset({"eu", "european union"}),
    frozenset({"un", "united nations"}),
    frozenset({"russia", "russian", "kremlin", "moscow"}),
    frozenset({"china", "chinese", "beijing"}),
)
_CONNECTORS = {"of", "for", "and", "the", "on", "de"}
# A passage whose subject is one of these speaks of its article's subject without naming it.
# (Personal pronouns are left out: "Her remarks come amid …" speaks of a person, not of what
# the article is about.)
_ANAPHOR = re.compile(
    r"\bthe (?:country|nation|city|town|state|island|region|province|territory|"
    r"company|firm|group|club|team|band|party|organisation|organization|republic|kingdom)\b"
    r"|^(?:it|its)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|none|nobody|nothing|without|cannot|denied|denies|deny|"
    r"refused|refuses|rejected|rejects|failed to|fails to|unable|declined to|declines to|"
    r"ruled out|rules out|rule out|ruling out)\b|n't\b",
    re.I,
)
# Words of opposite direction: a claim using one side where its passage uses the other
# contradicts it. Stem prefixes (Snowball stems: "increased" -> "increas").
_OPPOSITES = (
    (
        {"rise", "rose", "risen", "jump", "climb", "increas", "gain", "grew", "grow", "soar"}
        | {"surg", "up", "higher"},
        {"fall", "fell", "fallen", "drop", "declin", "decreas", "slump", "plung", "shrank"}
        | {"shrink", "slid", "down", "lower"},
    ),
    ({"won", "win", "victori"}, {"lost", "lose", "defeat"}),
    ({"profit"}, {"loss"}),
    ({"accept", "approv", "agre"}, {"reject", "refus"}),
    ({"confirm", "admit"}, {"deni", "deny"}),
)


def _has(stems: set[str], prefixes: set[str]) -> bool:
    """A stem begins with one of `prefixes` (whole stems only for short ones: "up" is not
    "upon")."""
    return any(s == p or (len(p) >= 4 and s.startswith(p)) for s in stems for p in prefixes)


_CLAUSE = re.compile(
    r"[,;:—–()]|[.!?](?=[\s”’\"]|$)|\b(?:but|while|whereas|although|though|however)\b", re.I
)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
# Number words, "one" left out ("one of the officials" gives no number).
_NUMBER_WORDS = dict(
    zip(
        re.findall(
            r"\w+",
            "two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen twenty",
        ),
        range(2, 21),
        strict=True,
    )
) | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def content_words(text: str) -> set[str]:
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOP and len(w) > 1]
    return set(_STEM.stemWords(words))


def names(text: str) -> set[str]:
    """Capitalised words and two-letter acronyms (UK, EU) that are not sentence-initial, and
    a sentence-initial word in speaker position ("Peskov said …"): the names a claim is about."""
    text = _undot(text)
    found = set()
    for match in re.finditer(r"(?<![.!?]\s)(?<!^)\b(?:[A-Z][a-zA-Z]{2,}|[A-Z]{2}\b)", text):
        found.add(match.group().lower())
    found |= {m.group(1).lower() for m in _INITIAL_SPEAKER.finditer(text)}
    return found - STOP


_INITIAL_SPEAKER = re.compile(
    r"(?:^|(?<=[.!?]\s))\s*([A-Z][a-z]{2,})\s+(?:said|says|told|added|stated|announced|"
    r"claimed|warned|insisted|argued|denied|confirmed|wrote)\b"
)


def _undot(text: str) -> str:
    """U.S. -> US, U.K. -> UK: dotted initials as the one word they are."""
    return re.sub(r"\b(?:[A-Z]\.){2,}", lambda m: m.group().replace(".", ""), text)


def _initials(text: str) -> set[str]:
    """The acronyms a text could be using: initials of its runs of capitalised words
    ("National Security Council" -> NSC, "Federal Bureau of Investigation" -> FBI)."""
    found = set()
    for run in re.finditer(
        r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|the|on|de)\s+)?[A-Z][a-z]+)+", text
    ):
        words = [w for w in run.group().split() if w.lower() not in _CONNECTORS]
        for start in range(len(words) - 1):  # "The National Security Council" -> NSC too
            found.add("".join(w[0] for w in words[start:]).upper())
    return found


class Vocabulary:
    """What a set of texts names, with the aliases and acronyms they may be named by."""

    def __init__(self, texts: Iterable[str]) -> None:
        joined = " ".join(_undot(t) for t in texts)
        self.lower = " " + " ".join(re.findall(r"\w+", joined.lower())) + " "
        self.words = set(self.lower.split())
        self.acronyms = _initials(joined) | set(re.findall(r"\b[A-Z]{2,6}\b", joined))

    def knows(self, word: str) -> bool:
        """Whether the texts use `word` (lower case), allowing inflection and small
        misspellings ("Russian" is found in "Russia", "Powel" in "Powell") and aliases."""
        if word in self.words or difflib.get_close_matches(word, self.words, n=1, cutoff=0.8):
            return True
        if word.upper() in self.acronyms:
            return True
        return any(
            any(f" {alias} " in self.lower for alias in group)
            for group in ALIASES
            if any(word in alias.split() for alias in group)
        )

    def unknown(self, text: str) -> set[str]:
        """The names of `text` that these texts never use."""
        missing = {w for w in names(text) if not self.knows(w)}
        if missing:  # "National Security Council" where the texts say "NSC"
            for run in re.finditer(
                r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|the|on)\s+)?[A-Z][a-z]+)+", _undot(text)
            ):
                words = [w for w in run.group().split() if w.lower() not in _CONNECTORS]
                if "".join(w[0] for w in words).upper() in self.acronyms:
                    missing -= {w.lower() for w in words}
        return missing


def is_anaphoric(passage: str) -> bool:
    """Whether the passage speaks of its subject without naming it ("the country", "Its")."""
    return any(_ANAPHOR.search(clause.strip()) for clause in re.split(r"(?<=[.!?])\s+", passage))


def numbers(text: str) -> set[float]:
    """The numbers a text gives, in digits or words ("1,000", "3.5", "twelve")."""
    found = set()
    for token in _NUMBER.findall(text):
        try:
            found.add(float(token.replace(",", "")))
        except ValueError:
            continue
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _NUMBER_WORDS:
            found.add(float(_NUMBER_WORDS[word]))
    return found


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c and c.strip()]


def _negated(clause: str) -> bool:
    return bool(_NEGATION.search(clause))


def _stems(clause: str) -> set[str]:
    return set(_STEM.stemWords(re.findall(r"[a-z]+", clause.lower())))


_AUXILIARIES = {"been", "be", "yet", "still", "even", "ever", "really", "actually", "t"}


def _negated_predicates(clause: str) -> set[str]:
    """Stems of the first content word after each negation cue: what the clause denies
    ("still not seeing that" -> see; "did not result in" -> result)."""
    found = set()
    for cue in _NEGATION.finditer(clause):
        after = re.findall(r"[a-z]+", clause[cue.end() :].lower())[:4]
        content = [w for w in after if w not in STOP and w not in _AUXILIARIES]
        if content:
            found.add(_STEM.stemWord(content[0]))
    return found


def polarity_conflict(claim: str, passage: str) -> bool:
    """Whether a clause of the claim restates a clause of the passage with the opposite
    polarity: negated in one and not the other, or with opposite directions (rose/fell).

    A negated claim clause agrees with the passage when what it denies is denied there too
    ("Cooper is still not seeing evidence" against "evidence that Putin wants peace … I'm still
    not seeing that"); an affirmative one when another clause about as close is affirmative."""
    passage_clauses = [(c, content_words(c)) for c in _clauses(passage)]
    if not passage_clauses:
        return False
    denied = set().union(*(_negated_predicates(c) for c, _ in passage_clauses))
    for clause in _clauses(claim):
        words = content_words(clause)
        if len(words) < 2:
            continue
        ranked = sorted(((len(words & w), c) for c, w in passage_clauses), reverse=True)
        shared, best = ranked[0]
        if shared < 2 or shared / len(words) < 0.5:
            continue  # this clause restates nothing of the passage closely enough to compare
        negated = _negated(clause)
        if negated != _negated(best):
            if negated:
                if not (_negated_predicates(clause) & denied):
                    return True
            elif not any(n >= 0.8 * shared and not _negated(c) for n, c in ranked[1:]):
                return True
        if not negated and _stems(clause) & denied:
            return True  # "she is seeing evidence" where the passage says "not seeing that"
        mine, theirs = _stems(clause), _stems(best)
        for up, down in _OPPOSITES:
            if (_has(mine, up) and _has(theirs, down) and not _has(theirs, up)) or (
                _has(mine, down) and _has(theirs, up) and not _has(theirs, down)
            ):
                return True
    return False


# A claim most of whose own words (those not restating the question) are not its passage's is
# not what the passage says: "The evidence is quoted text from articles: the dialogue was
# interrupted by a foreign ..." (SmolLM2 reciting its prompt). A paraphrase keeps most of them.
NOVEL_SHARE = 0.5
MIN_NOVEL_WORDS = 3


@dataclass(frozen=True)
class Passage:
    """What a claim cites: the quote, its article's title, and the chunk it was taken from."""

    quote: str
    title: str
    context: str


def conflict(claim: str, cited: list[Passage], question: str = "") -> str | None:
    """Why `claim` is not what its cited passages say, or None when no rule objects.

    A claim may repeat the question's own names ("the Powell–Ushakov call failed because …")
    when the cited chunk uses them and the claim shares a name with the quote, so that the quote
    is about what the claim is about. A quote that speaks of "the country" or "its" is about its
    article's title, and nothing else: it gets no such allowance.
    """
    quotes = [p.quote for p in cited]
    texts = quotes + [p.title for p in cited]
    vocabulary = Vocabulary(texts)
    missing = vocabulary.unknown(claim)
    anaphoric = any(is_anaphoric(q) for q in quotes)
    if missing and not anaphoric:
        anchored = any(vocabulary.knows(w) for w in names(claim))
        context = Vocabulary(p.context for p in cited)
        asked = Vocabulary([question])
        if anchored:
            missing = {w for w in missing if not (asked.knows(w) and context.knows(w))}
    if missing:
        return "wrong subject" if anaphoric else "names not in the passage"
    given = numbers(" ".join(texts))
    if numbers(question):
        given |= numbers(question) & numbers(" ".join(p.context for p in cited))
    if numbers(claim) - given:
        return "numbers not in the passage"
    if all(polarity_conflict(claim, q) for q in quotes) or _wrong_yes(claim, question, quotes):
        return "contradicted by the passage"
    if _wrong_speaker(claim, question, quotes):
        return "not who the passage says said it"
    asked_for = _ATTRIBUTE.match(question)
    if asked_for and not any(_gives(asked_for, p) for p in cited):
        return f"the passage does not give the {asked_for.group(1).lower()}"
    own = content_words(claim) - content_words(question)
    novel = own - content_words(" ".join(quotes))
    if len(novel) >= MIN_NOVEL_WORDS and len(novel) > NOVEL_SHARE * len(own):
        return "mostly words the passage does not use"
    return None


# A "yes" needs a passage that restates at least this share of the question's words.
YES_COVERAGE = 0.5


def _wrong_yes(claim: str, question: str, quotes: list[str]) -> bool:
    """A "Yes, …" to a yes/no question asserts the question itself: wrong when the passage
    says its opposite ("Has Russia received a request?" against "Russia has not received any
    requests"), does not say it ("Is Willis seeking specific damages?" answered from "Willis
    is seeking medical expenses"), or when the claim's own words deny what was asked ("Yes,
    Ivanov declined to offer a mandate")."""
    if not re.match(r"\W*yes\b", claim, re.I) or not YES_NO.match(question):
        return False
    asked = YES_NO.sub("", question).rstrip(" ?")
    body = re.sub(r"^\W*yes\b\W*", "", claim, flags=re.I)
    wanted = content_words(asked)
    restated = max((len(wanted & content_words(q)) for q in quotes), default=0)
    return (
        _negated(body) != _negated(asked)
        or restated < YES_COVERAGE * len(wanted)  # the passage does not say what was asked
        or all(polarity_conflict(asked, q) for q in quotes)
    )


_SPEECH = (
    r"(?:said|says|say|told|tells|added|stated|warned|called|described|claimed|argued|"
    r"insisted|accused|confirmed|denied|wrote|noted|stressed|announced)"
)
_WHO_SAID = re.compile(rf"^\s*(?:who|which \w+(?: \w+)?)\b.*\b{_SPEECH}\b", re.I)


def _speakers(passage: str) -> set[str]:
    """Names in speaker position: before a speech verb ("Campbell said", "Campbell, the DUP
    MP, said") or after one ("said Gregory Campbell", "according to Campbell")."""
    found = set()
    for verb in re.finditer(rf"\b{_SPEECH}\b|\baccording to\b", passage):
        before = passage[max(0, verb.start() - 80) : verb.start()]
        after = passage[verb.end() : verb.end() + 40]
        found |= names(" " + before.split(".")[-1].split("”")[-1]) | names(" " + after)
    return found


def _wrong_speaker(claim: str, question: str, quotes: list[str]) -> bool:
    """For "who said …?", whether the claim names as the speaker only people who are not in
    speaker position in its passage (the DUP MP's words given to Sinn Féin's leader)."""
    if not _WHO_SAID.search(question):
        return False
    named = names(" " + claim) - names(" " + question)
    if not named:
        return False
    speakers = set().union(*(_speakers(q) for q in quotes))
    return not named & speakers


# "What is the capital of X?": a passage gives it when one of its clauses says "capital" of X
# (or "its capital", in an article about X). "Zürich is the largest city in Switzerland and the
# capital of the canton of Zürich" does not give Switzerland's.
_ATTRIBUTE = re.compile(r"^\s*what (?:is|was|are|were) the ([a-z]+(?: [a-z]+)?) of\b(.*)", re.I)


def _gives(asked_for: re.Match[str], cited: Passage) -> bool:
    """Whether the passage states the attribute asked for of the subject asked about."""
    attribute = content_words(asked_for.group(1))
    about_title = not Vocabulary([cited.title]).unknown(" " + asked_for.group(2))
    for sentence in re.split(r"(?<=[.!?])\s+", cited.quote):
        for clause in re.split(r"[,;]|\band (?=the |a |an |its )", sentence):
            if not attribute & content_words(clause):
                continue
            if not Vocabulary([clause]).unknown(" " + asked_for.group(2)):
                return True  # "the capital of Switzerland is Bern"
            if about_title and _ANAPHOR.search(sentence.strip()):
                return True  # "Its capital and largest city is Bern", in "Switzerland"
    return False


YES_NO = re.compile(
    r"^\s*(?:did|does|do|is|was|were|are|has|have|had|can|could|will|would|should)\b", re.I
)
_HOW_MANY = re.compile(r"\bhow (?:many|much|long|far|old)\b|\bwhat (?:percentage|share)\b", re.I)
_WHEN = re.compile(r"^\s*when\b|\bwhat (?:year|date|day|month|time)\b|\bin which year\b", re.I)
_DATE_WORDS = re.compile(
    r"\b(?:\d{4}|january|february|march|april|may|june|july|august|september|october|november|"
    r"december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|"
    r"tomorrow|week|month|year|spring|summer|autumn|winter)\b",
    re.I,
)


def answers_kind(question: str, passage: str) -> bool:
    """Whether a passage has the kind of thing the question asks for: the attribute named by
    "what is the capital of …", a number for "how many", a date for "when". Other questions
    take any passage."""
    if asked_for := _ATTRIBUTE.match(question):  # "what is the capital of …": says "capital"
        return bool(content_words(asked_for.group(1)) & content_words(passage))
    if _HOW_MANY.search(question):
        return bool(numbers(passage))
    if _WHEN.search(question):
        return bool(_DATE_WORDS.search(passage))
    return True

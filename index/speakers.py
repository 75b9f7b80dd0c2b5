"""Who said it: the speaker of a sentence that reports speech.

News attributes every statement: "Peskov said", "said Dmitry Peskov, the Kremlin spokesman",
"according to the FT", "“…,” he added" (the name is then in the sentence before). A speaker
is read from those shapes only, and only a name (capitalised words) counts: "the ministry
said" has no named speaker, and none is invented.
"""

from __future__ import annotations

import re

SPEECH = (
    r"(?:said|says|say|told|tells|added|adds|stated|states|warned|warns|noted|notes|stressed|"
    r"insisted|argued|claimed|claims|denied|denies|confirmed|confirms|announced|wrote|writes|"
    r"explained|emphasi[sz]ed|described|declared|asserted|acknowledged|admitted|replied|"
    r"remarked|tweeted|commented|underlined|pointed out|urged|accused|reported|revealed)"
)
_PARTICLE = r"(?:al-|el-|bin |ibn |de |da |van |von |der |la |le |du )"
_NAME = rf"(?:[A-Z][\w'’.-]*(?:\s+{_PARTICLE}?[A-Z][\w'’-]*\.?){{0,4}})"
_NOT_NAMES = {
    "the", "a", "an", "it", "this", "that", "these", "those", "they", "we", "i", "he", "she",
    "there", "but", "and", "so", "yet", "in", "on", "at", "as", "when", "while", "mr", "mrs",
    "ms", "dr", "police", "officials", "reuters", "associated",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}  # fmt: skip
# Titles before a name: "UK Foreign Secretary Yvette Cooper" is Yvette Cooper.
_ROLES = {
    "president", "minister", "secretary", "spokesman", "spokeswoman", "spokesperson",
    "chancellor", "senator", "governor", "mayor", "ambassador", "general", "chief", "leader",
    "adviser", "advisor", "aide", "director", "chairman", "chairwoman", "commissioner",
    "premier", "king", "queen", "prince", "pope", "judge", "prosecutor", "envoy", "official",
    "representative", "deputy", "head", "sen", "rep", "gov", "gen", "pres",
}  # fmt: skip
_BEFORE = re.compile(
    rf"(?P<name>{_NAME})(?:,\s[^,“”\"]{{3,80}},)?\s+(?:has |had |have |also |later |then |"
    rf"previously |earlier |reportedly |was quoted as |is quoted as )?{SPEECH}\b"
)
# "…,” said Dmitry Peskov" and "…, said union leader Mary Okafor": after a quote or a comma
# only, or when the name ends the clause ("He said Britain would not talk" names no speaker).
_DESCRIPTOR = r"(?:(?:the\s+)?(?:[A-Z][\w-]*\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s+)?"
_AFTER = re.compile(
    rf"(?:[”\"’,]\s*|\b)(?P<verb>said|says|added|wrote|asked|continued)\s+{_DESCRIPTOR}"
    rf"(?P<name>{_NAME})(?P<end>\s*[,.;:!?]|\s*$)?"
)
_ACCORDING = re.compile(rf"\b(?i:according to) (?i:the\s+)?(?P<name>{_NAME})")
_PRONOUN = re.compile(rf"\b(?:he|she)\s+(?:\w+\s+)?{SPEECH}\b", re.I)
_QUOTED = re.compile(r"[“”\"«»]")


def _clean(name: str) -> str | None:
    words = name.split()
    while words and words[0].lower().strip(".") in _NOT_NAMES:
        words = words[1:]
    while words and words[-1].lower().strip(".") in _NOT_NAMES:
        words = words[:-1]
    roles = [k for k, w in enumerate(words) if w.lower().strip(".") in _ROLES]
    if roles and roles[-1] < len(words) - 1:
        words = words[roles[-1] + 1 :]
    if not words or not words[0][:1].isupper():
        return None
    return " ".join(words).rstrip(".,’'")


def speaker(sentence: str, previous: str | None = None) -> str | None:
    """The named speaker of `sentence`, or None; "he said" takes the speaker (or else the
    last name) of the `previous` sentence."""
    for pattern in (_BEFORE, _AFTER, _ACCORDING):
        for m in pattern.finditer(sentence):
            if pattern is _AFTER and not (
                m.group("end") is not None or re.search(r"[”\"’,]\s*$", sentence[: m.start("verb")])
            ):
                continue
            name = _clean(m.group("name"))
            before = sentence[max(0, m.start("name") - 30) : m.start("name")].split()
            if name and len(before) >= 2 and before[-1] == "of" and before[-2].lower() in _ROLES:
                name = _clean(name.partition(" ")[2])  # "Secretary of State Marco Rubio"
            if name:
                return name
    if previous and _PRONOUN.search(sentence):
        earlier = speaker(previous)
        if earlier:
            return earlier
        runs = [m.group() for m in re.finditer(_NAME, previous)]
        if runs and previous.startswith(runs[0]) and " " not in runs[0]:
            runs[0] = ""  # a sentence's capitalised first word alone is no name
        found = [n for n in map(_clean, runs) if n]
        people = [n for n in found if " " in n]  # a full name before a lone place
        return (people or found)[0] if found else None
    return None


def is_quotation(sentence: str) -> bool:
    """Whether the sentence reports speech: quotation marks, or a speech verb."""
    return bool(
        _QUOTED.search(sentence) or re.search(rf"\b{SPEECH}\b|\b(?i:according to)\b", sentence)
    )

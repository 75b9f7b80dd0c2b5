"""A verdict per answer sentence from the model that wrote it: supported, contradicted or not
stated by the evidence it cites.

One call per answer. Its messages start exactly as the answer's did (system, evidence and
question, then the model's own draft), so an in-process model reuses the evaluated prefix and
pays only for the new instruction and a few output tokens. The output is constrained to a
JSON object with one enumerated field per sentence (a llama.cpp grammar, Ollama's `format`,
OpenAI's strict `json_schema`), and parsed strictly: anything else counts as "not stated".
"""

from __future__ import annotations

import json
import logging
from typing import Any

from newsdesk.index.llm import Message

log = logging.getLogger(__name__)

SUPPORTED, CONTRADICTED, NOT_STATED = "supported", "contradicted", "not_stated"
VERDICTS = (SUPPORTED, CONTRADICTED, NOT_STATED)
# Output budget: ' "s1" : "not_stated",' is 8-12 tokens, with the spaces a grammar allows; a
# verdict cut off by the budget is unusable and counts as "not stated".
TOKENS_PER_SENTENCE = 16


def max_tokens(count: int) -> int:
    return 8 + count * TOKENS_PER_SENTENCE


def schema(count: int) -> dict[str, Any]:
    """One required field per sentence, s1..sN, each one of VERDICTS."""
    keys = [f"s{k}" for k in range(1, count + 1)]
    return {
        "type": "object",
        "properties": {key: {"type": "string", "enum": list(VERDICTS)} for key in keys},
        "required": keys,
        "additionalProperties": False,
    }


def messages(
    answer_messages: list[Message], draft: str, sentences: list[tuple[str, list[int]]], prompt: str
) -> list[Message]:
    """The answer's own conversation, its draft, then the request for a verdict."""
    lines = []
    for k, (text, cites) in enumerate(sentences, 1):
        marks = "".join(f"[{n}]" for n in cites)
        lines.append(f"s{k}: {text} (cites {marks})")
    return [
        *answer_messages,
        {"role": "assistant", "content": draft},
        {"role": "user", "content": prompt.format(sentences="\n".join(lines))},
    ]


def parse(text: str, count: int) -> list[str] | None:
    """The verdicts in sentence order, or None when `text` is not exactly the schema."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    keys = [f"s{k}" for k in range(1, count + 1)]
    if not isinstance(data, dict) or sorted(data) != sorted(keys):
        return None
    values = [data[key] for key in keys]
    return values if all(v in VERDICTS for v in values) else None

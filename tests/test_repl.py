"""`newsdesk repl`: the loop driven by lines typed at its prompt. What it shows while the model
writes, follow-ups and `:new`, the `:commands`, one line per error, and leaving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.index.app import Newsdesk
from newsdesk.index.cli import cli
from newsdesk.index.conversation import MAX_TURNS
from newsdesk.index.llm import Message
from newsdesk.index.messages import CONVERSATION_FORGOTTEN
from newsdesk.index.repl import HELP, Repl

from fakes import FakeBackend

POWELL = "Why did the Powell–Ushakov call fail?"
COOPER = "What did Yvette Cooper say about Putin?"
GREETING = "newsdesk: 4 articles, backend extractive. :help for commands, :quit to leave."
KREMLIN_TITLE = (
    "Kremlin Acknowledges Unsuccessful Attempt to Establish Confidential Communication with "
    "U.K. Security Adviser"
)
NOT_COVERED = "The articles don't cover this."
PESKOV = "showed limited interest in hearing our perspective"


class Keyboard:
    """Types `lines` at the REPL's prompt, one per `input()`, then Ctrl-D (EOF). Notes how
    many turns the conversation held at each prompt."""

    def __init__(self, repl: Repl, *lines: str) -> None:
        self.repl = repl
        self.unread = list(lines)
        self.turns: list[int] = []

    def __call__(self, prompt: str = "") -> str:
        assert prompt == "? "
        self.turns.append(len(self.repl.history))
        if not self.unread:
            raise EOFError
        return self.unread.pop(0)


def session(monkeypatch: pytest.MonkeyPatch, repl: Repl, *lines: str) -> Keyboard:
    """Runs the REPL until it leaves, on `lines` typed in."""
    keyboard = Keyboard(repl, *lines)
    monkeypatch.setattr("builtins.input", keyboard)
    repl.run()
    return keyboard


class Watching(FakeBackend):
    """A fake model that notes what was on the screen when it was asked to write."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.capsys = capsys
        self.screens: list[str] = []

    def stream(self, messages: list[Message], max_tokens: int) -> Iterator[str]:
        self.screens.append(self.capsys.readouterr().out)
        yield from super().stream(messages, max_tokens)


def test_the_articles_read_are_shown_before_the_model_writes(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = app.engine()
    model = Watching(capsys)
    engine.backend = model.enqueue(
        "Cooper said she is still not seeing evidence that Putin wants peace [1]."
    )
    session(monkeypatch, Repl(app, engine), COOPER, ":quit")
    assert model.screens == [
        "newsdesk: 4 articles, backend fake. :help for commands, :quit to leave.\n"
        "  reading “UK rejects calls to reopen talks with Putin” (Caliber.az, 2026-01-16); "
        f"“{KREMLIN_TITLE}” …\n"
    ], "the outlets and dates are on screen, the answer not yet"
    shown = capsys.readouterr().out
    assert shown.startswith(
        "Cooper said she is still not seeing evidence that Putin wants peace. [1]\n\nSources:\n"
        "[1] UK rejects calls to reopen talks with Putin (Caliber.az, 2026-01-16T11:37)"
    )


def test_only_checked_sentences_reach_the_screen_and_follow_ups_use_the_conversation(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dropped sentence is never shown; a question about the conversation is answered from
    it until `:new` forgets it."""
    dropped = "Cooper also announced that Britain will send ten thousand troops to Lisbon"
    engine = app.engine()
    engine.backend = FakeBackend().enqueue(
        "Powell was keen to outline the stance of the Europeans but showed limited interest "
        f"in hearing Moscow's perspective [1]. {dropped} [1]."
    )
    repl = Repl(app, engine)
    typed = session(
        monkeypatch,
        repl,
        POWELL,
        "which article was that?",
        ":new",
        "which article was that?",
        ":quit",
    )
    assert typed.turns == [0, 1, 2, 0, 1], "each answer is a turn; :new forgets them"
    shown = capsys.readouterr().out
    assert f"  reading “{KREMLIN_TITLE}” …\nPowell was keen to outline the stance" in shown
    assert "Lisbon" not in shown, "a dropped sentence is never on screen"
    assert f"That came from:\n[1] {KREMLIN_TITLE}\n" in shown
    forgotten = shown.split(CONVERSATION_FORGOTTEN + "\n")
    assert len(forgotten) == 2
    assert forgotten[1].startswith(NOT_COVERED), "without the conversation: nothing to recall"
    assert [t.question for t in repl.history] == ["which article was that?"]


def test_a_follow_up_is_retrieved_with_the_earlier_question(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, follow_up = "Who did Jonathan Powell call in January?", "and why did it fail?"
    repl = Repl(app, app.engine())
    session(monkeypatch, repl, first, follow_up)
    answers = capsys.readouterr().out.split("\n  reading ")[1:]
    assert len(answers) == 2
    assert PESKOV not in answers[0] and PESKOV in answers[1], "the follow-up finds the reason"
    assert [t.question for t in repl.history] == [first, follow_up]
    session(monkeypatch, Repl(app, app.engine()), follow_up)
    alone = capsys.readouterr().out
    assert NOT_COVERED in alone and PESKOV not in alone, "alone, it is about nothing"


def test_the_conversation_keeps_its_last_turns(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = Repl(app, app.engine())
    typed = session(monkeypatch, repl, POWELL, *["what did I ask first?"] * (MAX_TURNS + 1))
    assert typed.turns == [*range(MAX_TURNS + 1), MAX_TURNS, MAX_TURNS]
    assert len(repl.history) == MAX_TURNS and repl.history[0].question != POWELL
    shown = capsys.readouterr().out
    assert shown.count(f"You asked: “{POWELL}”") == MAX_TURNS
    assert shown.rstrip().endswith("You asked: “what did I ask first?”"), "the first is gone"


def test_commands_list_help_switch_the_backend_and_name_unknown_ones(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = app.engine()
    model = FakeBackend().enqueue(
        "Cooper said she is still not seeing evidence that Putin wants peace [1].",
        "A second answer the model is never asked for [1].",
    )
    engine.backend = model
    typed = session(
        monkeypatch,
        Repl(app, engine),
        ":sources",
        ":help",
        COOPER,
        ":backend extractive",
        COOPER,
        ":bogus",
        ":quit",
    )
    assert len(typed.turns) == 7 and typed.unread == []
    lines = capsys.readouterr().out.splitlines()
    assert [line[:20] for line in lines[1:5]] == [
        "003_82cedb1ca88c2249",  # newest first
        "000_a6a0d073fde4603f",
        "001_680bcb4019dc53cb",
        "002_1436df419da835d7",
    ]
    assert lines[5 : 5 + len(HELP.splitlines())] == HELP.splitlines()
    assert "backend: extractive" in lines
    assert engine.backend is None and len(model.history) == 1, "the model answered once"
    answers = [line for line in lines if line.startswith(("Cooper said", "“"))]
    assert answers[0] == "Cooper said she is still not seeing evidence that Putin wants peace. [1]"
    assert answers[1].startswith("“Speaking to POLITICO"), "then quoted, extractively"
    assert lines[-1] == "unknown command ':bogus'; :help lists them"


def test_a_bad_question_is_one_error_line_and_the_loop_goes_on(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repl = Repl(app, app.engine())
    typed = session(monkeypatch, repl, "x" * 1001, "", "\x00\x01", COOPER, ":quit")
    assert typed.unread == [] and typed.turns == [0, 0, 0, 0, 1]
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "error: the question is 1,001 characters long; the limit is 1,000",
        "error: the question is empty: ask something about the articles",
    ]
    assert "Sources:\n[1] UK rejects calls to reopen talks with Putin" in out
    assert [t.question for t in repl.history] == [COOPER]


def test_an_emptied_index_is_one_error_line_and_the_loop_goes_on(
    app: Newsdesk,
    articles: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in articles.iterdir():
        path.unlink()
    typed = session(monkeypatch, Repl(app, app.engine()), ":reindex", POWELL, ":help", ":quit")
    assert typed.unread == []
    out, err = capsys.readouterr()
    assert "0 added, 0 updated, 4 removed, 0 unchanged\n" in out
    assert err.splitlines() == [
        "error: no articles are indexed yet: add articles and run `newsdesk index`"
    ]
    assert out.rstrip().endswith(HELP.splitlines()[-1]), ":help still answered"


def test_quit_end_of_input_or_ctrl_c_leave_without_reading_further(
    app: Newsdesk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for leave in (":quit", ":q", ":exit"):
        typed = session(monkeypatch, Repl(app, app.engine()), leave, COOPER)
        assert typed.unread == [COOPER] and typed.turns == [0], leave
        assert capsys.readouterr().out == GREETING + "\n"
    prompts: list[str] = []
    for pressed, key in enumerate((EOFError, KeyboardInterrupt), 1):

        def keyboard(prompt: str = "", key: type[BaseException] = key) -> str:
            prompts.append(prompt)
            raise key

        monkeypatch.setattr("builtins.input", keyboard)
        Repl(app, app.engine()).run()
        assert prompts == ["? "] * pressed, "asked once, then left"
        assert capsys.readouterr().out == GREETING + "\n\n", "the line is ended"


def test_repl_answers_follow_ups_and_commands(articles: Path, tmp_path: Path) -> None:
    """`newsdesk repl` from the command line, reading standard input."""
    common = ["--articles", str(articles), "--data-dir", str(tmp_path / "d")]
    typed = (
        "What did Yvette Cooper say about Putin?\n:sources\n:backend extractive\n"
        "and what about France?\n:bogus\n:help\n:quit\n"
    )
    result = CliRunner().invoke(
        cli, [*common, "repl", "--backend", "extractive"], input=typed, catch_exceptions=False
    )
    assert result.exit_code == 0
    out = result.stdout
    assert "4 articles, backend extractive" in out
    assert out.count("Sources:") == 2
    assert "003_82cedb1ca88c2249  2026-01-16T11:37  Caliber.az" in out
    assert "unknown command ':bogus'" in out and ":reindex" in out

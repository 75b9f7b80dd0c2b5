"""`newsdesk repl`: questions and follow-ups in a terminal.

While the model writes, the REPL shows what is certain (the articles the evidence comes from);
the answer shown is the checked one, never the model's draft."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from newsdesk.index.answer import Engine
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import BACKENDS
from newsdesk.index.conversation import MAX_TURNS, Turn
from newsdesk.index.errors import NewsdeskError
from newsdesk.index.evidence import Evidence
from newsdesk.index.messages import CONVERSATION_FORGOTTEN, for_terminal
from newsdesk.index.terminal import (
    comparison_text,
    reading_line,
    render,
    source_lines,
    story_lines,
    timeline_text,
)

HELP = """Ask a question, then follow-ups ("and what did London say?").
  :sources        list the indexed articles
  :stories        list the stories (articles about one event)
  :timeline STORY the events of a story (its id, or words about it) in date order
  :compare STORY  the story's outlets side by side
  :reindex        rebuild the index from the articles directory
  :backend NAME   switch generation backend (llama-cpp, ollama, openai, extractive)
  :new            forget the conversation so far
  :help           this text
  :quit           leave (or Ctrl-D)"""


class Repl:
    def __init__(self, app: Newsdesk, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.history: list[Turn] = []

    def run(self) -> None:
        history_file = self.app.settings.data_dir / "repl_history"
        readline = _readline(history_file)
        click.echo(
            f"newsdesk: {len(self.app.sources())} articles, backend "
            f"{self.engine.backend_name}. :help for commands, :quit to leave."
        )
        while True:
            try:
                line = input("? ").strip()
            except (EOFError, KeyboardInterrupt):
                click.echo()
                break
            if not line:
                continue
            if line.startswith(":"):
                if not self.command(line):
                    break
                continue
            self.ask(line)
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(str(history_file))

    def ask(self, question: str) -> None:
        def reading(evidence: list[Evidence]) -> None:
            click.echo(f"  reading {reading_line(evidence)} …")

        try:
            answer = self.engine.ask(question, history=self.history, on_evidence=reading)
        except NewsdeskError as exc:
            click.echo(f"error: {for_terminal(exc)}", err=True)
            return
        click.echo(render(answer) + "\n")
        self.history = [*self.history, answer.turn()][-MAX_TURNS:]

    def command(self, line: str) -> bool:
        """Run a `:command`; False means leave."""
        name, _, argument = line[1:].partition(" ")
        if name in ("quit", "q", "exit"):
            return False
        if name == "help":
            click.echo(HELP)
        elif name == "sources":
            click.echo("\n".join(source_lines(self.app.sources())))
        elif name == "stories":
            click.echo("\n".join(story_lines(self.app.stories())))
        elif name in ("timeline", "compare"):
            try:
                if name == "timeline":
                    click.echo(timeline_text(self.app.timeline(argument)))
                else:
                    click.echo(comparison_text(self.app.compare(argument)))
            except NewsdeskError as exc:
                click.echo(f"error: {for_terminal(exc)}", err=True)
        elif name == "reindex":
            stats = self.app.build(lock_wait=600)
            click.echo(
                f"{stats.added} added, {stats.updated} updated, {stats.removed} removed, "
                f"{stats.unchanged} unchanged"
            )
        elif name == "backend":
            if argument.strip() in BACKENDS:
                self.engine.backend = self.app.backend(argument.strip())
                click.echo(f"backend: {self.engine.backend_name}")
            else:
                click.echo(f"no backend {argument.strip()!r}; use one of {', '.join(BACKENDS)}")
        elif name == "new":
            self.history.clear()
            click.echo(CONVERSATION_FORGOTTEN)
        else:
            click.echo(f"unknown command {line!r}; :help lists them")
        return True


def _readline(history_file: Path) -> Any:
    """Line editing and history where the terminal has them."""
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:
        return None
    with contextlib.suppress(OSError):
        readline.read_history_file(str(history_file))
    return readline

"""`newsdesk`: build the index, list its articles, ask questions. Renders what the core returns."""

from __future__ import annotations

import json
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from dotenv import load_dotenv

from index.answer import Answer, clean_question
from index.app import Newsdesk
from index.config import BACKENDS, Settings
from index.errors import NewsdeskError
from index.retrieve import Filters


class _Group(click.Group):
    """Turns the core's errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            raise click.ClickException(str(exc)) from None


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("index").setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("chromadb", "bm25s", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@click.group(cls=_Group)
@click.option(
    "--articles",
    type=click.Path(path_type=Path),
    default=None,
    help="Articles directory [env NEWSDESK_ARTICLES_DIR, default articles/].",
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the index lives [env NEWSDESK_DATA_DIR, default .newsdesk/].",
)
@click.option(
    "--env-file",
    type=click.Path(path_type=Path),
    default=Path(".env"),
    show_default=True,
    help="Settings file read before the environment's defaults.",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more about what happens.")
@click.pass_context
def cli(
    ctx: click.Context, articles: Path | None, data_dir: Path | None, env_file: Path, verbose: bool
) -> None:
    """Ask questions about a news archive and get answers with citations you can check."""
    _setup_logging(verbose)
    load_dotenv(env_file, override=False)
    try:
        settings = Settings.from_env(articles_dir=articles, data_dir=data_dir)
    except NewsdeskError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = Newsdesk(settings)
    ctx.call_on_close(ctx.obj.close)


@cli.command("index")
@click.option("--full", is_flag=True, help="Re-embed every article, not just what changed.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@click.option(
    "--wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another running rebuild before giving up.",
)
@click.pass_obj
def index_command(app: Newsdesk, full: bool, as_json: bool, wait: float) -> None:
    """Rebuild the index from the articles directory: only what changed is re-embedded."""
    if not app.settings.articles_dir.is_dir():
        raise click.ClickException(f"no articles directory at {app.settings.articles_dir}")
    stats = app.build(full=full, progress=sys.stderr.isatty() and not as_json, lock_wait=wait)
    if as_json:
        keys = ("added", "updated", "removed", "unchanged", "skipped", "chunks", "seconds")
        click.echo(json.dumps({k: stats.to_json()[k] for k in keys}))
    else:
        click.echo(
            f"{stats.added} added, {stats.updated} updated, {stats.removed} removed, "
            f"{stats.unchanged} unchanged, {stats.skipped} skipped; "
            f"{stats.chunks} chunks in the index ({stats.seconds:.1f} s)"
        )


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def sources_command(app: Newsdesk, as_json: bool) -> None:
    """List the indexed articles: id, title, date, outlet, chunk count."""
    sources = app.sources() if app.store.exists() else []
    if as_json:
        click.echo(json.dumps([s.to_json() for s in sources], ensure_ascii=False, indent=2))
        return
    if not sources:
        click.echo("No articles indexed yet: run `newsdesk index`.")
        return
    for s in sources:
        outlet = s.source or "unknown outlet"
        click.echo(
            f"{s.doc_id}  {s.published or 'undated':<16}  {outlet:<14}  "
            f"{s.chunks:>3} chunks  {s.title}"
        )


def render(answer: Answer, verbose: bool = False) -> str:
    """An answer and its numbered sources, for a terminal."""
    lines = [answer.text]
    if verbose and answer.dropped:
        lines += ["", "Dropped by the checks:"]
        lines += [f"  - {d.sentence} ({d.reason})" for d in answer.dropped]
    if answer.citations:
        lines += ["", "Sources:"]
    for c in answer.citations:
        origin = ", ".join(v for v in (c.source, c.date) if v)
        lines.append(f"[{c.n}] {c.title}" + (f" ({origin})" if origin else "") + f" [{c.path}]")
        lines.append(f"    “{' '.join(c.quote.split())}”")
        if c.also_reported_by:
            lines.append(f"    also reported by: {', '.join(c.also_reported_by)}")
    if verbose:
        timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
        lines += ["", f"[{answer.backend}; {timings}]"]
    return "\n".join(lines)


@cli.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--since", help="Only articles published on or after this date (2026-01-31).")
@click.option("--source", help="Only articles from this outlet.")
@click.option("--backend", type=click.Choice(BACKENDS), help="Override NEWSDESK_LLM.")
@click.pass_context
def ask_command(
    ctx: click.Context,
    question: str,
    as_json: bool,
    since: str | None,
    source: str | None,
    backend: str | None,
) -> None:
    """Answer QUESTION from the articles, with numbered sources."""
    app: Newsdesk = ctx.obj
    clean_question(question, app.settings.max_question_chars)  # fail fast, before loading
    engine = app.engine(progress=sys.stderr.isatty(), backend=backend)
    answer = engine.ask(question, filters=Filters(since, source))
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render(answer, verbose=ctx.parent.params["verbose"] if ctx.parent else False))


@cli.command("repl")
@click.option("--backend", type=click.Choice(BACKENDS), help="Override NEWSDESK_LLM.")
@click.pass_obj
def repl_command(app: Newsdesk, backend: str | None) -> None:
    """Ask questions interactively; follow-ups use the conversation so far."""
    from index.repl import Repl

    Repl(app, app.engine(progress=sys.stderr.isatty(), backend=backend)).run()


def _add_plugin_commands() -> None:
    """Commands other packages add (the Discord bot adds `bot`); the core never imports them."""
    for entry in entry_points(group="newsdesk.commands"):
        if entry.name not in cli.commands:
            cli.add_command(entry.load(), entry.name)


def main() -> None:
    _add_plugin_commands()
    cli()


if __name__ == "__main__":
    main()

"""`newsdesk`: build the index, list its articles, ask questions. Renders what the core returns."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from newsdesk.index.answer import Engine, clean_question
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import BACKENDS
from newsdesk.index.errors import IndexNotBuilt, NewsdeskError
from newsdesk.index.messages import for_terminal
from newsdesk.index.retrieve import Filters
from newsdesk.index.terminal import (
    comparison_text,
    render,
    source_lines,
    story_lines,
    timeline_text,
)


class _Group(click.Group):
    """Turns the core's errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            raise click.ClickException(for_terminal(exc)) from None


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("newsdesk").setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("chromadb", "bm25s", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


# -- the options every command takes, before its name or after it ---------------------------

_OPTIONS = "newsdesk.options"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Keep an option's value where every context of the command line sees it; one given
    after the sub-command wins over the same one given before."""
    if value is not None and value is not False and param.name:
        ctx.meta.setdefault(_OPTIONS, {})[param.name] = value


_COMMON = [
    click.option(
        "--articles",
        type=click.Path(path_type=Path),
        help="Articles directory [env NEWSDESK_ARTICLES_DIR, default articles/].",
    ),
    click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        help="Where the index lives [env NEWSDESK_DATA_DIR, default .newsdesk/].",
    ),
    click.option(
        "--env-file",
        type=click.Path(path_type=Path),
        help="Settings file read before the environment's defaults [default: .env].",
    ),
    click.option("-v", "--verbose", is_flag=True, help="Say more about what happens."),
]


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_COMMON):
        command = option(command)
    for param in command.__click_params__:  # type: ignore[attr-defined]
        param.expose_value, param.callback = False, _remember
    return command


def option(ctx: click.Context, name: str) -> Any:
    """A common option's value, wherever on the command line it was given."""
    return ctx.meta.get(_OPTIONS, {}).get(name)


def desk_of(ctx: click.Context) -> Newsdesk:
    """The command line's one `Newsdesk`, made when a command first needs it."""
    root = ctx.find_root()
    if not isinstance(root.obj, Newsdesk):
        _setup_logging(bool(option(ctx, "verbose")))
        desk = Newsdesk.from_env(
            option(ctx, "env_file") or Path(".env"),
            articles_dir=option(ctx, "articles"),
            data_dir=option(ctx, "data_dir"),
        )
        root.obj = desk
        root.call_on_close(desk.close)
    return root.obj


def pass_desk(command: Callable[..., Any]) -> Callable[..., Any]:
    """Like `click.pass_obj`, with the `Newsdesk` of the command line (and its options)."""

    @click.pass_context
    def with_desk(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(command, desk_of(ctx), *args, **kwargs)

    return common_options(functools.update_wrapper(with_desk, command))


def ready_engine(desk: Newsdesk, backend: str | None = None) -> Engine:
    """The engine; with no index yet, the articles are indexed first (a convenience of the
    command line: the Python API builds only when asked)."""
    if not desk.is_built():
        articles = desk.settings.articles_dir
        if not articles.is_dir():
            raise IndexNotBuilt(articles, "no index yet and no articles directory")
        logging.getLogger(__name__).info("no index yet: building it from %s", articles)
        desk.build(progress=sys.stderr.isatty(), lock_wait=600)
    return desk.engine(backend)


@click.group(cls=_Group)
@common_options
def cli() -> None:
    """Ask questions about a news archive and get answers with citations you can check."""


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
@pass_desk
def index_command(desk: Newsdesk, full: bool, as_json: bool, wait: float) -> None:
    """Rebuild the index from the articles directory: only what changed is re-embedded."""
    if not desk.settings.articles_dir.is_dir():
        raise click.ClickException(f"no articles directory at {desk.settings.articles_dir}")
    stats = desk.build(full=full, progress=sys.stderr.isatty() and not as_json, lock_wait=wait)
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
@pass_desk
def sources_command(desk: Newsdesk, as_json: bool) -> None:
    """List the indexed articles: id, title, date, outlet, chunk count."""
    sources = desk.sources() if desk.store.exists() else []
    if as_json:
        click.echo(json.dumps([s.to_json() for s in sources], ensure_ascii=False, indent=2))
    elif not sources:
        click.echo("No articles indexed yet: run `newsdesk index`.")
    else:
        click.echo("\n".join(source_lines(sources)))


@cli.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--since", help="Only articles published on or after this date (2026-01-31).")
@click.option("--until", help="Only articles published on or before this date (2026-02-28).")
@click.option("--source", help="Only articles from this outlet.")
@click.option("--backend", type=click.Choice(BACKENDS), help="Override NEWSDESK_LLM.")
@pass_desk
def ask_command(
    desk: Newsdesk,
    question: str,
    as_json: bool,
    since: str | None,
    until: str | None,
    source: str | None,
    backend: str | None,
) -> None:
    """Answer QUESTION from the articles, with numbered sources. A question about time
    ("last week", "since 1 March", "in 2025", "after the summit") is answered from the
    articles of those dates; --since/--until set the dates explicitly instead."""
    clean_question(question, desk.settings.max_question_chars)  # fail fast, before loading
    filters = Filters(since, source, until)
    answer = ready_engine(desk, backend).ask(question, filters=filters)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render(answer, verbose=bool(option(click.get_current_context(), "verbose"))))


@cli.command("stories")
@click.option("--json", "as_json", is_flag=True, help="Print the stories as JSON.")
@pass_desk
def stories_command(desk: Newsdesk, as_json: bool) -> None:
    """List the stories: articles that report the same event, across outlets and days."""
    stories = desk.stories() if desk.store.exists() else []
    if as_json:
        click.echo(json.dumps([s.to_json() for s in stories], ensure_ascii=False, indent=2))
    elif not stories:
        click.echo("No articles indexed yet: run `newsdesk index`.")
    else:
        click.echo("\n".join(story_lines(stories)))


@cli.command("timeline")
@click.argument("story")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@pass_desk
def timeline_command(desk: Newsdesk, story: str, page: int, as_json: bool) -> None:
    """The events of STORY (a story id, or words about it) in date order, each a quote."""
    timeline = desk.timeline(story, page=page)
    if as_json:
        click.echo(json.dumps(timeline.to_json(), ensure_ascii=False))
    else:
        click.echo(timeline_text(timeline))


@cli.command("compare")
@click.argument("story")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@pass_desk
def compare_command(desk: Newsdesk, story: str, as_json: bool) -> None:
    """The outlets of STORY side by side: what each alone reports, whom each quotes, and
    where they disagree."""
    comparison = desk.compare(story)
    if as_json:
        click.echo(json.dumps(comparison.to_json(), ensure_ascii=False))
    else:
        click.echo(comparison_text(comparison))


@cli.command("repl")
@click.option("--backend", type=click.Choice(BACKENDS), help="Override NEWSDESK_LLM.")
@pass_desk
def repl_command(desk: Newsdesk, backend: str | None) -> None:
    """Ask questions interactively; follow-ups use the conversation so far."""
    from newsdesk.index.repl import Repl

    Repl(desk, ready_engine(desk, backend)).run()


@cli.command("add")
@click.argument("urls", nargs=-1, required=True)
@click.option("--no-index", is_flag=True, help="Only save the pages; index them later.")
@pass_desk
def add_command(desk: Newsdesk, urls: tuple[str, ...], no_index: bool) -> None:
    """Fetch web pages into the articles directory (as Markdown with front matter) and index
    them. A URL already added is not fetched again."""
    results = desk.ingest.add(urls) if no_index else desk.add(urls)
    for result in results:
        if result.failure:
            click.echo(f"skipped {for_terminal(result.failure)}", err=True)
        else:
            click.echo(result.describe())
    if any(r.failure for r in results):
        sys.exit(1)


@cli.group("feeds", cls=_Group)
def feeds_group() -> None:
    """Follow RSS and Atom feeds: their new entries become articles."""


@feeds_group.command("add")
@click.argument("url")
@pass_desk
def feeds_add(desk: Newsdesk, url: str) -> None:
    """Follow the feed at URL (its entries arrive with `newsdesk feeds poll` or `watch`)."""
    new = desk.ingest.feeds.add(url)
    click.echo(f"following {url}" if new else f"already following {url}")


@feeds_group.command("remove")
@click.argument("url")
@pass_desk
def feeds_remove(desk: Newsdesk, url: str) -> None:
    """Stop following URL (the articles it brought stay)."""
    if not desk.ingest.feeds.remove(url):
        raise click.ClickException(f"not following {url}")
    click.echo(f"no longer following {url}")


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_desk
def feeds_list(desk: Newsdesk, as_json: bool) -> None:
    """The followed feeds, when each was last polled and how many entries it brought."""
    rows = desk.ingest.feeds.rows()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        click.echo("No feeds followed: add one with `newsdesk feeds add URL`.")
    for row in [] if as_json else rows:
        polled = f"polled {row['polled']}" if row["polled"] else "never polled"
        problem = f"; last error: {row['error']}" if row["error"] else ""
        click.echo(f"{row['url']}  {row['title'] or ''}  {row['seen']} entries, {polled}{problem}")


@feeds_group.command("poll")
@click.option("--json", "as_json", is_flag=True, help="Print what each feed brought as JSON.")
@pass_desk
def feeds_poll(desk: Newsdesk, as_json: bool) -> None:
    """Fetch the new entries of every followed feed (conditional GET) and index them."""
    if not desk.ingest.feeds.urls():
        raise click.ClickException("no feeds followed: add one with `newsdesk feeds add URL`")
    reports = desk.poll_feeds()
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], ensure_ascii=False))
        return
    for report in reports:
        click.echo(report.describe())
        for added in report.added:
            click.echo(f"  {added.describe()}")


@cli.command("watch")
@pass_desk
def watch_command(desk: Newsdesk) -> None:
    """Index article files as they appear, change or disappear, and poll the feeds every
    NEWSDESK_FEED_INTERVAL seconds, until interrupted (Ctrl-C)."""
    from newsdesk.index.watch import Watcher, describe

    articles = desk.settings.articles_dir
    stats = desk.build(lock_wait=300)  # catch up with what changed while nobody watched
    click.echo(
        f"index up to date: {stats.added} added, {stats.updated} updated, {stats.removed} removed"
    )
    watcher = Watcher(desk, on_round=lambda done: click.echo("\n".join(describe(done))))
    click.echo(f"watching {articles} and {len(desk.ingest.feeds.urls())} feeds; Ctrl-C stops")
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop.set()


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

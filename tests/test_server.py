"""Chroma in client-server mode: an indexer process and an answering process share a server."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from newsdesk.index.app import Newsdesk

from support import cli_process

MakeApp = Callable[..., Newsdesk]


def index_process(articles: Path, data: Path, host: str, port: int) -> subprocess.Popen[str]:
    return cli_process(
        articles,
        data,
        "index",
        "--json",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"CHROMA_HOST": host, "CHROMA_PORT": str(port)},
    )


def test_one_process_rebuilds_while_another_keeps_answering(
    make_app: MakeApp, articles: Path, tmp_path: Path, chroma_server: tuple[str, int]
) -> None:
    import chromadb

    host, port = chroma_server
    for collection in chromadb.HttpClient(host=host, port=port).list_collections():
        chromadb.HttpClient(host=host, port=port).delete_collection(collection.name)
    first = index_process(articles, tmp_path / "indexer", host, port)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""

    # The answering side has its own data dir (another machine, in production).
    app = make_app(data_dir=tmp_path / "answerer", chroma_host=host, chroma_port=port)
    engine = app.engine()
    assert engine.ask("What did Yvette Cooper say about Putin?").answered
    question = "Why did the Zanzibar ferry strike end?"
    assert not engine.ask(question).answered

    for k in range(30):  # enough articles that the rebuild takes a while
        (articles / f"filler{k}.txt").write_text(
            f"Harbour report {k}\n\n" + f"The harbour authority published weekly report {k}. " * 40
        )
    (articles / "zanzibar.txt").write_text(
        "Zanzibar ferry strike ends\n\nThe Zanzibar ferry strike ended on Monday after the "
        "workers accepted a pay rise of twelve percent."
    )
    second = index_process(articles, tmp_path / "indexer", host, port)
    answered_during = 0
    while second.poll() is None:
        answer = engine.ask("What did Yvette Cooper say about Putin?")
        assert answer.answered
        answered_during += 1
    assert second.returncode == 0, second.stderr.read() if second.stderr else ""
    assert answered_during >= 1, "the answering process kept answering during the rebuild"

    answer = engine.ask(question)  # same process, no restart
    assert answer.answered and "twelve percent" in answer.text
    assert answer.citations[0].doc_id == "zanzibar"
    keyword = engine.retriever.keyword_index()
    assert any(m["doc_id"] == "zanzibar" for m in keyword.metadatas), "BM25 side too"

    # Stories live in the chunks' metadata: the answering side, with no catalog of its own,
    # sees the indexer's grouping and can build a timeline from the server alone.
    stories = {s.id: s for s in app.stories()}
    sample = next(s for s in stories.values() if "003_82cedb1ca88c2249" in s.doc_ids)
    assert {"000_a6a0d073fde4603f", "003_82cedb1ca88c2249"} <= set(sample.doc_ids)
    ferry = next(s for s in stories.values() if "zanzibar" in s.doc_ids)
    assert ferry.id != sample.id and ferry.articles == 1
    timeline = app.timeline(ferry.id)
    assert timeline.single_outlet and timeline.lines
    assert "Zanzibar ferry strike ended on Monday" in timeline.lines[0].quote

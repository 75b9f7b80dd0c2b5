"""Where the chunks live: the collection's name, generation and count, embedded or on a Chroma
server; the lock that lets one rebuild run at a time; a data dir that cannot be made."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsdesk.index import store as store_module
from newsdesk.index.app import Newsdesk
from newsdesk.index.config import Settings
from newsdesk.index.embeddings import MINILM_ID
from newsdesk.index.errors import ConfigError, DataDirError, IndexBusy
from newsdesk.index.store import Store, build_lock, collection_name, make_client

MakeApp = Callable[..., Newsdesk]


def store_at(data: Path, chroma: dict[str, object]) -> Store:
    """A store on a client of its own, as another process would open it."""
    return Store(make_client(Settings(data_dir=data, **chroma)))  # type: ignore[arg-type]


def add_rows(store: Store, n: int) -> None:
    store.collection.add(
        ids=[f"doc{k}:hash:0" for k in range(n)],
        embeddings=[[1.0, float(k), 0.0] for k in range(n)],
        documents=[f"chunk text {k}" for k in range(n)],
        metadatas=[{"doc_id": f"doc{k}", "seq": 0} for k in range(n)],
    )


# -- the collection --------------------------------------------------------------------------


def test_the_collection_name_carries_the_model_id_in_chroma_s_alphabet(tmp_path: Path) -> None:
    """Model ids become collection names Chroma accepts; two models never share one."""
    assert collection_name() == f"newsdesk-{MINILM_ID.lower()}"
    assert collection_name("BAAI/bge small:v1.5") == "newsdesk-baai-bge-small-v1.5"
    assert collection_name("sentence-transformers//all-MiniLM-L6-v2") == (
        "newsdesk-sentence-transformers-all-minilm-l6-v2"
    )
    assert collection_name("model-a") != collection_name("model-b")
    assert Store(client=None).name == collection_name()
    client = make_client(Settings(data_dir=tmp_path / "data"))
    created = client.get_or_create_collection(collection_name("BAAI/bge small:v1.5"))
    assert created.name == "newsdesk-baai-bge-small-v1.5"


def test_server_client_factory_is_embedded_by_default(tmp_path: Path) -> None:
    store = Store(make_client(Settings(data_dir=tmp_path / "d")))
    assert (tmp_path / "d" / "chroma").is_dir()
    assert store.count() == 0 and store.generation == 0


def test_an_unreachable_server_is_one_clear_error(make_app: MakeApp, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot reach the Chroma server at 127\.0\.0\.1:9 "):
        make_app(chroma_host="127.0.0.1", chroma_port=9).store.count()


def test_the_collection_exists_once_used_and_not_after_a_drop(
    tmp_path: Path, chroma: dict[str, object]
) -> None:
    """`exists` does not create the collection; first use does; `drop` removes it and its
    chunks."""
    store = store_at(tmp_path / "data", chroma)
    assert not store.exists()
    assert not store.exists(), "asking does not create it"
    add_rows(store, 3)
    assert store.exists() and store.count() == 3
    store.drop()
    assert not store.exists()
    assert store.count() == 0, "used again, it comes back empty"


def test_the_generation_is_read_afresh_from_another_client(
    tmp_path: Path, chroma: dict[str, object]
) -> None:
    """A store that fetched the collection before a rebuild sees the rebuild's generation."""
    writer = store_at(tmp_path / "data", chroma)
    reader = store_at(tmp_path / "data", chroma)
    assert writer.generation == 0 and reader.generation == 0
    writer.set_generation(7)
    assert reader.generation == 7
    writer.set_generation(8)
    assert reader.generation == 8
    metadata = reader.client.get_collection(reader.name).metadata
    assert metadata == {"generation": 8, "model": MINILM_ID}


@pytest.mark.parametrize("rows", [4, 5])
def test_all_chunks_pages_through_every_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """Every chunk comes out exactly once, whether or not the rows fill the last page."""
    monkeypatch.setattr(store_module, "GET_PAGE", 2)
    store = store_at(tmp_path / "data", {})
    add_rows(store, rows)
    chunks = sorted(store.all_chunks())
    assert chunks == [
        (f"doc{k}:hash:0", f"chunk text {k}", {"doc_id": f"doc{k}", "seq": 0}) for k in range(rows)
    ]
    assert sorted(store.all_chunks(include=())) == [
        (f"doc{k}:hash:0", None, {}) for k in range(rows)
    ]


def test_the_collection_measures_cosine_distance(tmp_path: Path) -> None:
    """Vectors pointing the same way are at distance 0 whatever their length."""
    store = store_at(tmp_path / "data", {})
    store.collection.add(ids=["x", "y"], embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    found = store.collection.query(query_embeddings=[[3.0, 0.0, 0.0]], n_results=2)
    assert found["ids"][0] == ["x", "y"]
    assert found["distances"][0] == pytest.approx([0.0, 1.0], abs=1e-6)


# -- the build lock --------------------------------------------------------------------------


def test_a_second_lock_that_waits_zero_seconds_is_refused(tmp_path: Path) -> None:
    """While one rebuild holds the lock, another is refused at once; after it, it may run."""
    data = tmp_path / "data"
    with build_lock(data):
        started = time.monotonic()
        busy = "another rebuild of this index is running"
        with pytest.raises(IndexBusy, match=busy), build_lock(data):
            pass
        assert time.monotonic() - started < 1
    with build_lock(data):
        assert (data / "build.lock").is_file()


def test_a_waiting_lock_is_granted_when_the_holder_lets_go(tmp_path: Path) -> None:
    data = tmp_path / "data"
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with build_lock(data):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with build_lock(data, wait=10):
        waited = time.monotonic() - started
    thread.join(10)
    assert 0.4 <= waited < 5


def test_a_lock_waits_no_longer_than_asked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with build_lock(data):
        started = time.monotonic()
        with pytest.raises(IndexBusy), build_lock(data, wait=0.6):
            pass
        waited = time.monotonic() - started
    assert 0.6 <= waited < 2


def test_the_lock_creates_a_missing_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    with build_lock(data):
        assert data.is_dir()


# -- a data dir that cannot be made ------------------------------------------------------------


@pytest.mark.parametrize("where", ["data", "data/below"])
def test_a_file_where_the_data_dir_should_be_is_a_data_dir_error(
    tmp_path: Path, where: str
) -> None:
    """Neither the lock nor the embedded store can be made under a file: one error each,
    naming the directory."""
    (tmp_path / "data").write_text("a file where the data dir should be")
    data = tmp_path / where
    cannot_write = r"^cannot write to the data dir"
    with pytest.raises(DataDirError, match=cannot_write) as lock_error, build_lock(data):
        pass
    assert lock_error.value.path == data
    with pytest.raises(DataDirError, match=r"^cannot create the data dir") as client_error:
        make_client(Settings(data_dir=data))
    assert client_error.value.path == data / "chroma"

"""The preprocessing worker (roles/preprocess_worker/files/deepseek_preprocess.py) against
real directories and a real local HTTP server that plays the gateway: it can answer,
fail with chosen status codes, or be down."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parents[3] / "roles" / "preprocess_worker" / "files" / "deepseek_preprocess.py"
KEY = "k" * 32


def _load():
    spec = importlib.util.spec_from_file_location("deepseek_preprocess", WORKER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


dp = _load()


class FakeGateway:
    """OpenAI-style /v1/chat/completions and /v1/models. `script` is a list of status
    codes answered in order before it answers 200; every request is recorded."""

    def __init__(self):
        self.script: list[int] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.headers.get("Authorization") != "Bearer " + KEY:
                    return self._reply(401, {"error": "no key"})
                self._reply(200, {"data": [{"id": "tiny"}]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with outer.lock:
                    outer.requests.append({"auth": self.headers.get("Authorization"), "body": body})
                    status = outer.script.pop(0) if outer.script else 200
                if status != 200:
                    return self._reply(status, {"error": {"code": status}})
                text = body["messages"][-1]["content"]
                self._reply(
                    200,
                    {
                        "choices": [{"message": {"role": "assistant", "content": "summary of %d chars" % len(text)}}],
                        "usage": {"prompt_tokens": len(text), "completion_tokens": 4},
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    with FakeGateway() as server:
        yield server


def _config(tmp_path: Path, port: int, **extra) -> Path:
    key = tmp_path / "api-key"
    key.write_text(KEY + "\n")
    values = {
        "endpoint": "http://127.0.0.1:%d/v1" % port,
        "model": "tiny",
        "api_key_file": str(key),
        "state_dir": str(tmp_path / "state"),
        "chunk_chars": 50,
        "chunk_overlap": 0,
        "concurrency": 2,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "poll_interval_s": 0.05,
        "request_timeout_s": 5,
    }
    values.update(extra)
    path = tmp_path / "worker.json"
    path.write_text(json.dumps(values))
    return path


def _worker(tmp_path, port, **extra):
    config = dp.load_config(str(_config(tmp_path, port, **extra)))
    dp.ensure_dirs(config)
    logs = []
    return dp.Worker(config, log=logs.append), config, logs


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


# --- cleaning and chunking -------------------------------------------------------------


def test_clean_normalises_text():
    raw = "\ufeffCaf\u00e9\u00a0 au\tlait\r\n\r\n\r\n\r\nNext\x00line  \n ﬁn ".encode()
    assert dp.clean(raw) == "Café au lait\n\nNext line\nfin"


def test_clean_replaces_invalid_utf8():
    assert dp.clean(b"ok \xff\xfe end") == "ok \ufffd\ufffd end"


@pytest.mark.parametrize("size", [10, 37, 80, 500])
def test_chunks_cover_the_text_within_the_size(size):
    text = " ".join("word%d" % i for i in range(200))
    pieces = dp.chunk(text, size, 0)
    assert all(len(p) <= size for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_chunks_cut_at_paragraphs_and_overlap_at_words():
    text = "First paragraph is here.\n\nSecond paragraph follows it. And more words to fill."
    pieces = dp.chunk(text, 40, 0)
    assert pieces[0] == "First paragraph is here."
    overlapping = dp.chunk(" ".join("w%02d" % i for i in range(40)), 30, 10)
    for before, after in zip(overlapping, overlapping[1:]):
        assert after.split()[0] in before.split()  # shared words, never half a word


def test_chunk_rejects_bad_sizes():
    with pytest.raises(ValueError):
        dp.chunk("x", 10, 10)


def test_empty_text_has_no_chunks():
    assert dp.chunk("", 10) == []


# --- configuration ---------------------------------------------------------------------


def test_config_errors_name_the_problem(tmp_path):
    path = _config(tmp_path, 1, model="")
    with pytest.raises(dp.ConfigError, match="model is empty"):
        dp.load_config(str(path))
    path = _config(tmp_path, 1, bucket="s3://x")
    with pytest.raises(dp.ConfigError, match="unknown configuration keys.*bucket"):
        dp.load_config(str(path))
    path = _config(tmp_path, 1, api_key_file=str(tmp_path / "missing"))
    with pytest.raises(dp.ConfigError, match="API key file"):
        dp.load_config(str(path))


def test_main_reports_a_config_error_as_json(tmp_path, capsys):
    assert dp.main(["--config", str(tmp_path / "nope.json"), "--check"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["failures"][0]["check"] == "config"


def test_check_passes_with_the_key_and_fails_without(tmp_path, gateway, capsys):
    path = _config(tmp_path, gateway.port)
    assert dp.main(["--config", str(path), "--check"]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == ["tiny"]
    (tmp_path / "api-key").write_text("x" * 30)
    assert dp.main(["--config", str(path), "--check"]) == 1
    assert "HTTP 401" in json.loads(capsys.readouterr().out)["failures"][0]["message"]


def test_check_fails_when_the_endpoint_is_down(tmp_path, capsys):
    path = _config(tmp_path, _free_port())
    assert dp.main(["--config", str(path), "--check"]) == 1
    assert json.loads(capsys.readouterr().out)["failures"][0]["check"] == "endpoint"


# --- processing ------------------------------------------------------------------------


def _drop(config, name, text):
    (config.dir("inbox") / name).write_text(text)


def test_documents_go_through_to_done_with_results(tmp_path, gateway):
    worker, config, _ = _worker(tmp_path, gateway.port)
    for i in range(3):
        _drop(config, "doc%d.txt" % i, ("Sentence number %d is here. " % i) * 8)
    _drop(config, ".incoming.txt", "not complete yet")
    _drop(config, "upload.txt.part", "not complete yet")
    _drop(config, "image.png", "not a document")
    assert worker.run_once() == 3
    assert _names(config.dir("done")) == ["doc0.txt", "doc1.txt", "doc2.txt"]
    assert _names(config.dir("processing")) == [] and _names(config.dir("failed")) == []
    assert _names(config.dir("inbox")) == ["image.png", "upload.txt.part"]
    result = json.loads((config.dir("outbox") / "doc1.txt.json").read_text())
    assert result["model"] == "tiny" and len(result["chunks"]) > 1
    assert all(c["response"].startswith("summary of") and len(c["text"]) <= 50 for c in result["chunks"])
    assert all(r["auth"] == "Bearer " + KEY for r in gateway.requests)
    assert gateway.requests[0]["body"]["model"] == "tiny"
    assert worker.stats["documents_done"] == 3


def test_transient_errors_are_retried_and_nothing_is_lost(tmp_path, gateway):
    gateway.script = [502, 503, 429, 401, 504]
    worker, config, logs = _worker(tmp_path, gateway.port, concurrency=1)
    _drop(config, "a.txt", "short text")
    assert worker.run_once() == 1
    assert _names(config.dir("done")) == ["a.txt"]
    assert worker.stats["retries"] == 5
    assert sum("retry in" in line for line in logs) == 5


def test_a_document_the_model_rejects_goes_to_failed(tmp_path, gateway):
    gateway.script = [400]
    worker, config, _ = _worker(tmp_path, gateway.port, concurrency=1)
    _drop(config, "bad.txt", "too long for the model")
    worker.run_once()
    assert _names(config.dir("failed")) == ["bad.txt", "bad.txt.error.json"]
    assert "HTTP 400" in json.loads((config.dir("failed") / "bad.txt.error.json").read_text())["error"]
    assert _names(config.dir("done")) == []


def test_a_document_too_large_goes_to_failed_unsent(tmp_path, gateway):
    worker, config, _ = _worker(tmp_path, gateway.port, max_document_bytes=10)
    _drop(config, "big.txt", "x" * 11)
    worker.run_once()
    assert "big.txt" in _names(config.dir("failed")) and gateway.requests == []


def test_an_empty_document_is_done_with_no_chunks(tmp_path, gateway):
    worker, config, _ = _worker(tmp_path, gateway.port)
    _drop(config, "empty.txt", " \n\t\n")
    worker.run_once()
    assert json.loads((config.dir("outbox") / "empty.txt.json").read_text())["chunks"] == []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_endpoint_down_keeps_the_document_until_it_comes_back(tmp_path):
    """The tunnel is down: the worker retries, the document waits in processing/; a stop
    leaves it there, the next start requeues it and finishes once the gateway is back."""
    port = _free_port()
    worker, config, logs = _worker(tmp_path, port)
    _drop(config, "wait.txt", "important document")
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        for _ in range(200):
            if worker.stats["retries"] >= 3:
                break
            threading.Event().wait(0.02)
        assert worker.stats["retries"] >= 3
        assert _names(config.dir("processing")) == ["wait.txt"]
    finally:
        worker.stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert _names(config.dir("processing")) == ["wait.txt"]  # interrupted, not lost
    assert _names(config.dir("failed")) == [] and _names(config.dir("done")) == []

    # Restart with the gateway up on that port: requeued, then done.
    with FakeGateway() as server:
        worker2, config2, logs2 = _worker(tmp_path, server.port)
        moved = dp.requeue(config2)
        assert moved == ["wait.txt"]
        worker2.run_once()
        assert _names(config2.dir("done")) == ["wait.txt"]


def test_run_requeues_processing_at_start(tmp_path, gateway):
    worker, config, logs = _worker(tmp_path, gateway.port)
    (config.dir("processing") / "left.txt").write_text("left behind by a crash")
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        for _ in range(200):
            if _names(config.dir("done")) == ["left.txt"]:
                break
            threading.Event().wait(0.02)
    finally:
        worker.stop.set()
        thread.join(5)
    assert _names(config.dir("done")) == ["left.txt"]
    assert any("requeued" in line for line in logs)


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.json"
    dp.write_atomic(target, b"{}")
    dp.write_atomic(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    assert os.listdir(tmp_path) == ["out.json"]


def test_backoff_grows_to_the_cap(tmp_path):
    worker, _, _ = _worker(tmp_path, 1, backoff_initial_s=1, backoff_max_s=8)
    delays = [worker.backoff(n) for n in range(8)]
    assert 0.5 <= delays[0] <= 1 and all(d <= 8 for d in delays) and delays[-1] >= 4

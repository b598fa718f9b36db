#!/usr/bin/python3
"""Preprocessing worker of the hybrid scheme (privateai.deepseek.preprocess_worker).

Reads documents from an inbox directory, cleans and chunks them, sends each chunk to the
private model (an OpenAI-compatible chat completions endpoint behind the gateway, through
the WireGuard tunnel) with its own API key, and writes one JSON result per document to
the outbox. A document is never lost: it moves by rename (atomic on one file system)

    inbox/ -> processing/ -> done/      (result in outbox/<name>.json)
                          -> failed/    (reason in failed/<name>.error.json)

and whatever sits in processing/ when the worker starts (a crash, a restart) goes back
to inbox/. Errors that may pass (connection refused, timeouts, HTTP 408/429/5xx, and
401/403, a key problem the operator fixes) are retried with exponential backoff for as
long as it takes; the document stays where it is. Only an answer that says this document
itself is wrong (HTTP 400/404/413/422, too large, empty after cleaning is fine: zero chunks)
moves it to failed/.

Standard library only; the node's python3. `--check` probes the endpoint once and prints
one JSON line (exit 0 ok, 1 check failed, 2 configuration error).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import ssl
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS = {
    "endpoint": "https://127.0.0.1/v1",
    "model": "",
    "api_key_file": "/etc/deepseek-preprocess/api-key",
    "ca_file": "",
    "state_dir": "/var/lib/deepseek-preprocess",
    "chunk_chars": 1200,
    "chunk_overlap": 100,
    "max_document_bytes": 10 * 1024 * 1024,
    "max_tokens": 64,
    "temperature": 0.0,
    "system_prompt": "Summarise the following text in one sentence.",
    "concurrency": 2,
    "request_timeout_s": 120,
    "poll_interval_s": 2.0,
    "backoff_initial_s": 1.0,
    "backoff_max_s": 60.0,
    "suffixes": [".txt", ".md"],
}

SUBDIRS = ("inbox", "processing", "done", "failed", "outbox")
# A client error that says this document is at fault: retrying cannot help.
PERMANENT_STATUS = {400, 404, 413, 422}


class ConfigError(Exception):
    pass


class TransientError(Exception):
    """Worth retrying: the network, the tunnel, the gateway or the model is away or busy."""


class PermanentError(Exception):
    """This document cannot be processed as it is."""


@dataclass
class Config:
    endpoint: str
    model: str
    api_key: str
    state_dir: Path
    ca_file: str = ""
    chunk_chars: int = 1200
    chunk_overlap: int = 100
    max_document_bytes: int = 10 * 1024 * 1024
    max_tokens: int = 64
    temperature: float = 0.0
    system_prompt: str = DEFAULTS["system_prompt"]
    concurrency: int = 2
    request_timeout_s: float = 120
    poll_interval_s: float = 2.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    suffixes: list = field(default_factory=lambda: list(DEFAULTS["suffixes"]))

    def dir(self, name: str) -> Path:
        return self.state_dir / name


def load_config(path: str) -> Config:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError("cannot read the configuration %s: %s" % (path, exc)) from exc
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise ConfigError("unknown configuration keys in %s: %s" % (path, ", ".join(sorted(unknown))))
    values = dict(DEFAULTS, **raw)
    if not values["model"]:
        raise ConfigError("model is empty in %s" % path)
    if not re.match(r"^https?://", values["endpoint"]):
        raise ConfigError("endpoint must be an http(s) URL, got %r" % values["endpoint"])
    try:
        api_key = Path(values["api_key_file"]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError("cannot read the API key file %s: %s" % (values["api_key_file"], exc)) from exc
    if not api_key:
        raise ConfigError("the API key file %s is empty" % values["api_key_file"])
    if int(values["chunk_chars"]) < 16 or not 0 <= int(values["chunk_overlap"]) < int(values["chunk_chars"]):
        raise ConfigError("chunk_chars must be >= 16 and 0 <= chunk_overlap < chunk_chars")
    return Config(
        endpoint=values["endpoint"].rstrip("/"),
        model=values["model"],
        api_key=api_key,
        state_dir=Path(values["state_dir"]),
        ca_file=values["ca_file"],
        chunk_chars=int(values["chunk_chars"]),
        chunk_overlap=int(values["chunk_overlap"]),
        max_document_bytes=int(values["max_document_bytes"]),
        max_tokens=int(values["max_tokens"]),
        temperature=float(values["temperature"]),
        system_prompt=values["system_prompt"],
        concurrency=max(1, int(values["concurrency"])),
        request_timeout_s=float(values["request_timeout_s"]),
        poll_interval_s=float(values["poll_interval_s"]),
        backoff_initial_s=float(values["backoff_initial_s"]),
        backoff_max_s=float(values["backoff_max_s"]),
        suffixes=list(values["suffixes"]),
    )


# --- cleaning and chunking -------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean(raw: bytes) -> str:
    """Decode (UTF-8, a BOM dropped, bad bytes replaced), NFKC, no control characters,
    one space between words, at most one blank line between paragraphs."""
    text = raw.decode("utf-8-sig", errors="replace")
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def chunk(text: str, size: int, overlap: int = 0) -> list[str]:
    """Split into pieces of at most `size` characters, cut at a paragraph, sentence or
    word boundary where one exists in the second half of the piece; consecutive pieces
    share up to `overlap` characters."""
    if size < 1 or overlap < 0 or overlap >= size:
        raise ValueError("need size >= 1 and 0 <= overlap < size")
    pieces = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start:end]
            for separator in ("\n\n", "\n", ". ", " "):
                cut = window.rfind(separator, size // 2)
                if cut > 0:
                    end = start + cut + len(separator)
                    break
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
        # An overlap starts at a word, not in the middle of one.
        if overlap and start < end:
            space = text.find(" ", start, end)
            if space != -1:
                start = space + 1
    return pieces


# --- the model client ------------------------------------------------------------------


def _ssl_context(config: Config):
    if not config.endpoint.startswith("https://"):
        return None
    return ssl.create_default_context(cafile=config.ca_file or None)


def complete(config: Config, text: str) -> dict:
    """One chat completion; returns {text, usage, latency_s} or raises TransientError /
    PermanentError by what the failure says about retrying."""
    body = json.dumps(
        {
            "model": config.model,
            "messages": [
                {"role": "system", "content": config.system_prompt},
                {"role": "user", "content": text},
            ],
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
        }
    ).encode()
    request = urllib.request.Request(
        config.endpoint + "/chat/completions",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + config.api_key},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=config.request_timeout_s, context=_ssl_context(config)) as answer:
            payload = json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", errors="replace")
        if exc.code in PERMANENT_STATUS:
            raise PermanentError("HTTP %d: %s" % (exc.code, detail)) from exc
        raise TransientError("HTTP %d: %s" % (exc.code, detail)) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TransientError("%s: %s" % (type(exc).__name__, getattr(exc, "reason", exc))) from exc
    except ValueError as exc:
        raise TransientError("the answer is not JSON: %s" % exc) from exc
    try:
        message = payload["choices"][0]["message"]
        answer_text = message.get("content") or message.get("reasoning_content") or ""
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise TransientError("unexpected answer: %.200s" % json.dumps(payload)) from exc
    return {"text": answer_text, "usage": payload.get("usage", {}), "latency_s": round(time.monotonic() - started, 4)}


def check(config: Config) -> dict:
    """GET /models with the worker's key: the whole path (tunnel, gateway, key, model)."""
    request = urllib.request.Request(config.endpoint + "/models", headers={"Authorization": "Bearer " + config.api_key})
    failures = []
    models = []
    try:
        with urllib.request.urlopen(request, timeout=15, context=_ssl_context(config)) as answer:
            models = [m.get("id") for m in json.loads(answer.read().decode("utf-8")).get("data", [])]
    except urllib.error.HTTPError as exc:
        failures.append(
            {
                "check": "endpoint",
                "severity": "error",
                "message": "HTTP %d" % exc.code,
                "advice": "check the worker's API key (a gateway client) and the gateway's routes",
            }
        )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        failures.append(
            {
                "check": "endpoint",
                "severity": "error",
                "message": str(getattr(exc, "reason", exc)),
                "advice": "is the tunnel up (wg show) and the gateway listening on the tunnel address?",
            }
        )
    if not failures and config.model not in models:
        failures.append(
            {
                "check": "model",
                "severity": "error",
                "message": "%s not in %s" % (config.model, models),
                "advice": "set preprocess_worker_model to the served model name",
            }
        )
    return {"ok": not failures, "endpoint": config.endpoint, "models": models, "failures": failures}


# --- files -----------------------------------------------------------------------------


def ensure_dirs(config: Config) -> None:
    for name in SUBDIRS:
        config.dir(name).mkdir(parents=True, exist_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, rename: a reader sees the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def requeue(config: Config) -> list[str]:
    """Put what an interrupted run left in processing/ back in the inbox."""
    moved = []
    for path in sorted(config.dir("processing").iterdir()):
        if path.is_file() and not path.name.startswith("."):
            os.replace(path, config.dir("inbox") / path.name)
            moved.append(path.name)
    return moved


def pending(config: Config) -> list[Path]:
    """Complete documents in the inbox, oldest first. Writers drop a file in under a
    dot-name or with .tmp/.part and rename it when it is whole."""
    found = []
    for path in config.dir("inbox").iterdir():
        name = path.name
        if name.startswith(".") or name.endswith((".tmp", ".part")) or not path.is_file():
            continue
        if config.suffixes and path.suffix.lower() not in config.suffixes:
            continue
        found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


class Worker:
    def __init__(self, config: Config, log=None, sleep=None):
        self.config = config
        self.stop = threading.Event()
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self._sleep = sleep or self.stop.wait
        self.stats = {"documents_done": 0, "documents_failed": 0, "chunks_sent": 0, "retries": 0}

    def backoff(self, attempt: int) -> float:
        base = min(self.config.backoff_max_s, self.config.backoff_initial_s * (2 ** min(attempt, 30)))
        return base * (0.5 + random.random() / 2)

    def call_with_retry(self, text: str) -> dict:
        attempt = 0
        while True:
            try:
                return complete(self.config, text)
            except TransientError as exc:
                if self.stop.is_set():
                    raise
                delay = self.backoff(attempt)
                self.stats["retries"] += 1
                self.log("retry in %.1fs (attempt %d): %s" % (delay, attempt + 1, exc))
                self._sleep(delay)
                if self.stop.is_set():
                    raise
                attempt += 1

    def process(self, path: Path) -> str:
        """One document, from the inbox to done/ or failed/. Returns the outcome; a stop
        request leaves the document in processing/ (requeued at the next start)."""
        config = self.config
        name = path.name
        work = config.dir("processing") / name
        os.replace(path, work)
        started = time.time()
        try:
            raw = work.read_bytes()
            if len(raw) > config.max_document_bytes:
                raise PermanentError(
                    "%d bytes, more than max_document_bytes %d" % (len(raw), config.max_document_bytes)
                )
            pieces = chunk(clean(raw), config.chunk_chars, config.chunk_overlap)
            with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
                answers = list(pool.map(self.call_with_retry, pieces))
        except PermanentError as exc:
            write_atomic(
                config.dir("failed") / (name + ".error.json"),
                json.dumps({"document": name, "error": str(exc), "at": time.time()}).encode(),
            )
            os.replace(work, config.dir("failed") / name)
            self.stats["documents_failed"] += 1
            self.log("%s failed: %s" % (name, exc))
            return "failed"
        except TransientError:
            # Only when stopping: the document stays in processing/ and is requeued.
            return "interrupted"
        result = {
            "document": name,
            "model": config.model,
            "started_at": started,
            "finished_at": time.time(),
            "chunks": [
                {
                    "index": i,
                    "text": piece,
                    "response": answer["text"],
                    "usage": answer["usage"],
                    "latency_s": answer["latency_s"],
                }
                for i, (piece, answer) in enumerate(zip(pieces, answers))
            ],
        }
        write_atomic(config.dir("outbox") / (name + ".json"), json.dumps(result, ensure_ascii=False).encode())
        os.replace(work, config.dir("done") / name)
        self.stats["documents_done"] += 1
        self.stats["chunks_sent"] += len(pieces)
        self.log("%s done: %d chunk(s) in %.2fs" % (name, len(pieces), result["finished_at"] - started))
        return "done"

    def run_once(self) -> int:
        count = 0
        for path in pending(self.config):
            if self.stop.is_set():
                break
            try:
                self.process(path)
            except FileNotFoundError:
                continue  # taken by another worker on the same directory
            count += 1
        return count

    def run(self) -> None:
        ensure_dirs(self.config)
        moved = requeue(self.config)
        if moved:
            self.log("requeued from processing/: %s" % ", ".join(moved))
        self.log("watching %s, sending to %s" % (self.config.dir("inbox"), self.config.endpoint))
        while not self.stop.is_set():
            if self.run_once() == 0:
                self.stop.wait(self.config.poll_interval_s)
        self.log("stopped: %s" % json.dumps(self.stats))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="/etc/deepseek-preprocess/worker.json")
    parser.add_argument("--check", action="store_true", help="probe the endpoint once, print JSON, exit 0/1")
    parser.add_argument("--once", action="store_true", help="process what is in the inbox now, then exit")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(
            json.dumps(
                {
                    "ok": False,
                    "failures": [
                        {
                            "check": "config",
                            "severity": "error",
                            "message": str(exc),
                            "advice": "fix the worker configuration",
                        }
                    ],
                }
            )
        )
        return 2
    if args.check:
        result = check(config)
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    worker = Worker(config)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop.set())
    signal.signal(signal.SIGINT, lambda *_: worker.stop.set())
    if args.once:
        ensure_dirs(config)
        requeue(config)
        worker.run_once()
        return 0
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

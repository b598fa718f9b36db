# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse an OpenAI-compatible streaming response (server-sent events) into timings.

Pure code, no network: bytes go in with the time they arrived, timings come out.
The parser is on the hot path of the benchmark client, so it works on bytes with
find/split, calls json.loads only on complete `data:` events and takes the time
once per network read (the caller passes `now`), not once per token.

Token timing follows `vllm bench serve` (vllm/benchmarks/lib/endpoint_request_func.py):
- a "token chunk" is an event whose `choices` list is not empty;
- TTFT is the arrival of the first token chunk that carries text (chat:
  delta.content, delta.reasoning_content or delta.reasoning; completions: text).
  vLLM also times a text-less first chunk; we skip it because chat servers send
  the role announcement (`delta: {role: assistant, content: ""}`) first, and a
  gateway may send it before the prompt is even processed;
- after the first token every token chunk counts, empty text included (special
  tokens such as EOS stream as an empty delta; usage counts them too), adding one
  inter-token latency (ITL) and moving the end of the request (E2EL);
- the usage chunk (`stream_options.include_usage`; `choices` empty) carries
  completion_tokens and prompt_tokens and does not move the end.
"""

from __future__ import absolute_import, division, print_function

import json

# Failure categories, also the keys of the result's `failures` dict.
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"
MALFORMED_STREAM = "malformed_stream"
SERVER_ERROR_EVENT = "server_error_event"

_DONE = b"[DONE]"
_MAX_MESSAGE = 300


def http_status_category(status):
    return "http_%d" % status


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def error_message_from_body(body):
    """The readable part of an OpenAI-style error body (bytes or text)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        obj = json.loads(body)
    except ValueError:
        return _short(body)
    if isinstance(obj, dict):
        error = obj.get("error", obj)
        if isinstance(error, dict) and error.get("message"):
            return _short(error["message"])
        if isinstance(error, str):
            return _short(error)
    return _short(body)


class StreamParser(object):
    """Incremental SSE parser for one streamed completion.

    feed(data, now) for every network read, finish() at end of stream; then
    read first_token_at, last_token_at, itl, token_chunks, completion_tokens,
    prompt_tokens, done and error ((category, message) or None).
    """

    __slots__ = (
        "_chat",
        "_buffer",
        "_data",
        "_event",
        "first_token_at",
        "last_token_at",
        "itl",
        "token_chunks",
        "completion_tokens",
        "prompt_tokens",
        "done",
        "error",
    )

    def __init__(self, api="chat"):
        self._chat = api != "completions"
        self._buffer = b""
        self._data = []
        self._event = None
        self.first_token_at = None
        self.last_token_at = None
        self.itl = []
        self.token_chunks = 0
        self.completion_tokens = None
        self.prompt_tokens = None
        self.done = False
        self.error = None

    @property
    def finished(self):
        """Nothing more of interest can come: [DONE] seen or the stream failed."""
        return self.done or self.error is not None

    def feed(self, data, now):
        buffer = self._buffer + data if self._buffer else data
        start = 0
        while not self.finished:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            self._line(buffer[start:end], now)
            start = end + 1
        self._buffer = buffer[start:] if not self.finished else b""

    def finish(self, now):
        """End of stream: a last line without newline or a last event without blank line still counts."""
        if self._buffer and not self.finished:
            self._line(self._buffer, now)
        self._buffer = b""
        if self._data and not self.finished:
            self._dispatch(now)

    def _line(self, line, now):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            if self._data:
                self._dispatch(now)
            self._event = None
        elif line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
        elif line.startswith(b":"):
            pass  # keep-alive comment
        elif line.startswith(b"event:"):
            self._event = line[6:].strip()
        # id: and retry: fields mean nothing to a completion stream.

    def _dispatch(self, now):
        data = self._data
        self._data = []
        payload = data[0] if len(data) == 1 else b"\n".join(data)
        if payload == _DONE:
            self.done = True
            return
        try:
            objects = [json.loads(payload)]
        except ValueError:
            objects = self._split_data_lines(data)
            if objects is None:
                text = payload[:200].decode("utf-8", "replace")
                self.error = (MALFORMED_STREAM, "invalid JSON in stream: %s" % _short(text))
                return
        for obj in objects:
            if obj == _DONE:
                self.done = True
                return
            self._handle(obj, now)
            if self.error is not None:
                return

    @staticmethod
    def _split_data_lines(lines):
        # Some servers end events with one newline instead of two: then one "event"
        # holds several complete JSON lines. Only tried once normal parsing failed.
        if len(lines) < 2:
            return None
        objects = []
        for line in lines:
            if line == _DONE:
                objects.append(_DONE)
                continue
            try:
                objects.append(json.loads(line))
            except ValueError:
                return None
        return objects

    def _handle(self, obj, now):
        if not isinstance(obj, dict):
            self.error = (MALFORMED_STREAM, "stream event is not a JSON object: %s" % _short(obj))
            return
        if self._event == b"error" or obj.get("error") or obj.get("object") == "error":
            self.error = (SERVER_ERROR_EVENT, error_message_from_body(json.dumps(obj)))
            return
        choices = obj.get("choices")
        if choices:
            self._token_chunk(choices[0], now)
        usage = obj.get("usage")
        if usage:
            if usage.get("completion_tokens") is not None:
                self.completion_tokens = usage["completion_tokens"]
            if usage.get("prompt_tokens") is not None:
                self.prompt_tokens = usage["prompt_tokens"]

    def _token_chunk(self, choice, now):
        if self.first_token_at is None:
            if not self._has_text(choice):
                return  # role announcement or other text-less preamble
            self.first_token_at = now
        else:
            self.itl.append(now - self.last_token_at)
        self.last_token_at = now
        self.token_chunks += 1

    def _has_text(self, choice):
        if not self._chat:
            return bool(choice.get("text"))
        delta = choice.get("delta") or {}
        return bool(delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning"))


class RequestRecord(object):
    """What one request produced: timings in seconds (perf_counter), tokens, or why it failed."""

    __slots__ = (
        "start",
        "ttft",
        "latency",
        "itl",
        "output_tokens",
        "token_count_source",
        "prompt_tokens",
        "prompt_token_source",
        "success",
        "category",
        "message",
    )

    def __init__(self, start=0.0, prompt_tokens=None, **fields):
        self.start = start
        self.ttft = None
        self.latency = None
        self.itl = []
        self.output_tokens = 0
        self.token_count_source = None
        self.prompt_tokens = prompt_tokens
        self.prompt_token_source = "requested" if prompt_tokens is not None else None
        self.success = False
        self.category = None
        self.message = None
        for name, value in fields.items():
            setattr(self, name, value)

    def fail(self, category, message):
        self.success = False
        self.category = category
        self.message = _short(message)
        return self

    def complete_from(self, parser):
        """Fill from a parser that reached end of stream; a stream that did not finish cleanly fails."""
        if parser.error is not None:
            return self.fail(*parser.error)
        if parser.first_token_at is None:
            if not parser.done:
                return self.fail(CONNECTION_ERROR, "stream ended before any token and without data: [DONE]")
            return self.fail(MALFORMED_STREAM, "stream finished without any token")
        if not parser.done:
            return self.fail(
                CONNECTION_ERROR, "stream ended after %d chunks without data: [DONE]" % parser.token_chunks
            )
        self.success = True
        self.ttft = parser.first_token_at - self.start
        self.latency = parser.last_token_at - self.start
        self.itl = parser.itl
        if parser.completion_tokens:
            self.output_tokens = parser.completion_tokens
            self.token_count_source = "usage"
        else:
            # No usage from the server: one token per chunk, as vLLM streams by
            # default; a server that batches tokens into chunks is undercounted.
            self.output_tokens = parser.token_chunks
            self.token_count_source = "chunks"
        if parser.prompt_tokens is not None:
            self.prompt_tokens = parser.prompt_tokens
            self.prompt_token_source = "usage"
        return self

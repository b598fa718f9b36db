# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's HTTP side: pre-flight check, timed streaming requests, load loops (aiohttp).

Takes options as validated by inference_benchmark.validate_options. A request never
raises for what the server or the network does: it becomes a failed RequestRecord
with a category (http_<status>, timeout, connection_error, malformed_stream,
server_error_event). Only the pre-flight raises, with a message for a person.

Timeouts: connect_timeout (TCP connect), ttft_timeout (send to first token; a slow
first byte fails as `timeout`), request_timeout (the whole request).
"""

from __future__ import absolute_import, division, print_function

import asyncio
import json
import random
import ssl
import traceback
from time import perf_counter

try:
    import aiohttp

    HAS_AIOHTTP = True
    AIOHTTP_IMPORT_ERROR = None
except ImportError:
    HAS_AIOHTTP = False
    AIOHTTP_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_load import (
    API_PATHS,
    BenchmarkError,
    InputError,
    RequestFactory,
    arrival_gap,
    arrival_offsets,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_progress import Progress, estimate_seconds
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_sse import (
    CONNECTION_ERROR,
    TIMEOUT,
    RequestRecord,
    StreamParser,
    error_message_from_body,
    http_status_category,
)

_PROBE_PROMPT = "Hi"


class EndpointUnreachableError(BenchmarkError):
    """No connection to the endpoint, or no answer in time."""


class TLSVerificationError(BenchmarkError):
    """The endpoint's certificate is not trusted."""


class AuthenticationError(BenchmarkError):
    """The endpoint rejected the API key (HTTP 401/403)."""


class PreflightError(BenchmarkError):
    """The endpoint answers, but not as an OpenAI-compatible server able to serve the run."""


def _sampling(opts, probe=False):
    sampling = {"temperature": opts["temperature"]}
    if opts["ignore_eos"]:
        sampling["ignore_eos"] = True  # vLLM extension: generate exactly max_tokens
    if opts["min_tokens"] and not probe:
        sampling["min_tokens"] = opts["min_tokens"]
    sampling.update(opts["extra_body"] or {})
    return sampling


def _request_headers(opts):
    headers = {"Content-Type": "application/json"}
    if opts["api_key"]:
        headers["Authorization"] = "Bearer %s" % opts["api_key"]
    headers.update((name, str(value)) for name, value in (opts["headers"] or {}).items())
    return headers


def make_ssl_context(url, validate_certs=True, ca_path=None):
    """aiohttp's ssl argument: None for http, False to skip verification, or a context."""
    if not url.startswith("https://"):
        return None
    if not validate_certs:
        return False
    try:
        return ssl.create_default_context(cafile=ca_path)
    except (OSError, ssl.SSLError) as exc:
        raise InputError("cannot load the CA file %s (O(ca_path)): %s" % (ca_path, exc))


# --- one request -------------------------------------------------------------


async def _open_until_first_token(session, url, body, headers, parser, holder):
    response = await session.post(url, data=body, headers=headers)
    holder.append(response)
    if response.status != 200:
        detail = error_message_from_body(await response.content.read(4096))
        return http_status_category(response.status), "HTTP %d: %s" % (response.status, detail)
    content = response.content
    while parser.first_token_at is None and not parser.finished:
        data = await content.readany()
        if not data:
            break
        parser.feed(data, perf_counter())
    return None


async def send_request(session, url, prepared, headers, api, ttft_timeout=None):
    """Send one streaming request and time it; never raises for what the server does."""
    record = RequestRecord(prompt_tokens=prepared.prompt_tokens)
    parser = StreamParser(api)
    holder = []
    record.start = perf_counter()
    try:
        first = _open_until_first_token(session, url, prepared.body, headers, parser, holder)
        failure = await (asyncio.wait_for(first, ttft_timeout) if ttft_timeout else first)
        if failure:
            return record.fail(*failure)
        content = holder[0].content
        while True:
            data = await content.readany()
            if not data:
                break
            if not parser.finished:
                parser.feed(data, perf_counter())
            elif parser.error:
                break
        parser.finish(perf_counter())
        return record.complete_from(parser)
    except asyncio.TimeoutError:
        if parser.first_token_at is None and ttft_timeout:
            return record.fail(TIMEOUT, "no first token within ttft_timeout %gs" % ttft_timeout)
        return record.fail(TIMEOUT, "response not complete within request_timeout")
    except aiohttp.ClientPayloadError as exc:
        return record.fail(CONNECTION_ERROR, "stream cut after %d chunks: %s" % (parser.token_chunks, exc))
    except (aiohttp.ClientError, OSError) as exc:
        return record.fail(CONNECTION_ERROR, "%s: %s" % (type(exc).__name__, exc))
    finally:
        if holder:
            # A connection with unread bytes cannot serve the next request: close it.
            response = holder[0]
            if response.content.at_eof():
                response.release()
            else:
                response.close()


# --- pre-flight ----------------------------------------------------------------


def _connection_problem(base, exc, what):
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return TLSVerificationError(
            "TLS certificate of %s is not trusted (%s): give O(ca_path) (the CA that signed it), "
            "or O(validate_certs=false)" % (base, exc.certificate_error)
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return TLSVerificationError("TLS handshake with %s failed: %s" % (base, exc))
    if isinstance(exc, asyncio.TimeoutError):
        return EndpointUnreachableError("endpoint %s did not answer %s in time" % (base, what))
    reason = exc
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, ConnectionRefusedError):
        reason = "connection refused"
    elif os_error is not None and os_error.strerror:
        reason = os_error.strerror
    return EndpointUnreachableError("endpoint %s unreachable: %s" % (base, reason))


def _rejected_key(base, status, detail, opts):
    if not opts["api_key"]:
        return AuthenticationError("endpoint %s requires an API key (HTTP %d): %s" % (base, status, detail))
    return AuthenticationError("API key rejected (HTTP %d) by %s: %s" % (status, base, detail))


async def preflight(session, opts):
    """GET /v1/models, then one 1-token request; returns the model name. Raises BenchmarkError subclasses."""
    base, headers = opts["url"], _request_headers(opts)
    timeout = aiohttp.ClientTimeout(total=opts["preflight_timeout"], sock_connect=opts["connect_timeout"])
    try:
        async with session.get(base + "/v1/models", headers=headers, timeout=timeout) as response:
            status, body = response.status, await response.read()
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise _connection_problem(base, exc, "GET /v1/models")
    if status in (401, 403):
        raise _rejected_key(base, status, error_message_from_body(body), opts)
    if status != 200:
        detail = error_message_from_body(body)
        raise PreflightError(
            "GET %s/v1/models answered HTTP %d: %s (is this an OpenAI-compatible API?)" % (base, status, detail)
        )
    model = opts["model"] or _first_model(base, body)
    probe = RequestFactory(opts["api"], model, None, sampling=_sampling(opts, probe=True)).build(
        {"prompt": _PROBE_PROMPT}, 1, None
    )
    record = await send_request(
        session, base + API_PATHS[opts["api"]], probe, headers, opts["api"], opts["preflight_timeout"]
    )
    if record.category in ("http_401", "http_403"):
        raise _rejected_key(base, int(record.category[5:]), record.message, opts)
    if not record.success:
        raise PreflightError(
            "test request to %s%s with model %s failed (%s): %s"
            % (base, API_PATHS[opts["api"]], model, record.category, record.message)
        )
    return model


def _first_model(base, body):
    try:
        return json.loads(body)["data"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise PreflightError("%s/v1/models lists no model: give O(model)" % base)


# --- load ----------------------------------------------------------------------


class _StopRule(object):
    """May another request start? At most `limit` starts, none after `deadline` (perf_counter)."""

    def __init__(self, limit=None, duration=None):
        self.limit = limit
        self.deadline = perf_counter() + duration if duration else None
        self.started = 0

    def allows(self, at=None):
        if self.limit is not None and self.started >= self.limit:
            return False
        return self.deadline is None or (perf_counter() if at is None else at) < self.deadline


async def _closed_loop(send, factory, concurrency, stop):
    records = []

    async def worker():
        while stop.allows():
            stop.started += 1
            records.append(await send(factory.next()))

    await asyncio.gather(*[worker() for _worker in range(concurrency)])
    return records


async def _open_loop(send, factory, load, rng, stop):
    cap = asyncio.Semaphore(load["max_concurrency"]) if load.get("max_concurrency") else None
    rate, burstiness = load["request_rate"], load["burstiness"]

    async def limited(prepared):
        if cap is None:
            return await send(prepared)
        async with cap:  # send() starts its clock after the wait, as vLLM's does
            return await send(prepared)

    # A known count gets vLLM's rescaled offsets; a duration draws gaps as it goes.
    offsets = arrival_offsets(rng, stop.limit, rate, burstiness) if stop.deadline is None else None
    start, at, tasks = perf_counter(), 0.0, []
    while stop.limit is None or stop.started < stop.limit:
        at = offsets[stop.started] if offsets is not None else at + arrival_gap(rng, rate, burstiness)
        if not stop.allows(start + at):
            break
        delay = start + at - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        stop.started += 1
        tasks.append(asyncio.ensure_future(limited(factory.next())))
    return list(await asyncio.gather(*tasks))


async def measure(opts, load, do_preflight=True, warmup=0, progress=None):
    """Run one load point: (request records, wall time in s). Sets opts['model'] after the pre-flight.
    progress: benchmark_progress.Progress hooks, told of each counted request."""
    progress = progress or Progress()
    base = opts["url"]
    if opts["unix_socket"]:
        connector = aiohttp.UnixConnector(path=opts["unix_socket"], limit=0, keepalive_timeout=60)
    else:
        connector = aiohttp.TCPConnector(
            limit=0, ssl=make_ssl_context(base, opts["validate_certs"], opts["ca_path"]), keepalive_timeout=60
        )
    timeout = aiohttp.ClientTimeout(total=opts["request_timeout"], sock_connect=opts["connect_timeout"])
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if do_preflight:
            opts["model"] = await preflight(session, opts)
        elif not opts["model"]:
            raise InputError("O(model) must be given when O(preflight=false)")
        url, headers, api = base + API_PATHS[opts["api"]], _request_headers(opts), opts["api"]

        def send(prepared):
            return send_request(session, url, prepared, headers, api, opts["ttft_timeout"])

        seed = opts["seed"]
        factory = RequestFactory(
            api,
            opts["model"],
            random.Random("%s/prompts" % seed),
            opts["input_len"],
            opts["output_len"],
            opts["prompts"],
            _sampling(opts),
        )
        if warmup:
            width = load.get("concurrency") or load.get("max_concurrency") or warmup
            for record in await _closed_loop(send, factory, min(width, warmup), _StopRule(limit=warmup)):
                progress.measured(record)

        async def counted(prepared):
            record = await send_request(session, url, prepared, headers, api, opts["ttft_timeout"])
            progress.advance(record)
            return record

        total, duration = opts["num_requests"], opts["duration"]
        estimate = estimate_seconds(load, total, duration, progress.seconds_per_request)
        progress.start(describe_load(load), total, duration, estimate)
        send = counted
        stop = _StopRule(opts["num_requests"], opts["duration"])
        started = perf_counter()
        if load["mode"] == "concurrency":
            records = await _closed_loop(send, factory, load["concurrency"], stop)
        else:
            records = await _open_loop(send, factory, load, random.Random("%s/arrivals" % seed), stop)
        progress.close()
        return records, perf_counter() - started


def describe_load(load):
    """'concurrency 8' or 'rate 4 req/s': how a load point is named in reports and progress."""
    if load["mode"] == "concurrency":
        return "concurrency %d" % load["concurrency"]
    return "rate %s req/s" % ("inf" if load["request_rate"] is None else "%g" % load["request_rate"])

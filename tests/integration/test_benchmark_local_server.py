"""inference_benchmark against a local scripted OpenAI-compatible streaming server.

The server (aiohttp.web on 127.0.0.1, a random port, and on a Unix socket as vLLM's --uds
serves, in its own thread) streams with
known delays: a role chunk at once, the first token after 200 ms, then a token every
50 ms, 10 tokens, a usage chunk and [DONE]. So TTFT = 200 ms, ITL = TPOT = 50 ms,
E2EL = 650 ms, and the measured figures are asserted within tolerance. The X-Scenario
request header (the client's extra headers) picks failures: HTTP 500, a connection
dropped mid-stream, a first byte later than the client's ttft_timeout, an error
event mid-stream, invalid JSON, no usage chunk, or a mix of them in turn.
"""

import asyncio
import datetime
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.privateai.deepseek.cli import inference_benchmark as cli
from ansible_collections.privateai.deepseek.plugins.module_utils import inference_benchmark as bench

FIRST_TOKEN_S = 0.200
TOKEN_GAP_S = 0.050
TOKENS = 10
PROMPT_TOKENS = 7
E2EL_MS = 1000 * (FIRST_TOKEN_S + (TOKENS - 1) * TOKEN_GAP_S)  # 650 ms
TOLERANCE_MS = 30
SLOW_FIRST_BYTE_S = 1.5
API_KEY = "sk-local-test"
MIXED = ("normal", "http500", "drop", "slow", "error_event", "garbage")
COLLECTIONS = Path(__file__).resolve().parents[2] / ".build" / "collections"


class ScriptedServer:
    """The streaming server and what it saw: request bodies and peak requests in flight."""

    def __init__(self):
        self.bodies = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.mixed_counter = 0
        self.loop = None
        self.runner = None
        self.http_port = None
        self.https_port = None
        self.unix_socket = None

    def reset(self):
        # Handlers the last test left behind (a slow first byte sleeps on) finish first.
        deadline = time.monotonic() + 2 * SLOW_FIRST_BYTE_S
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        self.bodies.clear()
        self.max_in_flight = 0
        self.mixed_counter = 0

    # --- handlers ---------------------------------------------------------

    def _authorized(self, request):
        return request.headers.get("Authorization") == "Bearer " + API_KEY

    async def models(self, request):
        if not self._authorized(request):
            return web.json_response({"error": {"message": "invalid API key", "code": 401}}, status=401)
        return web.json_response({"object": "list", "data": [{"id": "tiny-deepseek", "object": "model"}]})

    async def chat(self, request):
        return await self._completion(request, chat=True)

    async def completions(self, request):
        return await self._completion(request, chat=False)

    async def _completion(self, request, chat):
        if not self._authorized(request):
            return web.json_response({"error": {"message": "invalid API key", "code": 401}}, status=401)
        body = await request.json()
        probe = body.get("max_tokens") == 1
        scenario = "probe" if probe else request.headers.get("X-Scenario", "normal")
        if scenario == "mixed":
            scenario = MIXED[self.mixed_counter % len(MIXED)]
            self.mixed_counter += 1
        if not probe:
            self.bodies.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._respond(request, scenario, chat)
        except (ConnectionError, asyncio.CancelledError, RuntimeError):
            return web.Response(status=499)  # the client went away (timeout test)
        finally:
            if not probe:
                self.in_flight -= 1

    async def _respond(self, request, scenario, chat):
        if scenario == "http500":
            return web.json_response({"error": {"message": "boom", "code": 500}}, status=500)
        if scenario == "slow":
            await asyncio.sleep(SLOW_FIRST_BYTE_S)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        newline = "\n" if chat else "\r\n"  # the completions stream uses CRLF

        def event(obj):
            return ("data: " + json.dumps(obj) + newline + newline).encode()

        def token(i):
            if chat:
                return event({"choices": [{"index": 0, "delta": {"content": " w%d" % i}, "finish_reason": None}]})
            return event({"choices": [{"index": 0, "text": " w%d" % i, "finish_reason": None}]})

        await response.write((": keep-alive" + newline + newline).encode())
        if chat:  # the role announcement, at once, before any token: not the first token
            await response.write(event({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}))
        tokens = 1 if scenario == "probe" else TOKENS
        start = time.perf_counter()
        for i in range(tokens):
            due = start + (0 if scenario == "probe" else FIRST_TOKEN_S + i * TOKEN_GAP_S)
            data = token(i)
            if i == 4:  # half an event early: the client must wait for the rest
                await asyncio.sleep(max(0.0, due - 0.02 - time.perf_counter()))
                await response.write(data[:17])
                data = data[17:]
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await response.write(data)
            if i == 2 and scenario == "drop":
                request.transport.abort()
                return response
            if i == 2 and scenario == "error_event":
                await response.write(event({"error": {"message": "engine died", "type": "InternalError", "code": 500}}))
                await response.write(b"data: [DONE]" + newline.encode() * 2)
                return response
            if i == 2 and scenario == "garbage":
                await response.write(b"data: {not json" + newline.encode() * 2)
                return response
        tail = b""
        if scenario != "nousage":
            usage = {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": tokens,
                "total_tokens": PROMPT_TOKENS + tokens,
            }
            tail += event({"choices": [], "usage": usage})
        await response.write(tail + b"data: [DONE]" + newline.encode() * 2)  # two events, one write
        return response

    # --- lifecycle --------------------------------------------------------

    def start(self, tls_context, unix_socket):
        self.unix_socket = str(unix_socket)
        ready = threading.Event()
        thread = threading.Thread(target=self._serve, args=(tls_context, ready), daemon=True)
        thread.start()
        assert ready.wait(10), "scripted server did not start"

    def _serve(self, tls_context, ready):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/completions", self.completions)
        self.runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        plain = web.TCPSite(self.runner, "127.0.0.1", 0)
        secure = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=tls_context)
        local = web.UnixSite(self.runner, self.unix_socket)
        for site in (plain, secure, local):
            self.loop.run_until_complete(site.start())
        self.http_port = plain._server.sockets[0].getsockname()[1]
        self.https_port = secure._server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _certificates(directory):
    """A CA and a server certificate for 127.0.0.1 signed by it, as PEM files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benchmark test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {name: directory / (name + ".pem") for name in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return _certificates(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki, tmp_path_factory):
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(str(pki["cert"]), str(pki["key"]))
    scripted = ScriptedServer()
    scripted.start(tls, tmp_path_factory.mktemp("socket") / "api.sock")
    yield scripted
    scripted.stop()


@pytest.fixture
def url(server):
    server.reset()
    return "http://127.0.0.1:%d" % server.http_port


def run_single(url, **options):
    options.setdefault("api_key", API_KEY)
    options.setdefault("input_len", 16)
    options.setdefault("output_len", TOKENS)
    report = bench.run(dict(url=url, **options))
    assert report["mode"] == "single"
    return report["result"]


def near(value, expected, tolerance=TOLERANCE_MS):
    return abs(value - expected) <= tolerance


# --- timings --------------------------------------------------------------------


def test_chat_timings_match_the_script(url, server):
    result = run_single(url, concurrency=4, num_requests=8, goodput={"ttft": 300, "tpot": 80})

    assert result["completed"] == 8 and result["failed"] == 0
    ttft, tpot, itl, e2el = result["ttft_ms"], result["tpot_ms"], result["itl_ms"], result["e2el_ms"]
    # The role chunk arrives at 0 ms: TTFT is the first token at 200 ms, not the role.
    assert near(ttft["mean"], 1000 * FIRST_TOKEN_S) and near(ttft["p99"], 1000 * FIRST_TOKEN_S), ttft
    assert near(tpot["mean"], 1000 * TOKEN_GAP_S, 10) and near(tpot["p90"], 1000 * TOKEN_GAP_S, 10), tpot
    assert near(itl["median"], 1000 * TOKEN_GAP_S, 10) and near(itl["mean"], 1000 * TOKEN_GAP_S, 10), itl
    assert near(e2el["mean"], E2EL_MS) and near(e2el["p50"], E2EL_MS), e2el
    assert result["total_output_tokens"] == 8 * TOKENS and result["token_count_source"] == "usage"
    assert result["total_input_tokens"] == 8 * PROMPT_TOKENS and result["input_token_count_source"] == "usage"
    # Two waves of 4 requests of 650 ms each.
    assert 1.25 <= result["duration_s"] <= 1.25 + 0.4, result["duration_s"]
    assert result["request_throughput"] == pytest.approx(8 / result["duration_s"])
    assert result["output_throughput"] == pytest.approx(80 / result["duration_s"])
    assert result["peak_concurrent_requests_exact"] == 4 and server.max_in_flight == 4
    assert result["good_requests"] == 8 and result["goodput_fraction"] == 1.0
    assert server.bodies[0]["max_tokens"] == TOKENS and server.bodies[0]["ignore_eos"] is True
    assert server.bodies[0]["temperature"] == 0.0 and server.bodies[0]["stream_options"] == {"include_usage": True}
    assert result["model"] == "tiny-deepseek"  # taken from GET /v1/models


def test_a_unix_socket_endpoint_is_measured_like_a_port(server):
    """As the benchmark playbook measures a node: vLLM on its socket, nothing listening on a port."""
    server.reset()
    result = run_single("http://localhost", unix_socket=server.unix_socket, concurrency=2, num_requests=4)

    assert result["completed"] == 4 and result["failed"] == 0, result["failure_examples"]
    assert near(result["ttft_ms"]["median"], 1000 * FIRST_TOKEN_S)
    assert near(result["e2el_ms"]["median"], E2EL_MS)
    assert result["model"] == "tiny-deepseek"


def test_a_unix_socket_needs_plain_http(server):
    with pytest.raises(bench.InputError, match="unix_socket needs an http:// url"):
        bench.run({"url": "https://localhost", "unix_socket": server.unix_socket, "api_key": API_KEY})


def test_completions_api_with_crlf_stream(url, server):
    result = run_single(url, api="completions", concurrency=2, num_requests=4)

    assert result["completed"] == 4, result["failure_examples"]
    assert near(result["ttft_ms"]["median"], 1000 * FIRST_TOKEN_S)
    assert near(result["tpot_ms"]["median"], 1000 * TOKEN_GAP_S, 10)
    assert near(result["e2el_ms"]["median"], E2EL_MS)
    assert "prompt" in server.bodies[0] and "messages" not in server.bodies[0]


def test_server_without_usage_falls_back_to_counting_chunks(url):
    result = run_single(url, concurrency=2, num_requests=2, headers={"X-Scenario": "nousage"})

    assert result["completed"] == 2
    assert result["token_count_source"] == "chunks" and result["total_output_tokens"] == 2 * TOKENS
    # No usage: prompt tokens fall back to the requested synthetic length.
    assert result["input_token_count_source"] == "requested" and result["total_input_tokens"] == 2 * 16
    assert near(result["tpot_ms"]["mean"], 1000 * TOKEN_GAP_S, 10)


# --- failures are counted, not raised ----------------------------------------------


def test_every_failure_lands_in_its_category(url):
    started = time.perf_counter()
    result = run_single(url, concurrency=6, num_requests=12, ttft_timeout=0.5, headers={"X-Scenario": "mixed"})

    assert result["total_requests"] == 12
    assert result["completed"] == 2, result["failure_examples"]
    assert result["failures"] == {
        "http_500": 2,
        "connection_error": 2,
        "timeout": 2,
        "server_error_event": 2,
        "malformed_stream": 2,
    }, result["failure_examples"]
    assert result["error_rate"] == pytest.approx(10 / 12)
    assert "boom" in result["failure_examples"]["http_500"][0]
    assert "engine died" in result["failure_examples"]["server_error_event"][0]
    assert "ttft_timeout" in result["failure_examples"]["timeout"][0]
    # Only the successful requests feed the latency figures.
    assert near(result["e2el_ms"]["p50"], E2EL_MS)
    # The slow first byte was cut at 0.5 s, not waited for (1.5 s).
    assert time.perf_counter() - started < 6


def test_http_500_on_every_request_is_a_result_not_an_exception(url):
    # The pre-flight probe (max_tokens 1) succeeds; then every real request fails.
    result = run_single(url, concurrency=2, num_requests=3, headers={"X-Scenario": "http500"})

    assert result["completed"] == 0 and result["failures"] == {"http_500": 3}
    assert result["ttft_ms"]["mean"] is None and result["request_throughput"] == 0
    violations = bench.check_thresholds(result, {"max_error_rate": 0.05, "max_p99_ttft_ms": 500})
    assert len(violations) == 2 and "error rate 1" in violations[0] and "not measured" in violations[1]


# --- load shapes ----------------------------------------------------------------


def test_max_concurrency_caps_requests_in_flight_and_ttft_excludes_the_wait(url, server):
    result = run_single(url, request_rate="inf", max_concurrency=3, num_requests=9)

    assert result["completed"] == 9 and server.max_in_flight == 3
    assert result["peak_concurrent_requests_exact"] == 3
    assert 3 * E2EL_MS / 1000 <= result["duration_s"] <= 3 * E2EL_MS / 1000 + 0.5
    assert near(result["ttft_ms"]["p99"], 1000 * FIRST_TOKEN_S)


def test_poisson_rate_spreads_requests_over_count_over_rate(url):
    result = run_single(url, request_rate=20, num_requests=20, seed=7)

    assert result["completed"] == 20
    # vLLM rescales the arrivals so the last send is at 20 / 20 = 1 s.
    assert 1.0 + E2EL_MS / 1000 - 0.05 <= result["duration_s"] <= 1.0 + E2EL_MS / 1000 + 0.4
    assert result["load"] == {
        "mode": "rate",
        "request_rate": 20.0,
        "burstiness": 1.0,
        "max_concurrency": None,
        "num_requests": 20,
        "duration": None,
    }


def test_duration_stops_new_requests_and_lets_running_ones_finish(url):
    result = run_single(url, concurrency=2, duration=1.0)

    # Each worker starts at 0 s and 0.65 s; a third start would be at 1.3 s, past 1 s.
    assert result["total_requests"] == 4 and result["completed"] == 4
    assert result["duration_s"] >= 1.25


def test_warmup_requests_are_sent_but_not_counted(url, server):
    result = run_single(url, concurrency=2, num_requests=2, warmup_requests=3)

    assert len(server.bodies) == 5
    assert result["total_requests"] == 2 and result["warmup_requests"] == 3


def test_sweep_over_concurrency_gives_one_row_per_point(url):
    report = bench.run(
        {
            "url": url,
            "api_key": API_KEY,
            "input_len": 8,
            "output_len": TOKENS,
            "sweep_concurrency": [1, 2],
            "num_requests": 2,
        }
    )

    assert report["mode"] == "sweep" and [p["load"]["concurrency"] for p in report["points"]] == [1, 2]
    assert report["points"][0]["duration_s"] > report["points"][1]["duration_s"]
    rows = [line for line in report["markdown"].splitlines() if line.startswith("| concurrency")]
    assert len(rows) == 2


def test_slo_search_runs_rates_until_the_cap(url, server):
    report = bench.run(
        {
            "url": url,
            "api_key": API_KEY,
            "input_len": 8,
            "output_len": TOKENS,
            "slo_search": True,
            "goodput": {"ttft": 300, "e2el": 800},
            "search_initial_rate": 8,
            "search_max_rate": 16,
            "num_requests": 4,
            "warmup_requests": 1,
        }
    )

    search = report["search"]
    assert report["mode"] == "slo_search" and report["violations"] == []
    assert [t["request_rate"] for t in search["trials"]] == [8, 16] and all(t["passed"] for t in search["trials"])
    assert search["best_rate"] == 16 and search["converged"] and search["best"]["goodput_fraction"] == 1.0
    assert len(server.bodies) == 1 + 4 + 4  # warm-up once, then two points of 4
    assert "Highest request rate meeting the SLOs: 16 req/s." in report["markdown"]


# --- quick, clear failures ---------------------------------------------------------


def test_wrong_api_key_fails_fast_and_says_so(url):
    started = time.perf_counter()
    with pytest.raises(bench.AuthenticationError, match=r"API key rejected \(HTTP 401\).*invalid API key"):
        bench.run({"url": url, "api_key": "wrong", "num_requests": 50})
    assert time.perf_counter() - started < 5


def test_missing_api_key_is_named(url):
    with pytest.raises(bench.AuthenticationError, match="requires an API key"):
        bench.run({"url": url, "num_requests": 50})


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint_fails_fast_and_says_so():
    port = _closed_port()
    started = time.perf_counter()
    with pytest.raises(bench.EndpointUnreachableError, match="127.0.0.1:%d unreachable: connection refused" % port):
        bench.run({"url": "http://127.0.0.1:%d" % port, "num_requests": 50})
    assert time.perf_counter() - started < 5


# --- TLS -----------------------------------------------------------------------------


def test_tls_with_the_ca_file(server, pki):
    result = run_single("https://127.0.0.1:%d/v1" % server.https_port, ca_path=str(pki["ca"]), num_requests=2)
    assert result["completed"] == 2 and result["endpoint"] == "https://127.0.0.1:%d" % server.https_port


def test_tls_without_verification(server):
    result = run_single("https://127.0.0.1:%d" % server.https_port, validate_certs=False, num_requests=1)
    assert result["completed"] == 1


def test_tls_verification_without_the_ca_fails_clearly(server):
    started = time.perf_counter()
    with pytest.raises(bench.TLSVerificationError, match="not trusted.*give ca_path .*, or validate_certs=false"):
        run_single("https://127.0.0.1:%d" % server.https_port, num_requests=1)
    assert time.perf_counter() - started < 5


def test_the_cli_names_its_own_flags_in_the_tls_error(server, capsys):
    """It named the module's options (ca_path, validate_certs), which the CLI does not have."""
    code = cli.main(["--url", "https://127.0.0.1:%d" % server.https_port, "--api-key", API_KEY, "--num-requests", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "not trusted" in err and "give --ca-path (the CA that signed it), or --no-validate-certs" in err, err
    assert "ca_path" not in err and "validate_certs" not in err


# --- command line -------------------------------------------------------------------


def test_cli_prints_markdown_and_exits_0(url, capsys):
    code = cli.main(["--url", url, "--api-key", API_KEY, "--num-requests", "2", "--input-len", "8"])

    out = capsys.readouterr().out
    assert code == 0
    assert "| TTFT |" in out and "| concurrency 1 | 2 | 0 |" in out


def test_cli_measures_through_a_unix_socket(server, capsys):
    """The command docs/benchmark.md gives for a node's vLLM (--unix-socket, --url naming only the path)."""
    server.reset()
    code = cli.main(["--unix-socket", server.unix_socket, "--url", "http://localhost", "--api-key", API_KEY,
                     "--concurrency", "2", "--num-requests", "2", "--input-len", "8"])  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0
    assert "| concurrency 2 | 2 | 0 |" in out


def test_cli_shows_progress_and_the_planned_time(url, capsys):
    """It used to run minutes in silence: now each load point says how long it should take
    (from what the warm-up requests took) and draws requests done / total, rate, time left."""
    code = cli.main(["--url", url, "--api-key", API_KEY, "--sweep-concurrency", "1,2", "--num-requests", "4",
                     "--input-len", "8", "--warmup-requests", "1", "--progress"])  # fmt: skip

    err = capsys.readouterr().err
    assert code == 0
    assert re.search(r"^concurrency 1: 4 requests, about \d+ s$", err, re.M), err
    assert re.search(r"^concurrency 2: 4 requests, about \d+ s$", err, re.M), err  # from the first point's requests
    bars = err.replace("\r", "\n")
    assert re.search(r"concurrency 1: 100%.* 4/4 \[", bars) and re.search(r"concurrency 2: 100%.* 4/4 \[", bars), err
    assert re.search(r"req/s\]", bars), err  # the rate


def test_estimated_time_of_a_load_point():
    from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_progress import estimate_seconds

    closed = {"mode": "concurrency", "concurrency": 8}
    assert estimate_seconds(closed, 100, None, 2.0) == 26.0  # 13 rounds of 8 at 2 s each
    assert estimate_seconds(closed, 100, None, None) is None  # nothing measured yet
    assert estimate_seconds({"mode": "rate", "request_rate": 4.0}, 100, None, None) == 25.0
    assert estimate_seconds(closed, None, 60, None) == 60.0


def test_cli_exits_1_when_a_threshold_is_violated(url, capsys):
    code = cli.main(["--url", url, "--api-key", API_KEY, "--num-requests", "1", "--max-p99-ttft-ms", "50"])

    assert code == 1
    assert "threshold violated: p99 TTFT" in capsys.readouterr().err


def test_cli_exits_2_when_the_endpoint_is_unreachable(capsys):
    code = cli.main(["--url", "http://127.0.0.1:%d" % _closed_port(), "--num-requests", "1"])

    assert code == 2
    assert "cannot run: endpoint" in capsys.readouterr().err


def test_cli_runs_as_python_module_with_json(url, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS), OPENAI_API_KEY=API_KEY)
    output = tmp_path / "report.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansible_collections.privateai.deepseek.cli.inference_benchmark",
            "--url",
            url,
            "--num-requests",
            "2",
            "--goodput",
            "ttft:300",
            "--json",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["result"]["completed"] == 2 and report["result"]["good_requests"] == 2
    assert json.loads(output.read_text()) == report

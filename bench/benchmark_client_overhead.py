"""How fast can the inference_benchmark client go? (Markdown table)

A local server in its own process streams pre-built chat completion chunks: a role
chunk, 256 one-token chunks (one write each, as vLLM streams), a usage chunk and
[DONE]. The benchmark client (the collection's own code, aiohttp) drives it at
concurrency 1, 16 and 64. Whatever rate comes out is a floor for what the client
sustains; the CPU columns say who was the bottleneck. "client CPU per token" is the
figure to compare with a real server: one core parses 1 / that tokens per second.

Two tables: with no delay (writes coalesce, several events per network read: the
highest rate), and paced, one token every --paced-ms per stream (about one read per
token, as from a real server: the per-token cost at its worst).

.venv/bin/python bench/benchmark_client_overhead.py [--tokens 256] [--requests 1000] [--paced-ms 2]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build" / "collections"))

from ansible_collections.privateai.deepseek.plugins.module_utils import inference_benchmark as bench  # noqa: E402
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_client import measure  # noqa: E402
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_stats import compute_metrics  # noqa: E402

CONCURRENCIES = (1, 16, 64)
TICKS = os.sysconf("SC_CLK_TCK")


def _events(tokens):
    def event(obj):
        return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"

    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench"}
    chunks = [event(dict(head, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}]))]
    for i in range(tokens):
        choice = {"index": 0, "delta": {"content": " tok%d" % i}, "logprobs": None, "finish_reason": None}
        chunks.append(event(dict(head, choices=[choice])))
    usage = {"prompt_tokens": 16, "completion_tokens": tokens, "total_tokens": 16 + tokens}
    chunks.append(event(dict(head, choices=[], usage=usage)))
    chunks.append(b"data: [DONE]\n\n")
    return chunks


def serve(tokens, port_pipe, paced_s=0.0):
    from aiohttp import web

    chunks = _events(tokens)

    async def models(request):
        return web.json_response({"object": "list", "data": [{"id": "bench", "object": "model"}]})

    async def chat(request):
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
            if paced_s:
                await asyncio.sleep(paced_s)
        return response

    async def start():
        app = web.Application()
        app.router.add_get("/v1/models", models)
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_pipe.send(site._server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(start())


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def run_point(url, concurrency, requests, tokens):
    opts = bench.validate_options(
        {
            "url": url,
            "model": "bench",
            "concurrency": concurrency,
            "num_requests": requests,
            "input_len": 16,
            "output_len": tokens,
        }
    )
    load = {"mode": "concurrency", "concurrency": concurrency}
    cpu = time.process_time()
    records, duration = asyncio.run(measure(opts, load, do_preflight=False))
    client_cpu = time.process_time() - cpu
    started = time.process_time()
    result = compute_metrics(records, duration, opts["percentiles"])
    stats_cpu = time.process_time() - started
    return result, client_cpu, stats_cpu


def measure_all(tokens, requests_per_point, paced_s):
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(tokens, send, paced_s), daemon=True)
    server.start()
    url = "http://127.0.0.1:%d" % receive.recv()
    try:
        run_point(url, 4, 8, tokens)  # warm-up: imports, connections, server code paths
        rows = []
        for concurrency in CONCURRENCIES:
            requests = max(requests_per_point // 4, concurrency) if concurrency == 1 else requests_per_point
            if paced_s:  # about 2 s a point
                requests = max(concurrency, int(concurrency * 2.0 / (tokens * paced_s)))
            server_cpu = cpu_seconds(server.pid)
            result, client_cpu, stats_cpu = run_point(url, concurrency, requests, tokens)
            server_cpu = cpu_seconds(server.pid) - server_cpu
            assert result["failed"] == 0, result["failure_examples"]
            assert result["total_output_tokens"] == requests * tokens
            rows.append((concurrency, requests, result, client_cpu, stats_cpu, server_cpu))
    finally:
        server.terminate()
        server.join(5)
    return rows


def print_table(title, rows):
    print(title)
    print()
    print(
        "| concurrency | requests | wall (s) | req/s | output tok/s | mean TTFT ms | mean ITL ms | client CPU (of one core) | client CPU per token | server CPU (of one core) | statistics (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for concurrency, requests, result, client_cpu, stats_cpu, server_cpu in rows:
        duration = result["duration_s"]
        print(
            "| %d | %d | %.2f | %.1f | %.0f | %.2f | %.3f | %.0f%% | %.2f µs | %.0f%% | %.2f |"
            % (
                concurrency,
                requests,
                duration,
                result["request_throughput"],
                result["output_throughput"],
                result["ttft_ms"]["mean"],
                result["itl_ms"]["mean"],
                100 * client_cpu / duration,
                1e6 * client_cpu / result["total_output_tokens"],
                100 * server_cpu / duration,
                stats_cpu,
            )
        )
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=256, help="output tokens per request")
    parser.add_argument("--requests", type=int, default=1000, help="requests per concurrency level (no delay)")
    parser.add_argument("--paced-ms", type=float, default=2.0, help="gap between tokens of the paced run (0: skip it)")
    args = parser.parse_args()

    machine = "%d CPUs, Python %s" % (os.cpu_count(), sys.version.split()[0])
    print_table(
        "No delay: %d output tokens per request, one chunk each (%s)." % (args.tokens, machine),
        measure_all(args.tokens, args.requests, 0.0),
    )
    if args.paced_ms:
        print_table(
            "Paced: one token every %g ms per stream, %d per request (%s)." % (args.paced_ms, args.tokens, machine),
            measure_all(args.tokens, args.requests, args.paced_ms / 1000.0),
        )


if __name__ == "__main__":
    main()

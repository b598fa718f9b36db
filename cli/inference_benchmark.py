# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""inference_benchmark outside Ansible: the same code and figures as the module.

    PYTHONPATH=<collections dir> python3 -m ansible_collections.privateai.deepseek.cli.inference_benchmark \
        --url http://node:8000 --api-key "$KEY" --concurrency 8 --num-requests 200

Exit status: 0 ok, 1 a threshold was violated, 2 the benchmark could not run.
Needs aiohttp; not ansible-core.
"""

import argparse
import json
import os
import sys

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_load import API_PATHS
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_report import THRESHOLDS
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark import (
    DEFAULT_NUM_REQUESTS,
    DEFAULTS,
    BenchmarkError,
    InputError,
    run,
)


def _floats(text):
    return [float(part) for part in text.replace(",", " ").split()]


def _ints(text):
    return [int(part) for part in text.replace(",", " ").split()]


def _pairs(values, separator, name):
    pairs = {}
    for value in values or ():
        key, sep, rest = value.partition(separator)
        if not sep or not key.strip():
            raise InputError("%s expects NAME%sVALUE, got %r" % (name, separator, value))
        pairs[key.strip()] = rest.strip()
    return pairs


def build_parser():
    parser = argparse.ArgumentParser(
        prog="inference_benchmark",
        description="Benchmark an OpenAI-compatible endpoint with the metrics of `vllm bench serve`.",
        epilog="Exit status: 0 ok, 1 a threshold was violated, 2 the benchmark could not run.",
    )
    add = parser.add_argument
    add("--url", required=True, help="base URL, e.g. http://node:8000 (with or without /v1)")
    add("--unix-socket", help="connect through this Unix socket (vLLM's --uds); --url then only names the path")
    add("--api", choices=sorted(API_PATHS), default="chat")
    add("--model", help="model name (default: the first of GET /v1/models)")
    add("--api-key", default=os.environ.get("OPENAI_API_KEY"), help="bearer token (default: $OPENAI_API_KEY)")
    add("--header", action="append", metavar="NAME:VALUE", help="extra request header (repeatable)")
    add("--ca-path", help="CA bundle to verify the endpoint's certificate")
    add("--insecure", action="store_true", help="do not verify the TLS certificate")
    add("--no-preflight", action="store_true", help="skip the quick endpoint check")
    for name in ("connect-timeout", "ttft-timeout", "request-timeout", "preflight-timeout"):
        add("--" + name, type=float, metavar="S")
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--concurrency", type=int, help="requests kept in flight (default 1)")
    load.add_argument("--request-rate", type=float, help="requests per second (inf: all at once)")
    load.add_argument("--sweep-concurrency", type=_ints, metavar="N,N,...")
    load.add_argument("--sweep-request-rate", type=_floats, metavar="R,R,...")
    load.add_argument("--slo-search", action="store_true", help="highest request rate meeting the --goodput SLOs")
    add("--burstiness", type=float, help="gamma shape of the arrivals (1: Poisson)")
    add("--max-concurrency", type=int, help="cap on requests in flight with a request rate")
    add("--num-requests", type=int, help="requests a load point sends (default %d)" % DEFAULT_NUM_REQUESTS)
    add("--duration", type=float, metavar="S", help="seconds a load point sends requests")
    add("--warmup-requests", type=int)
    add("--goodput", nargs="+", metavar="METRIC:MS", help="SLOs, e.g. ttft:500 tpot:50 e2el:10000")
    add("--percentiles", type=_floats, metavar="P,P,...", help="default 50,90,99")
    for name in ("search-initial-rate", "search-tolerance", "search-min-rate", "search-max-rate", "goodput-target"):
        add("--" + name, type=float)
    add("--search-max-runs", type=int)
    add("--slo-criterion", choices=("goodput", "percentile"))
    add("--slo-percentile", type=float)
    add("--input-len", type=int, help="synthetic prompt length in tokens (approximate, default 1024)")
    add("--output-len", type=int, help="max_tokens of every request (default 128)")
    add("--prompt", action="append", help="a prompt to send (repeatable; instead of synthetic prompts)")
    add("--prompts-file", help='JSONL: {"prompt": ...} or {"messages": [...]}, optional "max_tokens"')
    add("--no-ignore-eos", action="store_true", help="do not send ignore_eos (servers other than vLLM)")
    add("--min-tokens", type=int)
    add("--temperature", type=float)
    add("--seed", type=int)
    add("--weight-bytes-per-step", type=int, help="weights read per decode step (for the decode ceiling)")
    add("--memory-bandwidth-gbps", type=float, help="GPU memory bandwidth in GB/s (for the decode ceiling)")
    for name in THRESHOLDS:
        add("--" + name.replace("_", "-"), type=float)
    add("--model-dir", help="the served model's directory on this host (its precision and size go in measured_on)")
    add("--endpoint-kind", choices=("direct", "gateway"), help="default: gateway for https URLs, else direct")
    add("--json", action="store_true", help="print the report as JSON instead of Markdown")
    add("--output", metavar="FILE", help="also write the JSON report to FILE")
    return parser


def options_from_args(args):
    options = {name: getattr(args, name, None) for name in DEFAULTS}
    options["headers"] = _pairs(args.header, ":", "--header") or None
    options["validate_certs"] = not args.insecure
    options["preflight"] = not args.no_preflight
    options["ignore_eos"] = not args.no_ignore_eos
    options["slo_search"] = args.slo_search
    options["prompts"] = args.prompt
    if args.goodput:
        try:
            options["goodput"] = {k: float(v) for k, v in _pairs(args.goodput, ":", "--goodput").items()}
        except ValueError:
            raise InputError("--goodput expects METRIC:MS with MS a number, got %r" % (args.goodput,))
    return options


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        report = run(options_from_args(args))
    except BenchmarkError as exc:
        print("inference_benchmark: cannot run: %s" % exc, file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2, sort_keys=True)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")
    print(text if args.json else report["markdown"])
    for violation in report["violations"]:
        print("threshold violated: %s" % violation, file=sys.stderr)
    return 1 if report["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

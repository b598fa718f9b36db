# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark an OpenAI-compatible endpoint as `vllm bench serve` does, from Ansible or a shell.

run(options) -> report: validates the options (see DEFAULTS), checks the endpoint
with one quick request, then measures one load point, a sweep, or searches for the
highest request rate meeting the SLOs, and judges the thresholds. The figures and
their definitions are vLLM's (see benchmark_stats); the client is aiohttp, as in
vLLM, and streams with stream_options.include_usage so token counts come from
the server.

Load: `concurrency` N keeps N requests in flight (a closed loop, what vLLM does
with --max-concurrency N and an infinite rate); `request_rate` sends on gamma /
Poisson arrivals (vLLM's --request-rate and --burstiness), optionally capped by
`max_concurrency`. A point stops after `num_requests` sends or `duration` seconds
(no new sends; requests in flight finish and count). Warm-up requests run before
the first point and are not counted.

CLI: cli/inference_benchmark.py (python -m ansible_collections.privateai.deepseek.cli.inference_benchmark --help)
"""

from __future__ import absolute_import, division, print_function

import asyncio
import copy
import math

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_client import (
    AIOHTTP_IMPORT_ERROR,
    HAS_AIOHTTP,
    AuthenticationError,
    EndpointUnreachableError,
    PreflightError,
    TLSVerificationError,
    describe_load,
    measure,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_context import measured_on
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_load import (
    API_PATHS,
    BenchmarkError,
    InputError,
    meets_slos,
    prompts_from_jsonl,
    prompts_from_list,
    search_highest_rate,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_report import (
    THRESHOLDS,
    check_thresholds,
    render_markdown,
    render_search_markdown,
    render_sweep_markdown,
    required_percentiles,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_stats import (
    compute_metrics,
    decode_ceiling,
    validate_slos,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark_options import OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.model_catalog import (
    CatalogError,
    decode_bytes_per_step,
    get_profile,
)

__all__ = [
    "AIOHTTP_IMPORT_ERROR",
    "AuthenticationError",
    "BenchmarkError",
    "DEFAULTS",
    "EndpointUnreachableError",
    "HAS_AIOHTTP",
    "InputError",
    "PreflightError",
    "TLSVerificationError",
    "check_thresholds",
    "library_options",
    "run",
    "validate_options",
]

# The library's options and defaults: the module's and the CLI's (inference_benchmark_options),
# less those library_options() turns into others (the decode ceiling's) or the caller acts on.
ENTRY_POINT_ONLY = ("model_profile", "quantization", "tensor_parallel_size", "fail_on_violation", "progress_file")
DEFAULTS = dict(
    (name, copy.deepcopy(option.get("default"))) for name, option in OPTIONS.items() if name not in ENTRY_POINT_ONLY
)
DEFAULT_NUM_REQUESTS = 100


# --- options ---------------------------------------------------------------


def _request_rate(text):
    if text is None or text in ("inf", "infinite"):
        return text
    try:
        return float(text)
    except ValueError:
        raise InputError("O(request_rate) must be a number of requests per second or 'inf', got %r" % text)


def library_options(params):
    """The library's options from the module's or the CLI's (the same, inference_benchmark_options):
    request_rate parsed, the decode ceiling derived from model_profile."""
    options = {name: params[name] for name in DEFAULTS if name in params}
    options["request_rate"] = _request_rate(params["request_rate"])
    if params["tensor_parallel_size"] < 1:
        raise InputError("O(tensor_parallel_size) must be >= 1, got %d" % params["tensor_parallel_size"])
    if params["model_profile"]:
        if not params["memory_bandwidth_gbps"]:
            raise InputError("O(model_profile) needs O(memory_bandwidth_gbps) (GB/s of one GPU) for the decode ceiling")
        if params["weight_bytes_per_step"]:
            raise InputError("give O(model_profile) or O(weight_bytes_per_step), not both")
        try:
            profile = get_profile(params["model_profile"])
        except CatalogError as error:
            raise InputError("O(model_profile): %s" % error)
        # An average sequence holds its prompt and half of its answer in the KV cache.
        context = params["input_len"] + params["output_len"] // 2
        options["weight_bytes_per_step"] = int(
            decode_bytes_per_step(profile, params["quantization"], context_tokens=context)
        )
    if options.get("memory_bandwidth_gbps"):
        # Tensor-parallel ranks read their shards at the same time: bandwidths add up.
        options["memory_bandwidth_gbps"] = params["memory_bandwidth_gbps"] * params["tensor_parallel_size"]
    return options


def _positive(options, name, kind=float, allow_none=True, minimum=0, inclusive=False):
    value = options[name]
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or (value < minimum if inclusive else value <= minimum):
        bound = ">= %g" % minimum if inclusive else "> %g" % minimum
        raise InputError(
            "O(%s) must be a %s %s, got %r" % (name, "whole number" if kind is int else "number", bound, value)
        )
    options[name] = kind(value)


def _number_list(options, name, kind):
    values = options[name]
    if values is None:
        return
    if not isinstance(values, (list, tuple)) or not values:
        raise InputError("O(%s) must be a non-empty list, got %r" % (name, values))
    checked = []
    for value in values:
        holder = {name: value}
        _positive(holder, name, kind, allow_none=False)
        checked.append(holder[name])
    options[name] = checked


def validate_options(options):
    """Options with defaults filled in and types checked; raises InputError naming the option."""
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise InputError("unknown option(s): %s" % ", ".join(unknown))
    opts = dict(DEFAULTS)
    opts.update((name, value) for name, value in options.items() if value is not None)
    url = opts["url"]
    if not url or not url.startswith(("http://", "https://")):
        raise InputError("O(url) must start with http:// or https://, got %r" % (url,))
    if opts["unix_socket"] and not url.startswith("http://"):
        raise InputError("O(unix_socket) needs an http:// O(url) (no TLS on the socket), got %r" % (url,))
    # Accept the base URL with or without /v1: the API paths are added here.
    url = url.rstrip("/")
    opts["url"] = url[:-3] if url.endswith("/v1") else url
    if opts["api"] not in API_PATHS:
        raise InputError("O(api) must be one of %s, got %r" % (", ".join(sorted(API_PATHS)), opts["api"]))
    for name in ("connect_timeout", "ttft_timeout", "request_timeout", "preflight_timeout", "burstiness"):
        _positive(opts, name)
    for name in ("concurrency", "max_concurrency", "num_requests", "input_len", "output_len", "min_tokens"):
        _positive(opts, name, int)
    for name in ("search_max_runs",):
        _positive(opts, name, int, allow_none=False)
    _positive(opts, "warmup_requests", int, allow_none=False, inclusive=True)
    for name in ("duration", "search_initial_rate", "search_tolerance", "search_min_rate", "search_max_rate"):
        _positive(opts, name)
    for name in ("weight_bytes_per_step", "memory_bandwidth_gbps"):
        _positive(opts, name)
    _positive(opts, "temperature", inclusive=True, allow_none=False)
    if opts["request_rate"] in ("inf", "infinite"):
        opts["request_rate"] = float("inf")
    _positive(opts, "request_rate")
    _number_list(opts, "sweep_concurrency", int)
    _number_list(opts, "sweep_request_rate", float)
    _number_list(opts, "percentiles", float)
    if any(p > 100 for p in opts["percentiles"]):
        raise InputError("O(percentiles) must be between 0 and 100, got %r" % (opts["percentiles"],))
    for name in THRESHOLDS:
        _positive(opts, name, inclusive=True)
    try:
        opts["goodput"] = validate_slos(opts["goodput"])
    except ValueError as exc:
        raise InputError(str(exc))
    _check_load_choice(opts)
    _check_inputs(opts)
    opts["percentiles"] = required_percentiles(opts["percentiles"], _thresholds(opts))
    if opts["headers"] is not None and not isinstance(opts["headers"], dict):
        raise InputError("O(headers) must be a dict of header names to values")
    if opts["extra_body"] is not None and not isinstance(opts["extra_body"], dict):
        raise InputError("O(extra_body) must be a dict")
    if (opts["weight_bytes_per_step"] is None) != (opts["memory_bandwidth_gbps"] is None):
        raise InputError("O(weight_bytes_per_step) and O(memory_bandwidth_gbps) go together")
    return opts


def _check_load_choice(opts):
    chosen = [name for name in ("concurrency", "request_rate", "sweep_concurrency", "sweep_request_rate") if opts[name]]
    if opts["slo_search"]:
        chosen.append("slo_search")
    if len(chosen) > 1:
        raise InputError("choose one load shape, got %s" % " and ".join("O(%s)" % name for name in chosen))
    if opts["slo_search"]:
        if not opts["goodput"]:
            raise InputError("O(slo_search) needs O(goodput) SLOs (ttft, tpot and/or e2el in ms)")
        if opts["slo_criterion"] not in ("goodput", "percentile"):
            raise InputError("O(slo_criterion) must be 'goodput' or 'percentile', got %r" % (opts["slo_criterion"],))
        if not 0 < opts["goodput_target"] <= 1:
            raise InputError("O(goodput_target) must be in (0, 1], got %r" % (opts["goodput_target"],))
        if not 0 < opts["slo_percentile"] <= 100:
            raise InputError("O(slo_percentile) must be in (0, 100], got %r" % (opts["slo_percentile"],))
        if opts["slo_percentile"] not in opts["percentiles"]:
            opts["percentiles"] = list(opts["percentiles"]) + [opts["slo_percentile"]]
    if not chosen:
        opts["concurrency"] = 1
    unbounded = opts["request_rate"] is not None and math.isinf(opts["request_rate"])
    if unbounded and opts["duration"] is not None and opts["num_requests"] is None:
        raise InputError("O(request_rate=inf) sends everything at once: give O(num_requests), not only O(duration)")
    if opts["num_requests"] is None and opts["duration"] is None:
        opts["num_requests"] = DEFAULT_NUM_REQUESTS


def _check_inputs(opts):
    if opts["prompts"] is not None and opts["prompts_file"] is not None:
        raise InputError("give O(prompts) or O(prompts_file), not both")
    if opts["prompts"] is not None:
        opts["prompts"] = prompts_from_list(opts["prompts"])
    elif opts["prompts_file"] is not None:
        opts["prompts"] = prompts_from_jsonl(opts["prompts_file"])
    if opts["api"] == "completions" and any("prompt" not in entry for entry in opts["prompts"] or ()):
        raise InputError("the completions API takes 'prompt' entries, not 'messages': use O(api=chat)")


def _thresholds(opts):
    return {name: opts[name] for name in THRESHOLDS if opts.get(name) is not None}


def run_load_point(opts, load, do_preflight=True, warmup=0, progress=None):
    """Measure one load point; opts from validate_options. Returns the result dict."""
    if not HAS_AIOHTTP:
        raise BenchmarkError("the Python library aiohttp is required: %s" % AIOHTTP_IMPORT_ERROR)
    records, duration = asyncio.run(measure(opts, load, do_preflight, warmup, progress))
    result = compute_metrics(records, duration, opts["percentiles"], opts["goodput"])
    result.update(
        {
            "endpoint": opts["url"],
            "api": opts["api"],
            "model": opts["model"],
            "load": load,
            "input": _input_summary(opts),
            "warmup_requests": warmup,
            "seed": opts["seed"],
        }
    )
    if opts["weight_bytes_per_step"]:
        result["hardware"] = decode_ceiling(
            opts["weight_bytes_per_step"], opts["memory_bandwidth_gbps"], result["tpot_ms"]["mean"]
        )
    return result


def _input_summary(opts):
    if opts["prompts"]:
        source = "prompts_file" if opts["prompts_file"] else "prompts"
        return {"source": source, "prompts": len(opts["prompts"]), "output_len": opts["output_len"]}
    return {"source": "synthetic", "input_len": opts["input_len"], "output_len": opts["output_len"]}


def _load(opts, concurrency=None, request_rate=None):
    """The load point as the result reports it; request_rate None means infinite."""
    stop = {"num_requests": opts["num_requests"], "duration": opts["duration"]}
    if concurrency:
        return dict(stop, mode="concurrency", concurrency=concurrency)
    rate = None if request_rate is None or math.isinf(request_rate) else request_rate
    return dict(
        stop, mode="rate", request_rate=rate, burstiness=opts["burstiness"], max_concurrency=opts["max_concurrency"]
    )


def _point_loads(opts):
    if opts["sweep_concurrency"]:
        return [_load(opts, concurrency=c) for c in opts["sweep_concurrency"]]
    if opts["sweep_request_rate"]:
        return [_load(opts, request_rate=r) for r in opts["sweep_request_rate"]]
    return [_load(opts, opts["concurrency"], opts["request_rate"])]


def _judge_points(points, thresholds, prefix):
    violations = []
    for point in points:
        label = "%s: " % describe_load(point["load"]) if prefix else ""
        violations.extend(label + violation for violation in check_thresholds(point, thresholds))
    return violations


def run(options, progress=None):
    """Validate, check the endpoint, measure, judge. Returns a report of plain types:

    mode ('single', 'sweep' or 'slo_search'); result (single), points (sweep) or
    search (best_rate, best, upper_bound, converged, runs, trials); violations
    (list of str, empty when every threshold holds); markdown (str).
    """
    opts = validate_options(options)
    report = _measure(opts, _thresholds(opts), progress)
    first = report.get("result") or (report.get("points") or [{}])[0] or {}
    trials = (report.get("search") or {}).get("trials") or [{}]
    model = first.get("model") or (trials[0].get("result") or {}).get("model") or opts["model"]
    report["measured_on"] = measured_on(model, opts["model_dir"], opts["endpoint_kind"] or _endpoint_kind(opts))
    return report


def _endpoint_kind(opts):
    """direct on vLLM's socket or plain HTTP; gateway over HTTPS (the gateway terminates TLS)."""
    return "gateway" if not opts["unix_socket"] and opts["url"].lower().startswith("https://") else "direct"


def _measure(opts, thresholds, progress):
    if opts["slo_search"]:
        return _run_search(opts, thresholds, progress)
    points, first = [], True
    for load in _point_loads(opts):
        # Pre-flight and warm-up once, before the first point: the server stays warm.
        warmup = opts["warmup_requests"] if first else 0
        points.append(
            run_load_point(opts, load, do_preflight=first and opts["preflight"], warmup=warmup, progress=progress)
        )
        first = False
    if len(points) == 1 and not (opts["sweep_concurrency"] or opts["sweep_request_rate"]):
        return {
            "mode": "single",
            "result": points[0],
            "violations": _judge_points(points, thresholds, prefix=False),
            "markdown": render_markdown(points[0]),
        }
    return {
        "mode": "sweep",
        "points": points,
        "violations": _judge_points(points, thresholds, prefix=True),
        "markdown": render_sweep_markdown(points),
    }


def _run_search(opts, thresholds, progress):
    state = {"first": True}

    def run_at_rate(rate):
        first, state["first"] = state["first"], False
        warmup = opts["warmup_requests"] if first else 0
        return run_load_point(
            opts,
            _load(opts, request_rate=rate),
            do_preflight=first and opts["preflight"],
            warmup=warmup,
            progress=progress,
        )

    def passes(result):
        return meets_slos(result, opts["slo_criterion"], opts["goodput_target"], opts["slo_percentile"])

    search = search_highest_rate(
        run_at_rate,
        passes,
        opts["search_initial_rate"],
        opts["search_max_runs"],
        opts["search_tolerance"],
        opts["search_min_rate"],
        opts["search_max_rate"],
    )
    search.update(
        {
            "criterion": opts["slo_criterion"],
            "goodput_target": opts["goodput_target"],
            "slo_percentile": opts["slo_percentile"],
        }
    )
    if search["best"] is None:
        violations = ["no request rate tried met the SLOs"]
    else:
        violations = check_thresholds(search["best"], thresholds)
    return {
        "mode": "slo_search",
        "search": search,
        "violations": violations,
        "markdown": render_search_markdown(search),
    }

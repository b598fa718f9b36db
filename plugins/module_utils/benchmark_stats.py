# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark statistics with the definitions of `vllm bench serve`, without numpy.

vLLM computes its figures with numpy (vllm/benchmarks/serve.py, calculate_metrics):
np.mean, np.median, np.std (population: divides by n) and np.percentile with the
default linear interpolation; the functions here give the same numbers from the
standard library, so results can be compared figure for figure:
- TTFT, E2EL per successful request; ITL pooled over all successful requests;
- TPOT = (E2EL - TTFT) / (output tokens - 1), only for requests with > 1 token;
- throughputs divide by the wall time of the whole run (first send to last end);
- input tokens count successful requests only, as vLLM does;
- goodput: successful requests meeting every given SLO (metric <= SLO, in ms; a
  request with one output token has TPOT 0 for this test), per second;
- peak output tokens/s: token chunks per 1 s bucket from the first send;
  peak concurrency: requests active in a 1 s bucket (vLLM up to 0.11), and the
  exact sweep-line peak that later vLLM versions print.
Where vLLM prints 0 for a metric without samples (no successful request, no
request with 2+ tokens) we give None: 0 ms would read as a perfect latency.
"""

from __future__ import absolute_import, division, print_function

import math

METRICS = ("ttft", "tpot", "itl", "e2el")
SLO_METRICS = ("ttft", "tpot", "e2el")
DEFAULT_PERCENTILES = (50, 90, 99)
_EXAMPLES_PER_CATEGORY = 3


def percentile_key(p):
    """Key of a percentile in a summary: 50 -> 'p50', 99.9 -> 'p99.9'."""
    return "p%s" % ("%g" % p)


def percentile(sorted_values, p):
    """numpy.percentile(values, p) with the default 'linear' method, on a sorted list."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("percentile must be between 0 and 100, got %r" % (p,))
    index = (len(sorted_values) - 1) * (p / 100.0)
    below = int(math.floor(index))
    above = min(below + 1, len(sorted_values) - 1)
    return _lerp(sorted_values[below], sorted_values[above], index - below)


def _lerp(a, b, t):
    # numpy's formulation: exact at both ends, so results agree to the last bit.
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def median(sorted_values):
    n = len(sorted_values)
    middle = n // 2
    if n % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2.0


def mean(values):
    return math.fsum(values) / len(values)


def pstdev(values):
    """Population standard deviation, as np.std."""
    centre = mean(values)
    return math.sqrt(math.fsum((value - centre) ** 2 for value in values) / len(values))


def summarize(values, percentiles=DEFAULT_PERCENTILES, scale=1000.0):
    """mean, median, std and the chosen percentiles of values (seconds -> ms by default)."""
    keys = ["mean", "median", "std"] + [percentile_key(p) for p in percentiles]
    if not values:
        return dict.fromkeys(keys)
    ordered = sorted(values)
    summary = {"mean": mean(ordered) * scale, "median": median(ordered) * scale, "std": pstdev(ordered) * scale}
    for p in percentiles:
        summary[percentile_key(p)] = percentile(ordered, p) * scale
    return summary


def request_tpot(record):
    """TPOT of one successful request in seconds; None when it produced a single token."""
    if record.output_tokens > 1:
        return (record.latency - record.ttft) / (record.output_tokens - 1)
    return None


def is_good(record, slos_ms):
    """Does a successful request meet every SLO (ms)? As vLLM's --goodput: metric <= SLO."""
    measured = {"ttft": record.ttft, "tpot": request_tpot(record) or 0.0, "e2el": record.latency}
    return all(measured[name] * 1000.0 <= limit for name, limit in slos_ms.items())


def validate_slos(slos_ms):
    """Goodput SLOs: {'ttft'|'tpot'|'e2el': ms > 0}; returns a plain dict of floats."""
    slos = {}
    for name, limit in (slos_ms or {}).items():
        if name not in SLO_METRICS:
            raise ValueError("goodput SLO must be one of %s, got %r" % (", ".join(SLO_METRICS), name))
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
            raise ValueError("goodput SLO %s must be a number of ms > 0, got %r" % (name, limit))
        slos[name] = float(limit)
    return slos


def load_peaks(successful):
    """(peak output tokens/s, peak concurrency per 1 s bucket, exact peak concurrency)."""
    if not successful:
        return 0.0, 0, 0
    origin = min(record.start for record in successful)
    last_end = max(record.start + record.latency for record in successful)
    buckets = int(math.ceil(last_end - origin)) + 1
    tokens = [0] * buckets
    active = [0] * buckets
    events = []
    for record in successful:
        # Token times from TTFT and the ITL gaps, one per chunk, as vLLM does.
        at = record.start + record.ttft
        tokens[int(at - origin)] += 1
        for gap in record.itl:
            at += gap
            tokens[min(int(at - origin), buckets - 1)] += 1
        end = record.start + record.latency
        for second in range(int(record.start - origin), min(int(end - origin) + 1, buckets)):
            active[second] += 1
        events.append((record.start, 1))
        events.append((end, -1))
    # Half-open intervals: at equal times the end (-1) sorts before the start (+1).
    events.sort()
    current = peak = 0
    for _time, delta in events:
        current += delta
        peak = max(peak, current)
    return float(max(tokens)), max(active), peak


def _token_source(sources):
    sources = set(sources)
    if not sources:
        return None
    if None in sources:
        return "unknown" if len(sources) == 1 else "mixed"
    return sources.pop() if len(sources) == 1 else "mixed"


def _failure_summary(failed):
    counts, examples = {}, {}
    for record in failed:
        counts[record.category] = counts.get(record.category, 0) + 1
        seen = examples.setdefault(record.category, [])
        if record.message not in seen and len(seen) < _EXAMPLES_PER_CATEGORY:
            seen.append(record.message)
    return counts, examples


def _per_second(count, duration_s):
    return count / duration_s if duration_s > 0 else None


def compute_metrics(records, duration_s, percentiles=DEFAULT_PERCENTILES, slos_ms=None):
    """The result figures of one load point from its request records and wall time (s)."""
    slos_ms = validate_slos(slos_ms)
    successful = [record for record in records if record.success]
    failures, failure_examples = _failure_summary([record for record in records if not record.success])
    total_input = sum(record.prompt_tokens or 0 for record in successful)
    total_output = sum(record.output_tokens for record in successful)
    tpots = [tpot for tpot in (request_tpot(record) for record in successful) if tpot is not None]
    itls = [gap for record in successful for gap in record.itl]
    peak_tokens, peak_active, peak_exact = load_peaks(successful)
    good = sum(1 for record in successful if is_good(record, slos_ms)) if slos_ms else None
    return {
        "total_requests": len(records),
        "completed": len(successful),
        "failed": len(records) - len(successful),
        "error_rate": (len(records) - len(successful)) / len(records) if records else None,
        "failures": failures,
        "failure_examples": failure_examples,
        "duration_s": duration_s,
        "total_input_tokens": total_input,
        "total_output_tokens": total_output,
        "token_count_source": _token_source(record.token_count_source for record in successful),
        "input_token_count_source": _token_source(record.prompt_token_source for record in successful),
        "request_throughput": _per_second(len(successful), duration_s),
        "output_throughput": _per_second(total_output, duration_s),
        "total_token_throughput": _per_second(total_input + total_output, duration_s),
        "goodput_slos_ms": slos_ms or None,
        "good_requests": good,
        "request_goodput": _per_second(good, duration_s) if slos_ms else None,
        # Not in vLLM: the share of all requests (failed included) that met the SLOs.
        "goodput_fraction": good / len(records) if slos_ms and records else None,
        "peak_output_tokens_per_s": peak_tokens,
        "peak_concurrent_requests": peak_active,
        "peak_concurrent_requests_exact": peak_exact,
        "percentiles": list(percentiles),
        "ttft_ms": summarize([record.ttft for record in successful], percentiles),
        "tpot_ms": summarize(tpots, percentiles),
        "itl_ms": summarize(itls, percentiles),
        "e2el_ms": summarize([record.latency for record in successful], percentiles),
    }


def decode_ceiling(weight_bytes_per_step, memory_bandwidth_gbps, mean_tpot_ms=None):
    """What memory bandwidth allows one sequence to decode, and how much of it was reached.

    Decoding reads every active weight once per step, so one sequence cannot decode
    faster than bandwidth / bytes per step. GB/s are decimal (1e9 bytes), as GPU
    datasheets give them. The achieved rate is 1000 / mean TPOT (ms); the ratio is
    the model bandwidth utilisation (MBU). With many sequences per step the
    per-sequence rate drops while the step serves them all: compare at concurrency 1.
    """
    if not weight_bytes_per_step or weight_bytes_per_step <= 0:
        raise ValueError("weight bytes per decode step must be > 0, got %r" % (weight_bytes_per_step,))
    if not memory_bandwidth_gbps or memory_bandwidth_gbps <= 0:
        raise ValueError("memory bandwidth (GB/s) must be > 0, got %r" % (memory_bandwidth_gbps,))
    ceiling = memory_bandwidth_gbps * 1e9 / weight_bytes_per_step
    achieved = 1000.0 / mean_tpot_ms if mean_tpot_ms else None
    return {
        "weight_bytes_per_step": int(weight_bytes_per_step),
        "memory_bandwidth_gbps": float(memory_bandwidth_gbps),
        "decode_ceiling_tokens_per_s": ceiling,
        "achieved_tokens_per_s": achieved,
        "bandwidth_utilization": achieved / ceiling if achieved is not None else None,
    }

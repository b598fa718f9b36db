# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge a benchmark result against thresholds, and print it as Markdown tables."""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_stats import percentile_key

# option: (result key, percentile or None, "min"/"max", label, unit)
THRESHOLDS = {
    "min_output_throughput": ("output_throughput", None, "min", "output throughput", "tok/s"),
    "min_request_throughput": ("request_throughput", None, "min", "request throughput", "req/s"),
    "max_p99_ttft_ms": ("ttft_ms", 99, "max", "p99 TTFT", "ms"),
    "max_p99_tpot_ms": ("tpot_ms", 99, "max", "p99 TPOT", "ms"),
    "max_p99_e2el_ms": ("e2el_ms", 99, "max", "p99 E2EL", "ms"),
    "max_error_rate": ("error_rate", None, "max", "error rate", ""),
    "min_goodput": ("request_goodput", None, "min", "goodput", "req/s"),
}
LABELS = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2el": "E2EL"}


def _measured(result, key, pct):
    """(value, why missing): value None with a reason when the result cannot be judged."""
    if pct is None:
        value = result.get(key)
        if value is None and key == "request_goodput":
            return None, "not measured: give goodput SLOs (ttft, tpot, e2el)"
        return value, "not measured (no request completed)"
    summary = result.get(key) or {}
    name = percentile_key(pct)
    if name not in summary:
        return None, "not computed: add %g to percentiles" % pct
    return summary[name], "not measured (no successful request with this metric)"


def _number(value):
    return "%.4g" % value if abs(value) < 1 else "%.2f" % value


def check_thresholds(result, thresholds):
    """Human-readable violations of the given thresholds (option -> limit); [] when all hold."""
    violations = []
    for option in sorted(thresholds or {}):
        limit = thresholds[option]
        if limit is None:
            continue
        if option not in THRESHOLDS:
            raise ValueError("unknown threshold %r (known: %s)" % (option, ", ".join(sorted(THRESHOLDS))))
        key, pct, kind, label, unit = THRESHOLDS[option]
        value, missing = _measured(result, key, pct)
        unit = " " + unit if unit else ""
        if value is None:
            violations.append("%s %s; %s required %s%s" % (label, missing, option, _number(limit), unit))
        elif kind == "min" and value < limit:
            violations.append("%s %s%s is below the minimum %s%s" % (label, _number(value), unit, _number(limit), unit))
        elif kind == "max" and value > limit:
            violations.append("%s %s%s is above the maximum %s%s" % (label, _number(value), unit, _number(limit), unit))
    return violations


def required_percentiles(percentiles, thresholds):
    """percentiles plus 99 when a p99 threshold is set, so it can be judged."""
    chosen = list(percentiles)
    needs_p99 = any(THRESHOLDS[name][1] == 99 for name, limit in (thresholds or {}).items() if limit is not None)
    if needs_p99 and 99 not in chosen:
        chosen.append(99)
    return chosen


def _cell(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, int):  # bool is an int too
        return str(value)
    return "%.*f" % (digits, value)


def _failures(result):
    if not result["failed"]:
        return "0"
    parts = ["%s: %d" % (name, count) for name, count in sorted(result["failures"].items())]
    return "%d (%s)" % (result["failed"], ", ".join(parts))


def _load_label(load):
    if not load:
        return "-"
    if load.get("mode") == "concurrency":
        return "concurrency %d" % load["concurrency"]
    rate = load.get("request_rate")
    label = "rate %s req/s" % ("inf" if rate is None else "%g" % rate)
    if load.get("burstiness", 1.0) != 1.0:
        label += ", burstiness %g" % load["burstiness"]
    if load.get("max_concurrency"):
        label += ", max concurrency %d" % load["max_concurrency"]
    return label


def render_markdown(result):
    """One load point: a throughput table and a latency table (ms)."""
    lines = [
        "| load | requests | failed | duration (s) | req/s | output tok/s | total tok/s | peak tok/s (1 s buckets) "
        "| peak concurrency (1 s buckets, as vLLM) | max requests in flight | goodput req/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        "| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s | %s |"
        % (
            _load_label(result.get("load")),
            result["total_requests"],
            _failures(result),
            _cell(result["duration_s"]),
            _cell(result["request_throughput"]),
            _cell(result["output_throughput"], 1),
            _cell(result["total_token_throughput"], 1),
            _cell(result["peak_output_tokens_per_s"], 0),
            result["peak_concurrent_requests"],
            result["peak_concurrent_requests_exact"],
            _cell(result["request_goodput"]),
        ),
        "",
    ]
    keys = [percentile_key(p) for p in result["percentiles"]]
    lines.append("| ms | mean | median | std | " + " | ".join(keys) + " |")
    lines.append("|---|---|---|---|" + "---|" * len(keys))
    for metric in ("ttft", "tpot", "itl", "e2el"):
        summary = result["%s_ms" % metric]
        cells = [_cell(summary[name]) for name in ["mean", "median", "std"] + keys]
        lines.append("| %s | %s |" % (LABELS[metric], " | ".join(cells)))
    hardware = result.get("hardware")
    if hardware:
        lines.append("")
        lines.append(
            "Decode ceiling %.1f tok/s per sequence (%.0f GB/s over %.3g GB a step); achieved %s tok/s (%s)."
            % (
                hardware["decode_ceiling_tokens_per_s"],
                hardware["memory_bandwidth_gbps"],
                hardware["weight_bytes_per_step"] / 1e9,
                _cell(hardware["achieved_tokens_per_s"], 1),
                "-"
                if hardware["bandwidth_utilization"] is None
                else "%.0f%%" % (100 * hardware["bandwidth_utilization"]),
            )
        )
    return "\n".join(lines)


def _row(label, result, extra=()):
    p99 = percentile_key(99) if 99 in result["percentiles"] else percentile_key(result["percentiles"][-1])
    cells = [
        label,
        "%d/%d" % (result["completed"], result["failed"]),
        _cell(result["request_throughput"]),
        _cell(result["output_throughput"], 1),
        _cell(result["ttft_ms"]["median"], 1),
        _cell(result["ttft_ms"].get(p99), 1),
        _cell(result["tpot_ms"]["median"], 1),
        _cell(result["tpot_ms"].get(p99), 1),
        _cell(result["e2el_ms"].get(p99), 1),
        _cell(result["request_goodput"]),
    ] + list(extra)
    return "| " + " | ".join(cells) + " |", p99


def render_sweep_markdown(points, extra_header=(), extra_cells=None):
    """One row per load point (a sweep, or the trials of an SLO search)."""
    rows, p99 = [], "p99"
    for index, result in enumerate(points):
        row, p99 = _row(_load_label(result.get("load")), result, extra_cells[index] if extra_cells else ())
        rows.append(row)
    header = [
        "load",
        "ok/failed",
        "req/s",
        "output tok/s",
        "median TTFT ms",
        "%s TTFT ms" % p99,
        "median TPOT ms",
        "%s TPOT ms" % p99,
        "%s E2EL ms" % p99,
        "goodput req/s",
    ] + list(extra_header)
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + rows)


def render_search_markdown(search):
    """The trials of an SLO search in the order run, then the answer."""
    trials = search["trials"]
    table = render_sweep_markdown(
        [trial["result"] for trial in trials],
        extra_header=("meets SLOs",),
        extra_cells=[("yes" if trial["passed"] else "no: " + trial["reason"],) for trial in trials],
    )
    if search["best_rate"] is None:
        answer = "No request rate tried met the SLOs (lowest tried: %g req/s)." % min(t["request_rate"] for t in trials)
    else:
        answer = "Highest request rate meeting the SLOs: %.3g req/s" % search["best_rate"]
        if search["upper_bound"] is not None:
            answer += " (%.3g req/s did not)" % search["upper_bound"]
        answer += "." if search["converged"] else "; not converged within %d runs." % search["runs"]
    return table + "\n\n" + answer

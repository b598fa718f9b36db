# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How many output tokens/s one node serves within the latency SLO.

The figure comes from, in order of preference:

1. output_tokens_per_s_per_node as given (an explicit figure always beats a file; a
   benchmark given too is named in the summary as not used);
2. an inference_benchmark result whose measured_on matches the priced node
   (deployment_cost_match; use_benchmark: always takes it anyway, never ignores it), in
   any of the shapes it is written in:
   - the playbook's .build/reports/benchmark.json: {host: report};
   - the CLI's --output file: one report;
   - a report is {"mode": "single", "result": {...}}, {"mode": "sweep", "points":
     [...]} or {"mode": "slo_search", "search": {"trials": [{"result": ...}], "best":
     {...}, "best_rate": ...}}; a bare result dict or a list of results also works (they
     say nothing of what they measured, so only use_benchmark: always takes them);
3. the reference default (1,000 tokens/s: the reference workload's peak on one node).

A load point meets the SLO when requests completed, its error rate is within the
percentile's budget (1% for p99), and its p<percentile> of the SLO metric (ttft, tpot
or e2el, ms) is at most the SLO. Among the points meeting it, the highest
output_throughput is the node's capacity. With several hosts the slowest host's best
counts (the fleet is only as fast as its slowest node). Hosts whose benchmark failed
are listed and skipped.
"""

from __future__ import absolute_import, division, print_function

import json

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    DEFAULT_OUTPUT_TOKENS_PER_S_PER_NODE,
    HINTS,
    CostInputError,
    check_number,
    is_number,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_match import (
    describe,
    measured_records,
    mismatches,
)

METRIC_LABELS = {"ttft": "TTFT", "tpot": "TPOT", "e2el": "E2EL"}
_MODES = ("single", "sweep", "slo_search")


def load_benchmark_file(path):
    """The parsed JSON of a benchmark file, or CostInputError saying what is wrong."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except OSError as error:
        raise CostInputError(
            "benchmark_file: cannot read %s (%s); give the benchmark.json that playbooks/benchmark.yml writes "
            "or the file of the inference_benchmark CLI's --output" % (path, getattr(error, "strerror", None) or error)
        )
    except ValueError as error:
        raise CostInputError("benchmark_file: %s is not valid JSON (%s)" % (path, error))


def slo_label(metric, percentile):
    return "p%g %s" % (percentile, METRIC_LABELS[metric])


def load_label(result):
    load = result.get("load") or {}
    if load.get("mode") == "concurrency":
        return "concurrency %s" % load.get("concurrency")
    if load.get("mode") == "rate":
        rate = load.get("request_rate")
        return "rate %s req/s" % ("inf" if rate is None else "%g" % rate)
    return "one load point"


def point_verdict(result, latency_slo_ms, metric="e2el", percentile=99.0):
    """(meets, latency ms or None, reason) for one benchmark result."""
    completed = result.get("completed") or 0
    failed = result.get("failed") or 0
    if not completed:
        return False, None, "no request completed"
    error_rate = failed / float(completed + failed)
    budget = 1.0 - percentile / 100.0
    if error_rate > budget + 1e-12:
        return (
            False,
            None,
            "%d of %d requests failed (%.1f%%, more than the %.1f%% p%g allows)"
            % (
                failed,
                completed + failed,
                100 * error_rate,
                100 * budget,
                percentile,
            ),
        )
    summary = result.get("%s_ms" % metric) or {}
    value = summary.get("p%g" % percentile)
    if not is_number(value):
        return (
            False,
            None,
            "%s not in the result (benchmark with percentiles including %g)"
            % (
                slo_label(metric, percentile),
                percentile,
            ),
        )
    if value > latency_slo_ms:
        return False, value, "%s %.0f ms above the SLO %.0f ms" % (slo_label(metric, percentile), value, latency_slo_ms)
    return True, value, "%s %.0f ms within the SLO %.0f ms" % (slo_label(metric, percentile), value, latency_slo_ms)


def _report_points(report, where):
    mode = report.get("mode")
    if mode == "single":
        points = [report.get("result")]
    elif mode == "sweep":
        points = report.get("points") or []
    elif mode == "slo_search":
        search = report.get("search") or {}
        trials = search.get("trials") or []
        points = [trial.get("result") for trial in trials] or [search.get("best")]
    else:
        raise CostInputError(
            "benchmark_file: %s has mode %r; inference_benchmark reports have mode %s"
            % (where, mode, ", ".join(_MODES))
        )
    return [point for point in points if isinstance(point, dict)]


def benchmark_hosts(data):
    """{host: [result, ...]} and {host: why skipped} from any accepted shape."""
    if isinstance(data, list):
        return {"benchmark": [point for point in data if isinstance(point, dict)]}, {}
    if not isinstance(data, dict):
        raise CostInputError("benchmark_file: expected a JSON object or list, got %s" % type(data).__name__)
    if "mode" in data:
        return {"benchmark": _report_points(data, "the report")}, {}
    if "output_throughput" in data:
        return {"benchmark": [data]}, {}
    hosts, skipped = {}, {}
    for host in sorted(data):
        report = data[host]
        if not isinstance(report, dict):
            skipped[host] = "not a report"
        elif "mode" not in report:
            skipped[host] = "no result: %s" % (report.get("msg") or "the benchmark did not run")
        else:
            hosts[host] = _report_points(report, "host %s" % host)
    if not hosts and not skipped:
        raise CostInputError("benchmark_file: no benchmark report in the file")
    return hosts, skipped


def _host_best(points, latency_slo_ms, metric, percentile):
    best, closest, passing = None, None, 0
    for result in points:
        throughput = result.get("output_throughput")
        meets, value, reason = point_verdict(result, latency_slo_ms, metric, percentile)
        if not is_number(throughput) or throughput <= 0:
            continue
        entry = {
            "output_throughput": float(throughput),
            "load": load_label(result),
            "latency_ms": value,
            "reason": reason,
            "mean_output_tokens": (result.get("total_output_tokens") or 0) / float(result.get("completed") or 1),
        }
        if meets:
            passing += 1
            if best is None or entry["output_throughput"] > best["output_throughput"]:
                best = entry
        elif value is not None and (closest is None or value < closest["latency_ms"]):
            closest = entry
    return best, closest, passing


def measured_capacity(data, latency_slo_ms, metric="e2el", percentile=99.0, name="benchmark_file", only_hosts=None):
    """The measured figure: a dict with output_tokens_per_s_per_node (None when no point
    meets the SLO), the chosen host and load point, and a per-host summary. only_hosts:
    the hosts whose figures may count (the others are left out)."""
    hosts, skipped = benchmark_hosts(data)
    if only_hosts is not None:
        hosts = dict((host, points) for host, points in hosts.items() if host in only_hosts)
    summary, chosen, checked = {}, None, 0
    for host, points in sorted(hosts.items()):
        best, closest, passing = _host_best(points, latency_slo_ms, metric, percentile)
        checked += len(points)
        summary[host] = {"points": len(points), "points_meeting_slo": passing, "best": best, "closest": closest}
        if best is not None and (chosen is None or best["output_throughput"] < chosen[1]["output_throughput"]):
            chosen = (host, best)
    measured = {
        "file": name,
        "slo": slo_label(metric, percentile),
        "latency_slo_ms": latency_slo_ms,
        "points_checked": checked,
        "hosts": summary,
        "skipped_hosts": skipped,
        "output_tokens_per_s_per_node": None,
        "host": None,
        "load": None,
        "latency_ms": None,
        "mean_output_tokens": None,
    }
    if chosen is not None:
        host, best = chosen
        measured.update(
            output_tokens_per_s_per_node=best["output_throughput"],
            host=host,
            load=best["load"],
            latency_ms=best["latency_ms"],
            mean_output_tokens=best["mean_output_tokens"],
        )
    return measured


def _no_point_text(measured):
    closest = [
        (entry["closest"]["latency_ms"], host, entry["closest"]["load"])
        for host, entry in measured["hosts"].items()
        if entry["closest"]
    ]
    text = "no benchmark point meets %s <= %s ms (%d point(s) checked" % (
        measured["slo"],
        _ms(measured["latency_slo_ms"]),
        measured["points_checked"],
    )
    if closest:
        value, host, load = min(closest)
        text += "; the lowest was %s ms, %s%s" % (_ms(value), load, "" if host == "benchmark" else " on " + host)
    return text + ")"


def resolve_capacity(
    given=None,
    benchmark=None,
    workload=None,
    benchmark_name="benchmark_file",
    priced_node=None,
    use_benchmark="matching",
):
    """Capacity per node and where it came from.

    given: output_tokens_per_s_per_node or None. benchmark: None, a number (used as a
    measured figure), or parsed benchmark JSON. workload: the normalized workload (its
    latency SLO judges the benchmark points). priced_node, use_benchmark: see
    deployment_cost_match. Returns output_tokens_per_s_per_node, source ('measured',
    'given' or 'default'), given, measured, summary, notes.
    """
    if given is not None:
        given = check_number(
            "output_tokens_per_s_per_node", given, strict=True, hint=HINTS["output_tokens_per_s_per_node"]
        )
    capacity = {"given": given, "measured": None, "notes": []}
    if given is not None:
        capacity.update(output_tokens_per_s_per_node=given, source="given")
        capacity["summary"] = "%s tok/s per node, as given (output_tokens_per_s_per_node)." % _tokens(given)
        if benchmark is not None:
            capacity["summary"] += " The benchmark in %s was not used: a figure given explicitly wins." % benchmark_name
        return capacity
    unused = None
    if is_number(benchmark):
        value = check_number(benchmark_name, benchmark, strict=True, hint=HINTS["output_tokens_per_s_per_node"])
        measured = {"file": benchmark_name, "output_tokens_per_s_per_node": value, "host": None, "load": None}
        capacity.update(output_tokens_per_s_per_node=value, source="measured", measured=measured)
        capacity["summary"] = "%s tok/s per node, measured (%s)." % (_tokens(value), benchmark_name)
        return capacity
    if benchmark is not None and use_benchmark != "never":
        usable, unused = _usable_hosts(benchmark, priced_node, use_benchmark, capacity["notes"])
        if usable:
            return _measured(capacity, benchmark, workload, benchmark_name, usable)
    elif benchmark is not None:
        unused = "use_benchmark is never"
    capacity.update(output_tokens_per_s_per_node=DEFAULT_OUTPUT_TOKENS_PER_S_PER_NODE, source="default")
    capacity["summary"] = "%s tok/s per node, the reference default (assumed: neither measured nor given)." % _tokens(
        DEFAULT_OUTPUT_TOKENS_PER_S_PER_NODE
    )
    if unused:
        capacity["summary"] += (
            " The benchmark in %s was not used: %s. Give output_tokens_per_s_per_node, benchmark the priced node,"
            " or set use_benchmark: always to use it anyway." % (benchmark_name, unused)
        )
    else:
        capacity["summary"] += " Run playbooks/benchmark.yml on the priced hardware for a figure of your own."
    return capacity


def _usable_hosts(benchmark, priced_node, use_benchmark, notes):
    """The hosts whose figures may price the node, and why the others may not (or None)."""
    benchmark_hosts(benchmark)  # a malformed file fails here, naming what is wrong
    records = measured_records(benchmark)
    refused = dict((host, mismatches(record, priced_node)) for host, record in records.items())
    refused = dict((host, reasons) for host, reasons in refused.items() if reasons)
    why = "; ".join(
        "%s%s (%s)" % ("" if host == "benchmark" else host + ": ", ", ".join(reasons), describe(records[host]))
        for host, reasons in sorted(refused.items())
    )
    if use_benchmark == "always":
        if refused:
            notes.append(
                "use_benchmark is always: the benchmark is used although it does not match the priced node: " + why
            )
        return set(records), None
    for host in sorted(refused):
        if len(refused) < len(records):
            notes.append("benchmark host %s left out: %s" % (host, ", ".join(refused[host])))
    return set(records) - set(refused), why or None


def _measured(capacity, benchmark, workload, benchmark_name, usable):
    measured = measured_capacity(
        benchmark,
        workload["latency_slo_ms"],
        workload["latency_metric"],
        workload["latency_percentile"],
        benchmark_name,
        only_hosts=usable,
    )
    for host, why in sorted(measured["skipped_hosts"].items()):
        capacity["notes"].append("benchmark host %s skipped: %s" % (host, why))
    if measured["output_tokens_per_s_per_node"] is None:
        raise CostInputError(
            "%s: %s; benchmark at a lower load, relax workload.latency_slo_ms, "
            "or give output_tokens_per_s_per_node" % (benchmark_name, _no_point_text(measured))
        )
    value = measured["output_tokens_per_s_per_node"]
    measured["measured_on"] = measured_records(benchmark).get(measured["host"])
    passing = sum(entry["points_meeting_slo"] for entry in measured["hosts"].values())
    detail = (
        "%s tok/s per node, measured in %s on %s: the highest output throughput of the points meeting %s <= %s ms"
        % (
            _tokens(value),
            benchmark_name,
            describe(measured["measured_on"]),
            measured["slo"],
            _ms(measured["latency_slo_ms"]),
        )
    )
    detail += " (%d of %d met it; chosen: %s%s, %s ms)" % (
        passing,
        measured["points_checked"],
        measured["load"],
        "" if measured["host"] == "benchmark" else " on " + measured["host"],
        _ms(measured["latency_ms"]),
    )
    if len(measured["hosts"]) > 1:
        detail += "; the slowest of %d hosts counts" % len(measured["hosts"])
    _length_note(capacity, measured, workload)
    capacity.update(output_tokens_per_s_per_node=value, source="measured", measured=measured, summary=detail + ".")
    return capacity


def _length_note(capacity, measured, workload):
    bench = measured.get("mean_output_tokens")
    wanted = workload["mean_output_tokens"]
    if bench and (bench > 2 * wanted or bench < wanted / 2.0):
        capacity["notes"].append(
            "the benchmark's requests produced %.0f output tokens on average against %.0f in the workload: "
            "benchmark with an output length close to the workload's (benchmark_output_len) "
            "for a figure that transfers" % (bench, wanted)
        )


def _ms(value):
    return format(value, ",.0f")


def _tokens(value):
    return format(value, ",.0f") if value >= 100 else "%.3g" % value

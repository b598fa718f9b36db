# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deployment advisor: the cost model and decision matrix of the five private schemes.

evaluate(...) -> result: per scheme (containers, vm, serverless, hybrid, paas) the GPU
nodes the peak needs at the latency SLO, the monthly, up-front and project costs, cost
per 1M output tokens, whether it may hold the data and meet the SLO, its weighted
decision-matrix score; the break-even volumes between schemes; a ranking with reasons.

The parts:
- deployment_cost_defaults: defaults, how they reproduce the reference table, the
  decision matrix, input validation (CostInputError);
- deployment_cost_capacity: tokens/s per node, given or read from a benchmark;
- deployment_cost_model: the monthly cost of a scheme at a volume, break-evens;
- deployment_cost_advice: reasons, the reference's advice, best practices, notes;
- deployment_cost_report: Markdown and the PNG chart;
- cli/deployment_cost.py: the command line.

Eligibility: a scheme may be recommended when it may hold the workload's data
(deployment_cost_defaults.MAX_SENSITIVITY) and meets the latency SLO (node-based
schemes are sized for it; serverless fails it when more calls start cold than the
percentile leaves and a cold start alone exceeds the SLO). Eligible schemes rank first.

Score: the weighted mean of the stars, the reference's five criteria plus total_cost =
5 x the cheapest eligible project cost / this scheme's (at least 1). Default weights: 1
per reference criterion (data security 2 for confidential, 3 for regulated data) and 5
for total_cost, so the measured cost weighs as much as the five stars together. Ties go
to the cheaper project, then to the order containers, vm, serverless, hybrid, paas.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_advice import (
    ADVICE_WHEN,
    advice_for,
    best_practices_for,
    notes_for,
    reasons_for,
    sensitivity_reason,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_capacity import (
    resolve_capacity,
    slo_label,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    ALL_CRITERIA,
    COST_CRITERION,
    CRITERIA,
    CRITERION_LABELS,
    SCHEME_LABELS,
    SCHEMES,
    CostInputError,
    max_sensitivity,
    normalize_inputs,
    sensitivity_rank,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_model import (
    break_evens,
    chart_range,
    cold_start_share,
    count,
    gpu_price,
    money,
    monthly_breakdown,
    monthly_cost,
    serverless_seconds_per_call,
    sizing,
)

__all__ = ["SCHEMES", "CRITERIA", "CostInputError", "evaluate", "monthly_cost", "money"]


def _stars_for_cost(schemes, pool):
    cheapest = min(schemes[name]["project_cost"] for name in pool)
    stars = {}
    for name, entry in schemes.items():
        cost = entry["project_cost"]
        stars[name] = 5.0 if cost <= cheapest else max(1.0, 5.0 * cheapest / cost)
    return stars


def _adjusted_matrix(inputs, user_matrix):
    """team_runs_kubernetes: containers get one star more for deployment speed and
    operational simplicity, unless the user set those stars."""
    matrix = inputs["matrix"]
    adjusted = []
    if inputs["workload"]["team_runs_kubernetes"]:
        given = (user_matrix or {}).get("containers") or {}
        for name in ("deployment_speed", "operational_simplicity"):
            if name not in given:
                matrix["containers"][name] = min(5.0, matrix["containers"][name] + 1)
                adjusted.append(CRITERION_LABELS[name])
    return adjusted


def _scheme_entry(inputs, scheme, size):
    work, prices, assume = inputs["workload"], inputs["prices"], inputs["assumptions"]
    volume = work["requests_per_month"]
    month = monthly_breakdown(inputs, scheme, volume, size)
    upfront = prices["upfront"][scheme]
    if scheme == "containers" and not work["team_runs_kubernetes"]:
        upfront += prices["kubernetes_learning_upfront"]
    months = work["project_duration_months"]
    commitment = 0.0
    if scheme != "serverless" and scheme != "paas" and prices["gpu_pricing"] == "reserved":
        commitment = month["parts"]["gpu"] * max(0.0, assume["reserved_term_months"] - months)
    allowed = max_sensitivity(scheme, assume)
    level = work["data_sensitivity"]
    entry = {
        "scheme": scheme,
        "label": SCHEME_LABELS[scheme],
        "gpu_nodes": None if scheme == "serverless" else size["gpu_nodes"],
        "billed_gpu_nodes": month["billed_gpu_nodes"],
        "overhead_nodes": prices["overhead_nodes"][scheme],
        "gpu_price_per_hour": None if scheme == "serverless" else gpu_price(inputs, scheme),
        "monthly_cost": month["total"],
        "monthly_breakdown": month["parts"],
        "upfront_cost": round(upfront, 2),
        "cost_per_million_output_tokens": round(month["total"] / (volume * work["mean_output_tokens"] / 1e6), 4),
        "project_months": months,
        "reserved_commitment": round(commitment, 2),
        "project_cost": round(upfront + month["total"] * months + commitment, 2),
        "max_sensitivity": allowed,
        "meets_sensitivity": sensitivity_rank(level) <= sensitivity_rank(allowed),
        "meets_latency_slo": True,
        "why_not_eligible": [],
    }
    if not entry["meets_sensitivity"]:
        entry["why_not_eligible"].append(sensitivity_reason(scheme, level, allowed))
    if scheme == "serverless":
        _serverless_slo(inputs, entry, volume)
    entry["eligible"] = not entry["why_not_eligible"]
    return entry


def _serverless_slo(inputs, entry, volume):
    """Cold-started calls wait at least the cold start: too many of them break the SLO."""
    work, prices = inputs["workload"], inputs["prices"]
    share = cold_start_share(inputs, volume)
    budget = 1.0 - work["latency_percentile"] / 100.0
    cold_ms = prices["serverless_cold_start_s"] * 1000.0
    entry["cold_start_share"] = round(share, 6)
    if prices["serverless_pricing"] == "per_second":
        entry["seconds_per_call"] = round(serverless_seconds_per_call(inputs, volume), 3)
    affects = work["latency_metric"] in ("ttft", "e2el")
    cold = prices["serverless_cold_start_s"]
    if share >= 0.0005:
        entry["cold_start_note"] = "%.1f%% of calls start cold (+%g s)" % (100 * share, cold)
    else:
        entry["cold_start_note"] = "almost no call starts cold (<0.1%%, +%g s each)" % cold
    if affects and share > budget and cold_ms > work["latency_slo_ms"]:
        entry["meets_latency_slo"] = False
        entry["why_not_eligible"].append(
            "cold starts: %s, more than the %.1f%% a %s SLO of %s ms leaves, and a cold start alone exceeds it"
            % (
                entry["cold_start_note"],
                100 * budget,
                slo_label(work["latency_metric"], work["latency_percentile"]),
                count(work["latency_slo_ms"]),
            )
        )


def _ranking_entry(entry, inputs):
    item = dict(
        (key, entry[key])
        for key in ("rank", "scheme", "label", "score", "eligible", "monthly_cost", "project_cost", "reasons")
    )
    item["line"] = "%d. %s (score %.2f): %s a month, %s over %g months%s" % (
        entry["rank"],
        entry["label"],
        entry["score"],
        money(entry["monthly_cost"]),
        money(entry["project_cost"]),
        inputs["workload"]["project_duration_months"],
        "" if entry["eligible"] else "; not eligible: " + entry["why_not_eligible"][0],
    )
    return item


def evaluate(
    workload=None,
    prices=None,
    assumptions=None,
    weights=None,
    matrix=None,
    schemes=None,
    output_tokens_per_s_per_node=None,
    benchmark=None,
    benchmark_name="benchmark_file",
    priced_node=None,
    use_benchmark="matching",
):
    """Cost, eligibility, score and rank of each scheme for one workload.

    Every argument is optional and merged over the defaults (deployment_cost_defaults);
    benchmark is a number or parsed inference_benchmark JSON (see
    deployment_cost_capacity). Raises CostInputError on bad input.
    """
    inputs = normalize_inputs(workload, prices, assumptions, weights, matrix, schemes)
    capacity = resolve_capacity(
        output_tokens_per_s_per_node, benchmark, inputs["workload"], benchmark_name, priced_node, use_benchmark
    )
    inputs["output_tokens_per_s_per_node"] = capacity["output_tokens_per_s_per_node"]
    adjusted = _adjusted_matrix(inputs, matrix)
    volume = inputs["workload"]["requests_per_month"]
    size = sizing(inputs, volume)
    entries = dict((name, _scheme_entry(inputs, name, size)) for name in inputs["schemes"])
    eligible = [name for name in inputs["schemes"] if entries[name]["eligible"]]
    cost_stars = _stars_for_cost(entries, eligible or inputs["schemes"])
    weights = inputs["weights"]
    total_weight = sum(weights.values())
    for name, entry in entries.items():
        stars = dict(inputs["matrix"][name])
        stars[COST_CRITERION] = round(cost_stars[name], 2)
        entry["stars"] = stars
        entry["score"] = round(sum(weights[c] * stars[c] for c in ALL_CRITERIA) / total_weight, 3)
    order = sorted(
        inputs["schemes"],
        key=lambda n: (not entries[n]["eligible"], -entries[n]["score"], entries[n]["project_cost"], SCHEMES.index(n)),
    )
    cheapest = min((entries[n] for n in (eligible or inputs["schemes"])), key=lambda e: e["project_cost"])
    for rank, name in enumerate(order, 1):
        entries[name]["rank"] = rank
        entries[name]["reasons"] = reasons_for(inputs, entries[name], cheapest, size, len(eligible) == len(order))
    advice = advice_for(inputs, entries, size)
    for item in advice:
        if item["scheme"] in entries:
            entries[item["scheme"]]["reasons"].append("the reference advises it %s" % ADVICE_WHEN[item["rule"]])
    found = break_evens(inputs, inputs["schemes"], volume)
    best = entries[order[0]] if entries[order[0]]["eligible"] else None
    if best is None:
        summary = "No scheme compared may hold %s data within the SLO: %s." % (
            inputs["workload"]["data_sensitivity"],
            "; ".join("%s: %s" % (entries[n]["label"], entries[n]["why_not_eligible"][0]) for n in order),
        )
    else:
        summary = "Recommended: %s (score %.2f of 5): %s." % (
            best["label"],
            best["score"],
            "; ".join(best["reasons"][:2]),
        )
    return {
        "recommendation": best["scheme"] if best else None,
        "summary": summary,
        "ranking": [_ranking_entry(entries[name], inputs) for name in order],
        "schemes": entries,
        "break_even": found,
        "capacity": capacity,
        "sizing": size,
        "advice": advice,
        "best_practices": best_practices_for(inputs, size),
        "notes": notes_for(inputs, size, capacity, adjusted),
        "chart_range": list(chart_range(inputs, volume, found)),
        "inputs": inputs,
    }

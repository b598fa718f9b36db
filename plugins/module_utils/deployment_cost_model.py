# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deployment advisor's cost model: what each scheme costs a month at a volume,
and the volumes where two schemes cost the same.

The model, for a monthly volume V (requests) and capacity C (output tokens/s a node
serves within the SLO):

    average rate   a = V / (hours_per_month x 3600)                       req/s
    peak rate      p = max(peak_requests_per_s, min_peak_to_average x a)  req/s
    GPU nodes      n = max(min_nodes, ceil(p x mean_output_tokens / C))   (at the peak)
    average nodes  m = a x mean_output_tokens / C
    billed nodes   b = n - autoscale_share x (n - max(min_nodes, m))      (per scheme)
    GPU cost       b x hours_per_month x GPU price per hour
    monthly        GPU cost + overhead nodes x overhead node price
                   + leased line (hybrid) + PaaS fee (paas) + egress
    serverless     V x per-call price, or V x seconds a call x per-second price, where
                   seconds a call = mean_output_tokens / serverless_tokens_per_s_per_call
                   + cold-start share x cold start seconds
    cold starts    share of calls arriving after the idle timeout (Poisson arrivals):
                   exp(-a x serverless_idle_timeout_s)
    project cost   up-front + monthly x duration (+ the unused months of a reserved
                   commitment when the project is shorter than reserved_term_months)

The peak is kept when V changes (chart, break-even): the fleet is sized for your
peak, or min_peak_to_average x the average once the volume outgrows it. Node-based
costs are therefore flat in V until the average load needs more nodes, while
serverless grows linearly: their break-even is where V x price per call reaches the
flat monthly cost. PaaS compute is always priced on demand. Egress: V x mean output
tokens x egress_bytes_per_output_token / 1e9 x egress_per_gb, the same in every scheme.
"""

from __future__ import absolute_import, division, print_function

import math

GRID_PER_DECADE = 200
BREAK_EVEN_SPAN = 1000.0  # break-evens are searched from V / 1000 to V x 1000


def money(value):
    if value is None:
        return "-"
    if abs(value) >= 100 or value == int(value):
        return "$" + format(value, ",.0f")
    return "$" + format(value, ",.2f")


def count(value):
    return format(value, ",.0f")


def sizing(inputs, volume):
    """Rates and GPU nodes at a monthly volume."""
    work, assume = inputs["workload"], inputs["assumptions"]
    capacity = inputs["output_tokens_per_s_per_node"]
    average = volume / (assume["hours_per_month"] * 3600.0)
    peak = max(work["peak_requests_per_s"], assume["min_peak_to_average"] * average)
    peak_tokens = peak * work["mean_output_tokens"]
    # ceil, forgiving the last bits of float error (2.0000000000000004 nodes is 2)
    nodes = max(assume["min_nodes"], int(math.ceil(peak_tokens / capacity - 1e-9)))
    average_nodes = average * work["mean_output_tokens"] / capacity
    return {
        "average_requests_per_s": average,
        "peak_requests_per_s": peak,
        "peak_output_tokens_per_s": peak_tokens,
        "average_output_tokens_per_s": average * work["mean_output_tokens"],
        "gpu_nodes": nodes,
        "average_nodes": average_nodes,
        "average_utilization": average_nodes / nodes,
    }


def gpu_price(inputs, scheme):
    prices = inputs["prices"]
    pricing = "on_demand" if scheme == "paas" else prices["gpu_pricing"]
    return prices["gpu_per_hour_%s" % pricing]


def cold_start_share(inputs, volume):
    average = volume / (inputs["assumptions"]["hours_per_month"] * 3600.0)
    return math.exp(-average * inputs["assumptions"]["serverless_idle_timeout_s"])


def serverless_seconds_per_call(inputs, volume):
    assume = inputs["assumptions"]
    decode = inputs["workload"]["mean_output_tokens"] / assume["serverless_tokens_per_s_per_call"]
    return decode + cold_start_share(inputs, volume) * inputs["prices"]["serverless_cold_start_s"]


def monthly_breakdown(inputs, scheme, volume, size=None):
    """{part: $} of one scheme's month at volume V, with 'total' and the billed nodes."""
    prices, assume, work = inputs["prices"], inputs["assumptions"], inputs["workload"]
    size = size or sizing(inputs, volume)
    egress_gb = volume * work["mean_output_tokens"] * assume["egress_bytes_per_output_token"] / 1e9
    parts = {"egress": egress_gb * prices["egress_per_gb"]}
    billed = None
    if scheme == "serverless":
        if prices["serverless_pricing"] == "per_call":
            parts["serverless_calls"] = volume * prices["serverless_per_call"]
        else:
            parts["serverless_calls"] = (
                volume * serverless_seconds_per_call(inputs, volume) * prices["serverless_per_second"]
            )
    else:
        nodes = size["gpu_nodes"]
        floor = max(assume["min_nodes"], size["average_nodes"])
        billed = nodes - assume["autoscale_share"][scheme] * max(0.0, nodes - floor)
        parts["gpu"] = billed * assume["hours_per_month"] * gpu_price(inputs, scheme)
    parts["overhead_nodes"] = prices["overhead_nodes"][scheme] * prices["overhead_node_per_month"]
    if scheme == "hybrid":
        parts["leased_line"] = prices["leased_line_per_month"]
    if scheme == "paas":
        parts["paas_fee"] = prices["paas_fee_per_month"]
    parts = dict((name, round(value, 6)) for name, value in parts.items())
    total = round(sum(parts.values()), 2)
    return {"parts": parts, "total": total, "billed_gpu_nodes": billed}


def monthly_cost(inputs, scheme, volume):
    return monthly_breakdown(inputs, scheme, volume)["total"]


def _log_grid(low, high, per_decade=GRID_PER_DECADE):
    steps = max(2, int(math.ceil(math.log10(high / low) * per_decade)))
    return [low * (high / low) ** (index / float(steps)) for index in range(steps + 1)]


def chart_range(inputs, volume, break_evens=()):
    """Volumes a chart shows: the workload and every break-even, a decade either side."""
    points = [volume] + [entry["requests_per_month"] for entry in break_evens]
    return max(1.0, min(points) / 10.0), max(points) * 10.0


def _crossing(cost_a, cost_b, low, high):
    """Bisect a sign change of cost_a - cost_b between low and high."""
    below = cost_a(low) - cost_b(low)
    for _step in range(200):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if (cost_a(middle) - cost_b(middle) > 0) == (below > 0):
            low = middle
        else:
            high = middle
    return high


def _sign_changes(grid, diff):
    """(low, high) brackets of each sign change of diff over the grid; a run of exact
    zeros between opposite signs is one change, bracketed by the zeros."""
    changes, previous = [], None
    for index, value in enumerate(diff):
        if value == 0:
            continue
        if previous is not None and (diff[previous] > 0) != (value > 0):
            if index == previous + 1:
                changes.append((grid[previous], grid[index], diff[previous]))
            else:
                changes.append((grid[previous + 1], grid[index - 1], diff[previous]))
        previous = index
    return changes


def _break_even(inputs, first, second, bracket):
    below, above, sign = bracket

    def cost_a(v):
        return monthly_cost(inputs, first, v)

    def cost_b(v):
        return monthly_cost(inputs, second, v)

    at = below if below == above else _crossing(cost_a, cost_b, below, above)
    a_cost, b_cost = cost_a(at), cost_b(at)
    crossing = abs(a_cost - b_cost) <= 0.01 + 1e-6 * max(a_cost, b_cost)
    cheaper_below = first if sign < 0 else second
    return {
        "schemes": [first, second],
        "requests_per_month": int(round(at)) if at >= 10 else round(at, 2),
        "monthly_cost": min(a_cost, b_cost) if crossing else None,
        "monthly_costs": {first: a_cost, second: b_cost},
        "kind": "crossing" if crossing else "step",
        "cheaper_below": cheaper_below,
        "cheaper_above": second if cheaper_below == first else first,
        "later_changes": [],
    }


def break_evens(inputs, schemes, volume):
    """Where two schemes trade places as the cheaper one, from V / 1000 to V x 1000.

    One entry per pair: the lowest volume where they cost the same (kind 'crossing') or
    where one's node step jumps over the other ('step'), who is cheaper either side, and
    later_changes: the volumes where they trade places again further up (node steps of
    two schemes with different autoscaling interleave as a saw-tooth).
    """
    low, high = max(1.0, volume / BREAK_EVEN_SPAN), volume * BREAK_EVEN_SPAN
    grid = _log_grid(low, high)
    costs = dict((scheme, [monthly_cost(inputs, scheme, v) for v in grid]) for scheme in schemes)
    found = []
    for index, first in enumerate(schemes):
        for second in schemes[index + 1 :]:
            diff = [a - b for a, b in zip(costs[first], costs[second])]
            brackets = _sign_changes(grid, diff)
            if not brackets:
                continue
            entry = _break_even(inputs, first, second, brackets[0])
            entry["later_changes"] = [
                _break_even(inputs, first, second, bracket)["requests_per_month"] for bracket in brackets[1:]
            ]
            found.append(entry)
    found.sort(key=lambda entry: entry["requests_per_month"])
    return found

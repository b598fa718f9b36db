# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deployment advisor's Markdown report and PNG chart.

render_markdown(result, chart=None): tables of costs, the decision matrix, the
ranking with reasons, break-evens, the capacity source, the advice and notes.
chart_png(result) -> (PNG bytes or None, note): monthly cost against monthly requests
for each scheme (log-log), break-even points marked. matplotlib is optional: without
it the chart is skipped and the note says so (HAS_MATPLOTLIB). The Agg canvas is used
directly, so no global backend is switched and no display is needed.
"""

from __future__ import absolute_import, division, print_function

import io
import math

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_capacity import slo_label
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    ALL_CRITERIA,
    CRITERION_LABELS,
    DEFAULT_ASSUMPTIONS,
    DEFAULT_PRICES,
    SCHEME_LABELS,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_model import (
    count,
    money,
    monthly_cost,
)

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    HAS_MATPLOTLIB = True
except ImportError:
    HAS_MATPLOTLIB = False

COLORS = {"containers": "#1f77b4", "vm": "#2ca02c", "serverless": "#d62728", "hybrid": "#9467bd", "paas": "#ff7f0e"}
MAX_LISTED = 7  # break-evens listed beside the chart, the closest to the workload's volume
CHART_SKIPPED = "chart skipped: matplotlib is not installed (pip install matplotlib where the report is made)"
_PART_LABELS = (
    ("gpu", "GPU nodes"),
    ("overhead_nodes", "overhead nodes"),
    ("leased_line", "leased line/VPN"),
    ("paas_fee", "PaaS fee"),
    ("serverless_calls", "serverless calls"),
    ("egress", "egress"),
)


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _table(header, rows):
    return [_row(header), "|" + "---|" * len(header)] + [_row(cells) for cells in rows]


def _stars(value):
    return "%g" % value if value == int(value) else "%.2f" % value


def _yes(flag):
    return "yes" if flag else "**no**"


def _workload_line(result):
    work = result["inputs"]["workload"]
    return (
        "Workload: %s requests a month (mean %s input + %s output tokens), peak %g req/s, latency SLO %s <= %s ms, "
        "%s data, %g-month project, the team %s Kubernetes."
        % (
            count(work["requests_per_month"]),
            count(work["mean_input_tokens"]),
            count(work["mean_output_tokens"]),
            work["peak_requests_per_s"],
            slo_label(work["latency_metric"], work["latency_percentile"]),
            count(work["latency_slo_ms"]),
            work["data_sensitivity"],
            work["project_duration_months"],
            "runs" if work["team_runs_kubernetes"] else "does not run",
        )
    )


def _costs(result, names):
    work = result["inputs"]["workload"]
    months = "%g months" % work["project_duration_months"]
    rows = []
    for name in names:
        entry = result["schemes"][name]
        if entry["gpu_nodes"] is None:
            nodes, billed = "-", "-"
        else:
            nodes = "%d" % entry["gpu_nodes"] + (
                " (+%d overhead)" % entry["overhead_nodes"] if entry["overhead_nodes"] else ""
            )
            billed = "%.2f" % entry["billed_gpu_nodes"]
        rows.append(
            [
                entry["label"],
                nodes,
                billed,
                money(entry["monthly_cost"]),
                money(entry["upfront_cost"]),
                money(entry["cost_per_million_output_tokens"]),
                money(entry["project_cost"]),
                _yes(entry["meets_sensitivity"]),
                _yes(entry["meets_latency_slo"]),
            ]
        )
    header = [
        "scheme",
        "GPU nodes at peak",
        "billed GPU nodes",
        "monthly",
        "up front",
        "per 1M output tokens",
        months,
        "%s data" % work["data_sensitivity"],
        "latency SLO",
    ]
    lines = _table(header, rows)
    used = [
        key for key, _label in _PART_LABELS if any(result["schemes"][n]["monthly_breakdown"].get(key) for n in names)
    ]
    rows = [
        [result["schemes"][n]["label"]]
        + [
            money(result["schemes"][n]["monthly_breakdown"][k])
            if k in result["schemes"][n]["monthly_breakdown"]
            else "-"
            for k in used
        ]
        + [money(result["schemes"][n]["monthly_cost"])]
        for n in names
    ]
    labels = dict(_PART_LABELS)
    lines += ["", "Monthly cost by part:", ""] + _table(["scheme"] + [labels[k] for k in used] + ["total"], rows)
    return lines


def _matrix(result, names):
    weights = result["inputs"]["weights"]
    rows = [
        [CRITERION_LABELS[c], "%g" % weights[c]] + [_stars(result["schemes"][n]["stars"][c]) for n in names]
        for c in ALL_CRITERIA
    ]
    rows.append(["**weighted score**", ""] + ["**%.2f**" % result["schemes"][n]["score"] for n in names])
    header = ["criterion (1-5 stars)", "weight"] + [SCHEME_LABELS[n] for n in names]
    return _table(header, rows)


def _ranking(result):
    lines = []
    for item in result["ranking"]:
        flag = "" if item["eligible"] else ", not eligible"
        lines.append(
            "%d. **%s** (score %.2f%s): %s."
            % (item["rank"], item["label"], item["score"], flag, "; ".join(item["reasons"]))
        )
    return lines


def _break_evens(result):
    if not result["break_even"]:
        return [
            "No two schemes cost the same between %s and %s requests a month."
            % tuple(count(v) for v in result["chart_range"])
        ]
    rows = []
    for entry in result["break_even"]:
        first, second = entry["schemes"]
        if entry["kind"] == "crossing":
            cost = money(entry["monthly_cost"])
        else:
            cost = "step: %s / %s" % (money(entry["monthly_costs"][first]), money(entry["monthly_costs"][second]))
        rows.append(
            [
                "%s / %s" % (SCHEME_LABELS[first], SCHEME_LABELS[second]),
                count(entry["requests_per_month"]),
                cost,
                SCHEME_LABELS[entry["cheaper_below"]],
                SCHEME_LABELS[entry["cheaper_above"]] + _later(entry["later_changes"]),
            ]
        )
    return _table(["schemes", "requests a month", "monthly cost there", "cheaper below", "cheaper above"], rows)


def _later(volumes):
    if not volumes:
        return ""
    return " (they trade places %d more time%s, up to %s)" % (
        len(volumes),
        "" if len(volumes) == 1 else "s",
        count(volumes[-1]),
    )


def _settings(result):
    inputs = result["inputs"]
    rows = []
    for section, defaults in (("prices", DEFAULT_PRICES), ("assumptions", DEFAULT_ASSUMPTIONS)):
        for name in sorted(defaults):
            value = inputs[section][name]
            if isinstance(value, dict):
                shown = ", ".join("%s %s" % (k, _plain(v)) for k, v in sorted(value.items()))
                changed = value != defaults[name]
            else:
                shown = _plain(value)
                changed = value != defaults[name]
            rows.append(
                ["%s.%s" % (section, name), shown + (" (default %s)" % _plain(defaults[name]) if changed else "")]
            )
    return _table(["setting", "value"], rows)


def _plain(value):
    if isinstance(value, dict):
        return ", ".join("%s %s" % (k, _plain(v)) for k, v in sorted(value.items()))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "%g" % value
    return str(value)


def render_markdown(result, chart=None):
    """The whole report. chart: None (no chart section) or chart_png's outcome as
    {"path": file name to link, "written": bool, "note": why not written}."""
    names = result["inputs"]["schemes"]
    # The figure everything else follows from comes first: which one, and from where.
    lines = ["# Deployment cost report", "", "Capacity: %s" % result["capacity"]["summary"], ""]
    lines += ["**%s**" % result["summary"], "", _workload_line(result), ""]
    lines += ["## Costs per scheme", ""] + _costs(result, names) + [""]
    lines += ["## Decision matrix", ""] + _matrix(result, names) + [""]
    lines += [
        "Stars are the reference's; total cost is computed: 5 x the cheapest eligible project cost / this "
        "scheme's (at least 1). The score is the weighted mean.",
        "",
    ]
    lines += ["## Ranking", ""] + _ranking(result) + [""]
    lines += ["## Break-even volumes", ""] + _break_evens(result) + [""]
    if result["advice"]:
        lines += (
            ["## The reference's advice for this workload", ""] + ["- " + a["text"] for a in result["advice"]] + [""]
        )
    lines += ["## Best practices", ""] + ["- " + text for text in result["best_practices"]] + [""]
    if chart is not None:
        lines += ["## Chart", ""]
        if chart.get("written") or chart.get("unchanged"):
            lines += ["![Monthly cost against monthly requests](%s)" % chart["path"], ""]
        else:
            lines += ["Chart not written: %s." % chart["note"], ""]
    if result["notes"]:
        lines += ["## Notes", ""] + ["- " + text for text in result["notes"]] + [""]
    lines += ["## Prices and assumptions", ""] + _settings(result)
    return "\n".join(lines) + "\n"


def _short(value):
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return ("%.3g" % (value / size)) + suffix
    return "%.3g" % value


def _chart_curves(result, volumes):
    return dict(
        (name, [monthly_cost(result["inputs"], name, volume) for volume in volumes])
        for name in result["inputs"]["schemes"]
    )


COINCIDE_WITHIN = 0.02  # two curves this close everywhere in the range would hide one another
DASH = 7.0


def coinciding_groups(curves, within=COINCIDE_WITHIN):
    """Schemes whose monthly costs stay within `within` (relative) of each other over the whole
    plotted range, in groups of two or more (in the order of curves)."""
    names = list(curves)
    groups = []
    for index, name in enumerate(names):
        for other in names[index + 1 :]:
            close = all(abs(a - b) <= within * max(abs(a), abs(b), 1e-9) for a, b in zip(curves[name], curves[other]))
            if not close:
                continue
            group = next((g for g in groups if name in g or other in g), None)
            if group is None:
                groups.append([name, other])
            elif other not in group:
                group.append(other)
    return groups


def chart_lines(result, curves):
    """How each scheme's line is drawn: its label, and for lines that coincide with others a
    dash pattern offset per line, so that every colour shows along the shared path and the
    legend names the others."""
    lines = {}
    for name in result["inputs"]["schemes"]:
        entry = result["schemes"][name]
        label = entry["label"] if entry["eligible"] else "%s (not eligible)" % entry["label"]
        lines[name] = {"label": label, "dashes": None if entry["eligible"] else (5.0, 3.0), "offset": 0.0}
    for group in coinciding_groups(curves):
        for position, name in enumerate(group):
            others = [result["schemes"][other]["label"] for other in group if other != name]
            lines[name]["label"] += " (= %s within %d%%)" % (", ".join(others), COINCIDE_WITHIN * 100)
            lines[name]["dashes"] = (DASH, DASH * (len(group) - 1))
            lines[name]["offset"] = DASH * position
    return lines


def chart_png(result, width=12.0, height=6.4, dpi=110):
    """(PNG bytes, None), or (None, note) when matplotlib is missing."""
    if not HAS_MATPLOTLIB:
        return None, CHART_SKIPPED
    low, high = result["chart_range"]
    steps = 600
    volumes = [low * (high / low) ** (i / float(steps)) for i in range(steps + 1)]
    curves = _chart_curves(result, volumes)
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(111)
    for name, line in chart_lines(result, curves).items():
        style = {"linestyle": (line["offset"], line["dashes"])} if line["dashes"] else {"linestyle": "-"}
        axes.plot(volumes, curves[name], color=COLORS[name], linewidth=2.2, label=line["label"], **style)
    volume = result["inputs"]["workload"]["requests_per_month"]
    axes.axvline(volume, color="#555555", linestyle=":", linewidth=1.4)
    ymin = min(min(values) for values in curves.values())
    ymax = max(max(values) for values in curves.values())
    ymin, ymax = max(ymin, 1.0), max(ymax, 10.0)
    log_y = ymax / ymin > 20  # a narrow range reads better on a linear axis
    if log_y:
        axes.set_yscale("log")
        axes.set_ylim(ymin / 1.6, ymax * 1.6)
    else:
        axes.set_ylim(0, ymax * 1.3)
    axes.text(
        volume * 1.06,
        0.02,
        "your volume: %s/month" % _short(volume),
        transform=axes.get_xaxis_transform(),
        fontsize=9,
        color="#333333",
        va="bottom",
    )
    _side_panel(figure, axes, result)
    axes.set_xscale("log")
    axes.set_xlim(low, high)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, pos: _short(v)))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, pos: "$" + _short(v)))
    axes.grid(True, which="major", color="#cccccc", linewidth=0.8)
    axes.grid(True, which="minor", color="#eeeeee", linewidth=0.5)
    axes.set_xlabel("requests a month (log scale)")
    axes.set_ylabel("monthly cost, USD" + (" (log scale)" if log_y else ""))
    work = result["inputs"]["workload"]
    axes.set_title(
        "Monthly cost by deployment scheme\npeak %g req/s x %s output tokens, %s tok/s per node (%s)"
        % (
            work["peak_requests_per_s"],
            count(work["mean_output_tokens"]),
            count(result["inputs"]["output_tokens_per_s_per_node"]),
            {"default": "assumed"}.get(result["capacity"]["source"], result["capacity"]["source"]),
        ),
        fontsize=11,
    )
    axes.legend(loc="upper left", fontsize=9, framealpha=0.95)
    figure.subplots_adjust(left=0.08, right=0.745, top=0.89, bottom=0.1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue(), None


def break_even_labels(result):
    """The break-evens the chart marks, each with its own number and label position: a label
    sits below every line at its volume, and labels of points within 0.2 decades of each other
    step down one below the other instead of merging ("1-4")."""
    workload_volume = float(result["inputs"]["workload"]["requests_per_month"])
    nearest = sorted(result["break_even"], key=lambda e: abs(math.log10(e["requests_per_month"] / workload_volume)))
    shown = [entry for entry in result["break_even"] if entry in nearest[:MAX_LISTED]]
    labels, previous = [], None
    for number, entry in enumerate(shown, 1):
        volume = entry["requests_per_month"]
        cost = entry["monthly_cost"] if entry["kind"] == "crossing" else min(entry["monthly_costs"].values())
        if cost <= 0:  # a free scheme has no place on a log scale
            continue
        lowest = min(monthly_cost(result["inputs"], name, volume) for name in result["inputs"]["schemes"])
        step = previous["step"] + 1 if previous and abs(math.log10(volume / previous["volume"])) < 0.2 else 0
        text_y = max(lowest, 1.0) / 2.2 / (1.7**step)
        if step:  # below the previous label of the cluster, wherever that was
            text_y = min(text_y, previous["text_y"] / 1.7)
        previous = {"number": number, "entry": entry, "volume": volume, "cost": cost, "text_y": text_y, "step": step}
        labels.append(previous)
    return labels


def _side_panel(figure, axes, result):
    """Numbered dots on the break-evens, listed beside the plot (close points stay legible),
    and the ranking with the monthly costs at the workload's volume."""
    listed = []
    labels = break_even_labels(result)
    if labels and axes.get_yscale() == "log":  # room for the lowest label of a cluster
        bottom, top = axes.get_ylim()
        axes.set_ylim(min(bottom, min(label["text_y"] for label in labels) / 1.8), top)
    for label in labels:
        entry, number, volume, cost = label["entry"], label["number"], label["volume"], label["cost"]
        first, second = entry["schemes"]
        marker = "o" if entry["kind"] == "crossing" else "D"
        axes.plot([volume], [cost], marker=marker, markersize=7, color="black", markerfacecolor="white", zorder=5)
        axes.annotate(
            "%d" % number,
            xy=(volume, cost),
            xytext=(volume, label["text_y"]),
            ha="center",
            va="top",
            fontsize=8.5,
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            arrowprops={"arrowstyle": "-", "color": "#777777", "linewidth": 0.7, "shrinkA": 1, "shrinkB": 4},
        )
        what = "%s = %s" % (_abbrev(first), _abbrev(second))
        if entry["kind"] == "step":
            what = "%s / %s: %s cheaper above" % (_abbrev(first), _abbrev(second), _abbrev(entry["cheaper_above"]))
            where = "%s req/month (a node step)" % count(volume)
        else:
            where = "%s req/month, %s/month" % (count(volume), money(cost))
        listed.append("%d. %s\n    %s" % (number, _wrap(what), where))
    figure.text(0.765, 0.90, "Break-even points", fontsize=10, fontweight="bold", va="top")
    listed = listed or ["none: no two schemes trade places\nin this range"]
    figure.text(0.765, 0.86, "\n".join(listed), fontsize=8.5, va="top", linespacing=1.45)
    ranked = [result["schemes"][item["scheme"]] for item in result["ranking"]]
    at_volume = [
        "%d. %s  %s%s"
        % (e["rank"], _abbrev(e["scheme"]), money(e["monthly_cost"]), "" if e["eligible"] else " (not eligible)")
        for e in ranked
    ]
    figure.text(0.765, 0.1, "\n".join(at_volume), fontsize=8.5, va="bottom", linespacing=1.45)
    figure.text(
        0.765,
        0.12 + 0.027 * len(at_volume),
        "Ranking by score (cost a month)",
        fontsize=10,
        fontweight="bold",
        va="bottom",
    )


def _wrap(text, width=34):
    words, lines = text.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = (lines[-1] + " " + word).strip()
    return "\n    ".join(lines)


def _abbrev(name):
    return {"containers": "Kubernetes", "vm": "VMs", "serverless": "Serverless", "hybrid": "Hybrid", "paas": "PaaS"}[
        name
    ]

# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""deployment_cost outside Ansible: the same cost model, ranking and report as the module.

    python3 <collection>/cli/deployment_cost.py \\
        --requests-per-month 300000 --peak-rps 6 --data-sensitivity confidential \\
        --benchmark-file .build/reports/benchmark.json --chart cost-chart.png

Prints the Markdown report (or --json). Exit status: 0 ok, 2 bad input.
Needs neither ansible-core nor anything else; matplotlib only for --chart.
"""

if not __package__:  # run as a file (python3 <collection>/cli/deployment_cost.py): find the collection first
    import _bootstrap  # noqa: F401


import argparse
import json
import os
import sys

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost import evaluate
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_capacity import load_benchmark_file
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    ALL_CRITERIA,
    DEFAULT_ASSUMPTIONS,
    DEFAULT_PRICES,
    LATENCY_METRICS,
    SCHEMES,
    SENSITIVITY_LEVELS,
    CostInputError,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import (
    chart_png,
    render_markdown,
)

EXIT_OK, EXIT_BAD_INPUT = 0, 2
CONFIG_KEYS = ("workload", "prices", "assumptions", "weights", "matrix", "schemes", "output_tokens_per_s_per_node")
WORKLOAD_FLAGS = (
    ("requests_per_month", "--requests-per-month", "requests a month (default 15000)"),
    ("mean_input_tokens", "--mean-input-tokens", "mean prompt tokens (default 1000)"),
    ("mean_output_tokens", "--mean-output-tokens", "mean completion tokens (default 500)"),
    ("peak_requests_per_s", "--peak-rps", "peak requests per second (default 2)"),
    ("latency_slo_ms", "--latency-slo-ms", "latency SLO in ms (default 30000)"),
    ("latency_percentile", "--latency-percentile", "percentile of the SLO (default 99)"),
    ("project_duration_months", "--duration-months", "project duration in months (default 12)"),
)


def _value(text):
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    try:
        return float(text)
    except ValueError:
        return text.strip()


def _assignments(values, flag):
    """NAME=VALUE (NAME may be dotted: overhead_nodes.containers=3) into a nested dict."""
    settings = {}
    for item in values or ():
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise CostInputError("%s expects NAME=VALUE, got %r" % (flag, item))
        keys = name.strip().split(".")
        target = settings
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = _value(text)
    return settings


def _merge(base, extra):
    merged = dict(base or {})
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_parser():
    parser = argparse.ArgumentParser(
        prog="deployment_cost",
        description="Cost and decision matrix of five private deployment schemes "
        "(containers, vm, serverless, hybrid, paas) for a workload, with a ranked recommendation.",
        epilog="Prices (--price NAME=VALUE): %s. Assumptions (--assume NAME=VALUE): %s. "
        "Per-scheme settings take a dot: --price overhead_nodes.containers=3. Criteria (--weight): %s. "
        "Exit status: 0 ok, 2 bad input."
        % (", ".join(DEFAULT_PRICES), ", ".join(DEFAULT_ASSUMPTIONS), ", ".join(ALL_CRITERIA)),
    )
    add = parser.add_argument
    add("--config", metavar="FILE", help="JSON with any of: workload, prices, assumptions, weights, matrix, schemes, "
        "output_tokens_per_s_per_node (flags override it)")  # fmt: skip
    for name, flag, text in WORKLOAD_FLAGS:
        add(flag, dest=name, type=float, help=text)
    add("--latency-metric", choices=LATENCY_METRICS, help="what the SLO bounds (default e2el)")
    add("--data-sensitivity", choices=SENSITIVITY_LEVELS, help="default internal")
    add("--team-runs-kubernetes", action="store_true", default=None, help="the team already runs Kubernetes")
    add("--tokens-per-s-per-node", type=float, dest="output_tokens_per_s_per_node", metavar="TOK_S",
        help="output tokens/s one node serves within the SLO (wins over --benchmark-file)")  # fmt: skip
    add("--benchmark-file", metavar="FILE", help="inference_benchmark JSON (benchmark.json or the CLI's --output)")
    add("--priced-gpu-model", help="GPU model of the priced node (a benchmark on another is not used)")
    add("--priced-gpu-count", type=int, help="GPUs per priced node")
    add("--priced-model", help="served model name the priced node runs")
    add("--priced-precision", help="its precision, e.g. fp8, bf16")
    add("--use-benchmark", choices=("matching", "always", "never"), default="matching",
        help="matching: only hosts measured on the priced node's hardware and model (default)")  # fmt: skip
    add("--price", action="append", metavar="NAME=VALUE", help="override a price (repeatable)")
    add("--assume", action="append", metavar="NAME=VALUE", help="override an assumption (repeatable)")
    add("--weight", action="append", metavar="CRITERION=W", help="weight of a criterion (repeatable)")
    add("--matrix", action="append", metavar="SCHEME.CRITERION=STARS", help="override stars (repeatable)")
    add("--schemes", metavar="A,B,...", help="schemes to compare (default: %s)" % ",".join(SCHEMES))
    add("--json", action="store_true", help="print the result as JSON instead of Markdown")
    add("--chart", metavar="FILE.png", help="also write the PNG chart (needs matplotlib)")
    return parser


def options_from_args(args):
    options = {}
    if args.config:
        try:
            with open(args.config) as handle:
                options = json.load(handle)
        except (OSError, ValueError) as error:
            raise CostInputError("--config: cannot read %s as JSON: %s" % (args.config, error))
        if not isinstance(options, dict):
            raise CostInputError("--config: %s must hold a JSON object" % args.config)
        unknown = sorted(set(options) - set(CONFIG_KEYS))
        if unknown:
            raise CostInputError(
                "--config: unknown key(s) %s; the keys are %s" % (", ".join(unknown), ", ".join(CONFIG_KEYS))
            )
    workload = dict((name, getattr(args, name)) for name, _flag, _text in WORKLOAD_FLAGS)
    workload.update(
        latency_metric=args.latency_metric,
        data_sensitivity=args.data_sensitivity,
        team_runs_kubernetes=args.team_runs_kubernetes,
    )
    workload = dict((key, value) for key, value in workload.items() if value is not None)
    options["workload"] = _merge(options.get("workload"), workload)
    options["prices"] = _merge(options.get("prices"), _assignments(args.price, "--price"))
    options["assumptions"] = _merge(options.get("assumptions"), _assignments(args.assume, "--assume"))
    if args.weight:
        options["weights"] = _merge(options.get("weights"), _assignments(args.weight, "--weight"))
    if args.matrix:
        options["matrix"] = _merge(options.get("matrix"), _assignments(args.matrix, "--matrix"))
    if args.schemes:
        options["schemes"] = [name.strip() for name in args.schemes.split(",") if name.strip()]
    if args.output_tokens_per_s_per_node is not None:
        options["output_tokens_per_s_per_node"] = args.output_tokens_per_s_per_node
    return options


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        options = options_from_args(args)
        benchmark = load_benchmark_file(args.benchmark_file) if args.benchmark_file else None
        priced = dict((key, getattr(args, "priced_" + key)) for key in ("gpu_model", "gpu_count", "model", "precision"))
        result = evaluate(
            benchmark=benchmark,
            benchmark_name=args.benchmark_file or "benchmark_file",
            priced_node=dict((key, value) for key, value in priced.items() if value is not None),
            use_benchmark=args.use_benchmark,
            **options,
        )
    except CostInputError as error:
        print("deployment_cost: bad input: %s" % error, file=sys.stderr)
        return EXIT_BAD_INPUT
    chart = None
    if args.chart:
        png, note = chart_png(result)
        chart = {"path": os.path.basename(args.chart), "written": png is not None, "note": note}
        if png is None:
            print("deployment_cost: %s" % note, file=sys.stderr)
        else:
            with open(args.chart, "wb") as handle:
                handle.write(png)
        result["chart"] = chart
    result["markdown"] = render_markdown(result, chart)
    print(
        json.dumps(result, indent=2, sort_keys=True) if args.json else result["markdown"],
        end="" if not args.json else "\n",
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

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
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import CostInputError
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_options import OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import (
    chart_png,
    render_markdown,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import (
    add_arguments,
    namespace_values,
    prefilled_namespace,
)

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog="deployment_cost",
        description="Cost and decision matrix of five private deployment schemes "
        "(containers, vm, serverless, hybrid, paas) for a workload, with a ranked recommendation. "
        "Every option of the module privateai.deepseek.deployment_cost is a flag here.",
        epilog="Prices (--price NAME=VALUE): %s. Assumptions (--assume NAME=VALUE): %s. "
        "Per-scheme settings take a dot: --price overhead_nodes.containers=3. Exit status: 0 ok, 2 bad input."
        % (", ".join(OPTIONS["prices"]["options"]), ", ".join(OPTIONS["assumptions"]["options"])),
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="JSON object with any of the options (%s); flags override it" % ", ".join(OPTIONS),
    )
    add_arguments(parser, OPTIONS)
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of Markdown")
    return parser


def read_config(path):
    """The options of a --config file, checked for what argparse cannot see."""
    try:
        with open(path) as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise CostInputError("--config: cannot read %s as JSON: %s" % (path, error))
    if not isinstance(config, dict):
        raise CostInputError("--config: %s must hold a JSON object" % path)
    unknown = sorted(set(config) - set(OPTIONS))
    if unknown:
        raise CostInputError("--config: unknown key(s) %s; the keys are %s" % (", ".join(unknown), ", ".join(OPTIONS)))
    return config


def parse(argv=None):
    """(options, --json) from the command line: flags over the --config file over the defaults."""
    parser = build_parser()
    config_path = parser.parse_known_args(argv)[0].config
    config = read_config(config_path) if config_path else {}
    parsed = namespace_values(parser.parse_args(argv, prefilled_namespace(config, OPTIONS)), OPTIONS)
    parsed.pop("config", None)
    return parsed, parsed.pop("json")


def main(argv=None):
    try:
        options, as_json = parse(argv)
        chart_path = options.pop("chart_path")
        benchmark_file = options.pop("benchmark_file")
        result = evaluate(
            benchmark=load_benchmark_file(benchmark_file) if benchmark_file else None,
            benchmark_name=benchmark_file or "benchmark_file",
            **options,
        )
    except CostInputError as error:
        print("deployment_cost: bad input: %s" % error, file=sys.stderr)
        return EXIT_BAD_INPUT
    chart = None
    if chart_path:
        png, note = chart_png(result)
        chart = {"path": os.path.basename(chart_path), "written": png is not None, "note": note}
        if png is None:
            print("deployment_cost: %s" % note, file=sys.stderr)
        else:
            with open(chart_path, "wb") as handle:
                handle.write(png)
        result["chart"] = chart
    result["markdown"] = render_markdown(result, chart)
    print(json.dumps(result, indent=2, sort_keys=True) if as_json else result["markdown"], end="\n" if as_json else "")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""inference_benchmark outside Ansible: the same code and figures as the module.

    python3 <collection>/cli/inference_benchmark.py \
        --url http://node:8000 --api-key "$KEY" --concurrency 8 --num-requests 200

The flags are the module's options (module_utils/inference_benchmark_options.py) with the
same defaults: --name-with-dashes, --no-name for a false bool, lists comma-separated.
Exit status: 0 ok, 1 a threshold was violated, 2 the benchmark could not run.
Needs aiohttp; not ansible-core.
"""

if not __package__:  # run as a file (python3 <collection>/cli/inference_benchmark.py): find the collection first
    import _bootstrap  # noqa: F401


import argparse
import json
import os
import sys

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_progress import Progress, duration_text
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark import (
    BenchmarkError,
    library_options,
    run,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark_options import OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import add_arguments, cli_text

EXIT_OK, EXIT_VIOLATED, EXIT_CANNOT_RUN = 0, 1, 2


class BarProgress(Progress):
    """A tqdm bar on stderr per load point: requests done of the total, rate, time left; and,
    before the point starts, the time it should take at what a request took so far."""

    def __init__(self, stream):
        super().__init__()
        from tqdm import tqdm  # only the CLI draws bars

        self._tqdm, self._stream, self._bar, self._failed = tqdm, stream, None, 0

    def start(self, label, total, duration, estimate_s):
        planned = "%s requests" % total if total else "for %s" % duration_text(duration)
        about = ", about %s" % duration_text(estimate_s) if estimate_s else ""
        print("%s: %s%s" % (label, planned, about), file=self._stream, flush=True)
        self._failed = 0
        self._bar = self._tqdm(total=total, desc=label, unit="req", file=self._stream, dynamic_ncols=True)

    def advance(self, record):
        super().advance(record)
        if not record.success:
            self._failed += 1
            self._bar.set_postfix(failed=self._failed, refresh=False)
        self._bar.update(1)

    def close(self):
        self._bar.close()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="inference_benchmark",
        description="Benchmark an OpenAI-compatible endpoint with the metrics of `vllm bench serve`.",
        epilog="Exit status: 0 ok, 1 a threshold was violated, 2 the benchmark could not run.",
    )
    add_arguments(parser, OPTIONS)
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of Markdown")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars on stderr: requests done, rate, time left (default: when stderr is a terminal)",
    )
    return parser


def _progress(wanted):
    if wanted is False or (wanted is None and not sys.stderr.isatty()):
        return None
    try:
        return BarProgress(sys.stderr)
    except ImportError:
        print("inference_benchmark: no progress bars: the Python library tqdm is not installed", file=sys.stderr)
        return None


def main(argv=None):
    args = vars(build_parser().parse_args(argv))
    as_json, output, progress = args.pop("json"), args.pop("output"), _progress(args.pop("progress"))
    if args["api_key"] is None:
        args["api_key"] = os.environ.get("OPENAI_API_KEY")
    try:
        report = run(library_options(args), progress=progress)
    except BenchmarkError as exc:  # bad input (InputError) included
        message = cli_text(str(exc.args[0]) if exc.args else "", OPTIONS)  # its flags, not the module's options
        print("inference_benchmark: cannot run: %s" % message, file=sys.stderr)
        return EXIT_CANNOT_RUN
    text = json.dumps(report, indent=2, sort_keys=True)
    if output:
        with open(output, "w") as handle:
            handle.write(text + "\n")
    print(text if as_json else report["markdown"])
    for violation in report["violations"]:
        print("threshold violated: %s" % violation, file=sys.stderr)
    if report["violations"] and args["fail_on_violation"]:
        return EXIT_VIOLATED
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())

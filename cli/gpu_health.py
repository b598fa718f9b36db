# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_health outside Ansible: the same probe and verdict as the module.

    PYTHONPATH=<collections dir> python3 -m ansible_collections.privateai.deepseek.cli.gpu_health [--json]

Exit codes: 0 healthy, 1 unhealthy, 2 cannot probe (no driver, no library, bad option).
Needs nvidia-ml-py; not ansible-core.
"""

import argparse
import json
import shutil
import subprocess
import sys

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health import (
    check_node,
    format_lines,
    no_probe_result,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import CheckInputError
from ansible_collections.privateai.deepseek.plugins.module_utils.node_facts import nvidia_pci_devices

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_CANNOT_PROBE = 0, 1, 2


def _subprocess_run(argv):
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    return completed.returncode, completed.stdout, completed.stderr


def _pci_gpu_count():
    return len(nvidia_pci_devices("/")[0])


def _parser():
    parser = argparse.ArgumentParser(
        prog="gpu_health",
        description="NVML health probe with a verdict. Exit 0 healthy, 1 unhealthy, 2 cannot probe.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument("--expected-gpu-count", type=int)
    parser.add_argument("--min-driver-version")
    parser.add_argument("--max-temperature-c", type=int)
    parser.add_argument("--xid-watch-seconds", type=float, default=0)
    parser.add_argument("--dcgm-diag-level", type=int, choices=(1, 2, 3))
    parser.add_argument("--skip-check", action="append", dest="skip_checks", default=None)
    parser.add_argument("--unhealthy-severity", choices=("info", "warning", "critical"))
    return parser


def main(argv=None, nvml=None):
    args = _parser().parse_args(argv)
    options = {key: value for key, value in vars(args).items() if key != "json"}
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError:
            result = no_probe_result(
                "nvml_python_library_missing",
                "the Python NVML binding is not installed: pip install nvidia-ml-py",
                _pci_gpu_count(),
            )
            return _emit(result, args.json, EXIT_CANNOT_PROBE)
    try:
        result = check_node(
            nvml, options, pci_gpu_count=_pci_gpu_count(), run=_subprocess_run, have_dcgmi=bool(shutil.which("dcgmi"))
        )
    except CheckInputError as error:
        print("gpu_health: %s" % error, file=sys.stderr)
        return EXIT_CANNOT_PROBE
    if result["probe_status"] != "ok":
        return _emit(result, args.json, EXIT_CANNOT_PROBE)
    return _emit(result, args.json, EXIT_HEALTHY if result["healthy"] else EXIT_UNHEALTHY)


def _emit(result, as_json, code):
    if as_json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print("\n".join(format_lines(result)))
    return code


if __name__ == "__main__":
    sys.exit(main())

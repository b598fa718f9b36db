# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_health outside Ansible: the same probe and verdict as the module.

    python3 <collection>/cli/gpu_health.py [--json]

Exit codes: 0 healthy (or, with --no-require-gpu, nothing to probe), 1 unhealthy, 2 cannot
probe (no driver, no library, bad option). The flags are the module's options
(module_utils/gpu_health_options.py), with the same defaults. Needs nvidia-ml-py where the
PCI bus has an NVIDIA GPU; never ansible-core.
"""

if not __package__:  # run as a file (python3 <collection>/cli/gpu_health.py): find the collection first
    import _bootstrap  # noqa: F401


import argparse
import json
import shutil
import subprocess
import sys

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health import (
    OUTCOME_CANNOT_PROBE,
    OUTCOME_UNHEALTHY,
    format_lines,
    outcome,
    probe,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import CheckInputError
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_options import OPTIONS, PROBE_OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.node_facts import nvidia_pci_devices
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import add_arguments, flag, range_errors

EXIT_HEALTHY, EXIT_UNHEALTHY, EXIT_CANNOT_PROBE = 0, 1, 2
EXIT_CODES = {OUTCOME_UNHEALTHY: EXIT_UNHEALTHY, OUTCOME_CANNOT_PROBE: EXIT_CANNOT_PROBE}


def _subprocess_run(argv):
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    return completed.returncode, completed.stdout, completed.stderr


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gpu_health",
        description="NVML health probe with a verdict. Exit 0 healthy, 1 unhealthy, 2 cannot probe.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    return add_arguments(parser, OPTIONS)


def _binding():
    try:
        import pynvml
    except ImportError:
        return None  # answered without it where the PCI bus has no NVIDIA GPU
    return pynvml


def main(argv=None, nvml=None):
    args = build_parser().parse_args(argv)
    options = vars(args)
    errors = range_errors(options, OPTIONS, name_of=flag)
    if errors:
        print("gpu_health: %s" % "; ".join(errors), file=sys.stderr)
        return EXIT_CANNOT_PROBE
    try:
        result = probe(
            nvml if nvml is not None else _binding(),
            {name: options[name] for name in PROBE_OPTIONS},
            pci_gpu_count=len(nvidia_pci_devices("/")[0]),
            run=_subprocess_run,
            have_dcgmi=bool(shutil.which("dcgmi")),
        )
    except CheckInputError as error:
        print("gpu_health: %s" % error, file=sys.stderr)
        return EXIT_CANNOT_PROBE
    verdict, _message = outcome(result, options["require_gpu"], options["fail_on_unhealthy"])
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print("\n".join(format_lines(result)))
    return EXIT_CODES.get(verdict, EXIT_HEALTHY)


if __name__ == "__main__":
    sys.exit(main())

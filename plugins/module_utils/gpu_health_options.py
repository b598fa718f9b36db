# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of gpu_health, declared once (see option_spec): the module's argument spec
and DOCUMENTATION, the CLI's flags and playbooks/gpu_health.yml's variables follow from here.
The defaults of the checks are gpu_health_checks.DEFAULTS."""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import CHECK_NAMES, DEFAULTS

OPTIONS = {
    "require_gpu": {
        "type": "bool",
        "default": True,
        "description": [
            "Fail when the node has no usable GPU (no NVIDIA GPU on the PCI bus, NVML library or"
            " nvidia-ml-py not found, driver not loaded, no GPUs).",
            "With V(false) such a node succeeds with C(gpus=[]) and C(probe_status) saying why. A node with no"
            " NVIDIA GPU on the PCI bus needs no nvidia-ml-py for that answer.",
        ],
    },
    "fail_on_unhealthy": {
        "type": "bool",
        "default": True,
        "description": ["Fail (the CLI: exit 1) when the verdict is unhealthy. With V(false) it only reports."],
    },
    "expected_gpu_count": {
        "type": "int",
        "minimum": 0,
        "description": ["GPUs the node must have; fewer is a C(critical) issue."],
    },
    "min_driver_version": {
        "type": "str",
        "default": DEFAULTS["min_driver_version"],
        "description": ["Oldest acceptable driver; an older one is a C(warning)."],
    },
    "max_temperature_c": {
        "type": "int",
        "minimum": 1,
        "description": [
            "GPU temperature at which a C(warning) is raised.",
            "Default is O(temperature_margin_c) under the GPU's own slowdown threshold (85 C when NVML does not give"
            " one).",
        ],
    },
    "temperature_margin_c": {
        "type": "int",
        "default": DEFAULTS["temperature_margin_c"],
        "minimum": 0,
        "description": ["Margin under the slowdown threshold used when O(max_temperature_c) is not set."],
    },
    "max_uncorrected_ecc": {
        "type": "int",
        "default": DEFAULTS["max_uncorrected_ecc"],
        "minimum": 0,
        "description": ["Volatile uncorrected ECC errors tolerated; more is C(critical)."],
    },
    "max_retired_pages": {
        "type": "int",
        "default": DEFAULTS["max_retired_pages"],
        "minimum": 0,
        "description": ["Retired pages (pre-Ampere GPUs) at which the board is due for replacement."],
    },
    "pcie_load_threshold_percent": {
        "type": "int",
        "default": DEFAULTS["pcie_load_threshold_percent"],
        "minimum": 0,
        "maximum": 100,
        "description": [
            "GPU utilisation at or above which the PCIe link is judged. Idle links downshift to save power, so a slow"
            " link on an idle GPU is only reported as C(info).",
        ],
    },
    "expect_nvlink": {
        "type": "str",
        "default": DEFAULTS["expect_nvlink"],
        "choices": ["auto", "true", "false"],
        "description": [
            "Whether every NVLink link NVML reports must be up.",
            "V(auto) expects it on nodes where at least one link is active (HGX/DGX, NVLink bridges) and not on"
            " PCIe-only nodes.",
        ],
    },
    "throttle_reasons": {
        "type": "list",
        "elements": "str",
        "default": list(DEFAULTS["throttle_reasons"]),
        "description": ["Clock-event reasons that count as an issue when active."],
    },
    "require_persistence_mode": {
        "type": "bool",
        "default": DEFAULTS["require_persistence_mode"],
        "description": ["Raise a C(warning) when persistence mode is off."],
    },
    "skip_checks": {
        "type": "list",
        "elements": "str",
        "default": [],
        "choices": list(CHECK_NAMES),
        "description": ["Checks to leave out (by the C(check) names in the issues)."],
    },
    "unhealthy_severity": {
        "type": "str",
        "default": DEFAULTS["unhealthy_severity"],
        "choices": ["info", "warning", "critical"],
        "description": ["Lowest issue severity that makes the node unhealthy."],
    },
    "xid_watch_seconds": {
        "type": "float",
        "default": 0.0,
        "minimum": 0,
        "maximum": 600,
        "description": [
            "Watch NVML's event API for XID errors this many seconds (a watch blocks the run that long) and judge"
            " each XID seen against a table of the common codes (48, 63, 64, 74, 79, 92, 94, 95, 119, 120 and more)."
            " V(0) does not watch.",
            "Only XIDs raised during the window are seen; the kernel log keeps older ones.",
        ],
    },
    "dcgm_diag_level": {
        "type": "int",
        "choices": [1, 2, 3],
        "description": [
            "Also run C(dcgmi diag -r LEVEL -j) and fold its verdict in (failures are C(critical), warnings"
            " C(warning)). Level 1 takes seconds, 2 about two minutes, 3 up to half an hour and loads the GPUs.",
        ],
    },
}

# What the probe takes; require_gpu and fail_on_unhealthy decide what the caller does with it.
PROBE_OPTIONS = tuple(name for name in OPTIONS if name not in ("require_gpu", "fail_on_unhealthy"))

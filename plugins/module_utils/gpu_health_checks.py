# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn the figures of gpu_health_probe into a verdict: issues with severity and advice.

Severities: `critical` (drain the node or act now: reset, RMA, fabric down), `warning`
(degraded or misconfigured: serves, but slower or less safely), `info` (worth knowing,
not a fault). The node is healthy when no issue reaches `unhealthy_severity`
(default `warning`).
"""

from __future__ import absolute_import, division, print_function

import re

SEVERITIES = ("info", "warning", "critical")

CHECK_NAMES = (
    "nvml_visible",
    "gpu_count",
    "gpu_lost",
    "driver_version",
    "persistence_mode",
    "ecc_mode",
    "ecc_uncorrected",
    "retired_pages",
    "row_remap",
    "temperature",
    "throttle",
    "pcie_link",
    "nvlink",
    "fabric",
    "mig",
    "xid",
    "dcgm",
)

# Default thresholds; every one can be overridden by the caller.
DEFAULTS = {
    "expected_gpu_count": None,
    # R550 is the oldest data-center branch that supports H200 and CUDA 12.4 runtimes.
    "min_driver_version": "550.54.14",
    # None: 5 degrees C under the GPU's own slowdown threshold (read from NVML).
    "max_temperature_c": None,
    "temperature_margin_c": 5,
    "max_uncorrected_ecc": 0,
    # Pre-Ampere: NVIDIA replaces a board once 60 pages are retired for double-bit errors.
    "max_retired_pages": 60,
    # A link is judged only while the GPU works: NVML reports the downshifted idle link.
    "pcie_load_threshold_percent": 10,
    "expect_nvlink": "auto",
    "throttle_reasons": [
        "hw_slowdown",
        "hw_thermal_slowdown",
        "hw_power_brake_slowdown",
        "sw_thermal_slowdown",
    ],
    "require_persistence_mode": True,
    "skip_checks": [],
    "unhealthy_severity": "warning",
}

# XID codes: what they mean and what the operator does. NVIDIA's XID catalog has all.
XID_CATALOG = {
    13: (
        "warning",
        "Graphics engine exception",
        "Usually the application (out-of-range access); if it repeats across applications run `dcgmi diag -r 3`.",
    ),
    31: (
        "warning",
        "GPU memory page fault",
        "Usually an application bug (illegal address); if it repeats with known-good software, run `dcgmi diag -r 3`.",
    ),
    43: (
        "warning",
        "GPU stopped processing",
        "The application hit a fault and was stopped; restart it. Look for another XID just before it.",
    ),
    45: ("info", "Preemptive cleanup", "Follows another error or a killed process; look at the XID before it."),
    48: (
        "critical",
        "Double-bit ECC error",
        "Drain the GPU and reset it (`nvidia-smi -r`) so the page is "
        "retired or the row remapped; if it recurs, RMA the board.",
    ),
    61: ("warning", "Internal micro-controller warning", "Reset the GPU; update the driver if it repeats."),
    62: (
        "critical",
        "Internal micro-controller halt",
        "Drain the node and reset the GPU; collect `nvidia-bug-report.sh` if it repeats.",
    ),
    63: (
        "warning",
        "ECC page retirement or row remapping recorded",
        "Reset the GPU when it is idle so the retirement/remap takes effect.",
    ),
    64: (
        "critical",
        "ECC page retirement or row remapping failed",
        "Drain and reset the GPU; if it persists, RMA the board.",
    ),
    74: (
        "critical",
        "NVLink error",
        "Check `nvidia-smi nvlink -s` and the fabric manager; reset the GPUs "
        "on the link; a repeat points to the baseboard or NVSwitch (hardware).",
    ),
    79: (
        "critical",
        "GPU has fallen off the bus",
        "Drain the node; check power, cooling and PCIe seating; reboot; RMA if it happens again.",
    ),
    92: ("warning", "High single-bit ECC error rate", "Keep watching and run `dcgmi diag -r 3`; RMA if it repeats."),
    94: (
        "warning",
        "Contained ECC error",
        "Only the affected application was stopped; reset the GPU when possible so the row is remapped.",
    ),
    95: (
        "critical",
        "Uncontained ECC error",
        "Every application on the GPU is affected: drain the node and reset the GPU.",
    ),
    119: (
        "critical",
        "GSP RPC timeout",
        "Reset the GPU or reboot; update the driver and collect `nvidia-bug-report.sh`.",
    ),
    120: ("critical", "GSP error", "Reset the GPU or reboot; update the driver and collect `nvidia-bug-report.sh`."),
    140: ("critical", "Unrecovered ECC error", "Drain the node and reset the GPU."),
    154: (
        "critical",
        "GPU recovery action changed",
        "Read the recovery action in `nvidia-smi -q` (reset or reboot) and do what it says.",
    ),
}


class CheckInputError(ValueError):
    """A threshold the caller gave is unusable; the message names the option."""


def version_tuple(text):
    """'550.54.14' -> (550, 54, 14); raises ValueError on anything else."""
    if not re.match(r"^\d+(\.\d+)*$", str(text or "")):
        raise ValueError(text)
    return tuple(int(part) for part in str(text).split("."))


def settings_with_defaults(overrides):
    """DEFAULTS updated with the caller's non-None values, validated."""
    settings = dict(DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise CheckInputError("unknown gpu_health setting %r" % key)
        if value is not None:
            settings[key] = value
    unknown = sorted(set(settings["skip_checks"]) - set(CHECK_NAMES))
    if unknown:
        raise CheckInputError(
            "skip_checks has unknown check(s) %s; known checks: %s" % (", ".join(unknown), ", ".join(CHECK_NAMES))
        )
    if settings["unhealthy_severity"] not in SEVERITIES:
        raise CheckInputError("unhealthy_severity must be one of %s" % ", ".join(SEVERITIES))
    if settings["min_driver_version"]:
        try:
            version_tuple(settings["min_driver_version"])
        except ValueError:
            raise CheckInputError(
                "min_driver_version %r is not a driver version such as 550.54.14" % settings["min_driver_version"]
            )
    if str(settings["expect_nvlink"]) not in ("auto", "True", "False", "true", "false"):
        raise CheckInputError("expect_nvlink must be auto, true or false")
    return settings


class _Findings(object):
    def __init__(self, skip):
        self.skip = set(skip)
        self.issues = []

    def add(self, gpu, check, severity, message, advice):
        if check not in self.skip:
            self.issues.append({"gpu": gpu, "check": check, "severity": severity, "message": message, "advice": advice})


def _gpu_label(gpu):
    return "GPU %s (%s)" % (gpu["index"], gpu.get("pci_bus_id") or "bus id unknown")


def _check_node(node, settings, findings, pci_gpu_count):
    count = node["gpu_count"]
    expected = settings["expected_gpu_count"]
    if expected is not None and count < int(expected):
        findings.add(
            None,
            "gpu_count",
            "critical",
            "NVML sees %d GPU(s), %d expected" % (count, int(expected)),
            "A GPU is missing or failed to initialise: check `dmesg | grep -i nvrm` for XID 79 and the "
            "PCIe/power of the missing board, then reboot.",
        )
    if pci_gpu_count is not None and pci_gpu_count > count:
        findings.add(
            None,
            "nvml_visible",
            "critical",
            "%d NVIDIA GPU(s) on the PCI bus but NVML sees only %d" % (pci_gpu_count, count),
            "A GPU fell off the bus or the driver failed to bind it: check `dmesg | grep -i nvrm`, reboot; "
            "RMA if it stays missing.",
        )
    minimum = settings["min_driver_version"]
    driver = node.get("driver_version")
    if minimum and driver:
        try:
            too_old = version_tuple(driver) < version_tuple(minimum)
        except ValueError:
            too_old = False  # a driver string we cannot read is reported, not judged
        if too_old:
            findings.add(
                None,
                "driver_version",
                "warning",
                "driver %s is older than the minimum %s" % (driver, minimum),
                "Upgrade the driver (privateai.deepseek.nvidia_driver, branch 580) during a maintenance window.",
            )


def _check_gpu_lost(gpu, findings):
    for field, error in sorted(gpu["query_errors"].items()):
        if error.get("code") == 15:  # NVML_ERROR_GPU_IS_LOST
            findings.add(
                gpu["index"],
                "gpu_lost",
                "critical",
                "%s is lost (NVML: %s while reading %s)" % (_gpu_label(gpu), error["message"], field),
                "Drain the node and reboot it; if the GPU stays lost, RMA the board.",
            )
            return


def _check_persistence(gpu, settings, findings):
    if settings["require_persistence_mode"] and gpu.get("persistence_mode") is False:
        findings.add(
            gpu["index"],
            "persistence_mode",
            "warning",
            "%s has persistence mode off" % _gpu_label(gpu),
            "Enable nvidia-persistenced (the nvidia_driver role does): without it the driver tears down "
            "and re-initialises the GPU between processes, adding seconds to every start.",
        )


def _check_ecc(gpu, settings, findings):
    ecc = gpu.get("ecc") or {}
    label = _gpu_label(gpu)
    if ecc.get("enabled") is False:
        findings.add(
            gpu["index"],
            "ecc_mode",
            "warning",
            "%s has ECC disabled" % label,
            "Enable ECC (`nvidia-smi -e 1`, then reset the GPU): without it memory errors corrupt results silently.",
        )
    if ecc.get("enabled") is not None and ecc.get("pending_enabled") != ecc.get("enabled"):
        findings.add(
            gpu["index"],
            "ecc_mode",
            "info",
            "%s has an ECC mode change pending" % label,
            "Reset the GPU or reboot to apply it.",
        )
    uncorrected = (ecc.get("volatile") or {}).get("uncorrected")
    if uncorrected is not None and uncorrected > int(settings["max_uncorrected_ecc"]):
        findings.add(
            gpu["index"],
            "ecc_uncorrected",
            "critical",
            "%s has %d uncorrected ECC error(s) since the driver loaded" % (label, uncorrected),
            "Drain the GPU and reset it so the bad memory is retired or remapped; RMA if they recur.",
        )


def _check_retired_pages(gpu, settings, findings):
    pages = gpu.get("retired_pages")
    if not pages:
        return
    label = _gpu_label(gpu)
    if pages.get("pending"):
        findings.add(
            gpu["index"],
            "retired_pages",
            "critical",
            "%s has a page retirement pending" % label,
            "Reset the GPU (`nvidia-smi -r` when idle) or reboot so the retirement takes effect.",
        )
    total = (pages.get("single_bit_ecc") or 0) + (pages.get("double_bit_ecc") or 0)
    if total >= int(settings["max_retired_pages"]):
        findings.add(
            gpu["index"],
            "retired_pages",
            "critical",
            "%s has retired %d pages (limit %d)" % (label, total, int(settings["max_retired_pages"])),
            "The board is at NVIDIA's replacement threshold: RMA it.",
        )


def _check_row_remap(gpu, findings):
    rows = gpu.get("remapped_rows")
    if not rows:
        return
    label = _gpu_label(gpu)
    if rows.get("failure"):
        findings.add(
            gpu["index"],
            "row_remap",
            "critical",
            "%s has a row-remapping failure" % label,
            "No spare rows are left in a memory bank: drain the GPU and RMA the board.",
        )
    if rows.get("pending"):
        findings.add(
            gpu["index"],
            "row_remap",
            "critical",
            "%s has a row remap pending" % label,
            "Reset the GPU (`nvidia-smi -r` when idle) or reboot so the remap takes effect.",
        )


def _check_temperature(gpu, settings, findings):
    temperature = gpu.get("temperature") or {}
    current = temperature.get("gpu_c")
    if current is None:
        return
    limit = settings["max_temperature_c"]
    if limit is None:
        slowdown = temperature.get("slowdown_c")
        limit = 85 if slowdown is None else slowdown - int(settings["temperature_margin_c"])
    if current >= int(limit):
        findings.add(
            gpu["index"],
            "temperature",
            "warning",
            "%s is at %d C (limit %d C, slowdown at %s C)"
            % (_gpu_label(gpu), current, int(limit), temperature.get("slowdown_c")),
            "Check airflow, fans and inlet temperature; the GPU will slow down at its slowdown threshold.",
        )


def _check_throttle(gpu, settings, findings):
    wanted = set(settings["throttle_reasons"])
    flagged = [reason for reason in gpu.get("clock_event_reasons") or [] if reason in wanted]
    if not flagged:
        return
    hardware = [reason for reason in flagged if reason.startswith("hw_")]
    findings.add(
        gpu["index"],
        "throttle",
        "critical" if hardware else "warning",
        "%s clocks are held down by %s" % (_gpu_label(gpu), ", ".join(flagged)),
        "hw_slowdown/hw_power_brake_slowdown: check power supplies and the external power-brake signal; "
        "thermal slowdown: check cooling. Throughput is reduced while this lasts.",
    )


def gpu_is_loaded(gpu, settings):
    """Whether the GPU was working when probed (links and clocks are only judged then)."""
    utilization = (gpu.get("utilization") or {}).get("gpu_percent")
    if "gpu_idle" in (gpu.get("clock_event_reasons") or []):
        return False
    return utilization is not None and utilization >= int(settings["pcie_load_threshold_percent"])


def _check_pcie(gpu, settings, findings):
    pcie = gpu.get("pcie") or {}
    if None in (pcie.get("generation"), pcie.get("generation_max"), pcie.get("width"), pcie.get("width_max")):
        return
    if pcie["generation"] >= pcie["generation_max"] and pcie["width"] >= pcie["width_max"]:
        return
    link = "Gen%s x%s (max Gen%s x%s)" % (pcie["generation"], pcie["width"], pcie["generation_max"], pcie["width_max"])
    if gpu_is_loaded(gpu, settings):
        findings.add(
            gpu["index"],
            "pcie_link",
            "warning",
            "%s PCIe link is degraded under load: %s" % (_gpu_label(gpu), link),
            "Reseat the board or riser and check BIOS PCIe settings; host-device copies (model loading, "
            "KV offload) run slower on a degraded link.",
        )
    else:
        findings.add(
            gpu["index"],
            "pcie_link",
            "info",
            "%s PCIe link is %s while the GPU is idle" % (_gpu_label(gpu), link),
            "Links downshift when idle to save power; this is only a fault under load. Probe again "
            "during a benchmark to judge the link.",
        )


def _nvlink_expected(node, settings):
    expect = str(settings["expect_nvlink"]).lower()
    if expect in ("true", "false"):
        return expect == "true"
    # auto: a node with any active link is an NVLink node, so every reported link must be up.
    return any(link["active"] for gpu in node["gpus"] for link in gpu.get("nvlinks") or [])


def _check_nvlink(gpu, expected, findings):
    down = [link["link"] for link in gpu.get("nvlinks") or [] if not link["active"]]
    if expected and down:
        findings.add(
            gpu["index"],
            "nvlink",
            "critical",
            "%s NVLink link(s) %s down" % (_gpu_label(gpu), ", ".join(str(link) for link in down)),
            "Tensor-parallel traffic falls back or fails: check `nvidia-smi nvlink -s` and the fabric "
            "manager, reset the GPUs; a persistent down link is a baseboard fault.",
        )


def _check_fabric(gpu, findings):
    fabric = gpu.get("fabric")
    if not fabric or fabric["state"] == "not_supported":
        return
    if fabric["state"] != "completed" or fabric["status"] != "success":
        findings.add(
            gpu["index"],
            "fabric",
            "critical",
            "%s is not registered with the NVLink fabric (state %s, status %s)"
            % (_gpu_label(gpu), fabric["state"], fabric["status"]),
            "Start nvidia-fabricmanager with exactly the driver's version (the nvidia_driver role does); "
            "CUDA fails with 'system not yet initialized' until the fabric is up.",
        )


def _check_mig(gpu, findings):
    mig = gpu.get("mig")
    if mig and mig["current"] != mig["pending"]:
        findings.add(
            gpu["index"],
            "mig",
            "warning",
            "%s has a MIG mode change pending (now %s)" % (_gpu_label(gpu), "on" if mig["current"] else "off"),
            "Reset the GPU to apply it; vLLM sees the old mode until then.",
        )


def _check_xid(node, findings):
    for event in node.get("xid_events") or []:
        severity, name, action = XID_CATALOG.get(
            event["xid"],
            ("warning", "XID %d" % event["xid"], "Look the code up in NVIDIA's XID catalog and the kernel log."),
        )
        findings.add(
            event["gpu"],
            "xid",
            severity,
            "XID %d on GPU %s: %s" % (event["xid"], event["gpu"], name),
            action,
        )


def _check_dcgm(node, findings):
    dcgm = node.get("dcgm")
    if not dcgm:
        return
    for failure in dcgm.get("failures", []):
        findings.add(
            failure.get("gpu"),
            "dcgm",
            "critical",
            "DCGM diag level %s: %s failed%s"
            % (dcgm["level"], failure["test"], ": " + failure["detail"] if failure.get("detail") else ""),
            "Drain the GPU; rerun `dcgmi diag -r 3` after a reset and RMA the board if it fails again.",
        )
    for warning in dcgm.get("warnings", []):
        findings.add(
            warning.get("gpu"),
            "dcgm",
            "warning",
            "DCGM diag level %s: %s warned%s"
            % (dcgm["level"], warning["test"], ": " + warning["detail"] if warning.get("detail") else ""),
            "Read the DCGM warning; it usually names the setting or counter to fix.",
        )
    if dcgm.get("error"):
        findings.add(
            None,
            "dcgm",
            "warning",
            "DCGM diag could not run: %s" % dcgm["error"],
            "Check that nv-hostengine runs (`systemctl status nvidia-dcgm`).",
        )


def evaluate(node, settings, pci_gpu_count=None):
    """(healthy, issues) for a probed node, given settings from settings_with_defaults."""
    findings = _Findings(settings["skip_checks"])
    _check_node(node, settings, findings, pci_gpu_count)
    nvlink_expected = _nvlink_expected(node, settings)
    for gpu in node["gpus"]:
        _check_gpu_lost(gpu, findings)
        _check_persistence(gpu, settings, findings)
        _check_ecc(gpu, settings, findings)
        _check_retired_pages(gpu, settings, findings)
        _check_row_remap(gpu, findings)
        _check_temperature(gpu, settings, findings)
        _check_throttle(gpu, settings, findings)
        _check_pcie(gpu, settings, findings)
        _check_nvlink(gpu, nvlink_expected, findings)
        _check_fabric(gpu, findings)
        _check_mig(gpu, findings)
    _check_xid(node, findings)
    _check_dcgm(node, findings)
    lowest_unhealthy = SEVERITIES.index(settings["unhealthy_severity"])
    healthy = not any(SEVERITIES.index(issue["severity"]) >= lowest_unhealthy for issue in findings.issues)
    return healthy, findings.issues

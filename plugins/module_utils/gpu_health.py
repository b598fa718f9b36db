# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPU health of one node: probe (NVML), optional DCGM diagnostic, verdict.

Shared by the gpu_health module and its command line (cli/gpu_health.py: `python -m
ansible_collections.privateai.deepseek.cli.gpu_health`).
"""

from __future__ import absolute_import, division, print_function

import json

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import (
    evaluate,
    settings_with_defaults,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_probe import (
    NOT_SUPPORTED_TEXT,
    ProbeError,
    probe_node,
)

NO_GPU_MESSAGE = "no GPUs: NVML is working but reports no NVIDIA GPU on this node"
NO_PCI_GPU_MESSAGE = "no GPUs: no NVIDIA GPU on the PCI bus of this node (nothing to probe, nvidia-ml-py not needed)"
NO_BINDING_MESSAGE = (
    "nvidia-ml-py (the Python NVML binding, import name pynvml) is not installed for this Python: the"
    " nvidia_driver role installs it in deepseek_nvml_venv (use that venv's python), or pip install nvidia-ml-py"
)
# What the module and the CLI do with a result: succeed, fail for want of a GPU, fail on the verdict.
OUTCOME_OK, OUTCOME_CANNOT_PROBE, OUTCOME_UNHEALTHY = "ok", "cannot_probe", "unhealthy"


def parse_dcgm_diag(text):
    """Failures and warnings from `dcgmi diag -r N -j` output (DCGM 3 and 4 layouts)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("dcgmi printed no JSON")
    document = json.loads(text[start : end + 1])
    diagnostic = next(
        (value for key, value in document.items() if "Diagnostic" in key and isinstance(value, dict)), None
    )
    if diagnostic is None:
        raise ValueError("no 'DCGM Diagnostic' section in the dcgmi output")
    failures, warnings, tests_run = [], [], 0
    for category in diagnostic.get("test_categories", []):
        for test in category.get("tests", []):
            tests_run += 1
            for outcome in test.get("results", []):
                status = str(outcome.get("status", "")).lower()
                entry = {"test": test.get("name", "?"), "gpu": _dcgm_gpu(outcome), "detail": _dcgm_detail(outcome)}
                if status == "fail":
                    failures.append(entry)
                elif status == "warn":
                    warnings.append(entry)
    return {"tests_run": tests_run, "failures": failures, "warnings": warnings}


def _dcgm_gpu(outcome):
    for key in ("gpu_id", "entity_id", "gpu_ids"):
        if key in outcome:
            try:
                return int(str(outcome[key]).split(",", 1)[0])
            except ValueError:
                return None
    return None


def _dcgm_detail(outcome):
    texts = []
    for item in outcome.get("warnings", []) or []:
        texts.append(item.get("warning") or item.get("message") if isinstance(item, dict) else str(item))
    if outcome.get("warnings") is None and outcome.get("info"):
        texts.append(str(outcome["info"]))
    return "; ".join(text for text in texts if text) or None


def run_dcgm_diag(level, run):
    """Run the DCGM diagnostic through `run(argv) -> (rc, stdout, stderr)`; never raises."""
    result = {"level": level, "failures": [], "warnings": [], "tests_run": 0, "error": None}
    rc, out, err = run(["dcgmi", "diag", "-r", str(level), "-j"])
    try:
        result.update(parse_dcgm_diag(out))
    except ValueError as error:
        result["error"] = "dcgmi diag -r %d exited %d: %s %s" % (level, rc, error, (err or out).strip()[:300])
    return result


def check_node(nvml, options, pci_gpu_count=None, run=None, have_dcgmi=False):
    """The whole result for one node. `options`: xid_watch_seconds, dcgm_diag_level and the
    gpu_health_checks settings. Raises CheckInputError on bad settings (before probing)."""
    options = dict(options)
    xid_watch_seconds = options.pop("xid_watch_seconds", 0) or 0
    dcgm_level = options.pop("dcgm_diag_level", None)
    settings = settings_with_defaults(options)
    try:
        node = probe_node(nvml, xid_watch_seconds=xid_watch_seconds)
    except ProbeError as error:
        return no_probe_result(error.reason, str(error), pci_gpu_count)
    if node["gpu_count"] == 0:
        return no_probe_result("no_gpus", NO_GPU_MESSAGE, pci_gpu_count, node)
    node["dcgm"] = None
    if dcgm_level:
        if have_dcgmi and run is not None:
            node["dcgm"] = run_dcgm_diag(int(dcgm_level), run)
        else:
            node["dcgm"] = {
                "level": dcgm_level,
                "failures": [],
                "warnings": [],
                "tests_run": 0,
                "error": "dcgmi is not installed (install DCGM: nvidia_driver_dcgm: true)",
            }
    healthy, issues = evaluate(node, settings, pci_gpu_count=pci_gpu_count)
    node.update(
        {
            "probe_status": "ok",
            "message": _verdict_message(healthy, issues, node),
            "healthy": healthy,
            "issues": issues,
            "pci_gpu_count": pci_gpu_count,
        }
    )
    return node


def probe(nvml, options, pci_gpu_count, run=None, have_dcgmi=False):
    """check_node, or, where the binding could not be imported (nvml None), the answer
    without it: no GPU on the PCI bus needs none; GPUs on the bus do."""
    if nvml is not None:
        return check_node(nvml, options, pci_gpu_count=pci_gpu_count, run=run, have_dcgmi=have_dcgmi)
    settings_with_defaults({key: value for key, value in options.items() if key not in NODE_OPTIONS})
    if not pci_gpu_count:
        return no_probe_result("no_gpus", NO_PCI_GPU_MESSAGE, 0)
    return no_probe_result("nvml_python_library_missing", NO_BINDING_MESSAGE, pci_gpu_count)


NODE_OPTIONS = ("xid_watch_seconds", "dcgm_diag_level")


def outcome(result, require_gpu=True, fail_on_unhealthy=True):
    """OUTCOME_OK, OUTCOME_CANNOT_PROBE or OUTCOME_UNHEALTHY, and the message to fail with."""
    if result["probe_status"] != "ok":
        if require_gpu:
            return OUTCOME_CANNOT_PROBE, "%s (set require_gpu: false on nodes without GPUs)" % result["message"]
        return OUTCOME_OK, result["message"]
    if result["healthy"] is False and fail_on_unhealthy:
        return OUTCOME_UNHEALTHY, result["message"]
    return OUTCOME_OK, result["message"]


def no_probe_result(reason, message, pci_gpu_count=None, node=None):
    """The result when nothing can be probed: the reason said plainly, no GPU figures."""
    result = {
        "probe_status": reason,
        "message": message,
        "healthy": None,
        "issues": [],
        "gpus": [],
        "gpu_count": 0,
        "pci_gpu_count": pci_gpu_count,
        "driver_version": (node or {}).get("driver_version"),
        "cuda_driver_version": (node or {}).get("cuda_driver_version"),
    }
    if pci_gpu_count:
        result["message"] += " (%d NVIDIA GPU(s) are on the PCI bus)" % pci_gpu_count
    return result


def _verdict_message(healthy, issues, node):
    counts = {}
    for issue in issues:
        counts[issue["severity"]] = counts.get(issue["severity"], 0) + 1
    summary = ", ".join(
        "%d %s" % (counts[level], level) for level in ("critical", "warning", "info") if level in counts
    )
    return "%s: %d GPU(s), driver %s%s" % (
        "healthy" if healthy else "UNHEALTHY",
        node["gpu_count"],
        node.get("driver_version"),
        "; " + summary if summary else "",
    )


def format_lines(result):
    """One line per GPU and one per issue, for people (CLI and playbook output)."""
    lines = [result["message"]]
    for gpu in result.get("gpus", []):
        memory = gpu.get("memory") or {}
        temperature = gpu.get("temperature") or {}
        pcie = gpu.get("pcie") or {}
        lines.append(
            "GPU %s %s %s: %s/%s MiB used, %s C, PCIe Gen%s x%s, ECC uncorrected %s%s"
            % (
                gpu["index"],
                gpu.get("name"),
                gpu.get("pci_bus_id"),
                memory.get("used_mib"),
                memory.get("total_mib"),
                temperature.get("gpu_c"),
                pcie.get("generation"),
                pcie.get("width"),
                ((gpu.get("ecc") or {}).get("volatile") or {}).get("uncorrected"),
                "; %s: %s" % (", ".join(gpu["not_supported"]), NOT_SUPPORTED_TEXT) if gpu.get("not_supported") else "",
            )
        )
    for issue in result.get("issues", []):
        lines.append(
            "%s %s [%s] %s -> %s"
            % (
                issue["severity"].upper(),
                "node" if issue["gpu"] is None else "GPU %s" % issue["gpu"],
                issue["check"],
                issue["message"],
                issue["advice"],
            )
        )
    return lines

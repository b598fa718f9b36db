# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does a benchmark's figure transfer to the node being priced?

A throughput measured on one model, precision and GPU says nothing about another: a
135M model on a CPU serves a few dozen tokens a second, DeepSeek-V3 on 8 H200 thousands.
The benchmark reports say what they measured (measured_on, see benchmark_context); the
priced node is priced_node (what the prices are for). A host's figure is used only when

- it was measured on GPUs (the cost model prices GPU nodes; a CPU figure never counts),
- and, for each of gpu_model, gpu_count, model and precision that priced_node states,
  the benchmark measured the same (GPU names match when one contains the other, e.g.
  "H200" and "NVIDIA H200"; precisions by their usual aliases, bf16 = bfloat16).

use_benchmark: matching (that rule), always (use it anyway, flagged), never.
"""

from __future__ import absolute_import, division, print_function

PRICED_NODE_KEYS = ("gpu_model", "gpu_count", "model", "precision")
USE_BENCHMARK = ("matching", "always", "never")
_PRECISION_ALIASES = {
    "bf16": "bfloat16",
    "fp16": "float16",
    "half": "float16",
    "fp32": "float32",
    "float": "float32",
    "fp8_e4m3": "fp8",
    "e4m3": "fp8",
}


def measured_records(data):
    """{host: the report's measured_on (None when it does not say)} for each shape accepted."""
    if isinstance(data, dict) and "mode" in data:
        return {"benchmark": data.get("measured_on")}
    if not isinstance(data, dict) or "output_throughput" in data:
        return {"benchmark": None}
    return dict((host, report.get("measured_on")) for host, report in data.items() if isinstance(report, dict))


def precision_name(text):
    text = str(text).strip().lower().replace("torch.", "")
    return _PRECISION_ALIASES.get(text, text)


def _same_gpu(measured, priced):
    measured, priced = str(measured or "").lower(), str(priced).lower()
    return bool(measured) and (priced in measured or measured in priced)


def mismatches(record, priced_node):
    """Why a figure measured on `record` does not price `priced_node`; [] when it does."""
    if not record:
        return ["the report does not say what it measured (no measured_on: re-run playbooks/benchmark.yml)"]
    if record.get("device") != "gpu":
        return [
            "it was measured on %s, and the priced node is a GPU node"
            % (record.get("device") or "an unknown device").upper()
        ]
    reasons = []
    priced = priced_node or {}
    if priced.get("gpu_model") and not _same_gpu(record.get("gpu_model"), priced["gpu_model"]):
        reasons.append("GPU %s, priced: %s" % (record.get("gpu_model"), priced["gpu_model"]))
    if priced.get("gpu_count") and record.get("gpu_count") != priced["gpu_count"]:
        reasons.append("%s GPU(s) per node, priced: %s" % (record.get("gpu_count"), priced["gpu_count"]))
    if priced.get("model") and str(record.get("model")).lower() != str(priced["model"]).lower():
        reasons.append("model %s, priced: %s" % (record.get("model"), priced["model"]))
    if priced.get("precision") and precision_name(record.get("precision")) != precision_name(priced["precision"]):
        reasons.append("precision %s, priced: %s" % (record.get("precision"), priced["precision"]))
    return reasons


def describe(record):
    """One phrase: what a benchmark measured, e.g. 'tiny-deepseek-v3 (3.28M parameters, float32)
    on CPU, vLLM 0.32.0, direct'."""
    if not record:
        return "unknown (the report has no measured_on)"
    size = record.get("parameters")
    details = [_count(size) + " parameters" if size else None, record.get("precision")]
    details = ", ".join(detail for detail in details if detail)
    if record.get("device") == "gpu":
        device = "%sx %s" % (record.get("gpu_count"), record.get("gpu_model"))
    else:
        device = str(record.get("device") or "an unknown device").upper()
    text = "%s%s on %s" % (record.get("model") or "an unnamed model", " (%s)" % details if details else "", device)
    if record.get("vllm_version"):
        text += ", vLLM %s" % record["vllm_version"]
    return text + (", %s" % record["endpoint"] if record.get("endpoint") else "")


def _count(value):
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return "%.3g%s" % (value / size, unit)
    return str(value)

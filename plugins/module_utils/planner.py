# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan vLLM arguments for a model profile on a set of GPUs.

Pure functions: profile + GPUs in, a plan out. A plan either fits (tensor-parallel
size, quantization, max model length, memory utilisation, how many sequences of that
length the KV cache holds, replicas) or says why it does not and what would.

Memory model per GPU (one tensor-parallel rank):
    usable   = memory * gpu_memory_utilization
    weights  = weight bytes / tp
    kv space = usable - weights - runtime overhead
    tokens   = kv space / KV bytes per token on one rank
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.model_catalog import (
    GIB,
    MIN_SERVED_CONTEXT,
    RUNTIME_OVERHEAD_GIB,
    get_profile,
    kv_cache_bytes_per_token,
    production_names,
    weight_bytes,
)

TP_SIZES = (1, 2, 4, 8)
DEFAULT_UTILIZATION = 0.9
MAX_MODEL_LEN_STEP = 256
# GPU sets we suggest when a model does not fit: (count, GiB per GPU, what it is).
REFERENCE_GPU_SETS = (
    (1, 24, "1x24 GB (L4/A10)"),
    (1, 48, "1x48 GB (L40S)"),
    (1, 80, "1x80 GB (H100/A100)"),
    (2, 80, "2x80 GB"),
    (4, 80, "4x80 GB"),
    (8, 80, "8x80 GB (HGX H100)"),
    (8, 141, "8x141 GB (HGX H200)"),
)


class PlanError(ValueError):
    """The request itself is invalid (not: the model does not fit)."""


def _kv_tokens(profile, tp, memory_gib, utilization, quantization, kv_cache_dtype):
    usable = memory_gib * GIB * utilization
    free = usable - weight_bytes(profile, quantization) / tp - RUNTIME_OVERHEAD_GIB * GIB
    if free <= 0:
        return 0
    return int(free // kv_cache_bytes_per_token(profile, kv_cache_dtype, tp))


def _valid_tp_sizes(profile, gpu_count):
    # vLLM shards attention heads across ranks: the head count must divide evenly.
    return [tp for tp in TP_SIZES if tp <= gpu_count and profile["attention_heads"] % tp == 0]


def _round_down(value, step):
    return value - value % step


def _validate(gpu_count, gpu_memory_gib, utilization, max_model_len, min_concurrency, quantization):
    if not isinstance(gpu_count, int) or gpu_count < 1:
        raise PlanError("gpu_count must be a whole number >= 1, got %r" % (gpu_count,))
    if not gpu_memory_gib or gpu_memory_gib <= 0:
        raise PlanError("gpu_memory_gib must be > 0, got %r" % (gpu_memory_gib,))
    if not 0.1 <= utilization <= 0.98:
        raise PlanError("gpu_memory_utilization must be between 0.1 and 0.98, got %r" % (utilization,))
    if max_model_len is not None and max_model_len < 1:
        raise PlanError("max_model_len must be >= 1, got %r" % (max_model_len,))
    if min_concurrency < 1:
        raise PlanError("min_concurrency must be >= 1, got %r" % (min_concurrency,))
    if quantization not in (None, "fp8"):
        raise PlanError("quantization must be null or 'fp8', got %r" % (quantization,))


def fits(profile, gpu_count, gpu_memory_gib, utilization=DEFAULT_UTILIZATION, quantization=None):
    """True when some TP size of this GPU set serves MIN_SERVED_CONTEXT tokens."""
    for tp in _valid_tp_sizes(profile, gpu_count):
        if _kv_tokens(profile, tp, gpu_memory_gib, utilization, quantization, "bfloat16") >= MIN_SERVED_CONTEXT:
            return True
    return False


def _suggestions(profile, gpu_count, gpu_memory_gib, utilization, quantization):
    suggestions = []
    for count, memory, label in REFERENCE_GPU_SETS:
        if (count, memory) != (gpu_count, gpu_memory_gib) and fits(profile, count, memory, utilization, quantization):
            suggestions.append("use %s" % label)
            break
    sixteen_bit = profile["weight_dtype"] in ("bfloat16", "float16")
    if quantization is None and sixteen_bit and fits(profile, gpu_count, gpu_memory_gib, utilization, "fp8"):
        suggestions.append("quantize to FP8 (quantization: fp8) on GPUs with FP8 support (Ada/Hopper or newer)")
    smaller = [
        get_profile(name)
        for name in production_names()
        if name != profile["name"]
        and fits(get_profile(name), gpu_count, gpu_memory_gib, utilization)
        and get_profile(name)["params_total_b"] < profile["params_total_b"]
    ]
    if smaller:
        best = max(smaller, key=lambda candidate: candidate["params_total_b"])
        suggestions.append("serve %s on this hardware" % best["name"])
    return suggestions


def _check_context(model, profile, max_model_len):
    if max_model_len and max_model_len > profile["context_length"]:
        raise PlanError(
            "max_model_len %d exceeds %s's context length %d" % (max_model_len, model, profile["context_length"])
        )


def _new_result(model, profile, weight_gb, kv_cache_dtype, **device):
    """The fields every plan has, fitting or not; `device` describes the hardware."""
    result = {
        "model": model,
        "hf_repo": profile["hf_repo"],
        "architecture": profile["architecture"],
        "weight_gb": weight_gb,
        "kv_cache_dtype": kv_cache_dtype,
        "reasoning_parser": profile["reasoning_parser"],
        "tool_call_parser": profile["tool_call_parser"],
        "notes": [],
    }
    result.update(device)
    return result


def _refuse(result, reason, suggestions):
    result.update(
        fits=False,
        reason=reason,
        suggestions=suggestions,
        message="%s: %s" % (reason, ", or ".join(suggestions) if suggestions else "no catalog model fits"),
    )
    return result


def _accept(result, tp, replicas, quantization, length, utilization, tokens):
    result.update(
        fits=True,
        tensor_parallel_size=tp,
        replicas=replicas,
        quantization=quantization,
        dtype="auto",
        max_model_len=length,
        gpu_memory_utilization=utilization,
        kv_cache_tokens=tokens,
        max_concurrent_sequences=tokens // length,
    )
    return result


def cpu_plan(model, cpu_kv_cache_gib, max_model_len=None, min_concurrency=1, custom_profile=None):
    """Plan for vLLM's CPU backend: the KV cache is VLLM_CPU_KVCACHE_SPACE GiB of RAM."""
    profile = get_profile(model, custom_profile)
    if not cpu_kv_cache_gib or cpu_kv_cache_gib <= 0:
        raise PlanError("cpu_kv_cache_gib must be > 0, got %r" % (cpu_kv_cache_gib,))
    _check_context(model, profile, max_model_len)
    tokens = int(cpu_kv_cache_gib * GIB // kv_cache_bytes_per_token(profile, "bfloat16"))
    wanted = max_model_len or profile["context_length"]
    length = wanted if max_model_len else min(wanted, _round_down(tokens // min_concurrency, MAX_MODEL_LEN_STEP))
    result = _new_result(model, profile, round(weight_bytes(profile) / 1e9, 3), "bfloat16", device="cpu", gpu_count=0)
    if length < 1 or tokens < length * min_concurrency:
        reason = "%s needs %d tokens of KV cache (%d bytes each); cpu_kv_cache_gib=%s holds %d" % (
            model,
            length * min_concurrency,
            kv_cache_bytes_per_token(profile, "bfloat16"),
            cpu_kv_cache_gib,
            tokens,
        )
        return _refuse(result, reason, ["raise cpu_kv_cache_gib (VLLM_CPU_KVCACHE_SPACE) or lower max_model_len"])
    return _accept(result, 1, 1, None, length, None, tokens)


def plan(
    model,
    gpu_count,
    gpu_memory_gib,
    interconnect="nvlink",
    gpu_memory_utilization=None,
    max_model_len=None,
    min_concurrency=1,
    quantization=None,
    kv_cache_dtype="bfloat16",
    tensor_parallel_size=None,
    custom_profile=None,
):
    """Return the plan dict for `model` on `gpu_count` GPUs of `gpu_memory_gib` each.

    Pinned values (tensor_parallel_size, max_model_len, gpu_memory_utilization) are
    honoured and checked; the rest are chosen: the smallest TP size that serves the
    context (fewer ranks means less communication, and spare GPUs become replicas),
    and the longest context up to the model's limit that still holds min_concurrency
    sequences.
    """
    profile = get_profile(model, custom_profile)
    utilization = DEFAULT_UTILIZATION if gpu_memory_utilization is None else gpu_memory_utilization
    _validate(gpu_count, gpu_memory_gib, utilization, max_model_len, min_concurrency, quantization)
    _check_context(model, profile, max_model_len)
    wanted_len = max_model_len or profile["context_length"]

    candidates = _valid_tp_sizes(profile, gpu_count)
    if tensor_parallel_size is not None:
        if tensor_parallel_size not in candidates:
            raise PlanError(
                "tensor_parallel_size %s is impossible for %s on %d GPU(s): choose one of %s "
                "(a power of two, at most the GPU count, dividing the %d attention heads)"
                % (tensor_parallel_size, model, gpu_count, candidates, profile["attention_heads"])
            )
        candidates = [tensor_parallel_size]

    result = _new_result(
        model,
        profile,
        round(weight_bytes(profile, quantization) / 1e9, 1),
        kv_cache_dtype,
        gpu_count=gpu_count,
        gpu_memory_gib=gpu_memory_gib,
        interconnect=interconnect,
    )
    # The smallest TP size that serves the wanted context; if none does, the one that
    # serves the longest context (smaller TP first on ties).
    best = None
    for tp in candidates:
        tokens = _kv_tokens(profile, tp, gpu_memory_gib, utilization, quantization, kv_cache_dtype)
        length = min(wanted_len, _round_down(tokens // min_concurrency, MAX_MODEL_LEN_STEP))
        # A pinned max_model_len is served exactly or not at all.
        shortest = wanted_len if max_model_len else min(MIN_SERVED_CONTEXT, wanted_len)
        if length >= shortest and (best is None or length > best[2]):
            best = (tp, tokens, length)
        if best and best[2] == wanted_len:
            break
    if best:
        tp, tokens, length = best
        return _fitting_plan(result, profile, tp, tokens, length, utilization, quantization, gpu_count, interconnect)

    usable_gb = gpu_count * gpu_memory_gib * GIB * utilization / 1e9
    reason = (
        "%s (%sB parameters, %s) needs ~%.0f GB of weights plus KV cache for %d tokens; "
        "%dx%s GiB gives %.0f GB usable at %.2f"
        % (
            model,
            profile["params_total_b"],
            quantization or profile["weight_dtype"],
            weight_bytes(profile, quantization) / 1e9,
            (wanted_len if max_model_len else min(MIN_SERVED_CONTEXT, wanted_len)) * min_concurrency,
            gpu_count,
            gpu_memory_gib,
            usable_gb,
            utilization,
        )
    )
    if tensor_parallel_size is not None:
        reason += " with tensor_parallel_size %d" % tensor_parallel_size
    suggestions = _suggestions(profile, gpu_count, gpu_memory_gib, utilization, quantization)
    return _refuse(result, reason, suggestions)


def _fitting_plan(result, profile, tp, tokens, length, utilization, quantization, gpu_count, interconnect):
    replicas = gpu_count // tp
    _accept(result, tp, replicas, quantization, length, utilization, tokens)
    if tp > 1 and interconnect == "pcie":
        result["notes"].append("tensor parallelism over PCIe is slow: prefer GPUs with NVLink, or fewer, larger GPUs")
    if replicas > 1:
        result["notes"].append(
            "one replica uses %d of %d GPUs: run %d replicas behind the gateway for throughput"
            % (tp, gpu_count, replicas)
        )
    if length < profile["context_length"]:
        result["notes"].append(
            "max_model_len limited to %d of %d by KV-cache memory" % (length, profile["context_length"])
        )
    if profile["weight_dtype"] == "fp8" or quantization == "fp8":
        result["notes"].append("FP8 weights run natively on Ada/Hopper and newer; Ampere uses weight-only FP8 (Marlin)")
    return result

# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DeepSeek models people deploy privately, with what a planner needs to know.

Architecture figures come from each model's published config.json (layers, KV heads,
head size, MLA ranks); weight sizes are the safetensors totals of the published
checkpoints. KV-cache bytes per token are derived from those figures, not typed in, so
they cannot drift from the architecture.
"""

from __future__ import absolute_import, division, print_function

import copy

BYTES_PER_ELEMENT = {"bfloat16": 2, "float16": 2, "float32": 4, "fp8": 1}

# Parsers registered in vLLM (--reasoning-parser / --tool-call-parser).
R1_REASONING = "deepseek_r1"
V31_REASONING = "deepseek_v3"


def _gqa(layers, kv_heads, head_dim, attention_heads):
    return {
        "attention": "gqa",
        "layers": layers,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "attention_heads": attention_heads,
    }


def _mla(layers, attention_heads, kv_lora_rank=512, qk_rope_head_dim=64):
    return {
        "attention": "mla",
        "layers": layers,
        "attention_heads": attention_heads,
        "kv_lora_rank": kv_lora_rank,
        "qk_rope_head_dim": qk_rope_head_dim,
    }


_PROFILES = {
    "deepseek-r1-distill-qwen-1.5b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        architecture="Qwen2ForCausalLM",
        params_total_b=1.78,
        weight_dtype="bfloat16",
        weight_gb=3.55,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=28, kv_heads=2, head_dim=128, attention_heads=12),
    ),
    "deepseek-r1-distill-qwen-7b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        architecture="Qwen2ForCausalLM",
        params_total_b=7.62,
        weight_dtype="bfloat16",
        weight_gb=15.23,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=28, kv_heads=4, head_dim=128, attention_heads=28),
    ),
    "deepseek-r1-distill-qwen-14b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
        architecture="Qwen2ForCausalLM",
        params_total_b=14.8,
        weight_dtype="bfloat16",
        weight_gb=29.54,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=48, kv_heads=8, head_dim=128, attention_heads=40),
    ),
    "deepseek-r1-distill-qwen-32b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        architecture="Qwen2ForCausalLM",
        params_total_b=32.8,
        weight_dtype="bfloat16",
        weight_gb=65.53,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=64, kv_heads=8, head_dim=128, attention_heads=40),
    ),
    "deepseek-r1-distill-llama-8b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        architecture="LlamaForCausalLM",
        params_total_b=8.03,
        weight_dtype="bfloat16",
        weight_gb=16.06,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=32, kv_heads=8, head_dim=128, attention_heads=32),
    ),
    "deepseek-r1-distill-llama-70b": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
        architecture="LlamaForCausalLM",
        params_total_b=70.6,
        weight_dtype="bfloat16",
        weight_gb=141.1,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser=None,
        **_gqa(layers=80, kv_heads=8, head_dim=128, attention_heads=64),
    ),
    "deepseek-v2-lite": dict(
        hf_repo="deepseek-ai/DeepSeek-V2-Lite",
        architecture="DeepseekV2ForCausalLM",
        params_total_b=15.7,
        params_active_b=2.4,
        weight_dtype="bfloat16",
        weight_gb=31.4,
        context_length=32768,
        reasoning_parser=None,
        tool_call_parser=None,
        **_mla(layers=27, attention_heads=16),
    ),
    "deepseek-v2-lite-chat": dict(
        hf_repo="deepseek-ai/DeepSeek-V2-Lite-Chat",
        architecture="DeepseekV2ForCausalLM",
        params_total_b=15.7,
        params_active_b=2.4,
        weight_dtype="bfloat16",
        weight_gb=31.4,
        context_length=32768,
        reasoning_parser=None,
        tool_call_parser=None,
        **_mla(layers=27, attention_heads=16),
    ),
    "deepseek-coder-v2-lite-instruct": dict(
        hf_repo="deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
        architecture="DeepseekV2ForCausalLM",
        params_total_b=15.7,
        params_active_b=2.4,
        weight_dtype="bfloat16",
        weight_gb=31.4,
        context_length=131072,
        reasoning_parser=None,
        tool_call_parser=None,
        **_mla(layers=27, attention_heads=16),
    ),
    "deepseek-v3": dict(
        hf_repo="deepseek-ai/DeepSeek-V3",
        architecture="DeepseekV3ForCausalLM",
        params_total_b=671,
        params_active_b=37,
        weight_dtype="fp8",
        weight_gb=688.6,
        context_length=131072,
        reasoning_parser=None,
        tool_call_parser="deepseek_v3",
        **_mla(layers=61, attention_heads=128),
    ),
    "deepseek-r1": dict(
        hf_repo="deepseek-ai/DeepSeek-R1-0528",
        architecture="DeepseekV3ForCausalLM",
        params_total_b=671,
        params_active_b=37,
        weight_dtype="fp8",
        weight_gb=688.6,
        context_length=131072,
        reasoning_parser=R1_REASONING,
        tool_call_parser="deepseek_v3",
        **_mla(layers=61, attention_heads=128),
    ),
    "deepseek-v3.1": dict(
        hf_repo="deepseek-ai/DeepSeek-V3.1",
        architecture="DeepseekV3ForCausalLM",
        params_total_b=671,
        params_active_b=37,
        weight_dtype="fp8",
        weight_gb=688.6,
        context_length=131072,
        reasoning_parser=V31_REASONING,
        tool_call_parser="deepseek_v31",
        **_mla(layers=61, attention_heads=128),
    ),
    # Test models (tests/fixtures builds them; no downloads).
    "tiny-deepseek-v3": dict(
        hf_repo=None,
        architecture="DeepseekV3ForCausalLM",
        params_total_b=0.0033,
        params_active_b=0.0021,
        weight_dtype="float32",
        weight_gb=0.0133,
        context_length=2048,
        reasoning_parser=None,
        tool_call_parser=None,
        test_model=True,
        **_mla(layers=2, attention_heads=4),
    ),
    "smollm2-135m-instruct": dict(
        hf_repo="HuggingFaceTB/SmolLM2-135M-Instruct",
        architecture="LlamaForCausalLM",
        params_total_b=0.135,
        weight_dtype="float32",
        weight_gb=0.54,
        context_length=8192,
        reasoning_parser=None,
        tool_call_parser=None,
        test_model=True,
        **_gqa(layers=30, kv_heads=3, head_dim=64, attention_heads=9),
    ),
}

GIB = 1024**3
# Memory vLLM needs besides weights and KV cache on each GPU: CUDA context, activations
# and CUDA graphs. A conservative figure for the models above.
RUNTIME_OVERHEAD_GIB = 2.0
# The shortest context worth serving; plans below it are rejected.
MIN_SERVED_CONTEXT = 4096

CUSTOM = "custom"
REQUIRED_CUSTOM_KEYS = (
    "architecture",
    "params_total_b",
    "weight_dtype",
    "weight_gb",
    "context_length",
    "layers",
    "attention",
)


class CatalogError(ValueError):
    """Unknown model or incomplete custom profile; the message says what to fix."""


def kv_cache_bytes_per_token(profile, kv_cache_dtype="bfloat16", tensor_parallel_size=1):
    """KV-cache bytes one token occupies on one GPU (one tensor-parallel rank).

    GQA: keys and values for the KV heads this rank holds (heads are replicated when
    TP exceeds the KV head count). MLA: one compressed latent (kv_lora_rank) plus the
    rotary key part per layer, and vLLM keeps the whole latent on every rank.
    """
    element = BYTES_PER_ELEMENT[kv_cache_dtype]
    if profile["attention"] == "mla":
        return profile["layers"] * (profile["kv_lora_rank"] + profile["qk_rope_head_dim"]) * element
    heads_per_rank = max(1, -(-profile["kv_heads"] // tensor_parallel_size))
    return 2 * profile["layers"] * heads_per_rank * profile["head_dim"] * element


def names():
    return sorted(_PROFILES)


def production_names():
    return sorted(name for name, profile in _PROFILES.items() if not profile.get("test_model"))


def get_profile(name, custom=None):
    """Return a copy of the named profile, completed with derived figures.

    `custom` (a dict) is required for name == 'custom' and overrides fields otherwise.
    """
    if name == CUSTOM:
        if not custom:
            raise CatalogError("model 'custom' needs a profile: give %s" % ", ".join(REQUIRED_CUSTOM_KEYS))
        missing = [key for key in REQUIRED_CUSTOM_KEYS if key not in custom]
        if missing:
            raise CatalogError("custom model profile is missing %s" % ", ".join(missing))
        profile = {"hf_repo": None, "reasoning_parser": None, "tool_call_parser": None}
    elif name in _PROFILES:
        profile = copy.deepcopy(_PROFILES[name])
    else:
        raise CatalogError(
            "unknown model %r; known models: %s, or 'custom' with a profile" % (name, ", ".join(names()))
        )
    profile.update(custom or {})
    if profile["weight_dtype"] not in BYTES_PER_ELEMENT:
        raise CatalogError(
            "weight_dtype %r is not one of %s" % (profile["weight_dtype"], ", ".join(sorted(BYTES_PER_ELEMENT)))
        )
    profile["name"] = name
    profile.setdefault("params_active_b", profile["params_total_b"])
    profile["moe"] = profile["params_active_b"] < profile["params_total_b"]
    profile["kv_cache_bytes_per_token"] = kv_cache_bytes_per_token(profile)
    profile["min_gpu_memory_gib"] = minimum_gpu_memory_gib(profile)
    return profile


def weight_bytes(profile, quantization=None):
    """Bytes of weights in GPU memory, after optional FP8 quantization of 16-bit weights."""
    size = profile["weight_gb"] * 1e9
    if quantization == "fp8" and BYTES_PER_ELEMENT[profile["weight_dtype"]] > 1:
        size = size / BYTES_PER_ELEMENT[profile["weight_dtype"]]
    return size


def decode_bytes_per_step(profile, quantization=None, context_tokens=0, kv_cache_dtype="bfloat16"):
    """Bytes one decode step of one sequence reads from GPU memory.

    The active weights (all of a dense model; for an MoE the share that one token's
    routed experts and shared layers hold) plus the sequence's KV cache. Decode is
    memory-bound, so bandwidth / these bytes is the ceiling of tokens/s per sequence.
    """
    active_share = float(profile.get("params_active_b", profile["params_total_b"])) / profile["params_total_b"]
    kv_bytes = context_tokens * kv_cache_bytes_per_token(profile, kv_cache_dtype)
    return weight_bytes(profile, quantization) * active_share + kv_bytes


def minimum_gpu_memory_gib(profile, gpu_memory_utilization=0.9):
    """Total GPU memory (over all GPUs of one replica, single GPU case) to serve MIN_SERVED_CONTEXT."""
    needed = weight_bytes(profile) + MIN_SERVED_CONTEXT * profile["kv_cache_bytes_per_token"]
    return round((needed / GIB + RUNTIME_OVERHEAD_GIB) / gpu_memory_utilization, 1)

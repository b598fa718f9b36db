"""Planner: every catalog model on the reference GPU sets, invariants and advice."""

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils import model_catalog as catalog
from ansible_collections.privateai.deepseek.plugins.module_utils.planner import PlanError, plan

GPU_SETS = {"1x24": (1, 24), "2x80": (2, 80), "8x80": (8, 80), "8x141": (8, 141)}

# What practitioners know: which model runs on which GPU set in BF16/FP8 as published.
EXPECTED_FIT = {
    "deepseek-r1-distill-qwen-1.5b": {"1x24", "2x80", "8x80", "8x141"},
    "deepseek-r1-distill-qwen-7b": {"1x24", "2x80", "8x80", "8x141"},
    "deepseek-r1-distill-llama-8b": {"1x24", "2x80", "8x80", "8x141"},
    "deepseek-r1-distill-qwen-14b": {"2x80", "8x80", "8x141"},
    "deepseek-r1-distill-qwen-32b": {"2x80", "8x80", "8x141"},
    "deepseek-r1-distill-llama-70b": {"2x80", "8x80", "8x141"},
    "deepseek-v2-lite": {"2x80", "8x80", "8x141"},
    "deepseek-v2-lite-chat": {"2x80", "8x80", "8x141"},
    "deepseek-coder-v2-lite-instruct": {"2x80", "8x80", "8x141"},
    # 671B FP8 is ~689 GB: more than 8x80 GB holds, less than 8x141 GB.
    "deepseek-v3": {"8x141"},
    "deepseek-r1": {"8x141"},
    "deepseek-v3.1": {"8x141"},
}


def test_expectations_cover_the_whole_catalog():
    assert set(EXPECTED_FIT) == set(catalog.production_names())


@pytest.mark.parametrize("gpu_set", sorted(GPU_SETS))
@pytest.mark.parametrize("model", sorted(EXPECTED_FIT))
def test_every_model_on_every_reference_gpu_set(model, gpu_set):
    count, memory = GPU_SETS[gpu_set]
    profile = catalog.get_profile(model)

    result = plan(model, count, memory)

    assert result["fits"] is (gpu_set in EXPECTED_FIT[model]), result.get("message")
    if result["fits"]:
        tp = result["tensor_parallel_size"]
        assert tp <= count and profile["attention_heads"] % tp == 0
        assert result["replicas"] == count // tp
        assert catalog.MIN_SERVED_CONTEXT <= result["max_model_len"] <= profile["context_length"]
        # The memory the plan promises really is there on every rank.
        per_rank = (
            catalog.weight_bytes(profile) / tp
            + catalog.RUNTIME_OVERHEAD_GIB * catalog.GIB
            + result["max_model_len"]
            * result["max_concurrent_sequences"]
            * catalog.kv_cache_bytes_per_token(profile, "bfloat16", tp)
        )
        assert per_rank <= memory * catalog.GIB * result["gpu_memory_utilization"]
        assert result["max_concurrent_sequences"] >= 1
    else:
        assert result["reason"].startswith(model)
        assert result["suggestions"], "a refusal must say what would fit"


def test_r1_on_four_h100_explains_and_points_to_h200_or_a_distill():
    result = plan("deepseek-r1", 4, 80)
    assert not result["fits"]
    assert "needs ~689 GB of weights" in result["message"]
    assert "4x80 GiB gives 309 GB usable" in result["message"]
    assert "use 8x141 GB (HGX H200)" in result["suggestions"]
    assert "serve deepseek-r1-distill-llama-70b on this hardware" in result["suggestions"]


def test_671b_models_need_all_eight_h200s():
    for model in ("deepseek-v3", "deepseek-r1", "deepseek-v3.1"):
        result = plan(model, 8, 141)
        assert result["tensor_parallel_size"] == 8
        assert result["max_model_len"] == 131072


def test_smallest_tp_that_serves_the_full_context_wins():
    # 32B BF16 (66 GB) fits one 80 GB GPU, but with a short context; two GPUs serve 128K.
    result = plan("deepseek-r1-distill-qwen-32b", 2, 80)
    assert result["tensor_parallel_size"] == 2
    assert result["max_model_len"] == 131072
    one_gpu = plan("deepseek-r1-distill-qwen-32b", 1, 80)
    assert one_gpu["tensor_parallel_size"] == 1
    assert one_gpu["max_model_len"] < 131072
    assert any("limited to" in note for note in one_gpu["notes"])


def test_spare_gpus_become_replicas():
    result = plan("deepseek-r1-distill-qwen-7b", 8, 80)
    assert (result["tensor_parallel_size"], result["replicas"]) == (1, 8)
    assert any("8 replicas" in note for note in result["notes"])


def test_fp8_quantization_is_suggested_then_honoured():
    refused = plan("deepseek-r1-distill-qwen-14b", 1, 24)
    assert any("quantization: fp8" in s for s in refused["suggestions"])
    accepted = plan("deepseek-r1-distill-qwen-14b", 1, 24, quantization="fp8")
    assert accepted["fits"] and accepted["quantization"] == "fp8"
    assert accepted["weight_gb"] == pytest.approx(14.8, abs=0.1)


def test_mla_kv_cache_does_not_shrink_with_tensor_parallelism():
    v3 = catalog.get_profile("deepseek-v3")
    assert v3["kv_cache_bytes_per_token"] == 61 * (512 + 64) * 2
    assert catalog.kv_cache_bytes_per_token(v3, tensor_parallel_size=8) == v3["kv_cache_bytes_per_token"]
    qwen = catalog.get_profile("deepseek-r1-distill-qwen-7b")  # 4 KV heads
    assert qwen["kv_cache_bytes_per_token"] == 2 * 28 * 4 * 128 * 2
    assert catalog.kv_cache_bytes_per_token(qwen, tensor_parallel_size=2) == qwen["kv_cache_bytes_per_token"] // 2
    # beyond 4 ranks the KV heads are replicated, not split further
    assert catalog.kv_cache_bytes_per_token(qwen, tensor_parallel_size=8) == 2 * 28 * 1 * 128 * 2


def test_pcie_tensor_parallelism_gets_a_warning():
    result = plan("deepseek-r1-distill-llama-70b", 2, 80, interconnect="pcie")
    assert any("PCIe" in note for note in result["notes"])


def test_longer_pinned_context_than_memory_allows_is_refused():
    result = plan("deepseek-r1-distill-qwen-7b", 1, 24, max_model_len=131072, min_concurrency=2)
    assert result["fits"] is False


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"tensor_parallel_size": 3}, "tensor_parallel_size 3 is impossible"),
        ({"tensor_parallel_size": 4}, "choose one of [1, 2]"),
        ({"max_model_len": 200000}, "exceeds deepseek-r1-distill-qwen-7b's context length 131072"),
        ({"gpu_memory_utilization": 1.2}, "gpu_memory_utilization must be between"),
        ({"quantization": "int3"}, "quantization must be null or 'fp8'"),
    ],
)
def test_impossible_requests_are_rejected_with_the_fix(kwargs, message):
    with pytest.raises(PlanError) as error:
        plan("deepseek-r1-distill-qwen-7b", 2, 80, **kwargs)
    assert message in str(error.value)


def test_unknown_model_lists_the_catalog():
    with pytest.raises(catalog.CatalogError) as error:
        plan("deepseek-r2", 1, 80)
    assert "unknown model 'deepseek-r2'" in str(error.value)
    assert "deepseek-r1-distill-qwen-7b" in str(error.value)


def test_custom_profile():
    custom = {
        "architecture": "Qwen2ForCausalLM",
        "params_total_b": 3.0,
        "weight_dtype": "bfloat16",
        "weight_gb": 6.0,
        "context_length": 32768,
        "attention": "gqa",
        "layers": 36,
        "kv_heads": 2,
        "head_dim": 128,
        "attention_heads": 16,
    }
    result = plan("custom", 1, 24, custom_profile=custom)
    assert result["fits"] and result["max_model_len"] == 32768
    with pytest.raises(catalog.CatalogError, match="missing weight_gb"):
        plan("custom", 1, 24, custom_profile={k: v for k, v in custom.items() if k != "weight_gb"})


def test_every_profile_has_the_documented_fields():
    for name in catalog.names():
        profile = catalog.get_profile(name)
        for field in (
            "architecture",
            "params_total_b",
            "params_active_b",
            "weight_dtype",
            "weight_gb",
            "context_length",
            "kv_cache_bytes_per_token",
            "reasoning_parser",
            "tool_call_parser",
            "min_gpu_memory_gib",
        ):
            assert field in profile, (name, field)
        assert profile["moe"] is (profile["attention"] == "mla"), name  # DeepSeek MoE models use MLA


def test_cpu_plan_sizes_the_kv_cache_from_ram():
    from ansible_collections.privateai.deepseek.plugins.module_utils.planner import cpu_plan

    tiny = cpu_plan("tiny-deepseek-v3", 1)
    assert tiny["fits"] and tiny["device"] == "cpu"
    assert tiny["max_model_len"] == 2048  # the model's context
    assert tiny["kv_cache_tokens"] == catalog.GIB // (2 * (512 + 64) * 2)
    smol = cpu_plan("smollm2-135m-instruct", 0.25, min_concurrency=8)
    assert smol["max_model_len"] * 8 <= smol["kv_cache_tokens"]
    refused = cpu_plan("smollm2-135m-instruct", 0.01, max_model_len=8192)
    assert not refused["fits"] and "raise cpu_kv_cache_gib" in refused["message"]


def test_decode_reads_all_weights_of_a_dense_model_and_the_active_share_of_an_moe():
    dense = catalog.get_profile("deepseek-r1-distill-llama-70b")
    assert catalog.decode_bytes_per_step(dense) == pytest.approx(141.1e9)
    r1 = catalog.get_profile("deepseek-r1")
    # 37B of 671B parameters are active per token: ~38 GB of the 689 GB FP8 weights.
    assert catalog.decode_bytes_per_step(r1) == pytest.approx(688.6e9 * 37 / 671)
    with_context = catalog.decode_bytes_per_step(r1, context_tokens=4096)
    assert with_context - catalog.decode_bytes_per_step(r1) == 4096 * catalog.kv_cache_bytes_per_token(r1)

"""model_plan's main(): argument rules, fail-or-advise behaviour, exact result keys."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.privateai.deepseek.plugins.modules import model_plan


def run_module(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        model_plan.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_fitting_plan(capsys):
    code, result = run_module(capsys, {"model": "deepseek-r1", "gpu_count": 8, "gpu_memory_gib": 141})
    assert code == 0
    assert result["changed"] is False
    assert result["plan"]["fits"] is True
    assert result["plan"]["tensor_parallel_size"] == 8
    assert result["plan"]["reasoning_parser"] == "deepseek_r1"
    assert result["profile"]["hf_repo"] == "deepseek-ai/DeepSeek-R1-0528"


def test_unfit_model_fails_with_the_advice(capsys):
    code, result = run_module(capsys, {"model": "deepseek-r1", "gpu_count": 4, "gpu_memory_gib": 80})
    assert code == 1
    assert result["failed"] is True
    assert result["msg"].startswith("deepseek-r1 (671B parameters, fp8) needs ~689 GB of weights")
    assert "use 8x141 GB (HGX H200)" in result["msg"]


def test_unfit_model_can_be_reported_without_failing(capsys):
    code, result = run_module(
        capsys, {"model": "deepseek-r1", "gpu_count": 4, "gpu_memory_gib": 80, "fail_when_unfit": False}
    )
    assert code == 0
    assert result["plan"]["fits"] is False
    assert result["plan"]["suggestions"]


@pytest.mark.parametrize(
    "args,message",
    [
        ({"model": "deepseek-r9", "gpu_count": 1, "gpu_memory_gib": 80}, "unknown model 'deepseek-r9'"),
        ({"model": "custom", "gpu_count": 1, "gpu_memory_gib": 80}, "model is custom but all of the following"),
        (
            {"model": "deepseek-r1-distill-qwen-7b", "gpu_count": 2, "gpu_memory_gib": 80, "tensor_parallel_size": 3},
            "tensor_parallel_size 3 is impossible",
        ),
        ({"model": "deepseek-r1-distill-qwen-7b", "gpu_count": -1, "gpu_memory_gib": 80}, "gpu_count must be"),
    ],
)
def test_bad_input_names_the_option(capsys, args, message):
    code, result = run_module(capsys, args)
    assert code == 1
    assert message in result["msg"]


def test_cpu_backend_plan(capsys):
    code, result = run_module(capsys, {"model": "tiny-deepseek-v3", "gpu_count": 0, "cpu_kv_cache_gib": 1})
    assert code == 0
    assert result["plan"]["device"] == "cpu"
    assert result["plan"]["max_model_len"] == 2048
    assert result["profile"]["architecture"] == "DeepseekV3ForCausalLM"


def test_gpu_plan_needs_gpu_memory(capsys):
    code, result = run_module(capsys, {"model": "deepseek-r1-distill-qwen-7b", "gpu_count": 1})
    assert code == 1
    assert "gpu_memory_gib must be > 0" in result["msg"]

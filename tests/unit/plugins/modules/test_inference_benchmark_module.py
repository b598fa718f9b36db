"""inference_benchmark's main(): option handling, the derived decode ceiling, failing on violations.

The measuring itself is covered against real HTTP servers in
tests/integration/test_benchmark_local_server.py and against vLLM in molecule `site`.
"""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.privateai.deepseek.plugins.module_utils import model_catalog
from ansible_collections.privateai.deepseek.plugins.modules import inference_benchmark

URL = "http://127.0.0.1:9"


def run_module(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        inference_benchmark.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture()
def captured_run(monkeypatch):
    """Replace the measurement with a recorder returning a canned report."""
    calls = []

    def fake_run(options, progress=None):
        calls.append(options)
        return {"mode": "single", "result": {"completed": 3}, "violations": fake_run.violations, "markdown": "|"}

    fake_run.violations = []
    monkeypatch.setattr(inference_benchmark, "run", fake_run)
    return fake_run, calls


def test_options_reach_the_library(capsys, captured_run):
    _, calls = captured_run
    code, result = run_module(capsys, {"url": URL, "concurrency": 4, "request_rate": None, "api_key": "k"})
    assert code == 0
    assert result["result"] == {"completed": 3}
    options = calls[0]
    assert options["url"] == URL and options["concurrency"] == 4 and options["api_key"] == "k"
    assert "fail_on_violation" not in options and "model_profile" not in options


def test_decode_ceiling_is_derived_from_the_catalog(capsys, captured_run):
    _, calls = captured_run
    args = {
        "url": URL,
        "model_profile": "deepseek-r1",
        "memory_bandwidth_gbps": 4800,
        "tensor_parallel_size": 8,
        "input_len": 1000,
        "output_len": 200,
    }
    assert run_module(capsys, args)[0] == 0
    profile = model_catalog.get_profile("deepseek-r1")
    expected = int(model_catalog.decode_bytes_per_step(profile, context_tokens=1100))
    assert calls[0]["weight_bytes_per_step"] == expected
    assert calls[0]["memory_bandwidth_gbps"] == 4800 * 8


def test_violations_fail_unless_told_not_to(capsys, captured_run):
    fake_run, _ = captured_run
    fake_run.violations = ["p99 TTFT 900 ms is above the maximum 500 ms"]
    code, result = run_module(capsys, {"url": URL})
    assert code == 1
    assert result["msg"] == "thresholds violated: p99 TTFT 900 ms is above the maximum 500 ms"
    assert result["result"] == {"completed": 3}
    code, result = run_module(capsys, {"url": URL, "fail_on_violation": False})
    assert code == 0 and result["violations"]


def test_check_mode_validates_and_sends_nothing(capsys, captured_run):
    _, calls = captured_run
    code, result = run_module(capsys, {"url": URL, "_ansible_check_mode": True})
    assert code == 0 and "no request sent" in result["msg"]
    assert calls == []
    code, result = run_module(capsys, {"url": "ftp://x", "_ansible_check_mode": True})
    assert code == 1 and "url must start with http:// or https://" in result["msg"]


@pytest.mark.parametrize(
    "args,message",
    [
        ({"request_rate": "fast"}, "request_rate must be a number of requests per second or 'inf'"),
        ({"model_profile": "deepseek-r1"}, "model_profile needs memory_bandwidth_gbps"),
        ({"model_profile": "deepseek-r9", "memory_bandwidth_gbps": 1}, "model_profile: unknown model 'deepseek-r9'"),
        ({"concurrency": 2, "request_rate": "3"}, "choose one load shape, got concurrency and request_rate"),
        ({"tensor_parallel_size": 0}, "tensor_parallel_size must be >= 1"),
        ({"concurrency": 0}, "concurrency must be a whole number > 0"),
    ],
)
def test_bad_input_names_the_option(capsys, args, message):
    code, result = run_module(capsys, dict(args, url=URL))
    assert code == 1
    assert result["msg"].startswith("bad input: ")
    assert message in result["msg"]


def test_missing_aiohttp(capsys, monkeypatch):
    monkeypatch.setattr(inference_benchmark, "HAS_AIOHTTP", False)
    code, result = run_module(capsys, {"url": URL})
    assert code == 1 and "aiohttp" in result["msg"]


def test_unreachable_endpoint_fails_quickly_with_the_reason(capsys):
    code, result = run_module(capsys, {"url": URL, "num_requests": 1, "connect_timeout": 2})
    assert code == 1
    assert result["msg"].startswith("benchmark could not run: endpoint http://127.0.0.1:9")
    assert "unreachable" in result["msg"]

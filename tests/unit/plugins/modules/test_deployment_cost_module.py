"""deployment_cost's main(): result keys, benchmark_file, bad input, the chart and check mode."""

import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.privateai.deepseek.plugins.module_utils import deployment_cost_report
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    DEFAULT_ASSUMPTIONS,
    DEFAULT_PRICES,
    DEFAULT_WORKLOAD,
)
from ansible_collections.privateai.deepseek.plugins.modules import deployment_cost

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_module(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        deployment_cost.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def sweep_file(tmp_path):
    def point(throughput, p99_e2el, concurrency):
        return {
            "load": {"mode": "concurrency", "concurrency": concurrency},
            "completed": 50,
            "failed": 0,
            "total_output_tokens": 50 * 500,
            "output_throughput": throughput,
            "e2el_ms": {"p99": p99_e2el},
        }

    path = tmp_path / "benchmark.json"
    report = {
        "mode": "sweep",
        "points": [point(800.0, 12000.0, 4), point(1600.0, 24000.0, 16), point(2500, 52000.0, 64)],
    }
    report["measured_on"] = {"model": "deepseek-v3", "device": "gpu", "gpu_model": "NVIDIA H200", "gpu_count": 8}
    path.write_text(json.dumps({"gpu-01": dict(report, changed=False, failed=False)}))
    return str(path)


def test_defaults_give_the_reference_table(capsys):
    code, result = run_module(capsys, {})
    assert code == 0
    assert result["changed"] is False
    assert result["recommendation"] == "serverless"
    assert result["schemes"]["containers"]["monthly_cost"] == 2400.0
    assert result["schemes"]["vm"]["monthly_cost"] == 1800.0
    assert result["schemes"]["hybrid"]["monthly_cost"] == 3200.0
    assert result["schemes"]["paas"]["monthly_cost"] == 2800.0
    assert [entry["rank"] for entry in result["ranking"]] == [1, 2, 3, 4, 5]
    assert result["ranking"][0]["line"] == "1. Serverless (score 4.70): $1,800 a month, $22,100 over 12 months"
    assert result["markdown"].startswith("# Deployment cost report")
    assert "chart" not in result
    for key in ("break_even", "capacity", "sizing", "advice", "best_practices", "notes", "chart_range", "inputs"):
        assert key in result


def test_workload_and_prices_from_the_playbook(capsys):
    args = {
        "workload": {"requests_per_month": 300000, "peak_requests_per_s": 6, "data_sensitivity": "regulated"},
        "prices": {"gpu_per_hour_on_demand": 3.0, "overhead_nodes": {"containers": 3}},
        "output_tokens_per_s_per_node": 1400,
        "weights": {"total_cost": 8},
    }
    code, result = run_module(capsys, args)
    assert code == 0
    assert result["sizing"]["gpu_nodes"] == 3  # 6 x 500 / 1,400 -> 2.1 -> 3
    assert result["schemes"]["containers"]["overhead_nodes"] == 3
    assert result["schemes"]["vm"]["gpu_price_per_hour"] == 3.0
    assert result["recommendation"] not in ("serverless", "paas")
    assert result["inputs"]["weights"]["total_cost"] == 8


def test_a_matching_benchmark_file_prices_the_node_and_the_report_says_so(capsys, tmp_path):
    args = {
        "benchmark_file": sweep_file(tmp_path),
        "priced_node": {"gpu_model": "H200", "gpu_count": 8},
        "workload": {"peak_requests_per_s": 8},
    }
    code, result = run_module(capsys, args)
    assert code == 0
    assert result["capacity"]["source"] == "measured"
    assert result["capacity"]["output_tokens_per_s_per_node"] == 1600.0
    assert result["sizing"]["gpu_nodes"] == 3  # 4,000 / 1,600
    assert "on deepseek-v3 on 8x NVIDIA H200" in result["markdown"].splitlines()[2]
    assert "concurrency 16 on gpu-01" in result["markdown"]
    # on other GPUs it is not used, and an explicit figure always wins
    code, result = run_module(capsys, dict(args, priced_node={"gpu_model": "L40S"}))
    assert result["capacity"]["source"] == "default" and "GPU NVIDIA H200, priced: L40S" in result["markdown"]
    code, result = run_module(capsys, dict(args, output_tokens_per_s_per_node=1000))
    assert result["capacity"]["source"] == "given" and result["sizing"]["gpu_nodes"] == 4


@pytest.mark.parametrize(
    "args,message",
    [
        ({"workload": {"requests_per_month": -1}}, "bad input: workload.requests_per_month must be > 0, got -1"),
        ({"output_tokens_per_s_per_node": 0}, "bad input: output_tokens_per_s_per_node must be > 0"),
        ({"weights": {"k8s": 1}}, "bad input: weights: 'k8s' is a scheme, not a criterion"),
        (
            {"matrix": {"vms": {"cost_control": 4}}},
            "bad input: matrix: unknown scheme 'vms' ('vms' is called 'vm' here)",
        ),
        (
            {"benchmark_file": "/nonexistent/benchmark.json"},
            "bad input: benchmark_file: cannot read /nonexistent/benchmark.json",
        ),
        ({"workload": {"data_sensitivity": "secret"}}, "value of data_sensitivity must be one of: public, internal"),
        ({"schemes": ["vm", "k8s"]}, "value of schemes must be one or more of"),
        ({"workload": {"requests": 5}}, "module: workload.requests. Supported parameters include: data_sensitivity"),
    ],
)
def test_bad_input_fails_naming_the_option(capsys, args, message):
    code, result = run_module(capsys, args)
    assert code == 1
    assert result["failed"] is True
    assert message in result["msg"]


def test_chart_is_written_once_and_then_left_alone(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cost-chart.png"
    code, result = run_module(capsys, {"chart_path": str(path)})
    assert code == 0
    assert result["changed"] is True
    assert result["chart"]["written"] is True
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert path.stat().st_size > 20000
    assert "![Monthly cost against monthly requests](cost-chart.png)" in result["markdown"]
    code, result = run_module(capsys, {"chart_path": str(path)})
    assert result["changed"] is False
    assert result["chart"]["unchanged"] is True
    assert "![Monthly cost against monthly requests](cost-chart.png)" in result["markdown"]


def test_check_mode_writes_nothing(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "cost-chart.png"
    code, result = run_module(capsys, {"chart_path": str(path), "_ansible_check_mode": True})
    assert code == 0
    assert result["changed"] is True
    assert not path.exists()
    assert result["chart"]["note"] == "check mode: the chart would be written to %s" % path
    assert "Chart not written: check mode" in result["markdown"]
    assert result["schemes"]["vm"]["monthly_cost"] == 1800.0


def test_chart_skipped_without_matplotlib(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(deployment_cost_report, "HAS_MATPLOTLIB", False)
    path = tmp_path / "cost-chart.png"
    code, result = run_module(capsys, {"chart_path": str(path)})
    assert code == 0
    assert result["changed"] is False
    assert not path.exists()
    assert result["chart"]["note"].startswith("chart skipped: matplotlib is not installed")
    assert "Chart not written: chart skipped: matplotlib is not installed" in result["markdown"]


def test_chart_directory_must_exist(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, result = run_module(capsys, {"chart_path": str(tmp_path / "missing" / "chart.png")})
    assert code == 1
    assert result["msg"] == "chart_path: the directory %s does not exist; create it first" % (tmp_path / "missing")


def test_documented_defaults_are_the_librarys():
    options = yaml.safe_load(deployment_cost.DOCUMENTATION)["options"]
    for section, defaults in (
        ("workload", DEFAULT_WORKLOAD),
        ("prices", DEFAULT_PRICES),
        ("assumptions", DEFAULT_ASSUMPTIONS),
    ):
        documented = options[section]["suboptions"]
        assert set(documented) == set(defaults), section
        for name, value in defaults.items():
            if isinstance(value, dict):
                assert dict((k, v["default"]) for k, v in documented[name]["suboptions"].items()) == value, name
            else:
                assert documented[name]["default"] == value, name

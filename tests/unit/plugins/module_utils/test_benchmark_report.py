"""Thresholds, Markdown tables and option checking of the inference benchmark."""

import json

import pytest

from ansible_collections.privateai.deepseek.cli import inference_benchmark as cli
from ansible_collections.privateai.deepseek.plugins.module_utils import benchmark_report as report
from ansible_collections.privateai.deepseek.plugins.module_utils import benchmark_stats as stats
from ansible_collections.privateai.deepseek.plugins.module_utils import inference_benchmark as bench
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_sse import RequestRecord
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_stats import compute_metrics


def ok(start, ttft, latency, tokens):
    gap = (latency - ttft) / (tokens - 1)
    return RequestRecord(
        start=start,
        prompt_tokens=100,
        success=True,
        ttft=ttft,
        latency=latency,
        output_tokens=tokens,
        itl=[gap] * (tokens - 1),
        token_count_source="usage",
        prompt_token_source="usage",
    )


def sample_result(load=None, slos=None):
    # Gaps of 0.125 s, exact in binary: the 1 s buckets hold 10, 11 and 5 token chunks.
    records = [
        ok(0.0, 0.25, 1.25, 9),
        ok(0.125, 0.375, 2.375, 17),
        RequestRecord(start=0.2).fail("http_503", "HTTP 503: busy"),
    ]
    result = compute_metrics(records, 2.5, [50, 90, 99], slos)
    result["load"] = load or {"mode": "concurrency", "concurrency": 4}
    return result


# --- thresholds ---------------------------------------------------------------------------


def test_no_thresholds_no_violations():
    assert report.check_thresholds(sample_result(), {}) == []
    assert report.check_thresholds(sample_result(), {"max_error_rate": None}) == []


def test_every_threshold_that_holds():
    thresholds = {
        "min_output_throughput": 10.4,  # 26 tokens / 2.5 s
        "min_request_throughput": 0.8,
        "max_p99_ttft_ms": 375.0,
        "max_p99_tpot_ms": 125.0,
        "max_p99_e2el_ms": 2400.0,
        "max_error_rate": 0.34,
        "min_goodput": 0.4,
    }
    assert report.check_thresholds(sample_result(slos={"ttft": 300}), thresholds) == []


def test_every_threshold_that_fails_is_named_with_both_numbers():
    thresholds = {
        "min_output_throughput": 10.5,
        "min_request_throughput": 1.0,
        "max_p99_ttft_ms": 300.0,
        "max_p99_tpot_ms": 120.0,
        "max_p99_e2el_ms": 2000.0,
        "max_error_rate": 0.1,
        "min_goodput": 0.5,
    }

    violations = report.check_thresholds(sample_result(slos={"ttft": 300}), thresholds)

    assert violations == [
        "error rate 0.3333 is above the maximum 0.1",
        "p99 E2EL 2363.75 ms is above the maximum 2000.00 ms",
        "p99 TPOT 125.00 ms is above the maximum 120.00 ms",
        "p99 TTFT 373.75 ms is above the maximum 300.00 ms",
        "goodput 0.4 req/s is below the minimum 0.5 req/s",
        "output throughput 10.40 tok/s is below the minimum 10.50 tok/s",
        "request throughput 0.8 req/s is below the minimum 1.00 req/s",
    ]


def test_thresholds_that_cannot_be_judged_are_violations():
    result = sample_result()
    result["ttft_ms"].pop("p99")

    violations = report.check_thresholds(result, {"max_p99_ttft_ms": 500, "min_goodput": 1})

    assert violations == [
        "p99 TTFT not computed: add 99 to percentiles; max_p99_ttft_ms required 500.00 ms",
        "goodput not measured: give goodput SLOs (ttft, tpot, e2el); min_goodput required 1.00 req/s",
    ]


def test_unknown_threshold_is_an_error():
    with pytest.raises(ValueError, match="unknown threshold 'max_p95_ttft_ms'"):
        report.check_thresholds(sample_result(), {"max_p95_ttft_ms": 1})


def test_p99_is_added_when_a_p99_threshold_needs_it():
    assert report.required_percentiles([50, 90], {"max_p99_tpot_ms": 40}) == [50, 90, 99]
    assert report.required_percentiles([50, 90], {"min_output_throughput": 40}) == [50, 90]
    assert report.required_percentiles([99], {"max_p99_tpot_ms": 40}) == [99]


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_for_one_point():
    text = report.render_markdown(sample_result(slos={"ttft": 300}))
    lines = text.splitlines()

    assert lines[0].startswith("| load | requests | failed |")
    assert "| peak concurrency (1 s buckets, as vLLM) | max requests in flight |" in lines[0]
    assert lines[2] == "| concurrency 4 | 3 | 1 (http_503: 1) | 2.50 | 0.80 | 10.4 | 90.4 | 11 | 2 | 2 | 0.40 |"
    assert lines[4] == "| ms | mean | median | std | p50 | p90 | p99 |"
    assert lines[6] == "| TTFT | 312.50 | 312.50 | 62.50 | 312.50 | 362.50 | 373.75 |"
    assert [line.split(" |")[0] for line in lines[6:]] == ["| TTFT", "| TPOT", "| ITL", "| E2EL"]


def test_markdown_shows_the_hardware_ceiling():
    result = sample_result()
    result["hardware"] = {
        "weight_bytes_per_step": 16 * 10**9,
        "memory_bandwidth_gbps": 3350.0,
        "decode_ceiling_tokens_per_s": 209.375,
        "achieved_tokens_per_s": 10.0,
        "bandwidth_utilization": 10.0 / 209.375,
    }
    assert "Decode ceiling 209.4 tok/s per sequence (3350 GB/s over 16 GB a step); achieved 10.0 tok/s (5%)." in (
        report.render_markdown(result)
    )


def test_markdown_without_any_success_shows_dashes():
    result = compute_metrics([RequestRecord(start=0.0).fail("timeout", "slow")], 1.0)
    result["load"] = {"mode": "rate", "request_rate": 2.0, "burstiness": 0.5, "max_concurrency": 8}
    text = report.render_markdown(result)
    assert "| rate 2 req/s, burstiness 0.5, max concurrency 8 | 1 | 1 (timeout: 1) |" in text
    assert "| TTFT | - | - | - | - | - | - |" in text


def test_markdown_sweep_one_row_per_point():
    points = [sample_result({"mode": "concurrency", "concurrency": c}) for c in (1, 8, 64)]

    lines = report.render_sweep_markdown(points).splitlines()

    assert len(lines) == 2 + 3
    assert lines[0].startswith("| load | ok/failed | req/s | output tok/s | median TTFT ms | p99 TTFT ms |")
    assert lines[2].startswith("| concurrency 1 | 2/1 | 0.80 | 10.4 | 312.5 | 373.8 |")
    assert lines[4].startswith("| concurrency 64 |")


def test_markdown_search_says_the_answer():
    passing = sample_result({"mode": "rate", "request_rate": 2.0, "burstiness": 1.0, "max_concurrency": None})
    failing = sample_result({"mode": "rate", "request_rate": 4.0, "burstiness": 1.0, "max_concurrency": None})
    search = {
        "best_rate": 2.0,
        "upper_bound": 4.0,
        "converged": False,
        "runs": 2,
        "trials": [
            {"request_rate": 2.0, "passed": True, "reason": "ok", "result": passing},
            {"request_rate": 4.0, "passed": False, "reason": "goodput fraction 0.5", "result": failing},
        ],
    }

    text = report.render_search_markdown(search)

    assert "| rate 4 req/s |" in text and "| no: goodput fraction 0.5 |" in text
    assert text.endswith(
        "Highest request rate meeting the SLOs: 2 req/s (4 req/s did not); not converged within 2 runs."
    )


def test_result_is_plain_json():
    result = sample_result(slos={"ttft": 300, "e2el": 2000})
    assert json.loads(json.dumps(result)) == result


# --- options ------------------------------------------------------------------------------------


def test_defaults_and_url_normalisation():
    opts = bench.validate_options({"url": "https://gw.example/v1/"})

    assert opts["url"] == "https://gw.example"
    assert opts["concurrency"] == 1 and opts["num_requests"] == 100
    assert opts["percentiles"] == [50.0, 90.0, 99.0] and opts["temperature"] == 0.0 and opts["ignore_eos"] is True


@pytest.mark.parametrize(
    "options, message",
    [
        ({"url": "gw:8000"}, "url must start with http"),
        ({"url": "http://x", "nonsense": 1}, "unknown option"),
        ({"url": "http://x", "concurrency": 0}, "concurrency must be a whole number > 0"),
        ({"url": "http://x", "concurrency": 2.5}, "concurrency must be a whole number"),
        ({"url": "http://x", "concurrency": 2, "request_rate": 3}, "choose one load shape"),
        ({"url": "http://x", "api": "responses"}, "api must be one of"),
        ({"url": "http://x", "sweep_concurrency": [1, 0]}, "sweep_concurrency must be"),
        ({"url": "http://x", "percentiles": [50, 101]}, "percentiles must be between"),
        ({"url": "http://x", "goodput": {"ttft": -1}}, "goodput SLO ttft"),
        ({"url": "http://x", "slo_search": True}, "slo_search needs goodput SLOs"),
        ({"url": "http://x", "prompts": ["a"], "prompts_file": "/x"}, "not both"),
        ({"url": "http://x", "api": "completions", "prompts": [{"messages": [{"role": "user"}]}]}, "use api=chat"),
        ({"url": "http://x", "request_rate": "inf", "duration": 5}, "give num_requests"),
        ({"url": "http://x", "weight_bytes_per_step": 10**9}, "go together"),
        ({"url": "http://x", "max_error_rate": -0.1}, "max_error_rate must be a number >= 0"),
    ],
)
def test_bad_options_name_the_option(options, message):
    with pytest.raises(bench.InputError, match=message):
        bench.validate_options(options)


def test_thresholds_and_search_add_the_percentiles_they_judge():
    opts = bench.validate_options({"url": "http://x", "percentiles": [50], "max_p99_tpot_ms": 40})
    assert opts["percentiles"] == [50.0, 99]
    search = bench.validate_options(
        {
            "url": "http://x",
            "slo_search": True,
            "goodput": {"ttft": 1},
            "slo_criterion": "percentile",
            "slo_percentile": 95,
        }
    )
    assert 95 in search["percentiles"] and search["concurrency"] is None


def test_cli_options_map_onto_module_options():
    args = cli.build_parser().parse_args(
        [
            "--url", "http://x:8000", "--request-rate", "4", "--burstiness", "0.5",
            "--header", "X-Team: infra", "--goodput", "ttft:500", "--goodput", "tpot:50",
            "--percentiles", "50,99", "--no-validate-certs", "--no-ignore-eos", "--max-p99-ttft-ms", "800",
            "--model-profile", "deepseek-r1-distill-qwen-7b", "--memory-bandwidth-gbps", "4800",
        ]
    )  # fmt: skip

    opts = bench.validate_options(bench.library_options(vars(args)))

    assert opts["request_rate"] == 4.0 and opts["burstiness"] == 0.5 and opts["concurrency"] is None
    assert opts["headers"] == {"X-Team": "infra"} and opts["goodput"] == {"ttft": 500.0, "tpot": 50.0}
    assert opts["percentiles"] == [50.0, 99.0] and opts["validate_certs"] is False and opts["ignore_eos"] is False
    assert opts["max_p99_ttft_ms"] == 800.0
    # model_profile, which the CLI used to lack, gives the decode ceiling as in the module
    assert opts["weight_bytes_per_step"] > 0 and opts["memory_bandwidth_gbps"] == 4800.0
    # the module's defaults, not the CLI's own
    assert (opts["input_len"], opts["output_len"], opts["warmup_requests"], opts["max_error_rate"]) == (
        1024,
        128,
        2,
        0.0,
    )


def test_cli_bad_input_exits_2(capsys):
    assert cli.main(["--url", "ftp://x"]) == 2
    assert "url must start with http" in capsys.readouterr().err


def test_one_request_at_a_time_shows_max_in_flight_1_beside_the_bucketed_peak():
    """A concurrency-1 run showed only "peak concurrency 2" (vLLM's 1 s buckets count a request
    in each second it was open, so back-to-back requests share a bucket)."""

    class Record:
        def __init__(self, start):
            self.start, self.latency, self.ttft, self.itl = start, 0.8, 0.1, [0.1] * 3

    result = sample_result()
    _tokens, result["peak_concurrent_requests"], result["peak_concurrent_requests_exact"] = stats.load_peaks(
        [Record(0.5), Record(1.3)]  # the second starts as the first ends, both within second 1
    )
    assert (result["peak_concurrent_requests"], result["peak_concurrent_requests_exact"]) == (2, 1)
    assert report.render_markdown(result).splitlines()[2].split(" | ")[8:10] == ["2", "1"]

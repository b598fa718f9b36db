"""Benchmark statistics: numpy's numbers without numpy, vLLM's definitions of each figure."""

import math
import random

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils import benchmark_stats as stats
from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_sse import RequestRecord

np = pytest.importorskip("numpy")


def ok(start, ttft, latency, output_tokens, itl=None, prompt_tokens=5, source="usage"):
    return RequestRecord(
        start=start,
        prompt_tokens=prompt_tokens,
        success=True,
        ttft=ttft,
        latency=latency,
        output_tokens=output_tokens,
        itl=itl if itl is not None else [],
        token_count_source=source,
        prompt_token_source="usage",
    )


def failed(category, message="x", start=0.0):
    return RequestRecord(start=start).fail(category, message)


# --- percentiles and summaries -----------------------------------------------------


def test_percentile_by_hand():
    values = [1.0, 2.0, 3.0, 4.0]
    # Linear interpolation between closest ranks: index (n - 1) * p / 100.
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile(values, 50) == 2.5
    assert stats.percentile(values, 90) == pytest.approx(3.7)
    assert stats.percentile(values, 99) == pytest.approx(3.97)
    assert stats.percentile(values, 100) == 4.0
    assert stats.percentile([7.0], 99) == 7.0


def test_percentile_equals_numpy_to_the_last_bit():
    rng = random.Random(3)
    for _ in range(3000):
        values = sorted(rng.expovariate(2.0) for _ in range(rng.randint(1, 40)))
        p = rng.choice([0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100, rng.uniform(0, 100)])
        assert stats.percentile(values, p) == float(np.percentile(values, p)), (values, p)


def test_percentile_rejects_nonsense():
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1.0], 101)


def test_summary_by_hand_in_ms():
    summary = stats.summarize([4.0, 1.0, 3.0, 2.0], percentiles=[50, 90])

    assert summary["mean"] == 2500.0
    assert summary["median"] == 2500.0
    # Population std (np.std): sqrt(((1.5^2 + 0.5^2) * 2) / 4) = sqrt(1.25).
    assert summary["std"] == pytest.approx(math.sqrt(1.25) * 1000)
    assert summary["p50"] == 2500.0 and summary["p90"] == pytest.approx(3700.0)
    assert set(summary) == {"mean", "median", "std", "p50", "p90"}


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_summary_matches_numpy(n):
    rng = random.Random(n)
    values = [rng.lognormvariate(-2, 0.7) for _ in range(n)]

    summary = stats.summarize(values, percentiles=[50, 90, 99, 99.9])

    assert summary["mean"] == pytest.approx(np.mean(values) * 1000, rel=1e-12)
    assert summary["median"] == pytest.approx(np.median(values) * 1000, rel=1e-12)
    assert summary["std"] == pytest.approx(np.std(values) * 1000, rel=1e-9, abs=1e-12)
    for p in (50, 90, 99, 99.9):
        assert summary[stats.percentile_key(p)] == pytest.approx(np.percentile(values, p) * 1000, rel=1e-12)


def test_summary_of_nothing_is_none_not_zero():
    assert stats.summarize([], percentiles=[99]) == {"mean": None, "median": None, "std": None, "p99": None}


def test_percentile_keys():
    assert [stats.percentile_key(p) for p in (50, 99.0, 99.9)] == ["p50", "p99", "p99.9"]


# --- one load point ---------------------------------------------------------------


def records():
    return [
        # 10 tokens: TTFT 0.25 s, E2EL 2.5 s, TPOT 2.25 / 9 = 0.25 s exactly.
        ok(0.0, 0.25, 2.5, 10, itl=[0.25] * 9),
        # One token: no TPOT, and TPOT 0 for goodput.
        ok(0.5, 0.5, 0.5, 1),
        failed("http_500", "HTTP 500: boom", start=1.0),
        failed("http_500", "HTTP 500: boom", start=1.1),
        failed("timeout", "no first token within ttft_timeout 1s", start=1.2),
    ]


def test_counts_throughputs_and_tokens():
    result = stats.compute_metrics(records(), duration_s=2.0)

    assert (result["total_requests"], result["completed"], result["failed"]) == (5, 2, 3)
    assert result["error_rate"] == 0.6
    assert result["failures"] == {"http_500": 2, "timeout": 1}
    assert result["failure_examples"] == {
        "http_500": ["HTTP 500: boom"],
        "timeout": ["no first token within ttft_timeout 1s"],
    }
    assert result["total_output_tokens"] == 11 and result["total_input_tokens"] == 10  # successful requests only
    assert result["request_throughput"] == 1.0
    assert result["output_throughput"] == 5.5
    assert result["total_token_throughput"] == 10.5
    assert result["token_count_source"] == "usage"


def test_latency_figures_follow_vllm():
    result = stats.compute_metrics(records(), duration_s=2.0, percentiles=[50, 99])

    assert result["ttft_ms"]["mean"] == 375.0  # (250 + 500) / 2
    assert result["e2el_ms"]["median"] == 1500.0  # (2500 + 500) / 2
    # TPOT only for the request with more than one token.
    assert result["tpot_ms"]["mean"] == 250.0 and result["tpot_ms"]["std"] == 0.0
    assert result["itl_ms"]["p99"] == 250.0
    assert result["percentiles"] == [50, 99]


def test_goodput_needs_every_slo_and_the_limit_is_inclusive():
    # TTFT 250 and 500 ms; TPOT 250 ms and (one token) 0.
    assert stats.compute_metrics(records(), 2.0, slos_ms={"ttft": 250})["good_requests"] == 1
    assert stats.compute_metrics(records(), 2.0, slos_ms={"ttft": 249.9})["good_requests"] == 0
    both = stats.compute_metrics(records(), 2.0, slos_ms={"ttft": 500, "tpot": 250})
    assert both["good_requests"] == 2 and both["request_goodput"] == 1.0
    assert both["goodput_fraction"] == 2 / 5  # failed requests count against it
    assert stats.compute_metrics(records(), 2.0, slos_ms={"ttft": 500, "tpot": 249})["good_requests"] == 1
    assert stats.compute_metrics(records(), 2.0, slos_ms={"e2el": 500})["good_requests"] == 1
    no_slo = stats.compute_metrics(records(), 2.0)
    assert no_slo["request_goodput"] is None and no_slo["goodput_fraction"] is None


def test_goodput_slos_are_checked():
    with pytest.raises(ValueError, match="one of ttft, tpot, e2el"):
        stats.compute_metrics(records(), 2.0, slos_ms={"itl": 5})
    with pytest.raises(ValueError, match="ms > 0"):
        stats.compute_metrics(records(), 2.0, slos_ms={"ttft": 0})


def test_all_failed_gives_none_latencies_and_zero_throughput():
    result = stats.compute_metrics([failed("timeout"), failed("connection_error")], duration_s=1.0)

    assert result["completed"] == 0 and result["error_rate"] == 1.0
    assert result["ttft_ms"]["p99"] is None and result["e2el_ms"]["mean"] is None
    assert result["request_throughput"] == 0.0 and result["peak_output_tokens_per_s"] == 0.0
    assert result["token_count_source"] is None


def test_token_count_sources_mix():
    mixed = [ok(0, 0.1, 0.2, 2, itl=[0.1]), ok(0, 0.1, 0.2, 2, itl=[0.1], source="chunks")]
    assert stats.compute_metrics(mixed, 1.0)["token_count_source"] == "mixed"
    unknown = [ok(0, 0.1, 0.2, 2, itl=[0.1], prompt_tokens=None)]
    unknown[0].prompt_token_source = None
    result = stats.compute_metrics(unknown, 1.0)
    assert result["input_token_count_source"] == "unknown" and result["total_input_tokens"] == 0


# --- peaks in 1 s buckets ------------------------------------------------------------


def test_peak_output_tokens_per_second_counts_chunks_per_bucket():
    # A: first token at 0.5 s, then every 0.125 s to 1.5 s: 4 in [0,1), 5 in [1,2).
    # B: starts at 1.0 s, tokens at 1.25, 1.375, 1.5: 3 more in [1,2).
    a = ok(0.0, 0.5, 1.5, 9, itl=[0.125] * 8)
    b = ok(1.0, 0.25, 0.5, 3, itl=[0.125, 0.125])

    peak_tokens, peak_bucketed, peak_exact = stats.load_peaks([a, b])

    assert peak_tokens == 8.0
    assert peak_bucketed == 2  # both active in second 1
    assert peak_exact == 2


def test_peak_concurrency_exact_treats_back_to_back_requests_as_one():
    # Half-open intervals: one ends at 1.0 s as the next starts.
    first, second = ok(0.0, 0.1, 1.0, 1), ok(1.0, 0.1, 1.0, 1)

    _, bucketed, exact = stats.load_peaks([first, second])

    assert exact == 1
    assert bucketed == 2  # vLLM's 1 s buckets count both in second 1


def test_peaks_of_nothing():
    assert stats.load_peaks([]) == (0.0, 0, 0)


# --- the hardware ceiling ------------------------------------------------------------


def test_decode_ceiling_and_bandwidth_utilisation():
    # 16 GB of weights a step on 3350 GB/s: at most 209.375 tokens/s for one sequence.
    ceiling = stats.decode_ceiling(16 * 10**9, 3350, mean_tpot_ms=8.0)

    assert ceiling["decode_ceiling_tokens_per_s"] == pytest.approx(209.375)
    assert ceiling["achieved_tokens_per_s"] == 125.0
    assert ceiling["bandwidth_utilization"] == pytest.approx(125.0 / 209.375)


def test_decode_ceiling_without_a_measurement_and_bad_input():
    assert stats.decode_ceiling(10**9, 1000)["bandwidth_utilization"] is None
    with pytest.raises(ValueError, match="bytes"):
        stats.decode_ceiling(0, 1000)
    with pytest.raises(ValueError, match="bandwidth"):
        stats.decode_ceiling(10**9, -1)

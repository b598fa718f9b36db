"""What the benchmark sends and when: arrivals, prompts, request bodies, the SLO rate search."""

import json
import math
import random
import statistics

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils import benchmark_load as load

N = 20000


def gap_stats(gaps):
    average = statistics.fmean(gaps)
    return average, statistics.pstdev(gaps) / average


# --- arrivals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, burstiness",
    [(4.0, 1.0), (25.0, 1.0), (10.0, 0.25), (10.0, 0.5), (10.0, 4.0), (0.5, 2.0)],
)
def test_gaps_have_mean_one_over_rate_and_cv_one_over_sqrt_burstiness(rate, burstiness):
    gaps = load.arrival_gaps(random.Random(42), N, rate, burstiness)

    average, cv = gap_stats(gaps)

    # Standard errors at n = 20000 are under 1.5% (mean) and 3% (CV, for burstiness 0.25).
    assert average == pytest.approx(1.0 / rate, rel=0.04)
    assert cv == pytest.approx(1.0 / math.sqrt(burstiness), rel=0.06)
    assert min(gaps) >= 0


def test_poisson_gaps_are_exponential():
    gaps = load.arrival_gaps(random.Random(1), N, 10.0, 1.0)
    # For an exponential distribution P(gap > mean) = 1/e.
    share = sum(1 for gap in gaps if gap > 0.1) / N
    assert share == pytest.approx(math.exp(-1), abs=0.015)


def test_burstier_means_more_variable():
    smooth = gap_stats(load.arrival_gaps(random.Random(5), N, 10.0, 8.0))[1]
    bursty = gap_stats(load.arrival_gaps(random.Random(5), N, 10.0, 0.3))[1]
    assert bursty > 1.5 > 0.5 > smooth


def test_gaps_are_reproducible_with_the_seed():
    assert load.arrival_gaps(random.Random(9), 50, 3.0) == load.arrival_gaps(random.Random(9), 50, 3.0)
    assert load.arrival_gaps(random.Random(9), 50, 3.0) != load.arrival_gaps(random.Random(10), 50, 3.0)


def test_infinite_rate_and_infinite_burstiness():
    assert load.arrival_gaps(random.Random(0), 3, float("inf")) == [0.0, 0.0, 0.0]
    assert load.arrival_gaps(random.Random(0), 3, 4.0, float("inf")) == [0.25, 0.25, 0.25]


def test_offsets_are_rescaled_to_end_at_count_over_rate():
    offsets = load.arrival_offsets(random.Random(3), 200, 8.0, 1.0)

    assert len(offsets) == 200
    assert offsets[-1] == pytest.approx(200 / 8.0)
    assert offsets == sorted(offsets) and offsets[0] > 0
    # The rescaling is one factor: the shape (CV of gaps) is the generator's.
    gaps = [b - a for a, b in zip([0.0] + offsets, offsets)]
    raw = load.arrival_gaps(random.Random(3), 200, 8.0, 1.0)
    assert gap_stats(gaps)[1] == pytest.approx(gap_stats(raw)[1], rel=1e-9)


# --- prompts ----------------------------------------------------------------------------


def test_synthetic_prompt_length_and_variety():
    rng = random.Random(0)
    first, second = load.synthetic_prompt(rng, 200), load.synthetic_prompt(rng, 200)

    assert len(first.split()) == 200 and set(first.split()) <= set(load.WORDS)
    # Different from the first words on: no shared prefix for a prefix cache to reuse.
    assert first.split()[:3] != second.split()[:3]
    assert load.synthetic_prompt(random.Random(0), 200) == first


def test_words_are_short_common_words():
    assert len(set(load.WORDS)) == len(load.WORDS) >= 150
    assert all(word.isalpha() and word.islower() and len(word) <= 9 for word in load.WORDS)


def test_jsonl_prompts(tmp_path):
    path = tmp_path / "prompts.jsonl"
    path.write_text(
        '{"prompt": "Tell me a story", "max_tokens": 64}\n'
        "\n"
        '{"messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]}\n'
    )

    entries = load.prompts_from_jsonl(str(path))

    assert entries[0] == {"prompt": "Tell me a story", "max_tokens": 64}
    assert entries[1]["messages"][1]["content"] == "Hi"


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "line 1: invalid JSON"),
        ('{"text": "x"}', "line 1: expected a prompt"),
        ('{"prompt": 5}', "'prompt' must be a string"),
        ('{"messages": []}', "'messages' must be a non-empty list"),
        ('{"prompt": "x", "max_tokens": 0}', "'max_tokens' must be a whole number"),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(load.InputError, match=message):
        load.prompts_from_jsonl(str(path))


def test_missing_or_empty_prompts_file(tmp_path):
    with pytest.raises(load.InputError, match="cannot read"):
        load.prompts_from_jsonl(str(tmp_path / "absent.jsonl"))
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(load.InputError, match="holds no prompts"):
        load.prompts_from_jsonl(str(tmp_path / "empty.jsonl"))


def test_inline_prompts():
    assert load.prompts_from_list(["a", {"prompt": "b"}]) == [{"prompt": "a"}, {"prompt": "b"}]
    with pytest.raises(load.InputError, match=r"prompts\[1\]"):
        load.prompts_from_list(["a", 3])
    with pytest.raises(load.InputError, match="non-empty"):
        load.prompts_from_list([])


# --- request bodies ---------------------------------------------------------------------


def body(prepared):
    return json.loads(prepared.body)


def test_chat_body_from_a_synthetic_prompt():
    factory = load.RequestFactory(
        "chat", "m", random.Random(0), input_len=32, output_len=64, sampling={"temperature": 0.0, "ignore_eos": True}
    )

    prepared = factory.next()
    sent = body(prepared)

    assert sent["model"] == "m" and sent["max_tokens"] == 64 and sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["temperature"] == 0.0 and sent["ignore_eos"] is True
    assert sent["messages"][0]["role"] == "user" and len(sent["messages"][0]["content"].split()) == 32
    assert prepared.prompt_tokens == 32 and prepared.max_tokens == 64
    assert body(factory.next())["messages"] != sent["messages"]


def test_prompt_list_is_taken_in_turn_with_its_own_max_tokens():
    prompts = [{"prompt": "a", "max_tokens": 5}, {"messages": [{"role": "user", "content": "b"}]}]
    factory = load.RequestFactory("chat", "m", None, output_len=9, prompts=prompts)

    sent = [body(factory.next()) for _ in range(3)]

    assert [s["max_tokens"] for s in sent] == [5, 9, 5]
    assert sent[0]["messages"] == [{"role": "user", "content": "a"}]
    assert sent[1]["messages"] == prompts[1]["messages"]
    assert factory.next().prompt_tokens is None  # unknown until the server's usage says


def test_completions_body_and_messages_refused():
    factory = load.RequestFactory("completions", "m", random.Random(0), input_len=4, output_len=8)
    sent = body(factory.next())
    assert "prompt" in sent and "messages" not in sent
    with pytest.raises(load.InputError, match="use api=chat"):
        load.RequestFactory("completions", "m", None, prompts=[{"messages": [{"role": "user", "content": "x"}]}])
    with pytest.raises(load.InputError, match="api must be"):
        load.RequestFactory("embeddings", "m", None)


# --- meeting the SLOs ------------------------------------------------------------------------


def result(goodput_fraction=1.0, error_rate=0.0, p99_ttft=100.0, p99_tpot=20.0, completed=10):
    return {
        "goodput_slos_ms": {"ttft": 500.0, "tpot": 50.0},
        "completed": completed,
        "goodput_fraction": goodput_fraction,
        "error_rate": error_rate,
        "ttft_ms": {"p99": p99_ttft},
        "tpot_ms": {"p99": p99_tpot},
    }


def test_goodput_criterion():
    assert load.meets_slos(result(goodput_fraction=0.9), "goodput", 0.9)[0]
    passed, reason = load.meets_slos(result(goodput_fraction=0.89), "goodput", 0.9)
    assert not passed and "0.890" in reason


def test_percentile_criterion():
    assert load.meets_slos(result(), "percentile", slo_percentile=99)[0]
    passed, reason = load.meets_slos(result(p99_tpot=51.0), "percentile", slo_percentile=99)
    assert not passed and "tpot 51.0 ms above 50.0" in reason
    # p99 of the successful ones is fine, but 2% failed: more than p99 leaves out.
    passed, reason = load.meets_slos(result(error_rate=0.02), "percentile", slo_percentile=99)
    assert not passed and "error rate" in reason


def test_nothing_completed_never_meets_slos():
    assert not load.meets_slos(result(completed=0, goodput_fraction=0.0), "goodput")[0]


def test_slo_check_needs_slos():
    with pytest.raises(load.InputError, match="needs goodput SLOs"):
        load.meets_slos(dict(result(), goodput_slos_ms=None))


# --- the search --------------------------------------------------------------------------------


class FakeServer:
    """Meets the SLOs up to `capacity` req/s; records the rates it was run at."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.rates = []

    def run(self, rate):
        self.rates.append(rate)
        return {"request_rate": rate, "fraction": 1.0 if rate <= self.capacity else 0.5}

    @staticmethod
    def passes(res):
        return res["fraction"] >= 0.9, "fraction %.1f" % res["fraction"]


def test_search_brackets_then_bisects_to_the_capacity():
    server = FakeServer(capacity=7.3)

    found = load.search_highest_rate(server.run, server.passes, initial_rate=1.0, max_runs=12, tolerance=0.05)

    assert server.rates[:4] == [1.0, 2.0, 4.0, 8.0]  # doubling until the first failure
    assert 7.3 / 1.05 <= found["best_rate"] <= 7.3 < found["upper_bound"]
    assert found["upper_bound"] / found["best_rate"] <= 1.05 and found["converged"]
    assert found["best"]["request_rate"] == found["best_rate"]
    assert found["runs"] == len(server.rates) <= 12
    assert [t["passed"] for t in found["trials"]] == [rate <= 7.3 for rate in server.rates]


def test_search_halves_when_the_first_rate_fails():
    server = FakeServer(capacity=0.7)

    found = load.search_highest_rate(server.run, server.passes, initial_rate=4.0, max_runs=10, tolerance=0.1)

    assert server.rates[:4] == [4.0, 2.0, 1.0, 0.5]
    assert 0.7 / 1.1 <= found["best_rate"] <= 0.7


def test_search_stops_at_max_runs_without_converging():
    server = FakeServer(capacity=100.0)

    found = load.search_highest_rate(server.run, server.passes, initial_rate=1.0, max_runs=3)

    assert server.rates == [1.0, 2.0, 4.0]
    assert found["best_rate"] == 4.0 and found["upper_bound"] is None and not found["converged"]


def test_search_respects_max_rate():
    server = FakeServer(capacity=100.0)
    found = load.search_highest_rate(server.run, server.passes, initial_rate=3.0, max_runs=8, max_rate=10.0)
    assert server.rates == [3.0, 6.0, 10.0] and found["best_rate"] == 10.0 and found["converged"]


def test_search_when_nothing_passes():
    server = FakeServer(capacity=0.001)

    found = load.search_highest_rate(server.run, server.passes, initial_rate=1.0, max_runs=20, min_rate=0.25)

    assert server.rates == [1.0, 0.5, 0.25]
    assert found["best_rate"] is None and found["best"] is None and not found["converged"]


def test_search_arguments_are_checked():
    with pytest.raises(load.InputError):
        load.search_highest_rate(lambda r: {}, lambda r: (True, ""), initial_rate=0)

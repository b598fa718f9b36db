# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmark sends and when: request bodies, arrival times, the SLO rate search.

Pure code, no network. Randomness comes from a random.Random the caller seeds, so a
run is reproducible.

Arrivals follow `vllm bench serve`: gaps between requests are gamma distributed with
shape = burstiness and scale = 1 / (rate * burstiness), so their mean is 1 / rate and
their coefficient of variation 1 / sqrt(burstiness); burstiness 1 is a Poisson
process, < 1 burstier, > 1 more regular, infinite a constant gap.
"""

from __future__ import absolute_import, division, print_function

import json
import math

from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import plain

# Common English words that the BPE tokenizers of DeepSeek, Qwen and Llama models
# each encode as one token when preceded by a space: a prompt of N random words is
# about N tokens (within ~10%; chat templates add their own ~10 tokens).
_WORD_TEXT = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by "
    "word but not what all were we when your can said there use an each which she do how their if will up "
    "other about out many then them these so some her would make like him into time has look two more write "
    "go see number no way could people my than first water been call who oil its now find long down day did "
    "get come made may part over new sound take only little work know place year live me back give most very "
    "after thing our just name good sentence man think say great where help through much before line right "
    "too mean old any same tell boy follow came want show also around form three small set put end does "
    "another well large must big even such because turn here why ask went men read need land different home "
    "us move try kind hand picture again change off play spell air away animal house point page letter mother"
)
WORDS = tuple(_WORD_TEXT.split())

CHAT = "chat"
COMPLETIONS = "completions"
API_PATHS = {CHAT: "/v1/chat/completions", COMPLETIONS: "/v1/completions"}


class BenchmarkError(Exception):
    """The benchmark cannot run; the message says why, for a person to read.

    The message names options as O(name) (or O(name=value)), so that each entry point can
    name them its way: str() gives the option names (the module's), option_spec.cli_text()
    the CLI's flags."""

    def __str__(self):
        return plain(str(self.args[0])) if self.args else ""


class InputError(BenchmarkError, ValueError):
    """The prompts or load options cannot make a benchmark."""


class PreparedRequest(object):
    """One request ready to send: the JSON body as bytes and the prompt length if known."""

    __slots__ = ("body", "prompt_tokens", "max_tokens")

    def __init__(self, body, prompt_tokens, max_tokens):
        self.body = body
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens


def synthetic_prompt(rng, input_len):
    """A prompt of about input_len tokens: random common words.

    Random from the first word on, so no two prompts share a prefix and prefix
    caching cannot shorten the prefill the benchmark means to measure.
    """
    return " ".join(rng.choices(WORDS, k=input_len))


def _prompt_entry(entry, where):
    if isinstance(entry, str):
        entry = {"prompt": entry}
    if not isinstance(entry, dict) or not ("prompt" in entry or "messages" in entry):
        raise InputError("%s: expected a prompt string or an object with 'prompt' or 'messages'" % where)
    if "prompt" in entry and not isinstance(entry["prompt"], str):
        raise InputError("%s: 'prompt' must be a string" % where)
    if "messages" in entry and (not isinstance(entry["messages"], list) or not entry["messages"]):
        raise InputError("%s: 'messages' must be a non-empty list" % where)
    max_tokens = entry.get("max_tokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise InputError("%s: 'max_tokens' must be a whole number >= 1" % where)
    return entry


def prompts_from_list(prompts):
    """Inline prompts: strings, or objects like the JSONL lines."""
    if not prompts:
        raise InputError("prompts must be a non-empty list")
    return [_prompt_entry(entry, "prompts[%d]" % index) for index, entry in enumerate(prompts)]


def prompts_from_jsonl(path):
    """One JSON object a line: {"prompt": "..."} or {"messages": [...]}, optional "max_tokens"."""
    entries = []
    try:
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError as exc:
                    raise InputError("%s line %d: invalid JSON (%s)" % (path, number, exc))
                entries.append(_prompt_entry(entry, "%s line %d" % (path, number)))
    except OSError as exc:
        raise InputError("cannot read prompts file %s: %s" % (path, exc))
    if not entries:
        raise InputError("prompts file %s holds no prompts" % path)
    return entries


class RequestFactory(object):
    """Builds request bodies: synthetic prompts, or a prompt list taken in turn."""

    def __init__(self, api, model, rng, input_len=None, output_len=128, prompts=None, sampling=None):
        if api not in API_PATHS:
            raise InputError("api must be one of %s, got %r" % (", ".join(sorted(API_PATHS)), api))
        if api == COMPLETIONS and any("prompt" not in entry for entry in prompts or ()):
            raise InputError("the completions API takes 'prompt' entries, not 'messages': use O(api=chat)")
        self.api = api
        self.model = model
        self.rng = rng
        self.input_len = input_len
        self.output_len = output_len
        self.prompts = prompts
        self.sampling = sampling or {}
        self._next = 0

    def next(self):
        if self.prompts:
            entry = self.prompts[self._next % len(self.prompts)]
            self._next += 1
            return self.build(entry, entry.get("max_tokens") or self.output_len, None)
        prompt = synthetic_prompt(self.rng, self.input_len)
        return self.build({"prompt": prompt}, self.output_len, self.input_len)

    def build(self, entry, max_tokens, prompt_tokens):
        body = {"model": self.model}
        if self.api == CHAT:
            body["messages"] = entry.get("messages") or [{"role": "user", "content": entry["prompt"]}]
        else:
            body["prompt"] = entry["prompt"]
        body["max_tokens"] = max_tokens
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        body.update(self.sampling)
        # Serialised once here, outside the timed section of the request.
        return PreparedRequest(json.dumps(body).encode("utf-8"), prompt_tokens, max_tokens)


def arrival_gap(rng, rate, burstiness=1.0):
    """Seconds to the next request: gamma(shape=burstiness, scale=1/(rate*burstiness))."""
    if rate is None or math.isinf(rate):
        return 0.0
    if math.isinf(burstiness):
        return 1.0 / rate
    return rng.gammavariate(burstiness, 1.0 / (rate * burstiness))


def arrival_gaps(rng, count, rate, burstiness=1.0):
    return [arrival_gap(rng, rate, burstiness) for _request in range(count)]


def arrival_offsets(rng, count, rate, burstiness=1.0):
    """Send times (s from start) of count requests; the last is at count / rate.

    As vLLM: cumulative gamma gaps, rescaled so the run lasts exactly count / rate
    and the achieved rate does not drift a few percent with the seed.
    """
    offsets, at = [], 0.0
    for gap in arrival_gaps(rng, count, rate, burstiness):
        at += gap
        offsets.append(at)
    if offsets and offsets[-1] > 0 and rate and not math.isinf(rate):
        factor = (count / rate) / offsets[-1]
        offsets = [offset * factor for offset in offsets]
    return offsets


def meets_slos(result, criterion="goodput", goodput_target=0.9, slo_percentile=99):
    """Did a load point meet the SLOs? Returns (bool, reason).

    goodput: the share of all requests meeting every SLO >= goodput_target.
    percentile: every SLO metric's p<slo_percentile> within its SLO, and no more
    failed requests than that percentile leaves out (1% for p99).
    """
    slos = result.get("goodput_slos_ms") or {}
    if not slos:
        raise InputError("the SLO search needs goodput SLOs (ttft, tpot and/or e2el in ms)")
    if not result.get("completed"):
        return False, "no request completed"
    if criterion == "goodput":
        fraction = result["goodput_fraction"]
        return fraction >= goodput_target, "goodput fraction %.3f (target %.3f)" % (fraction, goodput_target)
    if criterion != "percentile":
        raise InputError("slo_criterion must be 'goodput' or 'percentile', got %r" % (criterion,))
    allowed_errors = 1.0 - slo_percentile / 100.0
    if result["error_rate"] > allowed_errors + 1e-12:
        return False, "error rate %.3f above %.3f" % (result["error_rate"], allowed_errors)
    key = "p%g" % slo_percentile
    for name, limit in sorted(slos.items()):
        value = result["%s_ms" % name].get(key)
        if value is None and name == "tpot":
            continue  # every request produced one token: no TPOT to hold against the SLO
        if value is None:
            return False, "%s %s not measured" % (key, name)
        if value > limit:
            return False, "%s %s %.1f ms above %.1f ms" % (key, name, value, limit)
    return True, "all %s within SLOs" % key


def search_highest_rate(run_at_rate, passes, initial_rate=1.0, max_runs=8, tolerance=0.1, min_rate=None, max_rate=None):
    """Highest request rate that still passes, in at most max_runs runs.

    run_at_rate(rate) -> result; passes(result) -> (bool, reason). Brackets first
    (doubling from initial_rate while runs pass, halving while they fail), then
    bisects until the passing and failing rates are within `tolerance` (relative).
    Returns best_rate (None if no rate passed), best (its result), upper_bound (the
    lowest failing rate, None if none failed), converged, and every trial.
    """
    if initial_rate <= 0 or max_runs < 1 or tolerance <= 0:
        raise InputError("SLO search needs initial_rate > 0, max_runs >= 1 and tolerance > 0")
    if min_rate is None:
        min_rate = initial_rate / 64.0
    trials, best = [], {}
    low = high = None

    def trial(rate):
        result = run_at_rate(rate)
        ok, reason = passes(result)
        trials.append({"request_rate": rate, "passed": ok, "reason": reason, "result": result})
        if ok:
            best[rate] = result
        return ok

    rate = initial_rate
    while len(trials) < max_runs:
        if trial(rate):
            low = rate
            if high is not None or (max_rate is not None and rate >= max_rate):
                break
            rate = rate * 2 if max_rate is None else min(rate * 2, max_rate)
        else:
            high = rate
            if low is not None or rate <= min_rate:
                break
            rate = max(rate / 2, min_rate)
    while low is not None and high is not None and high / low > 1 + tolerance and len(trials) < max_runs:
        middle = (low + high) / 2.0
        if trial(middle):
            low = middle
        else:
            high = middle
    capped = low is not None and max_rate is not None and low >= max_rate
    return {
        "best_rate": low,
        "best": best.get(low),
        "upper_bound": high,
        "converged": low is not None and (capped or (high is not None and high / low <= 1 + tolerance)),
        "runs": len(trials),
        "trials": trials,
    }

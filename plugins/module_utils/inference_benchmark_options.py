# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of inference_benchmark, declared once (see option_spec): the module's argument
spec and DOCUMENTATION, the CLI's flags and playbooks/benchmark.yml's variables follow from here.
The library (inference_benchmark.validate_options) checks the values for both entry points."""

from __future__ import absolute_import, division, print_function

OPTIONS = {
    "url": {
        "type": "str",
        "required": True,
        "description": [
            "Base URL of the endpoint, with or without C(/v1), for example V(http://127.0.0.1:8000).",
            "With O(unix_socket) it gives only the scheme, host header and path, for example V(http://localhost).",
        ],
    },
    "unix_socket": {
        "type": "path",
        "description": [
            "Connect through this Unix socket instead of the URL's host and port, for example a "
            "vLLM started with C(--uds) (the collection's vllm role serves on "
            "V(/run/deepseek-vllm/api.sock)). Needs an C(http://) O(url)."
        ],
    },
    "api": {
        "type": "str",
        "default": "chat",
        "choices": ["chat", "completions"],
        "description": ["Which API to drive."],
    },
    "model": {
        "type": "str",
        "description": ["Model name to request. Default is the first model of C(GET /v1/models)."],
    },
    "api_key": {"type": "str", "no_log": True, "description": ["Bearer token sent as C(Authorization)."]},
    "headers": {
        "type": "dict",
        "no_log": True,
        "description": ["Extra request headers (a gateway's key header, tracing, ...)."],
    },
    "validate_certs": {"type": "bool", "default": True, "description": ["Verify the endpoint's TLS certificate."]},
    "ca_path": {"type": "path", "description": ["CA bundle to verify the endpoint's certificate with (a private CA)."]},
    "connect_timeout": {"type": "float", "default": 10.0, "description": ["Seconds to open a connection."]},
    "ttft_timeout": {
        "type": "float",
        "default": 300.0,
        "description": ["Seconds until the first byte of a response; later counts as a C(timeout) failure."],
    },
    "request_timeout": {"type": "float", "default": 600.0, "description": ["Seconds a whole request may take."]},
    "preflight": {
        "type": "bool",
        "default": True,
        "description": ["Check the endpoint with one quick request before the load."],
    },
    "preflight_timeout": {
        "type": "float",
        "default": 30.0,
        "description": ["Seconds the pre-flight request may take."],
    },
    "concurrency": {
        "type": "int",
        "description": ["Requests kept in flight (a closed loop). The default load shape, with V(1)."],
    },
    "request_rate": {
        "type": "str",
        "description": ["Requests per second on random arrivals (V(inf) sends them all at once)."],
    },
    "burstiness": {
        "type": "float",
        "default": 1.0,
        "description": ["Gamma shape of the arrivals; V(1) is Poisson, smaller is burstier."],
    },
    "max_concurrency": {"type": "int", "description": ["Cap on requests in flight with O(request_rate)."]},
    "num_requests": {
        "type": "int",
        "description": ["Requests each load point sends (default 100 when O(duration) is not set)."],
    },
    "duration": {
        "type": "float",
        "description": ["Seconds each load point sends requests; requests in flight finish and count."],
    },
    "warmup_requests": {
        "type": "int",
        "default": 2,
        "description": [
            "Requests sent before the first load point and not counted (a cold server's first requests"
            " compile and fill caches)."
        ],
    },
    "sweep_concurrency": {
        "type": "list",
        "elements": "int",
        "description": ["Measure one load point per concurrency."],
    },
    "sweep_request_rate": {
        "type": "list",
        "elements": "float",
        "description": ["Measure one load point per request rate."],
    },
    "slo_search": {
        "type": "bool",
        "default": False,
        "description": ["Search for the highest request rate meeting O(goodput) (bracketing, then bisection)."],
    },
    "search_initial_rate": {"type": "float", "default": 1.0, "description": ["First request rate the search tries."]},
    "search_max_runs": {"type": "int", "default": 8, "description": ["Most load points the search measures."]},
    "search_tolerance": {"type": "float", "default": 0.1, "description": ["Relative width at which the search stops."]},
    "search_min_rate": {"type": "float", "description": ["Lowest rate the search tries."]},
    "search_max_rate": {"type": "float", "description": ["Highest rate the search tries."]},
    "slo_criterion": {
        "type": "str",
        "default": "goodput",
        "choices": ["goodput", "percentile"],
        "description": [
            "How the search judges a load point. V(goodput) - at least O(goodput_target) of "
            "the requests meet every SLO; V(percentile) - the O(slo_percentile) of each "
            "metric meets its SLO."
        ],
    },
    "goodput_target": {
        "type": "float",
        "default": 0.9,
        "description": ["Share of requests that must meet the SLOs (O(slo_criterion=goodput))."],
    },
    "slo_percentile": {
        "type": "float",
        "default": 99.0,
        "description": ["Percentile judged with O(slo_criterion=percentile)."],
    },
    "goodput": {
        "type": "dict",
        "description": ["SLOs in milliseconds, keys C(ttft), C(tpot), C(e2el). A request is good when it meets all."],
    },
    "percentiles": {
        "type": "list",
        "elements": "float",
        "default": [50.0, 90.0, 99.0],
        "description": ["Percentiles reported for every latency metric."],
    },
    "input_len": {
        "type": "int",
        "default": 1024,
        "description": ["Length of synthetic prompts, in (approximate) tokens."],
    },
    "output_len": {"type": "int", "default": 128, "description": ["C(max_tokens) of every request."]},
    "prompts": {
        "type": "list",
        "elements": "raw",
        "description": [
            "Prompts to send instead of synthetic ones - strings, or dicts with C(prompt) or "
            "C(messages) and an optional C(max_tokens)."
        ],
    },
    "prompts_file": {
        "type": "path",
        "description": ["JSONL file of prompts (one dict per line, as in O(prompts)) on the host running the module."],
    },
    "ignore_eos": {
        "type": "bool",
        "default": True,
        "description": ["Send vLLM's C(ignore_eos) so every request generates O(output_len) tokens."],
    },
    "min_tokens": {"type": "int", "no_log": False, "description": ["vLLM's C(min_tokens) for every request."]},
    "temperature": {"type": "float", "default": 0.0, "description": ["Sampling temperature."]},
    "extra_body": {"type": "dict", "description": ["Extra fields merged into every request body."]},
    "seed": {
        "type": "int",
        "default": 0,
        "description": ["Seed of the prompt and arrival generators (runs repeat exactly)."],
    },
    "model_profile": {
        "type": "str",
        "description": [
            "A model of the collection's catalog (see M(privateai.deepseek.model_plan)). With "
            "O(memory_bandwidth_gbps) it gives the bytes one decode step reads (active "
            "weights plus the KV cache of an average sequence) for the decode ceiling."
        ],
    },
    "quantization": {
        "type": "str",
        "choices": ["fp8"],
        "description": ["Quantization the model is served with (V(fp8) halves 16-bit weights)."],
    },
    "tensor_parallel_size": {
        "type": "int",
        "default": 1,
        "description": ["GPUs one replica spans; their bandwidth adds up for the ceiling."],
    },
    "weight_bytes_per_step": {
        "type": "int",
        "description": ["Bytes one decode step reads, when not derived from O(model_profile)."],
    },
    "memory_bandwidth_gbps": {
        "type": "float",
        "description": [
            "Memory bandwidth of one GPU in GB/s (decimal): H200 4800, H100 SXM 3350, or the gpu_health fact's"
            " C(gpus[0].memory_bandwidth_gbps)."
        ],
    },
    "min_output_throughput": {"type": "float", "description": ["Fail below this output token throughput (tokens/s)."]},
    "min_request_throughput": {"type": "float", "description": ["Fail below this request throughput (requests/s)."]},
    "max_p99_ttft_ms": {"type": "float", "description": ["Fail above this p99 time to first token."]},
    "max_p99_tpot_ms": {"type": "float", "description": ["Fail above this p99 time per output token."]},
    "max_p99_e2el_ms": {"type": "float", "description": ["Fail above this p99 end-to-end latency."]},
    "max_error_rate": {
        "type": "float",
        "default": 0.0,
        "description": ["Fail above this share of failed requests (0 to 1); by default any failed request fails."],
    },
    "min_goodput": {"type": "float", "description": ["Fail below this goodput (good requests/s; needs O(goodput))."]},
    "fail_on_violation": {
        "type": "bool",
        "default": True,
        "description": ["Fail the task when a threshold is violated."],
    },
    "model_dir": {
        "type": "path",
        "description": [
            "The served model's directory on the host running the benchmark. Its C(config.json) "
            "and safetensors headers give the precision and parameter count in RV(measured_on); "
            "no weights are read.",
            "C(playbooks/benchmark.yml) passes the C(--model) of the node's vLLM unit.",
        ],
    },
    "endpoint_kind": {
        "type": "str",
        "choices": ["direct", "gateway"],
        "description": [
            "What O(url) reaches, for RV(measured_on) - V(direct) (vLLM itself) or V(gateway) (the TLS gateway).",
            "Default V(gateway) for an C(https) URL without O(unix_socket), else V(direct).",
        ],
    },
}


OPTIONS["progress_file"] = {
    "type": "path",
    "cli": False,  # the CLI draws progress bars instead (--progress)
    "description": [
        "Keep the progress (load point, requests done of the total, rate, time left, and the planned time from"
        " what a request took so far) in this JSON file while the benchmark runs, for a caller that polls it:"
        " C(playbooks/benchmark.yml) runs the module asynchronously and prints it. Rewritten at most once a second.",
    ],
}

# The CLI's spelling where a flag per option would be clumsy.
OPTIONS["headers"]["cli"] = {
    "flag": "--header",
    "pairs": ":",
    "metavar": "NAME:VALUE",
    "help": "extra request header (repeatable)",
}
OPTIONS["goodput"]["cli"] = {
    "pairs": ":",
    "pair_value": "float",
    "metavar": "METRIC:MS",
    "help": "an SLO, e.g. ttft:500 (repeatable)",
}
OPTIONS["prompts"]["cli"] = {
    "flag": "--prompt",
    "append": True,
    "help": "a prompt to send (repeatable; instead of synthetic prompts)",
}
OPTIONS["api_key"]["cli"] = {"help": "bearer token (default: $OPENAI_API_KEY)"}

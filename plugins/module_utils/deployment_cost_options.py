# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The options of deployment_cost, declared once (see option_spec): the module's argument spec
and DOCUMENTATION, the CLI's flags and playbooks/cost_report.yml's variables follow from here.
The defaults of workload, prices and assumptions are the library's (deployment_cost_defaults):
each suboption below takes its default and type from there, so the two cannot drift. The
library checks the values (ranges with hints, unknown names) for the module and the CLI alike."""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    ALL_CRITERIA,
    DEFAULT_ASSUMPTIONS,
    DEFAULT_PRICES,
    DEFAULT_WORKLOAD,
    GPU_PRICINGS,
    LATENCY_METRICS,
    SCHEMES,
    SENSITIVITY_LEVELS,
    SERVERLESS_PRICINGS,
)


def _with_defaults(defaults, suboptions):
    """suboptions (descriptions, and type where not float) with each default from the library's
    defaults; a name in one and not the other is an error here, at import, not a silent gap."""
    if sorted(defaults) != sorted(suboptions):
        raise ValueError("declared %s, defaults %s" % (sorted(suboptions), sorted(defaults)))
    declared = {}
    for name, option in suboptions.items():
        option = dict(option)
        default = defaults[name]
        if isinstance(default, dict):
            option.update(type="dict", default={}, options=_with_defaults(default, option["options"]))
        else:
            option.setdefault(
                "type", "bool" if isinstance(default, bool) else "str" if isinstance(default, str) else "float"
            )
            option["default"] = default
        if "token" in name:
            option["no_log"] = False  # LLM tokens, not secrets
        declared[name] = option
    return declared


def _per_scheme(kind, descriptions):
    return dict((scheme, {"type": kind, "description": [text]}) for scheme, text in descriptions.items())


WORKLOAD = _with_defaults(
    DEFAULT_WORKLOAD,
    {
        "requests_per_month": {"description": ["Requests a month."]},
        "mean_input_tokens": {"description": ["Mean prompt length in tokens."]},
        "mean_output_tokens": {"description": ["Mean completion length in tokens."]},
        "peak_requests_per_s": {
            "description": [
                "Request rate of the busiest second; the GPU fleet is sized for it.",
                "Raised to O(assumptions.min_peak_to_average) times the average rate when lower.",
            ],
            "cli": {"flag": "--peak-rps"},
        },
        "latency_slo_ms": {
            "description": ["Latency objective in milliseconds; benchmark points above it do not count."]
        },
        "latency_metric": {
            "choices": list(LATENCY_METRICS),
            "description": ["What the SLO bounds - time to first token, time per output token or end-to-end latency."],
        },
        "latency_percentile": {"description": ["The percentile the SLO holds for."]},
        "data_sensitivity": {
            "choices": list(SENSITIVITY_LEVELS),
            "description": [
                "The most sensitive data the deployment processes. Public serverless takes up to V(internal), public"
                " PaaS up to V(confidential)."
            ],
        },
        "project_duration_months": {
            "description": ["How long the deployment runs; the project cost is up-front + monthly x this."],
            "cli": {"flag": "--duration-months"},
        },
        "team_runs_kubernetes": {
            "description": [
                "Whether the team already runs Kubernetes. Removes the Kubernetes learning cost from the containers'"
                " up-front cost and gives containers one star more for deployment speed and operational simplicity"
                " (unless O(matrix) sets them)."
            ],
        },
    },
)

PRICES = _with_defaults(
    DEFAULT_PRICES,
    {
        "gpu_pricing": {
            "choices": list(GPU_PRICINGS),
            "description": ["Which GPU price the node-based schemes pay (PaaS always pays on demand)."],
        },
        "gpu_per_hour_on_demand": {"description": ["One GPU node an hour, on demand."]},
        "gpu_per_hour_reserved": {
            "description": ["One GPU node an hour, reserved for O(assumptions.reserved_term_months)."]
        },
        "gpu_per_hour_spot": {"description": ["One GPU node an hour, spot (about -80%)."]},
        "overhead_node_per_month": {
            "description": ["One overhead (CPU) node a month - control plane, ingress, gateway."]
        },
        "overhead_nodes": {
            "description": ["Overhead nodes per scheme."],
            "options": _per_scheme(
                "int",
                {
                    "containers": "Control plane and ingress/system node of the 3-node cluster.",
                    "vm": "Overhead nodes of the VM deployment.",
                    "serverless": "Overhead nodes of the serverless deployment.",
                    "hybrid": "A gateway at each site.",
                    "paas": "Overhead nodes of the PaaS deployment.",
                },
            ),
        },
        "serverless_pricing": {
            "choices": list(SERVERLESS_PRICINGS),
            "description": ["Whether serverless bills per call or per second of a call."],
        },
        "serverless_per_call": {"description": ["Serverless price of one call."]},
        "serverless_per_second": {
            "description": ["Serverless price of one second of a call (O(prices.serverless_pricing=per_second))."]
        },
        "serverless_cold_start_s": {
            "description": [
                "Seconds a cold-started serverless call waits for the model to load. Billed per second, and breaks"
                " the SLO when more calls start cold than the percentile allows."
            ]
        },
        "leased_line_per_month": {"description": ["Leased line or site-to-site VPN of the hybrid scheme, a month."]},
        "paas_fee_per_month": {"description": ["Managed platform fee a month."]},
        "egress_per_gb": {"description": ["Egress price per GB of responses (not in the reference, so 0)."]},
        "upfront": {
            "description": ["Up-front cost per scheme (the reference says medium, low, very low, high, none)."],
            "options": _per_scheme(
                "float",
                {
                    "containers": "Cluster setup, without the Kubernetes learning cost.",
                    "vm": "VM images and automation.",
                    "serverless": "Packaging for the serverless platform.",
                    "hybrid": "Leased line installation and integration.",
                    "paas": "Nothing up front.",
                },
            ),
        },
        "kubernetes_learning_upfront": {
            "description": ["Added to the containers' up-front cost when O(workload.team_runs_kubernetes=false)."]
        },
    },
)

ASSUMPTIONS = _with_defaults(
    DEFAULT_ASSUMPTIONS,
    {
        "hours_per_month": {"description": ["Billed hours a month (720 = 30 days; some clouds bill 730)."]},
        "min_nodes": {"type": "int", "description": ["Smallest GPU fleet (2 for redundancy)."]},
        "min_peak_to_average": {
            "description": ["The peak is at least this multiple of the average rate (diurnal load)."]
        },
        "autoscale_share": {
            "description": [
                "Share of the idle GPU capacity (peak nodes above the average load) each scheme releases by"
                " autoscaling; (elastic-scaling stars - 1) / 8."
            ],
            "options": _per_scheme(
                "float",
                {
                    "containers": "Cluster autoscaler.",
                    "vm": "Scale sets, slowly.",
                    "hybrid": "The cloud side only.",
                    "paas": "Platform autoscaling.",
                },
            ),
        },
        "serverless_idle_timeout_s": {
            "description": ["Seconds an idle serverless instance stays warm; a call after a longer gap starts cold."]
        },
        "serverless_tokens_per_s_per_call": {
            "description": ["Decode speed of one serverless call, for per-second billing."]
        },
        "serverless_private": {
            "description": [
                "The serverless platform runs in your own VPC or cluster (it may then hold regulated data)."
            ]
        },
        "paas_private": {"description": ["The PaaS runs in your own VPC (it may then hold regulated data)."]},
        "reserved_term_months": {
            "description": ["Commitment of reserved prices; a shorter project still pays the term."]
        },
        "egress_bytes_per_output_token": {"description": ["Bytes of response per output token, for egress."]},
        "short_project_months": {
            "description": ["Up to this many months a project is short (the reference advises serverless)."]
        },
        "long_project_months": {
            "description": [
                "From this many months a project is long (with steady load the reference advises containers)."
            ]
        },
        "steady_peak_to_average": {
            "description": ["Load whose peak is at most this multiple of the average is steady."]
        },
    },
)

OPTIONS = {
    "workload": {
        "type": "dict",
        "default": {},
        "options": WORKLOAD,
        "description": ["The workload to price. Options left out take the reference workload's value."],
        "cli": {"flatten": True},
    },
    "prices": {
        "type": "dict",
        "default": {},
        "options": PRICES,
        "description": ["Prices in USD. Options left out take the reference value."],
        "cli": {
            "flag": "--price",
            "assign": True,
            "help": "a price, e.g. gpu_per_hour_reserved=1.9 or"
            " overhead_nodes.containers=3 (repeatable; the names are in ansible-doc and docs/cost-advisor.md)",
        },
    },
    "assumptions": {
        "type": "dict",
        "default": {},
        "options": ASSUMPTIONS,
        "description": ["Sizing and policy assumptions. Options left out take the default."],
        "cli": {"flag": "--assume", "assign": True, "help": "an assumption, e.g. min_nodes=2 (repeatable)"},
    },
    "output_tokens_per_s_per_node": {
        "type": "float",
        "no_log": False,
        "description": [
            "Output tokens/s one GPU node serves within the latency SLO, for the chosen model and GPU.",
            "Given, it always wins over O(benchmark_file) (the report says the file was not used).",
            "Default (neither given nor measured on matching hardware) is 1000, the reference workload's peak on one"
            " node.",
        ],
        "cli": {"flag": "--tokens-per-s-per-node", "metavar": "TOK_S"},
    },
    "benchmark_file": {
        "type": "path",
        "description": [
            "JSON from M(privateai.deepseek.inference_benchmark), on the host running this module - the"
            " C(benchmark.json) of C(playbooks/benchmark.yml) (C({host - report})) or the CLI's C(--output) file"
            " (one report).",
            "Of the load points (a single run, a sweep or the trials of an SLO search) meeting the latency SLO, the"
            " highest output throughput counts; with several hosts, the slowest host's.",
            "Only the hosts whose C(measured_on) matches O(priced_node) count (see O(use_benchmark)); the report's"
            " first line says which figure was used, measured on what, or why the file was not used.",
        ],
        "cli": {"metavar": "FILE"},
    },
    "priced_node": {
        "type": "dict",
        "default": {},
        "options": {
            "gpu_model": {
                "cli": {"flag": "--priced-gpu-model"},
                "type": "str",
                "description": ["GPU model of the priced node."],
            },
            "gpu_count": {
                "cli": {"flag": "--priced-gpu-count"},
                "type": "int",
                "description": ["GPUs per priced node."],
            },
            "model": {
                "cli": {"flag": "--priced-model"},
                "type": "str",
                "description": ["The model it serves (the served model name)."],
            },
            "precision": {
                "cli": {"flag": "--priced-precision"},
                "type": "str",
                "description": ["Its precision or quantization (V(fp8), V(bf16), V(float16), ...)."],
            },
        },
        "description": [
            "The GPU node the prices are for. A benchmark counts only when it was measured on GPUs and, for each field"
            " stated here, on the same - C(gpu_model) (e.g. V(H200); names match when one contains the other),"
            " C(gpu_count) per node, C(model) (the served model name) and C(precision) (e.g. V(fp8), V(bf16)).",
            "A CPU figure never prices a GPU node unless O(use_benchmark=always).",
        ],
        "cli": {"flatten": True},
    },
    "use_benchmark": {
        "type": "str",
        "default": "matching",
        "choices": ["matching", "always", "never"],
        "description": [
            "V(matching) uses the hosts of O(benchmark_file) that match O(priced_node), V(always) every host (the"
            " report flags what does not match), V(never) none."
        ],
    },
    "weights": {
        "type": "dict",
        "description": [
            "Weight per criterion - V(deployment_speed), V(cost_control), V(operational_simplicity),"
            " V(data_security), V(elastic_scaling) (the reference's stars) and V(total_cost) (computed from the"
            " project cost).",
            "Criteria left out keep their default, 0 leaves a criterion out. Defaults are 1 each, data security 2 for"
            " confidential and 3 for regulated data, and total cost 5.",
        ],
        "cli": {
            "flag": "--weight",
            "assign": True,
            "metavar": "CRITERION=W",
            "help": "weight of a criterion (repeatable): %s" % ", ".join(ALL_CRITERIA),
        },
    },
    "matrix": {
        "type": "dict",
        "description": [
            "Star overrides (1-5) as C({scheme - {criterion - stars}}), e.g. to rate operational simplicity of"
            " containers 4 for a team with a platform group."
        ],
        "cli": {"assign": True, "metavar": "SCHEME.CRITERION=STARS", "help": "override stars (repeatable)"},
    },
    "schemes": {
        "type": "list",
        "elements": "str",
        "choices": list(SCHEMES),
        "default": list(SCHEMES),
        "description": ["The schemes to compare."],
    },
    "chart_path": {
        "type": "path",
        "description": [
            "Write a PNG chart here - monthly cost against monthly requests for each scheme, break-even points"
            " marked. Needs matplotlib; without it the chart is skipped and RV(chart.note) and the report say so."
            " Not written in check mode.",
            "The Markdown report links the chart by its file name.",
        ],
        "cli": {"flag": "--chart", "metavar": "FILE.png"},
    },
}

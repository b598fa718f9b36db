# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deployment advisor's defaults, decision matrix and input validation.

The defaults reproduce a widely read comparison of private DeepSeek deployment on
cloud platforms ("the reference table"):

    scheme                                   up-front   monthly (example)  cost elasticity
    containers (Kubernetes, 3-node cluster)  medium     $2,400             high
    virtual machines (same compute)          low        $1,800             medium
    serverless                               very low   $0.12 per call     linear
    hybrid cloud (incl. leased line/VPN)     high       $3,200             complex
    managed PaaS (incl. service fee)         none       $2,800             medium

How the monthly figures decompose (the reference gives only the totals; the split is
ours, chosen so that every part is a price a user can look up and override):

- the reference workload is 15,000 requests a month, 1,000 input + 500 output tokens a
  request on average, a peak of 2 requests/s, so a peak of 2 x 500 = 1,000 output
  tokens/s; one GPU node serves 1,000 output tokens/s within the latency SLO, so the
  peak needs exactly 1 GPU node;
- a month is billed as 720 hours (30 days; clouds that bill 730 hours: set
  assumptions.hours_per_month) and the GPU node costs $2.50/h on demand:
  1 x 720 x 2.50 = $1,800 of GPU compute ("same compute" in every scheme);
- virtual machines: the GPU compute alone, $1,800 (the gateway runs on the VM);
- containers: the GPU node plus 2 overhead nodes (control plane, ingress/system node)
  at $300 a month each: 1,800 + 600 = $2,400, the "3-node cluster";
- hybrid: the GPU node, a gateway node at each site (2 x $300) and the leased
  line/VPN at $800 a month: 1,800 + 600 + 800 = $3,200;
- managed PaaS: the GPU compute plus a $1,000 monthly platform fee: $2,800;
- serverless: $0.12 per call, so 15,000 calls cost $1,800, the VMs' figure: the
  reference workload sits exactly at the serverless/VM break-even.

Up-front costs are words in the reference (medium, low, very low, high, none); the
dollar figures here are our assumptions in that order: containers $2,000 plus $4,000
of Kubernetes learning when the team does not run Kubernetes yet ($6,000, medium), VMs
$1,500, serverless $500, hybrid $20,000 (leased line installation, integration), PaaS
$0. Egress is not in the reference: it defaults to $0/GB.

The decision matrix (1-5 stars) is the reference's, in the order containers, VMs,
serverless, hybrid, PaaS: deployment speed 3/2/5/2/4, cost control 4/3/5/2/3,
operational simplicity 2/3/5/2/2, data security 4/4/3/5/4, elastic scaling 5/2/4/3/3.
We add one computed criterion, total_cost (stars from the cost over the project).
"""

from __future__ import absolute_import, division, print_function

import copy
import math
import numbers

SCHEMES = ("containers", "vm", "serverless", "hybrid", "paas")
NODE_SCHEMES = ("containers", "vm", "hybrid", "paas")
SCHEME_LABELS = {
    "containers": "Containers (Kubernetes)",
    "vm": "Virtual machines",
    "serverless": "Serverless",
    "hybrid": "Hybrid cloud",
    "paas": "Managed PaaS",
}
# Names people use for a scheme, for the error message that corrects them.
SCHEME_ALIASES = {
    "kubernetes": "containers",
    "k8s": "containers",
    "container": "containers",
    "vms": "vm",
    "virtual_machines": "vm",
    "faas": "serverless",
    "lambda": "serverless",
    "managed": "paas",
    "managed_paas": "paas",
}

CRITERIA = ("deployment_speed", "cost_control", "operational_simplicity", "data_security", "elastic_scaling")
COST_CRITERION = "total_cost"
ALL_CRITERIA = CRITERIA + (COST_CRITERION,)
CRITERION_LABELS = {
    "deployment_speed": "deployment speed",
    "cost_control": "cost control",
    "operational_simplicity": "operational simplicity",
    "data_security": "data security",
    "elastic_scaling": "elastic scaling",
    "total_cost": "total cost (computed)",
}


def _stars(*values):
    return dict(zip(CRITERIA, values))


REFERENCE_MATRIX = {
    "containers": _stars(3, 4, 2, 4, 5),
    "vm": _stars(2, 3, 3, 4, 2),
    "serverless": _stars(5, 5, 5, 3, 4),
    "hybrid": _stars(2, 2, 2, 5, 3),
    "paas": _stars(4, 3, 2, 4, 3),
}

SENSITIVITY_LEVELS = ("public", "internal", "confidential", "regulated")
# The most sensitive data each scheme may process. A public serverless endpoint runs
# prompts on shared, provider-operated GPUs (the reference gives it 3/5 for data
# security): public or internal data only. A public PaaS processes data in the
# provider's account under a data-processing agreement: up to confidential, never
# regulated. assumptions.serverless_private / paas_private (an offering inside your own
# VPC or cluster) lift both to regulated.
MAX_SENSITIVITY = {
    "containers": "regulated",
    "vm": "regulated",
    "serverless": "internal",
    "hybrid": "regulated",
    "paas": "confidential",
}
LATENCY_METRICS = ("ttft", "tpot", "e2el")
GPU_PRICINGS = ("on_demand", "reserved", "spot")
SERVERLESS_PRICINGS = ("per_call", "per_second")

# Output tokens/s one GPU node sustains within the latency SLO when neither a figure
# nor a benchmark is given: the reference workload's peak on one node.
DEFAULT_OUTPUT_TOKENS_PER_S_PER_NODE = 1000.0

DEFAULT_WORKLOAD = {
    "requests_per_month": 15000,
    "mean_input_tokens": 1000,
    "mean_output_tokens": 500,
    "peak_requests_per_s": 2.0,
    "latency_slo_ms": 30000.0,
    "latency_metric": "e2el",
    "latency_percentile": 99.0,
    "data_sensitivity": "internal",
    "project_duration_months": 12,
    "team_runs_kubernetes": False,
}

DEFAULT_PRICES = {
    "gpu_pricing": "on_demand",
    "gpu_per_hour_on_demand": 2.5,
    "gpu_per_hour_reserved": 1.6,
    "gpu_per_hour_spot": 0.5,
    "overhead_node_per_month": 300.0,
    "overhead_nodes": {"containers": 2, "vm": 0, "serverless": 0, "hybrid": 2, "paas": 0},
    "serverless_pricing": "per_call",
    "serverless_per_call": 0.12,
    "serverless_per_second": 0.001,
    "serverless_cold_start_s": 20.0,
    "leased_line_per_month": 800.0,
    "paas_fee_per_month": 1000.0,
    "egress_per_gb": 0.0,
    "upfront": {"containers": 2000.0, "vm": 1500.0, "serverless": 500.0, "hybrid": 20000.0, "paas": 0.0},
    "kubernetes_learning_upfront": 4000.0,
}

DEFAULT_ASSUMPTIONS = {
    "hours_per_month": 720.0,
    "min_nodes": 1,
    "min_peak_to_average": 2.0,
    # Share of the idle GPU capacity (peak nodes above the average load) a scheme
    # releases by autoscaling: (elastic-scaling stars - 1) / 8, so 5 stars = 0.5.
    "autoscale_share": {"containers": 0.5, "vm": 0.125, "hybrid": 0.25, "paas": 0.25},
    "serverless_idle_timeout_s": 600.0,
    "serverless_tokens_per_s_per_call": 40.0,
    "serverless_private": False,
    "paas_private": False,
    "reserved_term_months": 12,
    "egress_bytes_per_output_token": 4.0,
    "short_project_months": 6,
    "long_project_months": 12,
    "steady_peak_to_average": 3.0,
}

# Plain-word hints for the error messages: what the option means / a sensible value.
HINTS = {
    "requests_per_month": "the expected requests a month, e.g. 15000",
    "mean_input_tokens": "the mean prompt length in tokens, e.g. 1000",
    "mean_output_tokens": "the mean completion length in tokens, e.g. 500",
    "peak_requests_per_s": "the busiest second's request rate, e.g. 2",
    "latency_slo_ms": "the latency objective in milliseconds, e.g. 30000",
    "latency_percentile": "the percentile the SLO holds for, e.g. 99",
    "project_duration_months": "how long the deployment runs, e.g. 12",
    "hours_per_month": "billed hours a month, 720 (30 days) or 730",
    "min_nodes": "the smallest GPU fleet you run, e.g. 1 (2 for redundancy)",
    "min_peak_to_average": "how much busier the peak is than the average at least, e.g. 2",
    "serverless_tokens_per_s_per_call": "decode speed of one serverless call, e.g. 40",
    "output_tokens_per_s_per_node": (
        "output tokens/s one node sustains within the latency SLO, e.g. 1000, "
        "or a benchmark_file from inference_benchmark"
    ),
}

# (section, name) -> (minimum, strict, integer, maximum)
_RANGES = {
    "requests_per_month": (0, True, False, None),
    "mean_input_tokens": (0, False, False, None),
    "mean_output_tokens": (0, True, False, None),
    "peak_requests_per_s": (0, True, False, None),
    "latency_slo_ms": (0, True, False, None),
    "latency_percentile": (0, True, False, 100),
    "project_duration_months": (0, True, False, None),
    "hours_per_month": (0, True, False, 744),
    "min_nodes": (1, False, True, None),
    "min_peak_to_average": (1, False, False, None),
    "serverless_idle_timeout_s": (0, False, False, None),
    "serverless_tokens_per_s_per_call": (0, True, False, None),
    "reserved_term_months": (0, False, False, None),
    "egress_bytes_per_output_token": (0, False, False, None),
    "short_project_months": (0, False, False, None),
    "long_project_months": (0, False, False, None),
    "steady_peak_to_average": (1, False, False, None),
}
_CHOICES = {
    "latency_metric": LATENCY_METRICS,
    "data_sensitivity": SENSITIVITY_LEVELS,
    "gpu_pricing": GPU_PRICINGS,
    "serverless_pricing": SERVERLESS_PRICINGS,
}
_BOOLEANS = ("team_runs_kubernetes", "serverless_private", "paas_private")


class CostInputError(ValueError):
    """Bad input; the message names the option and how to fix it."""


def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def scheme_name_error(option, name):
    """The message for a scheme name that is not one of SCHEMES."""
    hint = ""
    canonical = SCHEME_ALIASES.get(str(name).lower().replace("-", "_").replace(" ", "_"))
    if canonical:
        hint = " ('%s' is called '%s' here)" % (name, canonical)
    return CostInputError("%s: unknown scheme %r%s; the schemes are %s" % (option, name, hint, ", ".join(SCHEMES)))


def _parse_float(text):
    try:
        return float(text)
    except ValueError:
        return text


def check_number(option, value, minimum=0, strict=False, integer=False, maximum=None, hint=None):
    """value as a float (int when integer), or CostInputError naming option and the fix."""
    bound = "> %g" % minimum if strict else ">= %g" % minimum
    if maximum is not None:
        bound += " and <= %g" % maximum
    kind = "a whole number" if integer else "a number"
    fix = ": give %s" % hint if hint else ""
    if isinstance(value, str):  # from a template or the command line
        value = _parse_float(value)
    if not is_number(value) or math.isnan(value) or math.isinf(value) or (integer and float(value) != int(value)):
        raise CostInputError("%s must be %s %s, got %r%s" % (option, kind, bound, value, fix))
    if (value <= minimum if strict else value < minimum) or (maximum is not None and value > maximum):
        raise CostInputError("%s must be %s, got %r%s" % (option, bound, value, fix))
    return int(value) if integer else float(value)


def _per_scheme(option, given, default, check):
    merged = dict(default)
    if given is None:
        return merged
    if not isinstance(given, dict):
        raise CostInputError("%s must be a mapping of scheme to value, got %r" % (option, given))
    for scheme, value in given.items():
        if scheme not in default:
            if scheme in SCHEMES:
                raise CostInputError(
                    "%s: %s has no such setting (it applies to %s)" % (option, scheme, ", ".join(default))
                )
            raise scheme_name_error(option, scheme)
        if value is not None:
            merged[scheme] = check("%s.%s" % (option, scheme), value)
    return merged


def _section(section, given, defaults):
    """Merge given over defaults, checking every key and value."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise CostInputError("%s must be a mapping, got %r" % (section, given))
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise CostInputError(
            "%s: unknown option %s; the options are %s" % (section, ", ".join(map(repr, unknown)), ", ".join(defaults))
        )
    merged = copy.deepcopy(defaults)
    for name, value in given.items():
        if value is None:
            continue
        option = "%s.%s" % (section, name)
        if name in _CHOICES:
            if value not in _CHOICES[name]:
                raise CostInputError("%s must be one of %s, got %r" % (option, ", ".join(_CHOICES[name]), value))
            merged[name] = value
        elif name in _BOOLEANS:
            if not isinstance(value, bool):
                raise CostInputError("%s must be true or false, got %r" % (option, value))
            merged[name] = value
        elif name in ("overhead_nodes",):
            merged[name] = _per_scheme(option, value, defaults[name], lambda o, v: check_number(o, v, integer=True))
        elif name in ("upfront",):
            merged[name] = _per_scheme(option, value, defaults[name], check_number)
        elif name == "autoscale_share":
            merged[name] = _per_scheme(option, value, defaults[name], lambda o, v: check_number(o, v, maximum=1))
        else:
            minimum, strict, integer, maximum = _RANGES.get(name, (0, False, False, None))
            merged[name] = check_number(option, value, minimum, strict, integer, maximum, HINTS.get(name))
    return merged


def default_weights(sensitivity="internal"):
    """1 for each reference criterion, data security 2 (confidential) or 3 (regulated),
    and total_cost 5: the measured cost weighs as much as the five stars together."""
    weights = dict.fromkeys(CRITERIA, 1.0)
    weights["data_security"] = {"confidential": 2.0, "regulated": 3.0}.get(sensitivity, 1.0)
    weights[COST_CRITERION] = 5.0
    return weights


def normalize_weights(weights, sensitivity):
    """User weights over the defaults; a criterion left out keeps its default, 0 drops it."""
    merged = default_weights(sensitivity)
    if weights is None:
        return merged
    if not isinstance(weights, dict):
        raise CostInputError("weights must be a mapping of criterion to weight, got %r" % (weights,))
    for name, value in weights.items():
        if name not in ALL_CRITERIA:
            if name in SCHEMES or name in SCHEME_ALIASES:
                raise CostInputError(
                    "weights: %r is a scheme, not a criterion; weights are per criterion (%s); "
                    "to change a scheme's stars use matrix.%s"
                    % (name, ", ".join(ALL_CRITERIA), SCHEME_ALIASES.get(name, name))
                )
            raise CostInputError("weights: unknown criterion %r; the criteria are %s" % (name, ", ".join(ALL_CRITERIA)))
        merged[name] = check_number("weights.%s" % name, value, hint="a weight >= 0 (0 leaves the criterion out)")
    if not sum(merged.values()) > 0:
        raise CostInputError("weights: at least one weight must be > 0, got %r" % (merged,))
    return merged


def normalize_matrix(matrix):
    """The reference stars with the user's overrides: {scheme: {criterion: 1..5}}."""
    merged = copy.deepcopy(REFERENCE_MATRIX)
    if matrix is None:
        return merged
    if not isinstance(matrix, dict):
        raise CostInputError("matrix must be a mapping of scheme to {criterion: stars}, got %r" % (matrix,))
    for scheme, stars in matrix.items():
        if scheme not in SCHEMES:
            raise scheme_name_error("matrix", scheme)
        if not isinstance(stars, dict):
            raise CostInputError("matrix.%s must be a mapping of criterion to stars, got %r" % (scheme, stars))
        for name, value in stars.items():
            if name == COST_CRITERION:
                raise CostInputError(
                    "matrix.%s.total_cost is computed from the costs; weigh it with weights.total_cost" % scheme
                )
            if name not in CRITERIA:
                raise CostInputError(
                    "matrix.%s: unknown criterion %r; the criteria are %s" % (scheme, name, ", ".join(CRITERIA))
                )
            merged[scheme][name] = check_number("matrix.%s.%s" % (scheme, name), value, 1, maximum=5)
    return merged


def normalize_schemes(schemes):
    if schemes is None:
        return list(SCHEMES)
    if isinstance(schemes, str) or not schemes:
        raise CostInputError("schemes must be a non-empty list of %s, got %r" % (", ".join(SCHEMES), schemes))
    for name in schemes:
        if name not in SCHEMES:
            raise scheme_name_error("schemes", name)
    return [name for name in SCHEMES if name in schemes]


def normalize_inputs(workload=None, prices=None, assumptions=None, weights=None, matrix=None, schemes=None):
    """Validated, complete inputs: every section merged over its defaults."""
    normalized = {
        "workload": _section("workload", workload, DEFAULT_WORKLOAD),
        "prices": _section("prices", prices, DEFAULT_PRICES),
        "assumptions": _section("assumptions", assumptions, DEFAULT_ASSUMPTIONS),
    }
    normalized["weights"] = normalize_weights(weights, normalized["workload"]["data_sensitivity"])
    normalized["matrix"] = normalize_matrix(matrix)
    normalized["schemes"] = normalize_schemes(schemes)
    work = normalized["workload"]
    seconds = normalized["assumptions"]["hours_per_month"] * 3600.0
    average = work["requests_per_month"] / seconds
    if work["peak_requests_per_s"] < average:
        raise CostInputError(
            "workload.peak_requests_per_s (%g) is below the average rate of %g requests a month (%.4g req/s): "
            "raise the peak or lower requests_per_month"
            % (work["peak_requests_per_s"], work["requests_per_month"], average)
        )
    return normalized


def max_sensitivity(scheme, assumptions):
    if scheme == "serverless" and assumptions["serverless_private"]:
        return "regulated"
    if scheme == "paas" and assumptions["paas_private"]:
        return "regulated"
    return MAX_SENSITIVITY[scheme]


def sensitivity_rank(level):
    return SENSITIVITY_LEVELS.index(level)

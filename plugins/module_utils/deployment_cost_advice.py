# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deployment advisor's words: reasons for each rank, the reference's advice that
applies to a workload, its best practices with the workload's figures, and caveats.

The reference's advice: short projects -> serverless; long, steady load -> containers;
data-sensitive -> hybrid, migrated in phases; start on PaaS to validate, move to
containers when mature. A project is short up to assumptions.short_project_months (6),
long from long_project_months (12); load is steady when the peak is at most
steady_peak_to_average (3) x the average rate. The advice does not change the scores:
it is shown beside the ranking, with where the advised scheme ranks and, when it is
ruled out (data sensitivity, SLO), why.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import (
    CRITERIA,
    CRITERION_LABELS,
    SCHEME_LABELS,
    sensitivity_rank,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_model import count, money

ADVICE_WHEN = {
    "short_project": "for short projects",
    "long_steady_load": "for long, steady load",
    "data_sensitive": "for sensitive data, migrated in phases",
    "validate_on_paas": "as the place to validate before moving to containers",
}
_OVERHEAD_WHAT = {"containers": "control plane, ingress", "hybrid": "a gateway at each site"}


def sensitivity_reason(scheme, level, allowed):
    what = {
        "serverless": "a public serverless endpoint runs prompts on shared, provider-operated GPUs",
        "paas": "a public PaaS processes the data in the provider's account",
    }.get(scheme, "this scheme")
    return "not for %s data: %s (allowed up to %s data; set assumptions.%s_private if yours runs in your own VPC)" % (
        level,
        what,
        allowed,
        scheme,
    )


def reasons_for(inputs, entry, cheapest, size, all_eligible):
    work, prices = inputs["workload"], inputs["prices"]
    months = work["project_duration_months"]
    found = list(entry["why_not_eligible"])
    split = "%s up front + %s a month" % (money(entry["upfront_cost"]), money(entry["monthly_cost"]))
    which = "cheapest" if all_eligible else "cheapest eligible scheme"
    if entry["scheme"] == cheapest["scheme"]:
        found.append("the %s over the %g-month project: %s (%s)" % (which, months, money(entry["project_cost"]), split))
    elif cheapest["project_cost"] > 0:
        found.append(
            "%s over %g months (%s), %.2fx the %s (%s)"
            % (
                money(entry["project_cost"]),
                months,
                split,
                entry["project_cost"] / cheapest["project_cost"],
                which,
                cheapest["label"],
            )
        )
    else:
        found.append("%s over %g months (%s)" % (money(entry["project_cost"]), months, split))
    if entry["scheme"] == "serverless":
        price = (
            "%s a call" % money(prices["serverless_per_call"])
            if prices["serverless_pricing"] == "per_call"
            else "%s a second, %.1f s a call" % (money(prices["serverless_per_second"]), entry["seconds_per_call"])
        )
        found.append("no servers to run: %s; %s" % (price, entry["cold_start_note"]))
    else:
        text = "%d GPU node%s cover%s the peak of %s output tok/s at %s tok/s per node" % (
            entry["gpu_nodes"],
            "" if entry["gpu_nodes"] == 1 else "s",
            "s" if entry["gpu_nodes"] == 1 else "",
            count(size["peak_output_tokens_per_s"]),
            count(inputs["output_tokens_per_s_per_node"]),
        )
        if entry["overhead_nodes"]:
            text += ", plus %d overhead node%s (%s)" % (
                entry["overhead_nodes"],
                "" if entry["overhead_nodes"] == 1 else "s",
                _OVERHEAD_WHAT.get(entry["scheme"], "overhead"),
            )
        found.append(text)
    weights = inputs["weights"]
    strong = [CRITERION_LABELS[c] for c in CRITERIA if weights[c] > 0 and entry["stars"][c] >= 4]
    weak = [CRITERION_LABELS[c] for c in CRITERIA if weights[c] > 0 and entry["stars"][c] <= 2]
    if strong:
        found.append("rated well for %s" % ", ".join(strong))
    if weak:
        found.append("rated low for %s" % ", ".join(weak))
    return found


def advice_for(inputs, schemes, size):
    """The reference's advice that applies to this workload, with where each scheme ranks."""
    work, assume = inputs["workload"], inputs["assumptions"]
    months = work["project_duration_months"]
    ratio = size["peak_requests_per_s"] / size["average_requests_per_s"]
    advice = []

    def add(rule, scheme, text):
        entry = schemes.get(scheme)
        if entry is None:
            text += " (%s is not among the schemes compared)" % SCHEME_LABELS[scheme]
        elif not entry["eligible"]:
            text += " Ruled out here (%s)." % "; ".join(entry["why_not_eligible"])
        else:
            text += " It ranks %d here." % entry["rank"]
        advice.append({"rule": rule, "scheme": scheme, "text": text})

    if months <= assume["short_project_months"]:
        add(
            "short_project",
            "serverless",
            "Short project (%g months): the reference advises serverless, with almost nothing up front, "
            "no commitment and pay per call." % months,
        )
    long_steady = months >= assume["long_project_months"] and ratio <= assume["steady_peak_to_average"]
    if long_steady:
        add(
            "long_steady_load",
            "containers",
            "Long, steady load (%g months, peak %.1fx the average): the reference advises containers, "
            "for well-used GPU nodes, autoscaling and rolling updates." % (months, ratio),
        )
    if sensitivity_rank(work["data_sensitivity"]) >= sensitivity_rank("confidential"):
        add(
            "data_sensitive",
            "hybrid",
            "%s data: the reference advises hybrid cloud, migrated in phases: keep the sensitive data and "
            "its inference on premises first, move the rest once the leased line/VPN, IAM and audit "
            "are proven." % work["data_sensitivity"].capitalize(),
        )
    top = [name for name in sorted(schemes, key=lambda n: schemes[n]["rank"]) if schemes[name]["eligible"]][:1]
    if (
        not work["team_runs_kubernetes"]
        and months > assume["short_project_months"]
        and (long_steady or top == ["containers"])
    ):
        add(
            "validate_on_paas",
            "paas",
            "Validate first: the reference advises starting on managed PaaS (nothing up front) to prove the "
            "model and the load, then moving to containers once usage is steady and the team runs Kubernetes.",
        )
    return advice


def best_practices_for(inputs, size):
    prices = inputs["prices"]
    on_demand, spot = prices["gpu_per_hour_on_demand"], prices["gpu_per_hour_spot"]
    saving = ""
    if on_demand > 0:
        saving = "; here %s/h against %s/h on demand, %+.0f%%" % (
            money(spot),
            money(on_demand),
            100.0 * (spot - on_demand) / on_demand,
        )
    return [
        "Spot instances for training and batch jobs (about -80%%%s); not for serving: "
        "spot nodes can be reclaimed at short notice." % saving,
        "GPU sharing for inference (MIG or time-slicing) where a node is underused: the average load uses "
        "%.1f%% of the peak-sized fleet." % (100 * size["average_utilization"]),
        "TensorRT-LLM engines (or vLLM with CUDA graphs) to raise tokens/s per node: "
        "every gain divides the node count.",
        "INT8/FP8 quantization to roughly halve weight memory and raise throughput; "
        "benchmark again and feed the figure back here.",
        "VPC isolation: private subnets, no public endpoint on the model server, private links to the data.",
        "Least-privilege IAM: separate roles for deployment, model storage and inference; no long-lived keys on nodes.",
        "Vulnerability scanning of images, nodes and the model server's dependencies before every rollout.",
    ]


def notes_for(inputs, size, capacity, adjusted):
    work, prices, assume = inputs["workload"], inputs["prices"], inputs["assumptions"]
    found = list(capacity["notes"])
    if size["peak_requests_per_s"] > work["peak_requests_per_s"]:
        found.append(
            "the peak was raised to %.3g req/s: at least min_peak_to_average (%g) x the average rate"
            % (size["peak_requests_per_s"], assume["min_peak_to_average"])
        )
    if prices["gpu_pricing"] == "spot":
        found.append(
            "GPU nodes priced as spot: the reference recommends spot for training, not serving; "
            "a reclaimed node drops requests at the peak"
        )
    if prices["gpu_pricing"] == "reserved" and work["project_duration_months"] < assume["reserved_term_months"]:
        found.append(
            "reserved GPU prices commit to %g months: the project costs include the months after the project ends"
            % assume["reserved_term_months"]
        )
    if prices["gpu_pricing"] != "on_demand" and "paas" in inputs["schemes"]:
        found.append("PaaS compute is priced on demand: managed platforms rarely pass reserved or spot prices through")
    if adjusted:
        found.append(
            "the team runs Kubernetes: containers have no learning cost up front and one star more for %s"
            % " and ".join(adjusted)
        )
    return found

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
module: deployment_cost
short_description: Compare the cost of five private deployment schemes and recommend one
version_added: 0.1.0
description:
  - Prices a workload on containers (Kubernetes), virtual machines, serverless, hybrid
    cloud and managed PaaS, and ranks them with a weighted decision matrix.
  - Per scheme it returns the GPU nodes the peak needs at the latency SLO, the monthly
    and up-front cost, the cost per 1M output tokens and over the project, whether the
    scheme may hold the data (regulated data never goes to a public serverless endpoint
    or a public PaaS) and meet the SLO, its weighted score and the reasons for its rank
    in plain words; plus the break-even volumes between schemes and the reference advice
    that applies.
  - Every default reproduces a widely read comparison of private DeepSeek deployment
    (containers $2,400, VMs $1,800, serverless $0.12 a call, hybrid $3,200, PaaS $2,800 a
    month for its example workload); every number can be overridden. The derivation is
    in the collection's docs/cost-advisor.md.
  - Capacity (output tokens/s a node serves within the SLO) is O(output_tokens_per_s_per_node)
    when given, else the figure of an M(privateai.deepseek.inference_benchmark) result in
    O(benchmark_file) measured on the hardware and model of O(priced_node) (a CPU figure
    never prices a GPU node unless O(use_benchmark=always)), else the reference default of
    1000. The report's first line says which figure it used and from where.
  - Pure computation, except for O(chart_path); it never writes in check mode.
  - The same code runs outside Ansible as
    C(python3 <collection>/cli/deployment_cost.py).
author:
  - privateai.deepseek maintainers (@privateai)
requirements:
  - matplotlib, only for O(chart_path) (without it the chart is skipped with a note)
# BEGIN GENERATED OPTIONS (hacking/module_docs.py)
options:
  workload:
    description:
      - The workload to price. Options left out take the reference workload's value.
    type: dict
    default: {}
    suboptions:
      requests_per_month:
        description:
          - Requests a month.
        type: float
        default: 15000
      mean_input_tokens:
        description:
          - Mean prompt length in tokens.
        type: float
        default: 1000
      mean_output_tokens:
        description:
          - Mean completion length in tokens.
        type: float
        default: 500
      peak_requests_per_s:
        description:
          - Request rate of the busiest second; the GPU fleet is sized for it.
          - Raised to O(assumptions.min_peak_to_average) times the average rate when lower.
        type: float
        default: 2.0
      latency_slo_ms:
        description:
          - Latency objective in milliseconds; benchmark points above it do not count.
        type: float
        default: 30000.0
      latency_metric:
        description:
          - What the SLO bounds - time to first token, time per output token or end-to-end latency.
        type: str
        default: e2el
        choices:
          - ttft
          - tpot
          - e2el
      latency_percentile:
        description:
          - The percentile the SLO holds for.
        type: float
        default: 99.0
      data_sensitivity:
        description:
          - The most sensitive data the deployment processes. Public serverless takes up to V(internal),
            public PaaS up to V(confidential).
        type: str
        default: internal
        choices:
          - public
          - internal
          - confidential
          - regulated
      project_duration_months:
        description:
          - How long the deployment runs; the project cost is up-front + monthly x this.
        type: float
        default: 12
      team_runs_kubernetes:
        description:
          - Whether the team already runs Kubernetes. Removes the Kubernetes learning cost from the containers'
            up-front cost and gives containers one star more for deployment speed and operational simplicity
            (unless O(matrix) sets them).
        type: bool
        default: false
  prices:
    description:
      - Prices in USD. Options left out take the reference value.
    type: dict
    default: {}
    suboptions:
      gpu_pricing:
        description:
          - Which GPU price the node-based schemes pay (PaaS always pays on demand).
        type: str
        default: on_demand
        choices:
          - on_demand
          - reserved
          - spot
      gpu_per_hour_on_demand:
        description:
          - One GPU node an hour, on demand.
        type: float
        default: 2.5
      gpu_per_hour_reserved:
        description:
          - One GPU node an hour, reserved for O(assumptions.reserved_term_months).
        type: float
        default: 1.6
      gpu_per_hour_spot:
        description:
          - One GPU node an hour, spot (about -80%).
        type: float
        default: 0.5
      overhead_node_per_month:
        description:
          - One overhead (CPU) node a month - control plane, ingress, gateway.
        type: float
        default: 300.0
      overhead_nodes:
        description:
          - Overhead nodes per scheme.
        type: dict
        default: {}
        suboptions:
          containers:
            description:
              - Control plane and ingress/system node of the 3-node cluster.
            type: int
            default: 2
          vm:
            description:
              - Overhead nodes of the VM deployment.
            type: int
            default: 0
          serverless:
            description:
              - Overhead nodes of the serverless deployment.
            type: int
            default: 0
          hybrid:
            description:
              - A gateway at each site.
            type: int
            default: 2
          paas:
            description:
              - Overhead nodes of the PaaS deployment.
            type: int
            default: 0
      serverless_pricing:
        description:
          - Whether serverless bills per call or per second of a call.
        type: str
        default: per_call
        choices:
          - per_call
          - per_second
      serverless_per_call:
        description:
          - Serverless price of one call.
        type: float
        default: 0.12
      serverless_per_second:
        description:
          - Serverless price of one second of a call (O(prices.serverless_pricing=per_second)).
        type: float
        default: 0.001
      serverless_cold_start_s:
        description:
          - Seconds a cold-started serverless call waits for the model to load. Billed per second, and
            breaks the SLO when more calls start cold than the percentile allows.
        type: float
        default: 20.0
      leased_line_per_month:
        description:
          - Leased line or site-to-site VPN of the hybrid scheme, a month.
        type: float
        default: 800.0
      paas_fee_per_month:
        description:
          - Managed platform fee a month.
        type: float
        default: 1000.0
      egress_per_gb:
        description:
          - Egress price per GB of responses (not in the reference, so 0).
        type: float
        default: 0.0
      upfront:
        description:
          - Up-front cost per scheme (the reference says medium, low, very low, high, none).
        type: dict
        default: {}
        suboptions:
          containers:
            description:
              - Cluster setup, without the Kubernetes learning cost.
            type: float
            default: 2000.0
          vm:
            description:
              - VM images and automation.
            type: float
            default: 1500.0
          serverless:
            description:
              - Packaging for the serverless platform.
            type: float
            default: 500.0
          hybrid:
            description:
              - Leased line installation and integration.
            type: float
            default: 20000.0
          paas:
            description:
              - Nothing up front.
            type: float
            default: 0.0
      kubernetes_learning_upfront:
        description:
          - Added to the containers' up-front cost when O(workload.team_runs_kubernetes=false).
        type: float
        default: 4000.0
  assumptions:
    description:
      - Sizing and policy assumptions. Options left out take the default.
    type: dict
    default: {}
    suboptions:
      hours_per_month:
        description:
          - Billed hours a month (720 = 30 days; some clouds bill 730).
        type: float
        default: 720.0
      min_nodes:
        description:
          - Smallest GPU fleet (2 for redundancy).
        type: int
        default: 1
      min_peak_to_average:
        description:
          - The peak is at least this multiple of the average rate (diurnal load).
        type: float
        default: 2.0
      autoscale_share:
        description:
          - Share of the idle GPU capacity (peak nodes above the average load) each scheme releases by
            autoscaling; (elastic-scaling stars - 1) / 8.
        type: dict
        default: {}
        suboptions:
          containers:
            description:
              - Cluster autoscaler.
            type: float
            default: 0.5
          vm:
            description:
              - Scale sets, slowly.
            type: float
            default: 0.125
          hybrid:
            description:
              - The cloud side only.
            type: float
            default: 0.25
          paas:
            description:
              - Platform autoscaling.
            type: float
            default: 0.25
      serverless_idle_timeout_s:
        description:
          - Seconds an idle serverless instance stays warm; a call after a longer gap starts cold.
        type: float
        default: 600.0
      serverless_tokens_per_s_per_call:
        description:
          - Decode speed of one serverless call, for per-second billing.
        type: float
        default: 40.0
      serverless_private:
        description:
          - The serverless platform runs in your own VPC or cluster (it may then hold regulated data).
        type: bool
        default: false
      paas_private:
        description:
          - The PaaS runs in your own VPC (it may then hold regulated data).
        type: bool
        default: false
      reserved_term_months:
        description:
          - Commitment of reserved prices; a shorter project still pays the term.
        type: float
        default: 12
      egress_bytes_per_output_token:
        description:
          - Bytes of response per output token, for egress.
        type: float
        default: 4.0
      short_project_months:
        description:
          - Up to this many months a project is short (the reference advises serverless).
        type: float
        default: 6
      long_project_months:
        description:
          - From this many months a project is long (with steady load the reference advises containers).
        type: float
        default: 12
      steady_peak_to_average:
        description:
          - Load whose peak is at most this multiple of the average is steady.
        type: float
        default: 3.0
  output_tokens_per_s_per_node:
    description:
      - Output tokens/s one GPU node serves within the latency SLO, for the chosen model and GPU.
      - Given, it always wins over O(benchmark_file) (the report says the file was not used).
      - Default (neither given nor measured on matching hardware) is 1000, the reference workload's peak
        on one node.
    type: float
  benchmark_file:
    description:
      - JSON from M(privateai.deepseek.inference_benchmark), on the host running this module - the C(benchmark.json)
        of C(playbooks/benchmark.yml) (C({host - report})) or the CLI's C(--output) file (one report).
      - Of the load points (a single run, a sweep or the trials of an SLO search) meeting the latency
        SLO, the highest output throughput counts; with several hosts, the slowest host's.
      - Only the hosts whose C(measured_on) matches O(priced_node) count (see O(use_benchmark)); the report's
        first line says which figure was used, measured on what, or why the file was not used.
    type: path
  priced_node:
    description:
      - The GPU node the prices are for. A benchmark counts only when it was measured on GPUs and, for
        each field stated here, on the same - C(gpu_model) (e.g. V(H200); names match when one contains
        the other), C(gpu_count) per node, C(model) (the served model name) and C(precision) (e.g. V(fp8),
        V(bf16)).
      - A CPU figure never prices a GPU node unless O(use_benchmark=always).
    type: dict
    default: {}
    suboptions:
      gpu_model:
        description:
          - GPU model of the priced node.
        type: str
      gpu_count:
        description:
          - GPUs per priced node.
        type: int
      model:
        description:
          - The model it serves (the served model name).
        type: str
      precision:
        description:
          - Its precision or quantization (V(fp8), V(bf16), V(float16), ...).
        type: str
  use_benchmark:
    description:
      - V(matching) uses the hosts of O(benchmark_file) that match O(priced_node), V(always) every host
        (the report flags what does not match), V(never) none.
    type: str
    default: matching
    choices: [matching, always, never]
  weights:
    description:
      - Weight per criterion - V(deployment_speed), V(cost_control), V(operational_simplicity), V(data_security),
        V(elastic_scaling) (the reference's stars) and V(total_cost) (computed from the project cost).
      - Criteria left out keep their default, 0 leaves a criterion out. Defaults are 1 each, data security
        2 for confidential and 3 for regulated data, and total cost 5.
    type: dict
  matrix:
    description:
      - Star overrides (1-5) as C({scheme - {criterion - stars}}), e.g. to rate operational simplicity
        of containers 4 for a team with a platform group.
    type: dict
  schemes:
    description:
      - The schemes to compare.
    type: list
    elements: str
    default: [containers, vm, serverless, hybrid, paas]
    choices: [containers, vm, serverless, hybrid, paas]
  chart_path:
    description:
      - Write a PNG chart here - monthly cost against monthly requests for each scheme, break-even points
        marked. Needs matplotlib; without it the chart is skipped and RV(chart.note) and the report say
        so. Not written in check mode.
      - The Markdown report links the chart by its file name.
    type: path
# END GENERATED OPTIONS
attributes:
  check_mode:
    support: full
    description: Computes the same result; the chart is not written.
  diff_mode:
    support: none
    description: Nothing but the chart file changes.
  idempotent:
    support: full
    description: The chart is rewritten only when its bytes differ.
seealso:
  - module: privateai.deepseek.inference_benchmark
    description: Measures the throughput this module sizes the fleet with.
"""

EXAMPLES = r"""
- name: Price the reference workload with the measured throughput
  privateai.deepseek.deployment_cost:
    benchmark_file: "{{ playbook_dir }}/../.build/reports/benchmark.json"
  register: cost

- name: A regulated two-year workload on reserved GPUs, cost weighing more
  privateai.deepseek.deployment_cost:
    workload:
      requests_per_month: 400000
      peak_requests_per_s: 4
      mean_output_tokens: 600
      data_sensitivity: regulated
      project_duration_months: 24
    prices:
      gpu_pricing: reserved
      gpu_per_hour_reserved: 1.9
    output_tokens_per_s_per_node: 1400
    weights:
      total_cost: 8
    chart_path: /tmp/cost-chart.png
  register: cost

- name: Show the ranking
  ansible.builtin.debug:
    msg: "{{ cost.ranking | map(attribute='scheme') | list }}"
"""

RETURN = r"""
recommendation:
  description: The top-ranked scheme that may hold the data and meet the SLO; null when none may.
  returned: always
  type: str
  sample: vm
summary:
  description: The recommendation in one sentence.
  returned: always
  type: str
  sample: "Recommended: Virtual machines (score 3.79 of 5): ..."
ranking:
  description: Schemes best first; eligible ones before the rest.
  returned: always
  type: list
  elements: dict
  contains:
    rank:
      description: 1 for the best.
      type: int
    scheme:
      description: Scheme name.
      type: str
      sample: vm
    label:
      description: Scheme name in words.
      type: str
      sample: Virtual machines
    score:
      description: Weighted mean of the stars (1-5).
      type: float
      sample: 3.79
    eligible:
      description: Whether the scheme may hold the data and meets the latency SLO.
      type: bool
    monthly_cost:
      description: USD a month at the workload's volume.
      type: float
      sample: 1800.0
    project_cost:
      description: USD over the project.
      type: float
      sample: 23100.0
    reasons:
      description: Why, in plain words.
      type: list
      elements: str
schemes:
  description:
    - Per scheme - C(gpu_nodes) (at the peak; null for serverless), C(billed_gpu_nodes)
      (after autoscaling), C(overhead_nodes), C(gpu_price_per_hour), C(monthly_cost),
      C(monthly_breakdown) (gpu, overhead_nodes, leased_line, paas_fee, serverless_calls,
      egress), C(upfront_cost), C(cost_per_million_output_tokens), C(project_months),
      C(reserved_commitment), C(project_cost), C(max_sensitivity), C(meets_sensitivity),
      C(meets_latency_slo), C(eligible), C(why_not_eligible), C(stars), C(score),
      C(rank), C(reasons); serverless adds C(cold_start_share) and C(cold_start_note).
  returned: always
  type: dict
break_even:
  description:
    - Volumes where two schemes cost the same (C(kind=crossing)) or where one's node
      step jumps over the other (C(kind=step)), from 1/1000 to 1000 times the volume.
  returned: always
  type: list
  elements: dict
  contains:
    schemes:
      description: The two schemes.
      type: list
      elements: str
      sample: [vm, serverless]
    requests_per_month:
      description: The volume.
      type: float
      sample: 15000
    monthly_cost:
      description: The cost there (null for a step).
      type: float
      sample: 1800.0
    monthly_costs:
      description: Each scheme's cost there.
      type: dict
    kind:
      description: V(crossing) or V(step).
      type: str
    cheaper_below:
      description: The cheaper scheme below the volume.
      type: str
      sample: serverless
    cheaper_above:
      description: The cheaper scheme above the volume.
      type: str
      sample: vm
capacity:
  description:
    - Output tokens/s per node used (C(output_tokens_per_s_per_node)), its C(source)
      (V(measured), V(given) or V(default)), the C(given) figure, the C(measured) details
      (host, load point, latency, per-host summary), a C(summary) sentence and C(notes).
  returned: always
  type: dict
sizing:
  description: Average and peak request rates, peak output tokens/s, GPU nodes at the peak, average utilisation.
  returned: always
  type: dict
advice:
  description: The reference advice that applies to this workload (C(rule), C(scheme), C(text)).
  returned: always
  type: list
  elements: dict
best_practices:
  description: The reference's best practices with this workload's figures.
  returned: always
  type: list
  elements: str
notes:
  description: Caveats (spot serving, reserved commitment, benchmark shape, raised peak).
  returned: always
  type: list
  elements: str
chart_range:
  description: Volumes (requests a month) the chart spans.
  returned: always
  type: list
  elements: float
inputs:
  description: The complete inputs used (workload, prices, assumptions, weights, matrix, schemes, capacity).
  returned: always
  type: dict
chart:
  description: What became of the chart.
  returned: when O(chart_path) is set
  type: dict
  contains:
    path:
      description: The chart's file name, as the Markdown report links it.
      type: str
      sample: cost-chart.png
    file:
      description: O(chart_path).
      type: str
    written:
      description: Whether this run wrote the file.
      type: bool
    unchanged:
      description: Whether the file already held the same chart.
      type: bool
    note:
      description: Why the chart was not written (no matplotlib, check mode), else null.
      type: str
markdown:
  description: The whole report as Markdown.
  returned: always
  type: str
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost import evaluate
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_capacity import load_benchmark_file
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_defaults import CostInputError
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_options import OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.deployment_cost_report import (
    chart_png,
    render_markdown,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import argument_spec


def _write_chart(module, result, path):
    """Write the PNG unless in check mode or unchanged; (chart info, changed)."""
    chart = {"path": os.path.basename(path), "file": path, "written": False, "unchanged": False, "note": None}
    png, note = chart_png(result)
    if png is None:
        chart["note"] = note
        return chart, False
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            if handle.read() == png:
                chart["unchanged"] = True
                return chart, False
    if module.check_mode:
        chart["note"] = "check mode: the chart would be written to %s" % path
        return chart, True
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        module.fail_json(msg="chart_path: the directory %s does not exist; create it first" % directory)
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(png)
    module.atomic_move(temporary, path)
    chart["written"] = True
    return chart, True


def main():
    module = AnsibleModule(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    params = module.params
    try:
        benchmark = load_benchmark_file(params["benchmark_file"]) if params["benchmark_file"] else None
        result = evaluate(
            workload=params["workload"],
            prices=params["prices"],
            assumptions=params["assumptions"],
            weights=params["weights"],
            matrix=params["matrix"],
            schemes=params["schemes"],
            output_tokens_per_s_per_node=params["output_tokens_per_s_per_node"],
            benchmark=benchmark,
            benchmark_name=params["benchmark_file"] or "benchmark_file",
            priced_node=params["priced_node"],
            use_benchmark=params["use_benchmark"],
        )
    except CostInputError as error:
        module.fail_json(msg="bad input: %s" % error)
    changed, chart = False, None
    if params["chart_path"]:
        try:
            chart, changed = _write_chart(module, result, params["chart_path"])
        except OSError as error:
            module.fail_json(
                msg="chart_path: cannot write %s: %s" % (params["chart_path"], error), exception=traceback.format_exc()
            )
        result["chart"] = chart
    result["markdown"] = render_markdown(result, chart)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
module: model_plan
short_description: Plan vLLM arguments for a DeepSeek model on a set of GPUs
version_added: 0.1.0
description:
  - Looks the model up in the collection's catalog (DeepSeek-R1 distills, V2-Lite,
    Coder-V2-Lite, V3, R1, V3.1, test models, or a custom profile) and works out the
    tensor-parallel size, quantization, maximum model length, GPU memory utilisation and
    how many sequences of that length the KV cache holds.
  - When the model cannot fit it says why and what would (a GPU set, FP8 quantization,
    or a smaller catalog model), and fails unless O(fail_when_unfit=false).
  - Pure computation; runs on the controller or any host and changes nothing.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  model:
    description:
      - Catalog name, e.g. C(deepseek-r1-distill-qwen-7b), C(deepseek-v3), or C(custom).
    type: str
    required: true
  custom_profile:
    description:
      - Profile fields for O(model=custom) (required keys C(architecture), C(params_total_b),
        C(weight_dtype), C(weight_gb), C(context_length), C(layers), C(attention) and the
        attention figures), or overrides for a catalog model.
    type: dict
  gpu_count:
    description:
      - GPUs on the node available to this model.
      - C(0) plans for vLLM's CPU backend, sized by O(cpu_kv_cache_gib).
    type: int
    required: true
  gpu_memory_gib:
    description:
      - Memory of one GPU in GiB, as NVML reports it (80 for H100 80GB, 141 for H200).
      - Required when O(gpu_count) > 0.
    type: float
  cpu_kv_cache_gib:
    description: RAM for the KV cache on the CPU backend (C(VLLM_CPU_KVCACHE_SPACE)), when O(gpu_count=0).
    type: float
    default: 4
  interconnect:
    description: How the GPUs talk to each other; tensor parallelism over PCIe gets a warning.
    type: str
    choices: [nvlink, pcie]
    default: nvlink
  gpu_memory_utilization:
    description: Share of each GPU's memory vLLM may use. Default 0.9.
    type: float
  max_model_len:
    description: Pin the context length; the plan fails if it cannot hold it.
    type: int
  min_concurrency:
    description: Sequences of full length the KV cache must hold at once.
    type: int
    default: 1
  quantization:
    description: Quantize 16-bit weights on load (C(fp8) halves their memory).
    type: str
    choices: [fp8]
  kv_cache_dtype:
    description: KV-cache element type used for the sizing.
    type: str
    choices: [bfloat16, fp8]
    default: bfloat16
  tensor_parallel_size:
    description: Pin the tensor-parallel size; it must divide the attention heads and not exceed O(gpu_count).
    type: int
  fail_when_unfit:
    description: Fail when the model does not fit. With C(false), return RV(plan.fits=false) and the advice.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Computes the same plan in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  idempotent:
    support: full
    description: Pure computation.
"""

EXAMPLES = r"""
- name: Plan DeepSeek-R1 on an HGX H200
  privateai.deepseek.model_plan:
    model: deepseek-r1
    gpu_count: 8
    gpu_memory_gib: 141
  register: r1_plan
  # r1_plan.plan.tensor_parallel_size == 8

- name: Ask what fits on one 24 GB card without failing
  privateai.deepseek.model_plan:
    model: deepseek-r1-distill-qwen-32b
    gpu_count: 1
    gpu_memory_gib: 24
    fail_when_unfit: false
  register: small
- name: Show the advice
  ansible.builtin.debug:
    msg: "{{ small.plan.message }}"
  when: not small.plan.fits
"""

RETURN = r"""
plan:
  description: The plan.
  returned: always
  type: dict
  contains:
    fits:
      description: Whether the model can be served on these GPUs.
      type: bool
      sample: true
    tensor_parallel_size:
      description: GPUs one replica spans (when it fits).
      type: int
      sample: 8
    replicas:
      description: Independent replicas the GPU set holds.
      type: int
      sample: 1
    max_model_len:
      description: Context length to serve.
      type: int
      sample: 131072
    gpu_memory_utilization:
      description: vLLM --gpu-memory-utilization.
      type: float
      sample: 0.9
    quantization:
      description: vLLM --quantization, or null.
      type: str
      sample: null
    kv_cache_tokens:
      description: Tokens the KV cache of one replica holds.
      type: int
      sample: 683563
    max_concurrent_sequences:
      description: Sequences of max_model_len that fit in the KV cache at once.
      type: int
      sample: 5
    reasoning_parser:
      description: vLLM --reasoning-parser for this model, or null.
      type: str
      sample: deepseek_r1
    tool_call_parser:
      description: vLLM --tool-call-parser for this model, or null.
      type: str
      sample: deepseek_v3
    notes:
      description: Advice that does not stop the plan.
      type: list
      elements: str
    reason:
      description: Why it does not fit (when it does not).
      type: str
    suggestions:
      description: What would fit instead (when it does not).
      type: list
      elements: str
    message:
      description: Reason and suggestions in one sentence (when it does not fit).
      type: str
profile:
  description: The catalog profile used, with derived figures (KV-cache bytes per token, minimum GPU memory).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.privateai.deepseek.plugins.module_utils.model_catalog import CatalogError, get_profile
from ansible_collections.privateai.deepseek.plugins.module_utils.planner import PlanError, cpu_plan, plan

PLAN_ARGUMENTS = (
    "gpu_count",
    "gpu_memory_gib",
    "interconnect",
    "gpu_memory_utilization",
    "max_model_len",
    "min_concurrency",
    "quantization",
    "kv_cache_dtype",
    "tensor_parallel_size",
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            custom_profile=dict(type="dict"),
            gpu_count=dict(type="int", required=True),
            gpu_memory_gib=dict(type="float"),
            cpu_kv_cache_gib=dict(type="float", default=4),
            interconnect=dict(type="str", choices=["nvlink", "pcie"], default="nvlink"),
            gpu_memory_utilization=dict(type="float"),
            max_model_len=dict(type="int"),
            min_concurrency=dict(type="int", default=1),
            quantization=dict(type="str", choices=["fp8"]),
            kv_cache_dtype=dict(type="str", choices=["bfloat16", "fp8"], default="bfloat16"),
            tensor_parallel_size=dict(type="int"),
            fail_when_unfit=dict(type="bool", default=True),
        ),
        required_if=[("model", "custom", ["custom_profile"])],
        supports_check_mode=True,
    )
    params = module.params
    try:
        profile = get_profile(params["model"], params["custom_profile"])
        if params["gpu_count"] == 0:
            result = cpu_plan(
                params["model"],
                params["cpu_kv_cache_gib"],
                max_model_len=params["max_model_len"],
                min_concurrency=params["min_concurrency"],
                custom_profile=params["custom_profile"],
            )
        else:
            result = plan(
                params["model"],
                custom_profile=params["custom_profile"],
                **dict((name, params[name]) for name in PLAN_ARGUMENTS),
            )
    except (CatalogError, PlanError) as error:
        module.fail_json(msg=str(error))
    if not result["fits"] and params["fail_when_unfit"]:
        module.fail_json(msg=result["message"], plan=result, profile=profile)
    module.exit_json(changed=False, plan=result, profile=profile)


if __name__ == "__main__":
    main()

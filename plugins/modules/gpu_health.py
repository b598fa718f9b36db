#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
module: gpu_health
short_description: Probe NVIDIA GPU health through NVML and decide whether the node is fit to serve
version_added: 0.1.0
description:
  - Reads every health figure NVML gives for each GPU (identity, memory, utilisation,
    temperatures and thresholds, power, clocks, persistence/compute/MIG/ECC modes, ECC
    counters, retired pages, remapped rows, clock-event (throttle) reasons, PCIe link and
    replay counter, NVLink state and error counters, NVLink fabric registration, running
    compute processes) and judges them against thresholds that follow NVIDIA's guidance.
  - Returns C(healthy), a list of C(issues) (each with the GPU, check, severity, message
    and the advice to act on), all raw figures, and the C(gpu_health) fact.
  - Fails when the node is unhealthy, unless O(fail_on_unhealthy=false). Run it before
    placing a model on a node, after a driver install, and on a schedule to drain bad
    nodes.
  - A query the GPU or driver does not support is listed under C(not_supported) for that
    GPU ("not supported on this GPU") and never stops the probe.
  - Reads only; check mode returns the same result.
  - The same code runs outside Ansible as
    C(python3 <collection>/cli/gpu_health.py)
    (exit code 0 healthy, 1 unhealthy, 2 cannot probe).
author:
  - privateai.deepseek maintainers (@privateai)
requirements:
  - nvidia-ml-py (import name C(pynvml)) on the managed node
  - the NVIDIA driver (C(libnvidia-ml.so.1))
  - DCGM (C(dcgmi)) only for O(dcgm_diag_level)
# BEGIN GENERATED OPTIONS (hacking/module_docs.py)
options:
  require_gpu:
    description:
      - Fail when the node has no usable GPU (no NVIDIA GPU on the PCI bus, NVML library or nvidia-ml-py
        not found, driver not loaded, no GPUs).
      - With V(false) such a node succeeds with C(gpus=[]) and C(probe_status) saying why. A node with
        no NVIDIA GPU on the PCI bus needs no nvidia-ml-py for that answer.
    type: bool
    default: true
  fail_on_unhealthy:
    description:
      - 'Fail (the CLI: exit 1) when the verdict is unhealthy. With V(false) it only reports.'
    type: bool
    default: true
  expected_gpu_count:
    description:
      - GPUs the node must have; fewer is a C(critical) issue.
    type: int
  min_driver_version:
    description:
      - Oldest acceptable driver; an older one is a C(warning).
    type: str
    default: 550.54.14
  max_temperature_c:
    description:
      - GPU temperature at which a C(warning) is raised.
      - Default is O(temperature_margin_c) under the GPU's own slowdown threshold (85 C when NVML does
        not give one).
    type: int
  temperature_margin_c:
    description:
      - Margin under the slowdown threshold used when O(max_temperature_c) is not set.
    type: int
    default: 5
  max_uncorrected_ecc:
    description:
      - Volatile uncorrected ECC errors tolerated; more is C(critical).
    type: int
    default: 0
  max_retired_pages:
    description:
      - Retired pages (pre-Ampere GPUs) at which the board is due for replacement.
    type: int
    default: 60
  pcie_load_threshold_percent:
    description:
      - GPU utilisation at or above which the PCIe link is judged. Idle links downshift to save power,
        so a slow link on an idle GPU is only reported as C(info).
    type: int
    default: 10
  expect_nvlink:
    description:
      - Whether every NVLink link NVML reports must be up.
      - V(auto) expects it on nodes where at least one link is active (HGX/DGX, NVLink bridges) and not
        on PCIe-only nodes.
    type: str
    default: auto
    choices: [auto, 'true', 'false']
  throttle_reasons:
    description:
      - Clock-event reasons that count as an issue when active.
    type: list
    elements: str
    default: [hw_slowdown, hw_thermal_slowdown, hw_power_brake_slowdown, sw_thermal_slowdown]
  require_persistence_mode:
    description:
      - Raise a C(warning) when persistence mode is off.
    type: bool
    default: true
  skip_checks:
    description:
      - Checks to leave out (by the C(check) names in the issues).
    type: list
    elements: str
    default: []
    choices: [nvml_visible, gpu_count, gpu_lost, driver_version, persistence_mode, ecc_mode, ecc_uncorrected,
      retired_pages, row_remap, temperature, throttle, pcie_link, nvlink, fabric, mig, xid, dcgm]
  unhealthy_severity:
    description:
      - Lowest issue severity that makes the node unhealthy.
    type: str
    default: warning
    choices: [info, warning, critical]
  xid_watch_seconds:
    description:
      - Watch NVML's event API for XID errors this many seconds (a watch blocks the run that long) and
        judge each XID seen against a table of the common codes (48, 63, 64, 74, 79, 92, 94, 95, 119,
        120 and more). V(0) does not watch.
      - Only XIDs raised during the window are seen; the kernel log keeps older ones.
    type: float
    default: 0.0
  dcgm_diag_level:
    description:
      - Also run C(dcgmi diag -r LEVEL -j) and fold its verdict in (failures are C(critical), warnings
        C(warning)). Level 1 takes seconds, 2 about two minutes, 3 up to half an hour and loads the GPUs.
    type: int
    choices: [1, 2, 3]
# END GENERATED OPTIONS
attributes:
  check_mode:
    support: full
    description: Reads only; the same probe runs in check mode.
  diff_mode:
    support: none
    description: Nothing changes.
  facts:
    support: full
    description: Sets the C(gpu_health) fact.
  idempotent:
    support: full
    description: Reads only.
notes:
  - The GPU C(index) is NVML's, which is the order of PCI bus ids (as nvidia-smi), not
    necessarily CUDA's default order.
seealso:
  - name: NVIDIA XID errors
    description: The catalog of XID codes and the recommended actions.
    link: https://docs.nvidia.com/deploy/xid-errors/index.html
  - name: NVML API reference
    description: The queries this module makes.
    link: https://docs.nvidia.com/deploy/nvml-api/index.html
"""

EXAMPLES = r"""
- name: Refuse to place a model on an unhealthy 8-GPU node
  privateai.deepseek.gpu_health:
    expected_gpu_count: 8
    xid_watch_seconds: 10

- name: Report only (scheduled job that drains bad nodes afterwards)
  privateai.deepseek.gpu_health:
    fail_on_unhealthy: false
  register: health

- name: Drain the nodes the probe found unhealthy
  ansible.builtin.debug:
    msg: "drain {{ inventory_hostname }}: {{ health.issues | map(attribute='message') | join('; ') }}"
  when: not health.healthy

- name: Mixed fleet - CPU-only nodes succeed with gpus=[]
  privateai.deepseek.gpu_health:
    require_gpu: false

- name: Full DCGM diagnostic after a driver install
  privateai.deepseek.gpu_health:
    dcgm_diag_level: 2
"""

RETURN = r"""
healthy:
  description: The verdict; null when nothing could be probed (O(require_gpu=false) and no GPU).
  returned: always
  type: bool
  sample: false
probe_status:
  description:
    - V(ok), or why nothing could be probed - V(nvml_library_not_found),
      V(driver_not_loaded), V(no_gpus), V(nvml_python_library_missing), V(nvml_init_failed).
  returned: always
  type: str
  sample: ok
message:
  description: One line with the verdict and the count of issues per severity, or the reason nothing was probed.
  returned: always
  type: str
  sample: "UNHEALTHY: 8 GPU(s), driver 580.95.05; 1 critical, 1 info"
issues:
  description: What is wrong, one entry per finding.
  returned: always
  type: list
  elements: dict
  contains:
    gpu:
      description: NVML index of the GPU, or null for node-level findings.
      type: int
    check:
      description: The check that found it (see O(skip_checks)).
      type: str
      sample: row_remap
    severity:
      description: V(critical), V(warning) or V(info).
      type: str
    message:
      description: What was found, with the figures.
      type: str
      sample: "GPU 3 (00000000:9A:00.0) has a row remap pending"
    advice:
      description: What to do about it.
      type: str
gpu_count:
  description: GPUs NVML sees.
  returned: always
  type: int
  sample: 8
pci_gpu_count:
  description: NVIDIA GPUs on the PCI bus (sysfs); more than RV(gpu_count) means a GPU is not usable.
  returned: always
  type: int
nvswitch_count:
  description: NVSwitches on the PCI bus (sysfs); HGX/DGX 8-GPU baseboards have 4 (Hopper).
  returned: always
  type: int
  sample: 4
driver_version:
  description: NVIDIA driver version.
  returned: when probed
  type: str
  sample: 580.95.05
cuda_driver_version:
  description: Highest CUDA version the driver supports.
  returned: when probed
  type: str
  sample: "13.0"
nvml_version:
  description: NVML library version.
  returned: when probed
  type: str
xid_events:
  description: XID events seen during O(xid_watch_seconds), as C({gpu, xid}).
  returned: when probed
  type: list
  elements: dict
xid_watch_note:
  description: Why the XID watch did not cover every GPU, when it did not.
  returned: when probed
  type: str
dcgm:
  description: DCGM diagnostic outcome (level, tests_run, failures, warnings, error) when O(dcgm_diag_level) is set.
  returned: when probed
  type: dict
probe_seconds:
  description: Wall time of the NVML probe, XID watch included.
  returned: when probed
  type: float
  sample: 0.41
gpus:
  description: Raw figures per GPU; a figure is null when its query is listed in C(not_supported) or C(query_errors).
  returned: always
  type: list
  elements: dict
  contains:
    index: {description: NVML index., type: int}
    name: {description: Product name., type: str, sample: NVIDIA H200}
    uuid: {description: GPU UUID., type: str}
    serial: {description: Board serial number., type: str}
    pci_bus_id: {description: PCI bus id., type: str, sample: "00000000:18:00.0"}
    architecture: {description: GPU architecture., type: str, sample: hopper}
    vbios_version: {description: VBIOS version., type: str}
    memory: {description: "total_mib, used_mib and free_mib.", type: dict}
    utilization: {description: gpu_percent and memory_percent., type: dict}
    temperature: {description: "gpu_c, slowdown_c, shutdown_c and memory_max_c.", type: dict}
    power: {description: draw_w and limit_w., type: dict}
    clocks: {description: "sm_mhz, sm_max_mhz, memory_mhz and memory_max_mhz.", type: dict}
    memory_bus_width_bits: {description: Memory bus width., type: int, sample: 6144}
    memory_bandwidth_gbps:
      description: Peak memory bandwidth derived from bus width and maximum memory clock (GB/s).
      type: float
      sample: 4916.7
    persistence_mode: {description: Persistence mode on., type: bool}
    compute_mode: {description: "default, exclusive_process or prohibited.", type: str}
    mig: {description: "current and pending MIG mode, instances (slot, uuid, memory_total_mib).", type: dict}
    ecc:
      description: enabled, pending_enabled, and volatile/aggregate corrected and uncorrected counts.
      type: dict
    retired_pages:
      description: single_bit_ecc, double_bit_ecc and pending (pre-Ampere GPUs; null on later ones).
      type: dict
    remapped_rows:
      description: correctable, uncorrectable, pending and failure (Ampere and later).
      type: dict
    clock_event_reasons: {description: Active clock-event (throttle) reasons by name., type: list, elements: str}
    clock_event_reasons_mask: {description: The raw NVML bit mask., type: int}
    pcie: {description: "generation, generation_max, width, width_max and replay_counter.", type: dict}
    nvlinks:
      description: Per link, C(link), C(active) and C(errors) (replay, recovery, crc_flit, crc_data).
      type: list
      elements: dict
    processes: {description: "Running compute processes: pid and used_memory_mib.", type: list, elements: dict}
    fabric: {description: "NVLink fabric registration: state, status, clique_id (Hopper and later).", type: dict}
    not_supported: {description: Queries this GPU or driver does not support., type: list, elements: str}
    query_errors: {description: "Queries that failed for another reason, with NVML's code and message.", type: dict}
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    gpu_health:
      description: The whole result (everything above except this fact).
      type: dict
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health import (
    OUTCOME_OK,
    outcome,
    probe,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import CheckInputError
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_options import OPTIONS, PROBE_OPTIONS
from ansible_collections.privateai.deepseek.plugins.module_utils.node_facts import nvidia_pci_devices
from ansible_collections.privateai.deepseek.plugins.module_utils.option_spec import argument_spec, range_errors

try:
    import pynvml
except ImportError:
    # Answered without it where the PCI bus has no NVIDIA GPU; named as missing where it has.
    pynvml = None


def main():
    module = AnsibleModule(argument_spec=argument_spec(OPTIONS), supports_check_mode=True)
    params = module.params
    errors = range_errors(params, OPTIONS)
    if errors:
        module.fail_json(msg="; ".join(errors))
    pci_gpus, pci_nvswitches = nvidia_pci_devices("/")
    dcgmi = module.get_bin_path("dcgmi")
    try:
        result = probe(
            pynvml,
            {name: params[name] for name in PROBE_OPTIONS},
            pci_gpu_count=len(pci_gpus),
            run=lambda argv: module.run_command([dcgmi] + argv[1:]),
            have_dcgmi=dcgmi is not None,
        )
    except CheckInputError as error:
        module.fail_json(msg=str(error))

    # NVSwitch baseboards (HGX/DGX 8-GPU) need nvidia-fabricmanager; NVML shows its effect per GPU (fabric).
    result["nvswitch_count"] = len(pci_nvswitches)
    fact = dict(result)
    result = dict(result, changed=False, ansible_facts={"gpu_health": fact})
    verdict, message = outcome(result, params["require_gpu"], params["fail_on_unhealthy"])
    if verdict != OUTCOME_OK:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

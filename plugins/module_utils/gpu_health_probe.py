# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read every health figure NVML gives for the GPUs of one node.

`probe_node(nvml)` takes the `pynvml` module (or a scripted stand-in with the same
functions, constants and NVMLError) and returns plain dicts: no verdicts here, those
live in gpu_health_checks. A query the GPU or driver does not support is listed under
`not_supported` and its figure is None; any other NVML error on a query is kept under
`query_errors`. Neither stops the probe: one missing counter must not hide the rest.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import ctypes
import time

MIB = 1024 * 1024
NOT_SUPPORTED_TEXT = "not supported on this GPU"

# NVML return codes (nvml.h); the scripted NVML in the unit tests uses the same values.
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_TIMEOUT = 10
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_INVALID_ARGUMENT = 2

_UNSUPPORTED_CODES = (NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_FUNCTION_NOT_FOUND)

ARCHITECTURES = {
    2: "kepler",
    3: "maxwell",
    4: "pascal",
    5: "volta",
    6: "turing",
    7: "ampere",
    8: "ada",
    9: "hopper",
    10: "blackwell",
    13: "rubin",
}

COMPUTE_MODES = {0: "default", 1: "exclusive_thread", 2: "prohibited", 3: "exclusive_process"}

# nvmlClocksEventReason* bits, named as nvidia-smi -q names them (snake case).
CLOCK_EVENT_REASONS = (
    (0x001, "gpu_idle"),
    (0x002, "applications_clocks_setting"),
    (0x004, "sw_power_cap"),
    (0x008, "hw_slowdown"),
    (0x010, "sync_boost"),
    (0x020, "sw_thermal_slowdown"),
    (0x040, "hw_thermal_slowdown"),
    (0x080, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
)

NVLINK_ERROR_COUNTERS = (("replay", 0), ("recovery", 1), ("crc_flit", 2), ("crc_data", 3))
NVLINK_MAX_LINKS = 18  # NVLink 4 (Hopper) has 18 links per GPU; NVML stops earlier on others.

FABRIC_STATES = {0: "not_supported", 1: "not_started", 2: "in_progress", 3: "completed"}

XID_EVENT_TYPE = 0x0000000000000008  # nvmlEventTypeXidCriticalError


class ProbeError(Exception):
    """NVML cannot be used at all on this node; `reason` is one of the NO_PROBE reasons."""

    def __init__(self, reason, message):
        super(ProbeError, self).__init__(message)
        self.reason = reason


def decode_clock_event_reasons(mask):
    """Names of the set bits of a clock-event (throttle) reason mask, in bit order."""
    return [name for bit, name in CLOCK_EVENT_REASONS if mask & bit]


def cuda_version_text(number):
    """NVML's CUDA driver version integer (12080) as text ('12.8')."""
    if number is None:
        return None
    return "%d.%d" % (number // 1000, (number % 1000) // 10)


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class _Reader(object):
    """Calls NVML functions, turning 'not supported' and other errors into records."""

    def __init__(self, nvml):
        self.nvml = nvml

    def call(self, record, field, function_name, *args):
        function = getattr(self.nvml, function_name, None)
        if function is None:  # an older nvidia-ml-py without this binding
            record["not_supported"].append(field)
            return None
        try:
            return function(*args)
        except self.nvml.NVMLError as error:
            code = getattr(error, "value", None)
            if code in _UNSUPPORTED_CODES:
                if field not in record["not_supported"]:
                    record["not_supported"].append(field)
            else:
                record["query_errors"][field] = {"code": code, "message": str(error)}
            return None
        except Exception as error:  # pynvml's NVMLLibraryMismatchError is not an NVMLError
            record["query_errors"][field] = {"code": None, "message": "%s: %s" % (type(error).__name__, error)}
            return None


def _memory(reader, record, handle):
    info = reader.call(record, "memory", "nvmlDeviceGetMemoryInfo", handle)
    if info is None:
        return None
    return {
        "total_mib": int(info.total) // MIB,
        "used_mib": int(info.used) // MIB,
        "free_mib": int(info.free) // MIB,
    }


def _utilization(reader, record, handle):
    rates = reader.call(record, "utilization", "nvmlDeviceGetUtilizationRates", handle)
    if rates is None:
        return None
    return {"gpu_percent": int(rates.gpu), "memory_percent": int(rates.memory)}


def _temperature(reader, record, handle):
    nvml = reader.nvml
    return {
        "gpu_c": reader.call(record, "temperature", "nvmlDeviceGetTemperature", handle, 0),
        "slowdown_c": reader.call(record, "temperature_slowdown", "nvmlDeviceGetTemperatureThreshold", handle, 1),
        "shutdown_c": reader.call(record, "temperature_shutdown", "nvmlDeviceGetTemperatureThreshold", handle, 0),
        "memory_max_c": reader.call(
            record,
            "temperature_memory_max",
            "nvmlDeviceGetTemperatureThreshold",
            handle,
            getattr(nvml, "NVML_TEMPERATURE_THRESHOLD_MEM_MAX", 2),
        ),
    }


def _milliwatts_to_watts(value):
    return None if value is None else round(value / 1000.0, 1)


def _power(reader, record, handle):
    return {
        "draw_w": _milliwatts_to_watts(reader.call(record, "power_draw", "nvmlDeviceGetPowerUsage", handle)),
        "limit_w": _milliwatts_to_watts(reader.call(record, "power_limit", "nvmlDeviceGetEnforcedPowerLimit", handle)),
    }


def _clocks(reader, record, handle):
    sm, mem = 1, 2  # NVML_CLOCK_SM, NVML_CLOCK_MEM
    return {
        "sm_mhz": reader.call(record, "clocks", "nvmlDeviceGetClockInfo", handle, sm),
        "sm_max_mhz": reader.call(record, "clocks_max", "nvmlDeviceGetMaxClockInfo", handle, sm),
        "memory_mhz": reader.call(record, "clocks", "nvmlDeviceGetClockInfo", handle, mem),
        "memory_max_mhz": reader.call(record, "clocks_max", "nvmlDeviceGetMaxClockInfo", handle, mem),
    }


def peak_memory_bandwidth_gbps(bus_width_bits, memory_max_mhz):
    """Peak memory bandwidth from the bus width and the maximum memory clock.

    HBM and GDDR move two transfers per clock as NVML reports it (H100 SXM: 5120 bits x
    2619 MHz x 2 / 8 = 3352 GB/s, the datasheet's 3.35 TB/s).
    """
    if not bus_width_bits or not memory_max_mhz:
        return None
    return round(bus_width_bits * memory_max_mhz * 2 / 8 / 1000.0, 1)


def _mig(reader, record, handle):
    modes = reader.call(record, "mig", "nvmlDeviceGetMigMode", handle)
    if modes is None:
        return None
    current, pending = int(modes[0]), int(modes[1])
    instances = []
    if current == 1:
        count = reader.call(record, "mig_instances", "nvmlDeviceGetMaxMigDeviceCount", handle) or 0
        for slot in range(count):
            try:
                mig_handle = reader.nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)
            except reader.nvml.NVMLError:
                continue  # empty slot: NVML answers NOT_FOUND for unused instance slots
            memory = _memory(reader, record, mig_handle)
            instances.append(
                {
                    "slot": slot,
                    "uuid": _text(reader.call(record, "mig_instances", "nvmlDeviceGetUUID", mig_handle)),
                    "memory_total_mib": memory["total_mib"] if memory else None,
                }
            )
    return {"current": current == 1, "pending": pending == 1, "instances": instances}


def _ecc(reader, record, handle):
    modes = reader.call(record, "ecc_mode", "nvmlDeviceGetEccMode", handle)
    counts = {}
    for counter_name, counter_type in (("volatile", 0), ("aggregate", 1)):
        counts[counter_name] = {
            "corrected": reader.call(record, "ecc_errors", "nvmlDeviceGetTotalEccErrors", handle, 0, counter_type),
            "uncorrected": reader.call(record, "ecc_errors", "nvmlDeviceGetTotalEccErrors", handle, 1, counter_type),
        }
    return {
        "enabled": None if modes is None else int(modes[0]) == 1,
        "pending_enabled": None if modes is None else int(modes[1]) == 1,
        "volatile": counts["volatile"],
        "aggregate": counts["aggregate"],
    }


def _retired_pages(reader, record, handle):
    """Page retirement: the pre-Ampere mechanism (Ampere and later remap rows instead)."""
    single = reader.call(record, "retired_pages", "nvmlDeviceGetRetiredPages", handle, 0)
    double = reader.call(record, "retired_pages", "nvmlDeviceGetRetiredPages", handle, 1)
    pending = reader.call(record, "retired_pages", "nvmlDeviceGetRetiredPagesPendingStatus", handle)
    if single is None and double is None and pending is None:
        return None
    return {
        "single_bit_ecc": None if single is None else len(single),
        "double_bit_ecc": None if double is None else len(double),
        "pending": None if pending is None else int(pending) == 1,
    }


def _remapped_rows(reader, record, handle):
    rows = reader.call(record, "remapped_rows", "nvmlDeviceGetRemappedRows", handle)
    if rows is None:
        return None
    correctable, uncorrectable, pending, failure = (int(value) for value in rows)
    return {
        "correctable": correctable,
        "uncorrectable": uncorrectable,
        "pending": pending != 0,
        "failure": failure != 0,
    }


def _clock_events(reader, record, handle):
    mask = reader.call(record, "clock_event_reasons", "nvmlDeviceGetCurrentClocksEventReasons", handle)
    if mask is None and "clock_event_reasons" in record["not_supported"]:
        # Drivers before r535 only have the older name of the same call.
        record["not_supported"].remove("clock_event_reasons")
        mask = reader.call(record, "clock_event_reasons", "nvmlDeviceGetCurrentClocksThrottleReasons", handle)
    if mask is None:
        return None, None
    return int(mask), decode_clock_event_reasons(int(mask))


def _pcie(reader, record, handle):
    return {
        "generation": reader.call(record, "pcie", "nvmlDeviceGetCurrPcieLinkGeneration", handle),
        "generation_max": reader.call(record, "pcie", "nvmlDeviceGetMaxPcieLinkGeneration", handle),
        "width": reader.call(record, "pcie", "nvmlDeviceGetCurrPcieLinkWidth", handle),
        "width_max": reader.call(record, "pcie", "nvmlDeviceGetMaxPcieLinkWidth", handle),
        "replay_counter": reader.call(record, "pcie_replay", "nvmlDeviceGetPcieReplayCounter", handle),
    }


def _nvlinks(reader, record, handle):
    """Per-link state and DL error counters; stops at the first link NVML rejects."""
    nvml = reader.nvml
    links = []
    for link in range(NVLINK_MAX_LINKS):
        try:
            state = nvml.nvmlDeviceGetNvLinkState(handle, link)
        except nvml.NVMLError as error:
            if getattr(error, "value", None) not in (NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_INVALID_ARGUMENT):
                record["query_errors"]["nvlink"] = {"code": error.value, "message": str(error)}
            break
        errors = {}
        for name, counter in NVLINK_ERROR_COUNTERS:
            errors[name] = reader.call(
                record, "nvlink_errors", "nvmlDeviceGetNvLinkErrorCounter", handle, link, counter
            )
        links.append({"link": link, "active": int(state) == 1, "errors": errors})
    if not links and "nvlink" not in record["query_errors"]:
        record["not_supported"].append("nvlink")
    return links


def _processes(reader, record, handle):
    running = reader.call(record, "processes", "nvmlDeviceGetComputeRunningProcesses", handle)
    if running is None:
        return None
    processes = []
    for process in running:
        used = getattr(process, "usedGpuMemory", None)
        processes.append(
            {
                "pid": int(process.pid),
                # NVML reports no figure (None) for processes in other containers.
                "used_memory_mib": None if used is None else int(used) // MIB,
            }
        )
    return processes


def _fabric(reader, record, handle):
    """NVLink fabric registration (Hopper and later, set up by nvidia-fabricmanager)."""
    nvml = reader.nvml
    structure = getattr(nvml, "c_nvmlGpuFabricInfo_t", None)
    if structure is None:
        record["not_supported"].append("fabric")
        return None
    info = structure()
    if reader.call(record, "fabric", "nvmlDeviceGetGpuFabricInfo", handle, ctypes.byref(info)) is None:
        return None
    state = FABRIC_STATES.get(int(info.state), "unknown")
    if state == "not_supported":
        record["not_supported"].append("fabric")
    return {
        "state": state,
        "status": _fabric_status_text(nvml, int(info.status)),
        "clique_id": int(info.cliqueId),
    }


def _fabric_status_text(nvml, code):
    if code == 0:
        return "success"
    try:
        return str(nvml.NVMLError(code))
    except Exception:  # unknown codes still have to be reported, not raised
        return "NVML error %d" % code


def probe_gpu(nvml, index):
    """All figures of the GPU at NVML index `index`."""
    record = {"index": index, "not_supported": [], "query_errors": {}}
    reader = _Reader(nvml)
    handle = reader.call(record, "handle", "nvmlDeviceGetHandleByIndex", index)
    if handle is None:
        return record, None
    architecture = reader.call(record, "architecture", "nvmlDeviceGetArchitecture", handle)
    pci = reader.call(record, "pci", "nvmlDeviceGetPciInfo", handle)
    mask, reasons = _clock_events(reader, record, handle)
    clocks = _clocks(reader, record, handle)
    bus_width = reader.call(record, "memory_bus_width", "nvmlDeviceGetMemoryBusWidth", handle)
    record.update(
        {
            "name": _text(reader.call(record, "name", "nvmlDeviceGetName", handle)),
            "uuid": _text(reader.call(record, "uuid", "nvmlDeviceGetUUID", handle)),
            "serial": _text(reader.call(record, "serial", "nvmlDeviceGetSerial", handle)),
            "pci_bus_id": None if pci is None else _text(pci.busId),
            "architecture": ARCHITECTURES.get(architecture, None if architecture is None else str(architecture)),
            "vbios_version": _text(reader.call(record, "vbios_version", "nvmlDeviceGetVbiosVersion", handle)),
            "memory": _memory(reader, record, handle),
            "utilization": _utilization(reader, record, handle),
            "temperature": _temperature(reader, record, handle),
            "power": _power(reader, record, handle),
            "clocks": clocks,
            "memory_bus_width_bits": bus_width,
            "memory_bandwidth_gbps": peak_memory_bandwidth_gbps(bus_width, clocks["memory_max_mhz"]),
            "persistence_mode": _enabled(
                reader.call(record, "persistence_mode", "nvmlDeviceGetPersistenceMode", handle)
            ),
            "compute_mode": COMPUTE_MODES.get(reader.call(record, "compute_mode", "nvmlDeviceGetComputeMode", handle)),
            "mig": _mig(reader, record, handle),
            "ecc": _ecc(reader, record, handle),
            "retired_pages": _retired_pages(reader, record, handle),
            "remapped_rows": _remapped_rows(reader, record, handle),
            "clock_event_reasons": reasons,
            "clock_event_reasons_mask": mask,
            "pcie": _pcie(reader, record, handle),
            "nvlinks": _nvlinks(reader, record, handle),
            "processes": _processes(reader, record, handle),
            "fabric": _fabric(reader, record, handle),
        }
    )
    return record, handle


def _enabled(value):
    return None if value is None else int(value) == 1


def watch_xid_events(nvml, handles, seconds, clock=time.monotonic):
    """XID events NVML delivers during `seconds`, as [{'gpu', 'xid'}], plus a note.

    Only events that happen inside the window are seen: NVML has no history. The kernel
    log keeps older ones (`journalctl -k | grep Xid`).
    """
    index_of = {}
    event_set = nvml.nvmlEventSetCreate()
    events, note = [], None
    try:
        for index, handle in handles:
            try:
                nvml.nvmlDeviceRegisterEvents(handle, XID_EVENT_TYPE, event_set)
                index_of[index] = handle
            except nvml.NVMLError as error:
                note = "XID events cannot be watched on GPU %d: %s" % (index, error)
        deadline = clock() + seconds
        while index_of:
            remaining_ms = int((deadline - clock()) * 1000)
            if remaining_ms <= 0:
                break
            try:
                data = nvml.nvmlEventSetWait(event_set, remaining_ms)
            except nvml.NVMLError as error:
                if getattr(error, "value", None) != NVML_ERROR_TIMEOUT:
                    note = "XID watch stopped early: %s" % error
                break
            if int(data.eventType) & XID_EVENT_TYPE:
                events.append({"gpu": _event_gpu_index(nvml, data.device), "xid": int(data.eventData)})
    finally:
        nvml.nvmlEventSetFree(event_set)
    return events, note


def _event_gpu_index(nvml, device):
    try:
        return int(nvml.nvmlDeviceGetIndex(device))
    except nvml.NVMLError:
        return None


def _init(nvml):
    """nvmlInit, with the three ways it can fail on a node said plainly."""
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as error:
        code = getattr(error, "value", None)
        if code == NVML_ERROR_LIBRARY_NOT_FOUND:
            raise ProbeError(
                "nvml_library_not_found",
                "NVML library not found (libnvidia-ml.so.1): the NVIDIA driver's user-space "
                "libraries are not installed; install the driver (privateai.deepseek.nvidia_driver)",
            )
        if code == NVML_ERROR_DRIVER_NOT_LOADED:
            raise ProbeError(
                "driver_not_loaded",
                "NVIDIA driver not loaded: the kernel module is missing or failed to load "
                "(check `lsmod | grep nvidia` and `dmesg | grep -i nvrm`; a reboot may be pending)",
            )
        raise ProbeError("nvml_init_failed", "NVML could not be initialised: %s" % error)


def probe_node(nvml, xid_watch_seconds=0, clock=time.monotonic):
    """Every GPU of the node plus node figures. Raises ProbeError when NVML is unusable."""
    started = clock()
    _init(nvml)
    try:
        node = {"not_supported": [], "query_errors": {}}
        reader = _Reader(nvml)
        count = reader.call(node, "gpu_count", "nvmlDeviceGetCount") or 0
        cuda = reader.call(node, "cuda_driver_version", "nvmlSystemGetCudaDriverVersion")
        node.update(
            {
                "driver_version": _text(reader.call(node, "driver_version", "nvmlSystemGetDriverVersion")),
                "nvml_version": _text(reader.call(node, "nvml_version", "nvmlSystemGetNVMLVersion")),
                "cuda_driver_version": cuda_version_text(cuda),
                "gpu_count": count,
            }
        )
        gpus, handles = [], []
        for index in range(count):
            record, handle = probe_gpu(nvml, index)
            gpus.append(record)
            if handle is not None:
                handles.append((index, handle))
        node["gpus"] = gpus
        node["xid_watch_seconds"] = xid_watch_seconds
        node["xid_events"], node["xid_watch_note"] = [], None
        if xid_watch_seconds and handles:
            node["xid_events"], node["xid_watch_note"] = watch_xid_events(nvml, handles, xid_watch_seconds, clock)
        node["probe_seconds"] = round(clock() - started, 3)
        return node
    finally:
        # A failed shutdown cannot change the figures already read.
        with contextlib.suppress(nvml.NVMLError):
            nvml.nvmlShutdown()

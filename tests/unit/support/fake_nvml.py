"""A scripted NVML: the pynvml functions gpu_health calls, answering from plain data.

It raises the real `pynvml.NVMLError` classes (so the code under test catches what it
would catch on a GPU node) and fills the real ctypes fabric structure. A GPU is a dict
of figures; a figure set to `Fail(code)` makes its query raise that NVML error, which
is how "not supported on this GPU", "GPU is lost" and similar are played.
"""

import copy
from types import SimpleNamespace

import pynvml

NOT_SUPPORTED = pynvml.NVML_ERROR_NOT_SUPPORTED
GPU_IS_LOST = pynvml.NVML_ERROR_GPU_IS_LOST

# HGX H200 bus ids, in NVML (PCI) order.
HGX_BUS_IDS = [
    "00000000:18:00.0",
    "00000000:2A:00.0",
    "00000000:3A:00.0",
    "00000000:5D:00.0",
    "00000000:9A:00.0",
    "00000000:AB:00.0",
    "00000000:BA:00.0",
    "00000000:DB:00.0",
]


class Fail(object):
    """A figure whose query raises NVMLError(code)."""

    def __init__(self, code):
        self.code = code


def h200(index):
    """One healthy, idle H200 SXM in an HGX baseboard, as NVML reports it."""
    return {
        "name": "NVIDIA H200",
        "uuid": "GPU-5e3b7f2a-0c1d-4e5f-8a9b-%012d" % index,
        "serial": "165392400%04d" % index,
        "bus_id": HGX_BUS_IDS[index].encode(),  # ctypes gives bytes for busId
        "architecture": pynvml.NVML_DEVICE_ARCH_HOPPER,
        "vbios": "96.00.AF.00.01",
        "memory": (143771 * 2**20, 512 * 2**20),  # total, used (bytes)
        "utilization": (0, 0),
        "temperature": 31,
        "thresholds": {0: 92, 1: 89, 2: 95},  # shutdown, slowdown, memory max
        "power_mw": 71500,
        "power_limit_mw": 700000,
        "clocks": {1: 345, 2: 3201},
        "max_clocks": {1: 1980, 2: 3201},
        "bus_width": 6144,
        "persistence": 1,
        "compute_mode": 0,
        "mig": (0, 0),
        "ecc_mode": (1, 1),
        "ecc": {(0, 0): 0, (1, 0): 0, (0, 1): 3, (1, 1): 0},  # (error type, counter type): count
        "retired_pages": Fail(NOT_SUPPORTED),  # Hopper remaps rows instead
        "retired_pending": Fail(NOT_SUPPORTED),
        "remapped_rows": (0, 0, 0, 0),
        "clock_events": pynvml.nvmlClocksEventReasonGpuIdle,
        "pcie": {"gen": 5, "gen_max": 5, "width": 16, "width_max": 16, "replay": 0},
        "nvlinks": [1] * 18,
        "nvlink_errors": 0,
        "processes": [],
        "fabric": (pynvml.NVML_GPU_FABRIC_STATE_COMPLETED, 0, 1),  # state, status, clique id
    }


def l40s(index):
    """A PCIe L40S: no NVLink, no fabric, no row-remap figures, no MIG."""
    gpu = h200(index)
    gpu.update(
        {
            "name": "NVIDIA L40S",
            "architecture": pynvml.NVML_DEVICE_ARCH_ADA,
            "memory": (46068 * 2**20, 1 * 2**20),
            "nvlinks": Fail(NOT_SUPPORTED),
            "fabric": Fail(NOT_SUPPORTED),
            "mig": Fail(NOT_SUPPORTED),
            "remapped_rows": Fail(NOT_SUPPORTED),
            "pcie": {"gen": 4, "gen_max": 4, "width": 16, "width_max": 16, "replay": Fail(NOT_SUPPORTED)},
            "serial": Fail(NOT_SUPPORTED),
        }
    )
    return gpu


def v100(index):
    """A Volta V100: retires pages (pre-Ampere), no row remapping, no fabric."""
    gpu = h200(index)
    gpu.update(
        {
            "name": "Tesla V100-SXM2-32GB",
            "architecture": pynvml.NVML_DEVICE_ARCH_VOLTA,
            "retired_pages": {0: [], 1: []},
            "retired_pending": 0,
            "remapped_rows": Fail(NOT_SUPPORTED),
            "fabric": Fail(NOT_SUPPORTED),
            "nvlinks": [1] * 6,
        }
    )
    return gpu


class FakeNvml(object):
    """Module-like object: `FakeNvml(gpus).nvmlDeviceGetName(handle)` and so on."""

    NVMLError = pynvml.NVMLError
    c_nvmlGpuFabricInfo_t = pynvml.c_nvmlGpuFabricInfo_t
    NVML_TEMPERATURE_THRESHOLD_MEM_MAX = pynvml.NVML_TEMPERATURE_THRESHOLD_MEM_MAX

    def __init__(self, gpus, driver="580.95.05", cuda=13000, init_error=None, xid_events=(), event_error=None):
        self.gpus = [copy.deepcopy(gpu) for gpu in gpus]
        for index, gpu in enumerate(self.gpus):
            gpu["index"] = index
        self.driver = driver
        self.cuda = cuda
        self.init_error = init_error
        self.xid_events = list(xid_events)  # [(gpu index, xid)]
        self.event_error = event_error
        self.calls = []
        self.initialised = 0

    # --- plumbing --------------------------------------------------------------------
    def _get(self, handle, key):
        value = handle[key]
        if isinstance(value, Fail):
            raise pynvml.NVMLError(value.code)
        return value

    def _nested(self, handle, key, sub):
        value = self._get(handle, key)[sub]
        if isinstance(value, Fail):
            raise pynvml.NVMLError(value.code)
        return value

    # --- library ---------------------------------------------------------------------
    def nvmlInit(self):
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.initialised += 1

    def nvmlShutdown(self):
        self.initialised -= 1

    def nvmlSystemGetDriverVersion(self):
        return self.driver

    def nvmlSystemGetNVMLVersion(self):
        return "13." + self.driver

    def nvmlSystemGetCudaDriverVersion(self):
        return self.cuda

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):
        handle = self.gpus[index]
        if handle.get("lost"):
            raise pynvml.NVMLError(GPU_IS_LOST)
        return handle

    def nvmlDeviceGetIndex(self, handle):
        return handle["index"]

    # --- identity --------------------------------------------------------------------
    def nvmlDeviceGetName(self, handle):
        return self._get(handle, "name")

    def nvmlDeviceGetUUID(self, handle):
        return self._get(handle, "uuid")

    def nvmlDeviceGetSerial(self, handle):
        return self._get(handle, "serial")

    def nvmlDeviceGetPciInfo(self, handle):
        return SimpleNamespace(busId=self._get(handle, "bus_id"))

    def nvmlDeviceGetArchitecture(self, handle):
        return self._get(handle, "architecture")

    def nvmlDeviceGetVbiosVersion(self, handle):
        return self._get(handle, "vbios")

    # --- load, heat, power, clocks ---------------------------------------------------
    def nvmlDeviceGetMemoryInfo(self, handle):
        total, used = self._get(handle, "memory")
        return SimpleNamespace(total=total, used=used, free=total - used)

    def nvmlDeviceGetUtilizationRates(self, handle):
        gpu, memory = self._get(handle, "utilization")
        return SimpleNamespace(gpu=gpu, memory=memory)

    def nvmlDeviceGetTemperature(self, handle, sensor):
        assert sensor == pynvml.NVML_TEMPERATURE_GPU
        return self._get(handle, "temperature")

    def nvmlDeviceGetTemperatureThreshold(self, handle, threshold):
        return self._nested(handle, "thresholds", threshold)

    def nvmlDeviceGetPowerUsage(self, handle):
        return self._get(handle, "power_mw")

    def nvmlDeviceGetEnforcedPowerLimit(self, handle):
        return self._get(handle, "power_limit_mw")

    def nvmlDeviceGetClockInfo(self, handle, clock):
        return self._nested(handle, "clocks", clock)

    def nvmlDeviceGetMaxClockInfo(self, handle, clock):
        return self._nested(handle, "max_clocks", clock)

    def nvmlDeviceGetMemoryBusWidth(self, handle):
        return self._get(handle, "bus_width")

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle):
        return self._get(handle, "clock_events")

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle):
        return self._get(handle, "clock_events_legacy")

    # --- modes -----------------------------------------------------------------------
    def nvmlDeviceGetPersistenceMode(self, handle):
        return self._get(handle, "persistence")

    def nvmlDeviceGetComputeMode(self, handle):
        return self._get(handle, "compute_mode")

    def nvmlDeviceGetMigMode(self, handle):
        return list(self._get(handle, "mig"))

    def nvmlDeviceGetMaxMigDeviceCount(self, handle):
        return len(handle.get("mig_instances", []))

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle, slot):
        instance = handle["mig_instances"][slot]
        if instance is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)
        return instance

    def nvmlDeviceGetEccMode(self, handle):
        return list(self._get(handle, "ecc_mode"))

    # --- memory errors ---------------------------------------------------------------
    def nvmlDeviceGetTotalEccErrors(self, handle, error_type, counter_type):
        return self._nested(handle, "ecc", (error_type, counter_type))

    def nvmlDeviceGetRetiredPages(self, handle, cause):
        return self._nested(handle, "retired_pages", cause)

    def nvmlDeviceGetRetiredPagesPendingStatus(self, handle):
        return self._get(handle, "retired_pending")

    def nvmlDeviceGetRemappedRows(self, handle):
        return tuple(self._get(handle, "remapped_rows"))

    # --- interconnects ---------------------------------------------------------------
    def nvmlDeviceGetCurrPcieLinkGeneration(self, handle):
        return self._nested(handle, "pcie", "gen")

    def nvmlDeviceGetMaxPcieLinkGeneration(self, handle):
        return self._nested(handle, "pcie", "gen_max")

    def nvmlDeviceGetCurrPcieLinkWidth(self, handle):
        return self._nested(handle, "pcie", "width")

    def nvmlDeviceGetMaxPcieLinkWidth(self, handle):
        return self._nested(handle, "pcie", "width_max")

    def nvmlDeviceGetPcieReplayCounter(self, handle):
        return self._nested(handle, "pcie", "replay")

    def nvmlDeviceGetNvLinkState(self, handle, link):
        links = self._get(handle, "nvlinks")
        if link >= len(links):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return links[link]

    def nvmlDeviceGetNvLinkErrorCounter(self, handle, link, counter):
        errors = self._get(handle, "nvlink_errors")
        return errors.get((link, counter), 0) if isinstance(errors, dict) else errors

    def nvmlDeviceGetGpuFabricInfo(self, handle, reference):
        state, status, clique = self._get(handle, "fabric")
        info = reference._obj if hasattr(reference, "_obj") else reference
        assert isinstance(info, pynvml.c_nvmlGpuFabricInfo_t)
        info.state, info.status, info.cliqueId = state, status, clique
        return pynvml.NVML_SUCCESS

    # --- processes -------------------------------------------------------------------
    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        return [SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in self._get(handle, "processes")]

    # --- events ----------------------------------------------------------------------
    def nvmlEventSetCreate(self):
        return {"registered": []}

    def nvmlDeviceRegisterEvents(self, handle, event_types, event_set):
        if handle.get("events") == "unsupported":
            raise pynvml.NVMLError(NOT_SUPPORTED)
        assert event_types == pynvml.nvmlEventTypeXidCriticalError
        event_set["registered"].append(handle["index"])

    def nvmlEventSetWait(self, event_set, timeout_ms):
        self.calls.append(("wait", timeout_ms))
        if self.event_error is not None:
            raise pynvml.NVMLError(self.event_error)
        while self.xid_events:
            index, xid = self.xid_events.pop(0)
            if index in event_set["registered"]:
                return SimpleNamespace(
                    device=self.gpus[index], eventType=pynvml.nvmlEventTypeXidCriticalError, eventData=xid
                )
        raise pynvml.NVMLError(pynvml.NVML_ERROR_TIMEOUT)

    def nvmlEventSetFree(self, event_set):
        event_set["freed"] = True


def hgx_h200(changes=None, count=8):
    """An HGX H200 node; `changes` maps GPU index -> dict of figures to override."""
    gpus = [h200(index) for index in range(count)]
    for index, figures in (changes or {}).items():
        gpus[index].update(figures)
    return gpus

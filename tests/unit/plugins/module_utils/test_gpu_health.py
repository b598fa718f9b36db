"""gpu_health over a scripted NVML: figures read, each check both ways, verdicts."""

import json

import pynvml
import pytest
from ansible.module_utils.testing import patch_module_args
from fake_nvml import GPU_IS_LOST, NOT_SUPPORTED, Fail, FakeNvml, h200, hgx_h200, l40s, v100

from ansible_collections.privateai.deepseek.cli import gpu_health as gpu_health_cli
from ansible_collections.privateai.deepseek.plugins.module_utils import gpu_health
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_checks import (
    CHECK_NAMES,
    XID_CATALOG,
    CheckInputError,
)
from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health_probe import (
    cuda_version_text,
    decode_clock_event_reasons,
    peak_memory_bandwidth_gbps,
)

UNDER_LOAD = {"utilization": (97, 60), "clock_events": pynvml.nvmlClocksEventReasonSwPowerCap}


def check(gpus, options=None, **nvml_kwargs):
    nvml = FakeNvml(gpus, **nvml_kwargs)
    result = gpu_health.check_node(nvml, options or {}, pci_gpu_count=len(gpus))
    assert nvml.initialised == 0, "every nvmlInit must be matched by nvmlShutdown"
    return result


def issues_of(result, check_name=None):
    return [
        (issue["gpu"], issue["check"], issue["severity"])
        for issue in result["issues"]
        if check_name is None or issue["check"] == check_name
    ]


# --- the healthy reference node -----------------------------------------------------


def test_healthy_hgx_h200_reads_every_figure():
    result = check(hgx_h200())
    assert result["probe_status"] == "ok"
    assert result["healthy"] is True
    assert result["issues"] == []
    assert result["message"] == "healthy: 8 GPU(s), driver 580.95.05"
    assert result["gpu_count"] == 8
    assert result["cuda_driver_version"] == "13.0"
    gpu = result["gpus"][3]
    assert gpu["index"] == 3
    assert gpu["name"] == "NVIDIA H200"
    assert gpu["pci_bus_id"] == "00000000:5D:00.0"
    assert gpu["architecture"] == "hopper"
    assert gpu["memory"] == {"total_mib": 143771, "used_mib": 512, "free_mib": 143259}
    assert gpu["temperature"] == {"gpu_c": 31, "slowdown_c": 89, "shutdown_c": 92, "memory_max_c": 95}
    assert gpu["power"] == {"draw_w": 71.5, "limit_w": 700.0}
    assert gpu["clocks"] == {"sm_mhz": 345, "sm_max_mhz": 1980, "memory_mhz": 3201, "memory_max_mhz": 3201}
    assert gpu["memory_bus_width_bits"] == 6144
    assert gpu["memory_bandwidth_gbps"] == 4916.7  # H200 datasheet: 4.8 TB/s
    assert gpu["persistence_mode"] is True
    assert gpu["compute_mode"] == "default"
    assert gpu["mig"] == {"current": False, "pending": False, "instances": []}
    assert gpu["ecc"] == {
        "enabled": True,
        "pending_enabled": True,
        "volatile": {"corrected": 0, "uncorrected": 0},
        "aggregate": {"corrected": 3, "uncorrected": 0},
    }
    assert gpu["remapped_rows"] == {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False}
    assert gpu["retired_pages"] is None
    assert gpu["not_supported"] == ["retired_pages"]
    assert gpu["clock_event_reasons"] == ["gpu_idle"]
    assert gpu["pcie"] == {"generation": 5, "generation_max": 5, "width": 16, "width_max": 16, "replay_counter": 0}
    assert len(gpu["nvlinks"]) == 18
    assert all(link["active"] for link in gpu["nvlinks"])
    assert gpu["nvlinks"][0]["errors"] == {"replay": 0, "recovery": 0, "crc_flit": 0, "crc_data": 0}
    assert gpu["fabric"] == {"state": "completed", "status": "success", "clique_id": 1}
    assert gpu["processes"] == []
    assert gpu["query_errors"] == {}
    json.dumps(result)  # everything must be plain data for Ansible


def test_running_processes_and_their_memory():
    result = check(hgx_h200({0: {"processes": [(4242, 130 * 2**30), (4343, None)]}}))
    assert result["gpus"][0]["processes"] == [
        {"pid": 4242, "used_memory_mib": 133120},
        {"pid": 4343, "used_memory_mib": None},
    ]


def test_mig_instances_are_listed():
    instance = {"uuid": "MIG-1234", "memory": (16 * 2**30, 0)}
    result = check(hgx_h200({0: {"mig": (1, 1), "mig_instances": [instance, None]}}))
    assert result["gpus"][0]["mig"] == {
        "current": True,
        "pending": True,
        "instances": [{"slot": 0, "uuid": "MIG-1234", "memory_total_mib": 16384}],
    }
    assert issues_of(result, "mig") == []


# --- each check: the healthy node above is the 'passes' side; here it fails ---------


def test_pending_row_remap_needs_a_reset():
    result = check(hgx_h200({3: {"remapped_rows": (0, 1, 1, 0)}}))
    assert result["healthy"] is False
    assert issues_of(result) == [(3, "row_remap", "critical")]
    issue = result["issues"][0]
    assert issue["message"] == "GPU 3 (00000000:5D:00.0) has a row remap pending"
    assert "Reset the GPU" in issue["advice"]


def test_row_remap_failure_means_rma():
    result = check(hgx_h200({6: {"remapped_rows": (4, 9, 0, 1)}}))
    assert issues_of(result) == [(6, "row_remap", "critical")]
    assert "RMA" in result["issues"][0]["advice"]


def test_uncorrected_ecc_is_critical():
    result = check(hgx_h200({5: {"ecc": {(0, 0): 12, (1, 0): 2, (0, 1): 40, (1, 1): 2}}}))
    assert result["healthy"] is False
    assert issues_of(result) == [(5, "ecc_uncorrected", "critical")]
    assert "2 uncorrected ECC error(s)" in result["issues"][0]["message"]


def test_uncorrected_ecc_threshold_can_be_raised():
    result = check(hgx_h200({5: {"ecc": {(0, 0): 0, (1, 0): 2, (0, 1): 0, (1, 1): 2}}}), {"max_uncorrected_ecc": 2})
    assert result["healthy"] is True


def test_ecc_disabled_and_pending_change():
    result = check(hgx_h200({1: {"ecc_mode": (0, 1)}}))
    assert issues_of(result) == [(1, "ecc_mode", "warning"), (1, "ecc_mode", "info")]


def test_degraded_pcie_link_under_load_is_a_warning():
    result = check(
        hgx_h200({2: dict(UNDER_LOAD, pcie={"gen": 5, "gen_max": 5, "width": 8, "width_max": 16, "replay": 4})})
    )
    assert result["healthy"] is False
    assert issues_of(result) == [(2, "pcie_link", "warning")]
    assert "degraded under load: Gen5 x8 (max Gen5 x16)" in result["issues"][0]["message"]


def test_slow_pcie_link_on_an_idle_gpu_is_only_noted():
    result = check(hgx_h200({2: {"pcie": {"gen": 1, "gen_max": 5, "width": 16, "width_max": 16, "replay": 0}}}))
    assert result["healthy"] is True
    assert issues_of(result) == [(2, "pcie_link", "info")]
    assert "while the GPU is idle" in result["issues"][0]["message"]
    assert "downshift when idle" in result["issues"][0]["advice"]


def test_pcie_load_threshold_decides_what_is_load():
    gpus = hgx_h200(
        {
            2: {
                "utilization": (30, 5),
                "clock_events": 0,
                "pcie": {"gen": 3, "gen_max": 5, "width": 16, "width_max": 16, "replay": 0},
            }
        }
    )
    assert issues_of(check(gpus), "pcie_link") == [(2, "pcie_link", "warning")]
    assert issues_of(check(gpus, {"pcie_load_threshold_percent": 50}), "pcie_link") == [(2, "pcie_link", "info")]


def test_nvlink_down_on_an_nvlink_node():
    links = [1] * 18
    links[7] = 0
    result = check(hgx_h200({4: {"nvlinks": links}}))
    assert result["healthy"] is False
    assert issues_of(result) == [(4, "nvlink", "critical")]
    assert "NVLink link(s) 7 down" in result["issues"][0]["message"]


def test_inactive_links_on_a_pcie_node_are_not_expected_unless_asked():
    gpus = [l40s(0), l40s(1)]
    for gpu in gpus:
        gpu["nvlinks"] = [0, 0, 0, 0]  # bridge connectors present, no bridge fitted
    assert check(gpus)["healthy"] is True
    assert issues_of(check(gpus, {"expect_nvlink": "true"})) == [(0, "nvlink", "critical"), (1, "nvlink", "critical")]
    assert issues_of(check(hgx_h200({4: {"nvlinks": [0] + [1] * 17}}), {"expect_nvlink": "false"})) == []


def test_nvlink_error_counters_are_reported_per_link():
    result = check(hgx_h200({0: {"nvlink_errors": {(2, 1): 5, (2, 2): 17}}}))
    assert result["gpus"][0]["nvlinks"][2]["errors"] == {"replay": 0, "recovery": 5, "crc_flit": 17, "crc_data": 0}


def test_thermal_slowdown_and_temperature():
    hot = {
        "temperature": 88,
        "utilization": (100, 80),
        "clock_events": pynvml.nvmlClocksEventReasonHwThermalSlowdown | pynvml.nvmlClocksEventReasonSwThermalSlowdown,
    }
    result = check(hgx_h200({7: hot}))
    assert result["healthy"] is False
    assert issues_of(result) == [(7, "temperature", "warning"), (7, "throttle", "critical")]
    assert result["gpus"][7]["clock_event_reasons"] == ["sw_thermal_slowdown", "hw_thermal_slowdown"]
    assert "88 C (limit 84 C, slowdown at 89 C)" in result["issues"][0]["message"]
    assert "sw_thermal_slowdown, hw_thermal_slowdown" in result["issues"][1]["message"]


def test_software_thermal_slowdown_alone_is_a_warning_and_power_cap_is_normal():
    sw = {"clock_events": pynvml.nvmlClocksEventReasonSwThermalSlowdown}
    assert issues_of(check(hgx_h200({1: sw}))) == [(1, "throttle", "warning")]
    assert issues_of(check(hgx_h200({1: UNDER_LOAD}))) == []


def test_temperature_limit_can_be_set():
    assert issues_of(check(hgx_h200({0: {"temperature": 70}}), {"max_temperature_c": 70})) == [
        (0, "temperature", "warning")
    ]
    assert issues_of(check(hgx_h200({0: {"temperature": 69}}), {"max_temperature_c": 70})) == []


def test_old_driver():
    result = check(hgx_h200(), driver="535.104.05")
    assert result["healthy"] is False
    assert issues_of(result) == [(None, "driver_version", "warning")]
    assert result["issues"][0]["message"] == "driver 535.104.05 is older than the minimum 550.54.14"
    assert check(hgx_h200(), {"min_driver_version": "535.104.05"}, driver="535.104.05")["healthy"] is True


def test_expected_gpu_count_and_gpus_missing_from_nvml():
    result = check(hgx_h200(count=7), {"expected_gpu_count": 8})
    assert issues_of(result) == [(None, "gpu_count", "critical")]
    assert check(hgx_h200(), {"expected_gpu_count": 8})["healthy"] is True
    nvml = FakeNvml(hgx_h200(count=7))
    fell_off = gpu_health.check_node(nvml, {}, pci_gpu_count=8)
    assert issues_of(fell_off) == [(None, "nvml_visible", "critical")]
    assert fell_off["issues"][0]["message"] == "8 NVIDIA GPU(s) on the PCI bus but NVML sees only 7"


def test_persistence_mode_off():
    result = check(hgx_h200({0: {"persistence": 0}}))
    assert issues_of(result) == [(0, "persistence_mode", "warning")]
    assert check(hgx_h200({0: {"persistence": 0}}), {"require_persistence_mode": False})["healthy"] is True


def test_fabric_not_registered():
    result = check(hgx_h200({0: {"fabric": (pynvml.NVML_GPU_FABRIC_STATE_NOT_STARTED, 0, 0)}}))
    assert issues_of(result) == [(0, "fabric", "critical")]
    assert "nvidia-fabricmanager" in result["issues"][0]["advice"]
    failed = check(hgx_h200({1: {"fabric": (pynvml.NVML_GPU_FABRIC_STATE_COMPLETED, pynvml.NVML_ERROR_UNKNOWN, 0)}}))
    assert issues_of(failed) == [(1, "fabric", "critical")]
    assert "status Unknown Error" in failed["issues"][0]["message"]


def test_mig_change_pending():
    assert issues_of(check(hgx_h200({0: {"mig": (0, 1)}}))) == [(0, "mig", "warning")]


def test_gpu_lost_while_probing():
    result = check(hgx_h200({6: {"lost": True}}))
    assert issues_of(result) == [(6, "gpu_lost", "critical")]
    assert "is lost" in result["issues"][0]["message"]
    result = check(hgx_h200({6: {"temperature": Fail(GPU_IS_LOST)}}))
    assert issues_of(result) == [(6, "gpu_lost", "critical")]


# --- pre-Ampere page retirement --------------------------------------------------------


def test_volta_reports_retired_pages_and_no_row_remap():
    result = check([v100(0)])
    assert result["healthy"] is True
    gpu = result["gpus"][0]
    assert gpu["retired_pages"] == {"single_bit_ecc": 0, "double_bit_ecc": 0, "pending": False}
    assert gpu["remapped_rows"] is None
    assert "remapped_rows" in gpu["not_supported"]


def test_pending_page_retirement_and_retirement_limit():
    pending = v100(0)
    pending.update({"retired_pages": {0: [1, 2], 1: [3]}, "retired_pending": 1})
    result = check([pending])
    assert issues_of(result) == [(0, "retired_pages", "critical")]
    assert "page retirement pending" in result["issues"][0]["message"]
    worn = v100(0)
    worn["retired_pages"] = {0: list(range(40)), 1: list(range(20))}
    assert "retired 60 pages (limit 60)" in check([worn])["issues"][0]["message"]


# --- queries that are not supported -----------------------------------------------------


def test_unsupported_queries_are_listed_never_raised():
    result = check([l40s(0)])
    assert result["healthy"] is True
    gpu = result["gpus"][0]
    assert set(gpu["not_supported"]) == {
        "serial",
        "mig",
        "retired_pages",
        "remapped_rows",
        "pcie_replay",
        "nvlink",
        "fabric",
    }
    assert gpu["serial"] is None
    assert gpu["nvlinks"] == []
    assert gpu["fabric"] is None
    lines = gpu_health.format_lines(result)
    assert lines[1].endswith(
        "serial, mig, retired_pages, remapped_rows, pcie_replay, nvlink, fabric: not supported on this GPU"
    )


def test_every_query_unsupported_still_gives_a_result():
    gpu = h200(0)
    for key in list(gpu):
        gpu[key] = Fail(NOT_SUPPORTED)
    result = check([gpu])
    assert result["probe_status"] == "ok"
    assert result["healthy"] is True
    assert len(result["gpus"][0]["not_supported"]) >= 20


def test_older_driver_name_for_clock_event_reasons():
    gpu = h200(0)
    gpu["clock_events"] = Fail(pynvml.NVML_ERROR_FUNCTION_NOT_FOUND)
    gpu["clock_events_legacy"] = pynvml.nvmlClocksThrottleReasonHwSlowdown
    result = check([gpu])
    assert result["gpus"][0]["clock_event_reasons"] == ["hw_slowdown"]
    assert "clock_event_reasons" not in result["gpus"][0]["not_supported"]
    assert issues_of(result) == [(0, "throttle", "critical")]


def test_other_query_errors_are_kept_with_their_message():
    result = check(hgx_h200({0: {"serial": Fail(pynvml.NVML_ERROR_NO_PERMISSION)}}))
    assert result["gpus"][0]["query_errors"] == {"serial": {"code": 4, "message": "Insufficient Permissions"}}
    assert result["healthy"] is True


# --- XID watch ----------------------------------------------------------------------------


def test_xid_events_seen_during_the_watch():
    result = check(hgx_h200(), {"xid_watch_seconds": 0.2}, xid_events=[(2, 79), (5, 63), (5, 999)])
    assert result["xid_events"] == [{"gpu": 2, "xid": 79}, {"gpu": 5, "xid": 63}, {"gpu": 5, "xid": 999}]
    assert issues_of(result) == [(2, "xid", "critical"), (5, "xid", "warning"), (5, "xid", "warning")]
    assert result["issues"][0]["message"] == "XID 79 on GPU 2: GPU has fallen off the bus"
    assert "NVIDIA's XID catalog" in result["issues"][2]["advice"]


def test_no_xid_events_and_no_watch():
    quiet = check(hgx_h200(), {"xid_watch_seconds": 0.05})
    assert quiet["xid_events"] == [] and quiet["healthy"] is True
    nvml = FakeNvml(hgx_h200(), xid_events=[(0, 48)])
    assert gpu_health.check_node(nvml, {})["xid_events"] == []
    assert nvml.calls == []  # no watch asked, no wait made


def test_xid_watch_that_cannot_run_is_noted():
    gpus = hgx_h200({1: {"events": "unsupported"}})
    result = check(gpus, {"xid_watch_seconds": 0.05})
    assert result["xid_watch_note"].startswith("XID events cannot be watched on GPU 1")
    broken = check(hgx_h200(), {"xid_watch_seconds": 0.05}, event_error=pynvml.NVML_ERROR_UNKNOWN)
    assert broken["xid_watch_note"] == "XID watch stopped early: Unknown Error"


@pytest.mark.parametrize("xid", [48, 63, 64, 74, 79, 92, 94, 95, 119, 120])
def test_the_common_xids_have_an_action(xid):
    severity, name, action = XID_CATALOG[xid]
    assert severity in ("warning", "critical") and name and action


# --- no GPU ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error,status,text",
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "nvml_library_not_found", "NVML library not found"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver_not_loaded", "NVIDIA driver not loaded"),
        (pynvml.NVML_ERROR_UNKNOWN, "nvml_init_failed", "NVML could not be initialised: Unknown Error"),
    ],
)
def test_nothing_to_probe_is_said_plainly(error, status, text):
    result = gpu_health.check_node(FakeNvml([], init_error=error), {}, pci_gpu_count=0)
    assert result["probe_status"] == status
    assert result["message"].startswith(text)
    assert result["gpus"] == [] and result["healthy"] is None


def test_no_gpus():
    result = gpu_health.check_node(FakeNvml([]), {}, pci_gpu_count=0)
    assert result["probe_status"] == "no_gpus"
    assert result["message"].startswith("no GPUs")
    assert result["driver_version"] == "580.95.05"


def test_gpus_on_the_bus_but_no_driver_is_mentioned():
    result = gpu_health.check_node(FakeNvml([], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED), {}, pci_gpu_count=8)
    assert result["message"].endswith("(8 NVIDIA GPU(s) are on the PCI bus)")


# --- settings -------------------------------------------------------------------------------


def test_skip_checks_and_severity_bar():
    gpus = hgx_h200({0: {"persistence": 0}, 3: {"remapped_rows": (0, 1, 1, 0)}})
    assert issues_of(check(gpus, {"skip_checks": ["row_remap"]})) == [(0, "persistence_mode", "warning")]
    assert check(gpus, {"skip_checks": ["row_remap"], "unhealthy_severity": "critical"})["healthy"] is True
    assert check(gpus, {"unhealthy_severity": "critical"})["healthy"] is False


@pytest.mark.parametrize(
    "options,message",
    [
        ({"skip_checks": ["ecc"]}, "skip_checks has unknown check(s) ecc"),
        ({"min_driver_version": "latest"}, "min_driver_version 'latest' is not a driver version"),
        ({"unhealthy_severity": "fatal"}, "unhealthy_severity must be one of"),
        ({"expect_nvlink": "maybe"}, "expect_nvlink must be auto, true or false"),
    ],
)
def test_bad_settings_are_refused_before_probing(options, message):
    nvml = FakeNvml(hgx_h200())
    with pytest.raises(CheckInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gpu_health.check_node(nvml, options)
    assert nvml.initialised == 0


def test_every_check_name_is_documented_in_the_module():
    from ansible_collections.privateai.deepseek.plugins.modules import gpu_health as module

    for name in CHECK_NAMES:
        assert name in module.DOCUMENTATION


# --- DCGM -------------------------------------------------------------------------------------

DCGM_OUTPUT = json.dumps(
    {
        "DCGM Diagnostic": {
            "test_categories": [
                {
                    "category": "Deployment",
                    "tests": [{"name": "Denylist", "results": [{"status": "Pass"}]}],
                },
                {
                    "category": "Hardware",
                    "tests": [
                        {
                            "name": "memory",
                            "results": [
                                {"gpu_id": "0", "status": "Pass"},
                                {"gpu_id": "3", "status": "Fail", "warnings": [{"warning": "DBE detected"}]},
                            ],
                        },
                        {
                            "name": "pcie",
                            "results": [{"gpu_id": "1", "status": "Warn", "warnings": ["replay rate high"]}],
                        },
                    ],
                },
            ]
        }
    }
)


def test_dcgm_verdict_is_folded_in():
    nvml = FakeNvml(hgx_h200())
    calls = []

    def run(argv):
        calls.append(argv)
        return 226, "Successfully ran diagnostic\n" + DCGM_OUTPUT, ""

    result = gpu_health.check_node(nvml, {"dcgm_diag_level": 2}, pci_gpu_count=8, run=run, have_dcgmi=True)
    assert calls == [["dcgmi", "diag", "-r", "2", "-j"]]
    assert result["dcgm"]["tests_run"] == 3
    assert issues_of(result) == [(3, "dcgm", "critical"), (1, "dcgm", "warning")]
    assert result["issues"][0]["message"] == "DCGM diag level 2: memory failed: DBE detected"


def test_dcgm_missing_or_unreadable_is_a_warning():
    missing = gpu_health.check_node(FakeNvml(hgx_h200()), {"dcgm_diag_level": 1}, have_dcgmi=False)
    assert issues_of(missing) == [(None, "dcgm", "warning")]
    assert "dcgmi is not installed" in missing["issues"][0]["message"]
    garbled = gpu_health.check_node(
        FakeNvml(hgx_h200()), {"dcgm_diag_level": 1}, run=lambda argv: (255, "Error: host engine", ""), have_dcgmi=True
    )
    assert "dcgmi diag -r 1 exited 255: dcgmi printed no JSON" in garbled["issues"][0]["message"]


# --- helpers and CLI ---------------------------------------------------------------------------


def test_peak_memory_bandwidth():
    assert peak_memory_bandwidth_gbps(5120, 2619) == 3352.3  # H100 SXM, 3.35 TB/s
    assert peak_memory_bandwidth_gbps(None, 2619) is None


def test_decoders():
    assert decode_clock_event_reasons(0) == []
    assert decode_clock_event_reasons(0x1 | 0x80) == ["gpu_idle", "hw_power_brake_slowdown"]
    assert cuda_version_text(12080) == "12.8"
    assert cuda_version_text(None) is None


def test_cli_exit_codes_and_json(capsys, monkeypatch):
    monkeypatch.setattr(gpu_health_cli, "nvidia_pci_devices", lambda root: ([{}] * 8, []))
    assert gpu_health_cli.main(["--json"], nvml=FakeNvml(hgx_h200())) == 0
    assert json.loads(capsys.readouterr().out)["healthy"] is True
    assert gpu_health_cli.main([], nvml=FakeNvml(hgx_h200({3: {"remapped_rows": (0, 1, 1, 0)}}))) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "UNHEALTHY: 8 GPU(s), driver 580.95.05; 1 critical"
    assert out[-1].startswith("CRITICAL GPU 3 [row_remap] GPU 3 (00000000:5D:00.0) has a row remap pending -> Reset")
    assert gpu_health_cli.main([], nvml=FakeNvml([], init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)) == 2
    assert capsys.readouterr().out.startswith("NVML library not found")
    with pytest.raises(SystemExit) as exit_info:
        gpu_health_cli.main(["--skip-checks", "nope"], nvml=FakeNvml(hgx_h200()))
    assert exit_info.value.code == 2
    assert "argument --skip-checks: nope: not one of nvml_visible, gpu_count" in capsys.readouterr().err
    assert gpu_health_cli.main(["--xid-watch-seconds", "700"], nvml=FakeNvml(hgx_h200())) == 2
    assert "--xid-watch-seconds must be between 0 and 600, got 700.0" in capsys.readouterr().err
    assert (
        gpu_health_cli.main(["--no-fail-on-unhealthy"], nvml=FakeNvml(hgx_h200({3: {"remapped_rows": (0, 1, 1, 0)}})))
        == 0
    )
    capsys.readouterr()


def test_cli_and_module_name_the_same_states(capsys, monkeypatch):
    """Without nvidia-ml-py the CLI answers as the module does (it used to say another state)."""
    from ansible_collections.privateai.deepseek.plugins.modules import gpu_health as module

    for pci_gpus, state in ((0, "no_gpus"), (8, "nvml_python_library_missing")):
        monkeypatch.setattr(gpu_health_cli, "_binding", lambda: None)
        monkeypatch.setattr(gpu_health_cli, "nvidia_pci_devices", lambda root, n=pci_gpus: ([{}] * n, []))
        assert gpu_health_cli.main(["--json", "--no-require-gpu"]) == 0
        cli_state = json.loads(capsys.readouterr().out)["probe_status"]
        assert gpu_health_cli.main(["--json"]) == 2
        capsys.readouterr()
        monkeypatch.setattr(module, "pynvml", None)
        monkeypatch.setattr(module, "nvidia_pci_devices", lambda root, n=pci_gpus: ([{}] * n, []))
        with patch_module_args({"require_gpu": False}), pytest.raises(SystemExit):
            module.main()
        assert cli_state == json.loads(capsys.readouterr().out)["probe_status"] == state

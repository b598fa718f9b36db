"""gpu_health's main(): when it fails, when it only reports, the fact, check mode."""

import json

import pynvml
import pytest
from ansible.module_utils.testing import patch_module_args
from fake_nvml import FakeNvml, hgx_h200

from ansible_collections.privateai.deepseek.plugins.modules import gpu_health


def run_module(capsys, monkeypatch, args, nvml, pci_gpus=8):
    monkeypatch.setattr(gpu_health, "pynvml", nvml)
    monkeypatch.setattr(gpu_health, "nvidia_pci_devices", lambda root: ([{}] * pci_gpus, [{}] * (pci_gpus // 2)))
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        gpu_health.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_healthy_node_sets_the_fact(capsys, monkeypatch):
    code, result = run_module(capsys, monkeypatch, {"expected_gpu_count": 8}, FakeNvml(hgx_h200()))
    assert code == 0
    assert result["changed"] is False
    assert result["healthy"] is True
    assert result["ansible_facts"]["gpu_health"]["gpu_count"] == 8
    assert result["nvswitch_count"] == 4
    assert result["ansible_facts"]["gpu_health"]["gpus"][0]["name"] == "NVIDIA H200"


def test_unhealthy_node_fails_with_the_verdict(capsys, monkeypatch):
    nvml = FakeNvml(hgx_h200({3: {"remapped_rows": (0, 1, 1, 0)}}))
    code, result = run_module(capsys, monkeypatch, {}, nvml)
    assert code == 1
    assert result["msg"] == "UNHEALTHY: 8 GPU(s), driver 580.95.05; 1 critical"
    assert result["issues"][0]["check"] == "row_remap"


def test_unhealthy_node_can_be_reported_without_failing(capsys, monkeypatch):
    nvml = FakeNvml(hgx_h200({3: {"remapped_rows": (0, 1, 1, 0)}}))
    code, result = run_module(capsys, monkeypatch, {"fail_on_unhealthy": False}, nvml)
    assert code == 0
    assert result["healthy"] is False
    assert result["ansible_facts"]["gpu_health"]["healthy"] is False


def test_check_mode_probes_the_same(capsys, monkeypatch):
    code, result = run_module(capsys, monkeypatch, {"_ansible_check_mode": True}, FakeNvml(hgx_h200()))
    assert code == 0
    assert result["gpu_count"] == 8


def test_no_driver_fails_unless_gpus_are_optional(capsys, monkeypatch):
    nvml = FakeNvml([], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)
    code, result = run_module(capsys, monkeypatch, {}, nvml, pci_gpus=2)
    assert code == 1
    assert result["msg"].startswith("NVIDIA driver not loaded")
    assert result["msg"].endswith("(set require_gpu: false on nodes without GPUs)")
    code, result = run_module(capsys, monkeypatch, {"require_gpu": False}, nvml, pci_gpus=2)
    assert code == 0
    assert result["gpus"] == []
    assert result["probe_status"] == "driver_not_loaded"


def test_without_the_python_library(capsys, monkeypatch):
    # No NVIDIA GPU on the PCI bus: the answer needs no nvidia-ml-py (it used to be Ansible's
    # generic "Failed to import the required Python library").
    code, result = run_module(capsys, monkeypatch, {}, None, pci_gpus=0)
    assert code == 1 and result["probe_status"] == "no_gpus"
    assert result["msg"] == (
        "no GPUs: no NVIDIA GPU on the PCI bus of this node (nothing to probe, nvidia-ml-py not needed)"
        " (set require_gpu: false on nodes without GPUs)"
    )
    # A CPU-only node in a mixed fleet then succeeds...
    code, result = run_module(capsys, monkeypatch, {"require_gpu": False}, None, pci_gpus=0)
    assert code == 0 and result["probe_status"] == "no_gpus" and result["gpus"] == []
    # ...but a node with GPUs on its bus does need the library, and is told where it comes from.
    for require_gpu in (True, False):
        code, result = run_module(capsys, monkeypatch, {"require_gpu": require_gpu}, None, pci_gpus=8)
        assert code == (1 if require_gpu else 0) and result["probe_status"] == "nvml_python_library_missing"
        assert "nvidia-ml-py (the Python NVML binding, import name pynvml) is not installed" in result["message"]
        assert "deepseek_nvml_venv" in result["message"]


@pytest.mark.parametrize(
    "args,message",
    [
        ({"skip_checks": ["ecc"]}, "value of skip_checks must be one or more of"),
        ({"xid_watch_seconds": 900}, "xid_watch_seconds must be between 0 and 600"),
        ({"min_driver_version": "r580"}, "min_driver_version 'r580' is not a driver version"),
        ({"dcgm_diag_level": 4}, "value of dcgm_diag_level must be one of"),
    ],
)
def test_bad_input_names_the_option(capsys, monkeypatch, args, message):
    code, result = run_module(capsys, monkeypatch, args, FakeNvml(hgx_h200()))
    assert code == 1
    assert message in result["msg"]

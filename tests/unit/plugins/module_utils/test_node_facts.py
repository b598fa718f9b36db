"""node_facts reads real file trees laid out like /sys, /proc and /run."""

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils import node_facts

H200_DRIVER_OPEN = (
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  "
    "Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Sep 23 09:49:03 UTC 2025\n"
    "GCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n"
)
V100_DRIVER_PROPRIETARY = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.247.01  Thu Apr 24 13:48:11 UTC 2025\n"


def pci_device(root, bus_id, vendor, pci_class, device, driver=None):
    device_dir = root / "sys/bus/pci/devices" / bus_id
    device_dir.mkdir(parents=True)
    (device_dir / "vendor").write_text(vendor + "\n")
    (device_dir / "class").write_text(pci_class + "\n")
    (device_dir / "device").write_text(device + "\n")
    (device_dir / "subsystem_device").write_text("0x18be\n")
    if driver:
        target = root / "sys/bus/pci/drivers" / driver
        target.mkdir(parents=True, exist_ok=True)
        (device_dir / "driver").symlink_to(target)


def test_hgx_board_gpus_and_nvswitches(tmp_path):
    # Listed out of order on purpose: results are sorted by bus id.
    pci_device(tmp_path, "0000:9a:00.0", "0x10de", "0x030200", "0x2335", driver="nvidia")
    pci_device(tmp_path, "0000:18:00.0", "0x10de", "0x030200", "0x2335", driver="nvidia")
    pci_device(tmp_path, "0000:05:00.0", "0x10de", "0x068000", "0x22a3")
    pci_device(tmp_path, "0000:00:02.0", "0x8086", "0x030000", "0x4680")  # Intel iGPU
    pci_device(tmp_path, "0000:03:00.0", "0x10de", "0x0c0330", "0x1ad8")  # NVIDIA USB controller

    facts = node_facts.gather(str(tmp_path))

    assert facts["gpu_count"] == 2
    assert [gpu["pci_bus_id"] for gpu in facts["gpus"]] == ["0000:18:00.0", "0000:9a:00.0"]
    assert facts["gpus"][0] == {
        "pci_bus_id": "0000:18:00.0",
        "device_id": "0x2335",
        "subsystem_device_id": "0x18be",
        "kernel_driver": "nvidia",
    }
    assert facts["nvswitch_count"] == 1
    assert facts["nvswitches"][0]["kernel_driver"] is None


def test_no_pci_bus_means_no_gpus(tmp_path):
    facts = node_facts.gather(str(tmp_path))
    assert facts["gpu_count"] == 0 and facts["gpus"] == []
    assert facts["nvidia_driver"] == {"loaded": False, "version": None, "flavor": None}


@pytest.mark.parametrize(
    "text,expected",
    [
        (H200_DRIVER_OPEN, {"loaded": True, "version": "580.95.05", "flavor": "open"}),
        (V100_DRIVER_PROPRIETARY, {"loaded": True, "version": "535.247.01", "flavor": "proprietary"}),
        ("garbage\n", {"loaded": True, "version": None, "flavor": "proprietary"}),
    ],
)
def test_driver_version_file(tmp_path, text, expected):
    (tmp_path / "proc/driver/nvidia").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_text(text)
    assert node_facts.nvidia_driver(str(tmp_path)) == expected


@pytest.mark.parametrize(
    "files,expected",
    [
        ({"run/systemd/container": "docker\n", ".dockerenv": ""}, "docker"),
        ({"run/systemd/container": "lxc\n"}, "lxc"),
        ({"run/.containerenv": ""}, "podman"),
        ({".dockerenv": ""}, "docker"),
        ({"run/systemd/container": "\n"}, None),
        ({}, None),
    ],
)
def test_container_detection(tmp_path, files, expected):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    assert node_facts.detect_container(str(tmp_path)) == expected
    assert node_facts.gather(str(tmp_path))["container"] is (expected is not None)


def test_systemd_detection(tmp_path):
    assert node_facts.detect_systemd(str(tmp_path)) is False
    (tmp_path / "run/systemd/system").mkdir(parents=True)
    assert node_facts.detect_systemd(str(tmp_path)) is True

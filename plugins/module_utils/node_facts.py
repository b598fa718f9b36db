# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read what a node is, from files only: container or not, systemd, NVIDIA hardware.

Works before any NVIDIA driver is installed (GPUs are found on the PCI bus through
sysfs), so the nvidia_driver role can decide open vs proprietary kernel modules and
whether fabric manager is needed, and other roles can tell a container (where kernel
settings, auditd and time sync cannot be applied) from a VM or bare metal.
All paths are taken relative to `root` so tests can point it at a directory tree.
"""

from __future__ import absolute_import, division, print_function

import os
import re

NVIDIA_PCI_VENDOR = "0x10de"
# PCI class codes (first 16 bits of the 24-bit class): VGA, 3D controller, bridge.
GPU_PCI_CLASSES = ("0x0300", "0x0302")
NVSWITCH_PCI_CLASS = "0x0680"

# Files whose presence names the container engine (checked in order).
CONTAINER_MARKERS = (
    ("run/.containerenv", "podman"),
    (".dockerenv", "docker"),
)

_DRIVER_VERSION_RE = re.compile(r"NVRM version:.*?Kernel Module(?:\s+for\s+\S+)?\s+(?P<version>\d+\.\d+(?:\.\d+)?)")


def _read(root, relative_path):
    try:
        with open(os.path.join(root, relative_path)) as handle:
            return handle.read()
    except OSError:
        return None


def detect_container(root="/"):
    """Return the container engine name, or None on a VM / bare metal."""
    # systemd writes the engine name here when it runs as PID 1 in a container.
    declared = _read(root, "run/systemd/container")
    if declared and declared.strip():
        return declared.strip()
    for marker, engine in CONTAINER_MARKERS:
        if os.path.exists(os.path.join(root, marker)):
            return engine
    return None


def detect_systemd(root="/"):
    """True when systemd is the running init system (same test as sd_booted())."""
    return os.path.isdir(os.path.join(root, "run/systemd/system"))


def _pci_device(device_dir, bus_id):
    driver_link = os.path.join(device_dir, "driver")
    driver = os.path.basename(os.readlink(driver_link)) if os.path.islink(driver_link) else None
    return {
        "pci_bus_id": bus_id,
        "device_id": (_read(device_dir, "device") or "").strip(),
        "subsystem_device_id": (_read(device_dir, "subsystem_device") or "").strip() or None,
        "kernel_driver": driver,
    }


def nvidia_pci_devices(root="/"):
    """Return (gpus, nvswitches): NVIDIA devices on the PCI bus, sorted by bus id."""
    devices_dir = os.path.join(root, "sys/bus/pci/devices")
    gpus, nvswitches = [], []
    if not os.path.isdir(devices_dir):
        return gpus, nvswitches
    for bus_id in sorted(os.listdir(devices_dir)):
        device_dir = os.path.join(devices_dir, bus_id)
        vendor = (_read(device_dir, "vendor") or "").strip().lower()
        if vendor != NVIDIA_PCI_VENDOR:
            continue
        pci_class = (_read(device_dir, "class") or "").strip().lower()[:6]
        if pci_class in GPU_PCI_CLASSES:
            gpus.append(_pci_device(device_dir, bus_id))
        elif pci_class == NVSWITCH_PCI_CLASS:
            nvswitches.append(_pci_device(device_dir, bus_id))
    return gpus, nvswitches


def nvidia_driver(root="/"):
    """Return {'loaded', 'version', 'flavor'} from /proc/driver/nvidia/version."""
    text = _read(root, "proc/driver/nvidia/version")
    if text is None:
        return {"loaded": False, "version": None, "flavor": None}
    match = _DRIVER_VERSION_RE.search(text)
    flavor = "open" if "Open Kernel Module" in text else "proprietary"
    return {"loaded": True, "version": match.group("version") if match else None, "flavor": flavor}


def gather(root="/"):
    """All node facts as one flat-ish dict (the `deepseek_node` fact)."""
    container = detect_container(root)
    gpus, nvswitches = nvidia_pci_devices(root)
    return {
        "container": container is not None,
        "container_engine": container,
        "systemd": detect_systemd(root),
        "gpu_count": len(gpus),
        "gpus": gpus,
        "nvswitch_count": len(nvswitches),
        "nvswitches": nvswitches,
        "nvidia_driver": nvidia_driver(root),
    }

"""The state site.yml's drivers stage (nvidia_driver) leaves on a Debian 12 host in container mode.

Debian non-free is the source (branch 535). The container has no kernel of its own, so
the role installs the user-space driver only, and must say what it skipped.
"""

import json

import pytest

USERSPACE = ["nvidia-smi", "libnvidia-ml1", "libcuda1", "libnvidia-cfg1", "nvidia-persistenced"]
KERNEL_SIDE = ["nvidia-kernel-dkms", "nvidia-open-kernel-dkms", "dkms"]
# The hardening stage holds every installed package of the GPU stack by name (roles/hardening
# vars), also those the driver role did not pin, e.g. prepare.yml's stand-in nvidia-privateai-test.
HARDENING_HELD_PREFIXES = (
    "nvidia-",
    "libnvidia-",
    "xserver-xorg-video-nvidia",
    "cuda-",
    "libcuda",
    "libcudnn",
    "libnccl",
)

# Both fleet hosts are in the inventory; these checks are about the served node.
testinfra_hosts = ["ansible://site-node"]


@pytest.mark.parametrize("name", USERSPACE)
def test_userspace_driver_is_installed_from_debian(host, name):
    package = host.package(name)
    assert package.is_installed, name
    assert package.version.startswith("535."), package.version


@pytest.mark.parametrize("name", KERNEL_SIDE)
def test_no_kernel_module_packages_in_a_container(host, name):
    assert not host.package(name).is_installed


def test_nothing_from_the_kernel_side_was_pulled_in(host):
    assert not host.file("/usr/sbin/dkms").exists
    headers = host.run("dpkg-query -W -f '${Package}\\n' 'linux-headers-*'")
    assert headers.stdout.strip() == ""


def test_driver_packages_are_held(host):
    held = set(host.check_output("apt-mark showhold").split())
    for name in ("nvidia-smi", "libnvidia-ml1", "libcuda1", "libnvidia-cfg1", "nvidia-persistenced"):
        assert name in held, name
    # Everything held carries the driver branch, or is GPU stack the hardening stage holds by name
    # (every installed nvidia-*/libnvidia-*/cuda-* package, e.g. nvidia-support): nothing unrelated is held.
    for name in held:
        version = host.check_output("dpkg-query -W -f '${Version}' %s" % name)
        assert version.startswith("535.") or name.startswith(HARDENING_HELD_PREFIXES), (name, version)


def test_unattended_upgrades_cannot_move_a_held_package(host):
    """What unattended-upgrades does is an apt upgrade: held packages stay where they are."""
    installed = host.check_output("dpkg-query -W -f '${Version}' nvidia-smi")
    older = [
        v
        for v in host.check_output("apt-cache madison nvidia-smi | awk -F'|' '{gsub(/ /, \"\", $2); print $2}'").split()
        if v != installed
    ]
    assert older, "the archive should carry another 535 build to try"
    attempt = host.run("apt-get -s install nvidia-smi=%s" % older[0])
    assert attempt.rc != 0
    assert "held" in (attempt.stdout + attempt.stderr).lower()
    upgrade = host.run("apt-get -s dist-upgrade")
    assert "Inst nvidia-smi " not in upgrade.stdout


def test_apt_is_pinned_to_the_branch(host):
    pin = host.file("/etc/apt/preferences.d/privateai-deepseek-nvidia-driver")
    assert pin.mode == 0o644
    assert "Pin: version 535.*" in pin.content_string
    assert "Pin-Priority: 1000" in pin.content_string
    policy = host.check_output("apt-cache policy nvidia-smi")
    assert " 1000" in policy


def test_debian_archive_components_were_enabled(host):
    sources = host.file("/etc/apt/sources.list.d/debian.sources").content_string
    for line in (line for line in sources.splitlines() if line.startswith("Components:")):
        assert line.split()[1:] == ["main", "contrib", "non-free", "non-free-firmware"], line


def test_no_nvidia_repository_for_the_distro_source(host):
    assert not host.file("/etc/apt/sources.list.d/privateai-deepseek-nvidia-cuda.sources").exists
    assert not host.file("/etc/apt/sources.list.d/privateai-deepseek-nvidia-container-toolkit.sources").exists


def test_nouveau_is_blacklisted(host):
    blacklist = host.file("/etc/modprobe.d/privateai-deepseek-blacklist-nouveau.conf")
    assert blacklist.mode == 0o644
    lines = blacklist.content_string.splitlines()
    assert "blacklist nouveau" in lines
    assert "options nouveau modeset=0" in lines


def test_module_parameters_file(host):
    options = host.file("/etc/modprobe.d/privateai-deepseek-nvidia.conf").content_string
    assert "options nvidia NVreg_EnableStreamMemOPs=1 NVreg_RestrictProfilingToAdminUsers=0" in options.splitlines()


def test_persistence_daemon_is_enabled_with_persistence_mode(host):
    service = host.service("nvidia-persistenced")
    assert service.is_enabled
    # No driver is loaded in a container: enabled for the host that runs one, not started.
    assert not service.is_running
    dropin = host.file("/etc/systemd/system/nvidia-persistenced.service.d/privateai-deepseek.conf").content_string
    # Debian's package runs the daemon as nvpd (NVIDIA's and Ubuntu's as nvidia-persistenced).
    assert "ExecStart=/usr/bin/nvidia-persistenced --user nvpd --verbose" in dropin
    assert "--no-persistence-mode" not in dropin
    exec_start = host.check_output("systemctl show -p ExecStart --value nvidia-persistenced")
    assert "--no-persistence-mode" not in exec_start and "nvidia-persistenced" in exec_start


def test_docker_gets_the_nvidia_runtime(host):
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["runtimes"]["nvidia"] == {"path": "nvidia-container-runtime", "args": []}
    assert "default-runtime" not in daemon


def test_nvidia_smi_is_there_and_says_no_driver(host):
    """The real binary from Debian; in a container without a driver it cannot talk to one."""
    result = host.run("nvidia-smi")
    assert result.rc != 0
    assert "Failed to initialize NVML" in result.stdout + result.stderr


def test_nvml_library_is_installed(host):
    assert host.run("ldconfig -p | grep -q 'libnvidia-ml.so.1 '").rc == 0

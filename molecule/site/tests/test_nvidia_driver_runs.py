"""The driver playbook run again against the converged host: what it reports, and bad input.

Runs playbooks/nvidia_driver.yml (the drivers stage alone) with ansible-playbook through
molecule's inventory (the scenario's variables): as is, in check mode, and once with every bad
value side by side (one inventory alias of the node per value). Every bad value must stop the play
before any change - changed=0, and the files and package selections the role manages
unchanged - with a message that names the variable and the fix.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_output import failure_of, recap_of

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
DRIVER_PLAYBOOK = PROJECT / "playbooks" / "nvidia_driver.yml"

# Both fleet hosts are in the inventory; these checks are about the served node.
testinfra_hosts = ["ansible://site-node"]
STATE_PROBE = (
    "cat /etc/apt/sources.list.d/* /etc/apt/preferences.d/* /etc/modprobe.d/* /etc/docker/daemon.json"
    " /etc/systemd/system/nvidia-persistenced.service.d/* 2>/dev/null | sha256sum;"
    " dpkg --get-selections | sha256sum; dpkg-query -W | sha256sum"
)
# A Volta V100 (PCI 0x1db6) on a fake PCI bus for node_facts (nvidia_driver_sysfs_root).
FAKE_V100 = "/tmp/fake-v100"


def run_converge(host, tmp_path, extra=None, check=False, diff=False):
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        str(DRIVER_PLAYBOOK),
        "--limit",
        host.backend.get_hostname(),
    ]
    if extra is not None:
        (tmp_path / "vars.json").write_text(json.dumps(extra))
        command += ["-e", "@%s" % (tmp_path / "vars.json")]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)
    return result, result.stdout + result.stderr


def recap(output):
    return output.split("PLAY RECAP")[-1]


def test_rerun_changes_nothing_and_lists_the_skipped_kernel_steps(host, tmp_path):
    result, output = run_converge(host, tmp_path)
    assert result.returncode == 0, output[-3000:]
    assert "changed=0" in recap(output)
    for skipped in (
        "kernel module packages (nvidia-kernel-dkms) and their DKMS build: a docker container has no kernel of its own",
        "kernel headers for the running kernel and dkms",
        "initramfs rebuild after blacklisting nouveau",
        "loading the nvidia kernel modules, and any reboot",
        "starting nvidia-persistenced (enabled, they start where a driver is loaded)",
        "verification with nvidia-smi and privateai.deepseek.gpu_health",
        "containerd runtime configuration: nvidia-ctk is not installed",
        "podman CDI spec /etc/cdi/nvidia.yaml: nvidia-ctk is not installed",
        "nvidia-container-toolkit packages: nvidia_driver_container_toolkit_repo=none",
    ):
        assert skipped in output, skipped
    assert "proprietary - auto: Debian" in output  # Debian's own default flavour
    assert re.search(r"installed_version\"?: \"?535\.", output)


def test_check_mode_on_the_converged_host_changes_nothing(host, tmp_path):
    result, output = run_converge(host, tmp_path, check=True)
    assert result.returncode == 0, output[-3000:]
    assert "changed=0" in recap(output)


@pytest.fixture(scope="module")
def fake_v100(host):
    device = FAKE_V100 + "/sys/bus/pci/devices/0000:3b:00.0"
    host.run("mkdir -p %s" % device)
    for name, value in (("vendor", "0x10de"), ("class", "0x030200"), ("device", "0x1db6")):
        host.run("printf '%s\\n' > %s/%s" % (value, device, name))
    yield FAKE_V100
    host.run("rm -rf %s" % FAKE_V100)


BAD_INPUTS = {
    "branch_not_three_digits": (
        {"nvidia_driver_branch": "r580"},
        "nvidia_driver_branch=r580 is not a driver branch: give the three-digit branch as a string, e.g. '580'",
    ),
    "branch_debian_does_not_ship": (
        {"nvidia_driver_branch": "580"},
        "nvidia_driver_branch=580: Debian 12 ships only branch 535 in its own archive (non-free). "
        "Set nvidia_driver_branch: '535', or use nvidia_driver_source: cuda_repo for branch 580.",
    ),
    "version_outside_branch": (
        {"nvidia_driver_version": "550.163.01"},
        "nvidia_driver_version=550.163.01 is not in nvidia_driver_branch=535",
    ),
    "fabricmanager_without_nvswitch": (
        {"nvidia_driver_fabricmanager": True},
        "nvidia_driver_fabricmanager=true, but node_facts found no NVSwitch on this node's PCI bus",
    ),
    "mirror_without_url": (
        {"nvidia_driver_source": "mirror"},
        "nvidia_driver_source=mirror needs nvidia_driver_mirror_url",
    ),
    "dcgm_from_debian": (
        {"nvidia_driver_dcgm": True},
        "nvidia_driver_dcgm=true needs NVIDIA's repository",
    ),
    "module_parameter_with_space": (
        {"nvidia_driver_module_parameters": {"nvidia": {"NVreg_RegistryDwords": "a b"}}},
        "nvidia_driver_module_parameters.nvidia.NVreg_RegistryDwords=a b: a parameter name is letters",
    ),
    "unknown_container_runtime": (
        {"nvidia_driver_container_runtimes": ["cri-o"]},
        "nvidia_driver_container_runtimes=['cri-o']: write auto",
    ),
    "source_not_a_choice": (
        {"nvidia_driver_source": "ppa"},
        "nvidia_driver_source",
    ),
    "no_gpu_without_opt_out": (
        {"nvidia_driver_require_gpu": True},
        "has no NVIDIA GPU on its PCI bus (node_facts read sysfs), so there is nothing for the driver to drive",
    ),
}


def _state(host):
    return host.check_output(STATE_PROBE)


# Every bad value in one ansible-playbook run: each case is an inventory alias of the node
# (same container, its bad value as a host variable) and the aliases run side by side. A
# bad value must stop its alias before any change, with its own message.
MIRROR_WITH_PASSWORD = {
    "nvidia_driver_source": "mirror",
    "nvidia_driver_mirror_url": "https://builder:s3cret@mirror.example.internal/cuda",
    "nvidia_driver_branch": "580",
}
VOLTA_OPEN = {"nvidia_driver_sysfs_root": FAKE_V100, "nvidia_driver_kernel_modules": "open"}


@pytest.fixture(scope="module")
def bad_input_run(host, tmp_path_factory, fake_v100):
    cases = {case: extra for case, (extra, _) in BAD_INPUTS.items()}
    cases.update(volta_open=VOLTA_OPEN, mirror_with_password=MIRROR_WITH_PASSWORD)
    node = host.backend.get_hostname()
    aliases = {
        "bad-" + case: dict(extra, ansible_host=node, ansible_connection="community.docker.docker")
        for case, extra in cases.items()
    }
    inventory = tmp_path_factory.mktemp("bad-input") / "aliases.json"
    inventory.write_text(json.dumps({"all": {"children": {"gpu_nodes": {"hosts": aliases}}}}))
    before = _state(host)
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        "-i",
        str(inventory),
        str(DRIVER_PLAYBOOK),
        "--limit",
        ",".join(aliases),
        "-e",
        "nvidia_driver_serial=%d" % len(aliases),
    ]
    env = dict(os.environ, ANSIBLE_FORKS=str(len(aliases)))
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT, env=env)
    return result, result.stdout + result.stderr, before, _state(host)


def test_bad_inputs_leave_the_node_unchanged(bad_input_run):
    result, output, before, after = bad_input_run
    assert result.returncode == 2, output[-3000:]
    assert after == before


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_before_any_change(bad_input_run, case):
    _, output, _, _ = bad_input_run
    expected = BAD_INPUTS[case][1]
    assert expected in failure_of(output, "bad-" + case), output[-3000:]
    assert re.search(r"changed=0 .*failed=1", recap_of(output, "bad-" + case))


def test_open_modules_for_a_volta_gpu_fail_before_any_change(bad_input_run):
    _, output, _, _ = bad_input_run
    assert (
        "nvidia_driver_kernel_modules=open, but the GPU(s) 0x1db6 are Volta or older (PCI device id below 0x1e00): "
        "the open kernel modules support Turing and later only. Set nvidia_driver_kernel_modules: proprietary"
    ) in failure_of(output, "bad-volta_open")
    assert re.search(r"changed=0 .*failed=1", recap_of(output, "bad-volta_open"))


def test_mirror_credentials_never_reach_the_log(bad_input_run):
    _, output, _, _ = bad_input_run
    assert "nvidia_driver_mirror_url=https://***@mirror.example.internal/cuda is not a URL" in failure_of(
        output, "bad-mirror_with_password"
    )
    assert "s3cret" not in output


@pytest.fixture()
def file_mirror(host):
    """A mirror directory with only the key file: enough for check mode (get_url asks for the key)."""
    root = "/tmp/fake-mirror"
    host.run("mkdir -p %s/debian12/x86_64 && echo key > %s/debian12/x86_64/3bf863cc.pub" % (root, root))
    yield "file://" + root
    host.run("rm -rf %s" % root)


def test_check_mode_walks_the_mirror_repository_path_without_touching_the_host(host, tmp_path, file_mirror):
    """NVIDIA's repository is not reachable from CI; a file:// mirror has the same layout and code path."""
    before = _state(host)
    extra = {
        "nvidia_driver_source": "mirror",
        "nvidia_driver_mirror_url": file_mirror,
        "nvidia_driver_branch": "580",
        "nvidia_driver_version": "580.95.05",
        "nvidia_driver_container_toolkit_repo": "driver",
    }
    result, output = run_converge(host, tmp_path, extra, check=True, diff=True)
    assert result.returncode == 0, output[-3000:]
    assert "URIs: %s/debian12/x86_64/" % file_mirror in output
    assert "Signed-By: /etc/apt/keyrings/privateai-deepseek-nvidia-cuda.asc" in output
    assert "Pin: version 580.95.05-*" in output
    assert "check mode: the repositories would change first" in output
    assert "nvidia-driver-cuda=580.95.05-*" in output
    # The kernel side is planned (no GPU visible: open, NVIDIA's default) but not installed in a
    # container: the report names it among the skipped steps.
    assert "kernel module packages (nvidia-kernel-open-dkms=580.95.05-*)" in output
    assert _state(host) == before


def test_mirror_password_stays_out_of_check_and_diff_output(host, tmp_path, file_mirror):
    extra = {
        "nvidia_driver_source": "mirror",
        "nvidia_driver_branch": "580",
        "nvidia_driver_mirror_url": file_mirror,
        "nvidia_driver_mirror_username": "builder",
        "nvidia_driver_mirror_password": "s3cret-mirror-pass",
    }
    result, output = run_converge(host, tmp_path, extra, check=True, diff=True)
    assert result.returncode == 0, output[-3000:]
    assert "s3cret-mirror-pass" not in output

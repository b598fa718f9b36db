"""The NVIDIA driver plan: flavour from PCI ids, branch/version rules, and every bad input.

The full package table per distribution is in tests/unit/roles/test_nvidia_driver_table.py;
this file covers the decisions and the error messages (variable name and fix in each).
"""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.filter.nvidia_driver_plan import nvidia_driver_plan
from ansible_collections.privateai.deepseek.plugins.module_utils.nvidia_driver_plan import (
    PlanError,
    build_plan,
    gpu_generation,
)

UBUNTU_2404 = {"distribution": "Ubuntu", "distribution_version": "24.04", "architecture": "x86_64"}
DEBIAN_12 = {"distribution": "Debian", "distribution_version": "12.11", "architecture": "x86_64"}
ROCKY_9 = {"distribution": "Rocky", "distribution_version": "9.6", "architecture": "aarch64"}
H200, V100, T4, B200, A100 = "0x2335", "0x1db6", "0x1eb8", "0x2901", "0x20b2"


def node(base=UBUNTU_2404, gpus=(H200,), nvswitches=0):
    return dict(base, gpu_device_ids=list(gpus), nvswitch_count=nvswitches)


def errors_of(facts, **options):
    with pytest.raises(PlanError) as raised:
        build_plan(facts, options)
    return raised.value.messages


@pytest.mark.parametrize(
    "device_id,generation",
    [
        ("0x1db6", "legacy"),  # V100
        ("0x15f8", "legacy"),  # P100
        ("0x1dff", "legacy"),
        ("0x1e00", "turing_plus"),
        ("0x1e02", "turing_plus"),  # TITAN RTX, lowest id in the open modules' list
        ("0x1eb8", "turing_plus"),  # T4
        ("0x20b2", "turing_plus"),  # A100
        ("0x2335", "turing_plus"),  # H200
        ("0x28ff", "turing_plus"),
        ("0x2901", "open_only"),  # B200
        ("0x2342", "open_only"),  # GH200
        ("0xzz", "unknown"),
    ],
)
def test_gpu_generation_from_pci_device_id(device_id, generation):
    assert gpu_generation(device_id) == generation


def test_auto_picks_open_on_turing_and_newer():
    plan = build_plan(node(gpus=[H200, T4, A100]), {})
    assert plan["flavor"] == "open"
    assert plan["packages"]["kernel"] == ["nvidia-open-580"]
    assert "Turing or newer" in plan["flavor_reason"]


def test_auto_picks_proprietary_when_any_gpu_is_volta_or_older():
    plan = build_plan(node(gpus=[V100]), {})
    assert plan["flavor"] == "proprietary"
    assert plan["packages"]["kernel"] == ["cuda-drivers-580"]
    assert "0x1db6" in plan["flavor_reason"]


def test_auto_without_gpus_takes_nvidias_default_open():
    plan = build_plan(node(gpus=[]), {"image_build": True})
    assert plan["flavor"] == "open"
    assert "no NVIDIA GPU visible" in plan["flavor_reason"]


def test_debian_distro_auto_is_debians_proprietary_default():
    plan = build_plan(node(DEBIAN_12), {"source": "distro", "branch": "535"})
    assert plan["flavor"] == "proprietary"
    assert plan["packages"]["kernel"] == ["nvidia-kernel-dkms"]
    assert plan["packages"]["userspace"] == [
        "nvidia-smi",
        "libnvidia-ml1",
        "libcuda1",
        "libnvidia-cfg1",
        "nvidia-persistenced",
    ]
    assert plan["distro_components"] == ["contrib", "non-free", "non-free-firmware"]
    assert plan["repositories"] == []
    assert plan["pin"] == {"packages": plan["pin"]["packages"], "version": "535.*"}


def test_open_requested_for_a_volta_gpu_is_refused():
    (message,) = errors_of(node(gpus=[V100]), kernel_modules="open")
    assert message.startswith("nvidia_driver_kernel_modules=open, but the GPU(s) 0x1db6 are Volta or older")
    assert "Set nvidia_driver_kernel_modules: proprietary" in message


def test_proprietary_requested_for_blackwell_is_refused():
    (message,) = errors_of(node(gpus=[B200]), kernel_modules="proprietary")
    assert "0x2901 are Blackwell or Grace Hopper" in message
    assert "Set nvidia_driver_kernel_modules: open" in message


def test_mixed_volta_and_blackwell_cannot_share_a_driver():
    (message,) = errors_of(node(gpus=[V100, B200]))
    assert "no single driver flavour runs both" in message


def test_volta_needs_branch_580_or_older():
    messages = errors_of(node(gpus=[V100]), branch="590")
    assert any("R580 is the last branch for Maxwell, Pascal and Volta" in m for m in messages)


@pytest.mark.parametrize("branch", ["58", "r580", "5800", "580.95", ""])
def test_branch_must_be_three_digits(branch):
    (message,) = errors_of(node(), branch=branch)
    assert message.startswith("nvidia_driver_branch=%s is not a driver branch" % branch)


@pytest.mark.parametrize("version", ["580", "580.95.05.1", "v580.95.05"])
def test_version_format(version):
    (message,) = errors_of(node(), version=version)
    assert message.startswith("nvidia_driver_version=%s is not a driver version" % version)


def test_version_must_be_in_the_branch():
    (message,) = errors_of(node(), version="570.195.03")
    assert "is not in nvidia_driver_branch=580: set the branch to '570'" in message


def test_exact_version_pins_apt_and_package_specs():
    plan = build_plan(node(nvswitches=4), {"version": "580.95.05"})
    assert plan["pin"]["version"] == "580.95.05-*"
    assert plan["packages"]["kernel"] == ["nvidia-open-580=580.95.05-*"]
    assert plan["packages"]["fabricmanager"] == ["nvidia-fabricmanager=580.95.05-*", "libnvidia-nscq=580.95.05-*"]
    assert plan["hold"]["version_regex"] == r"^580\.95\.05(-|$)"


def test_exact_version_on_dnf_is_name_dash_version():
    plan = build_plan(node(ROCKY_9, nvswitches=4), {"version": "580.95.05"})
    assert plan["module_stream"] == "nvidia-driver:580-open"
    assert plan["packages"]["kernel"] == ["kmod-nvidia-open-dkms-580.95.05"]
    assert plan["packages"]["fabricmanager"] == ["nvidia-fabricmanager-580.95.05", "libnvidia-nscq-580.95.05"]
    assert plan["pin"] is None
    assert plan["repositories"][0]["url"] == "https://developer.download.nvidia.com/compute/cuda/repos/rhel9/sbsa/"


def test_fabric_manager_follows_nvswitches():
    assert build_plan(node(nvswitches=0), {})["packages"]["fabricmanager"] == []
    plan = build_plan(node(nvswitches=4), {})
    assert plan["packages"]["fabricmanager"] == ["nvidia-fabricmanager", "libnvidia-nscq"]
    assert plan["services"]["fabricmanager"] == "nvidia-fabricmanager"
    assert plan["fabricmanager_package"] == "nvidia-fabricmanager"


def test_fabric_manager_before_580_carries_the_branch_in_its_name():
    assert build_plan(node(nvswitches=4), {"branch": "570"})["packages"]["fabricmanager"] == [
        "nvidia-fabricmanager-570",
        "libnvidia-nscq-570",
    ]
    assert build_plan(node(ROCKY_9, nvswitches=4), {"branch": "570"})["packages"]["fabricmanager"] == [
        "nvidia-fabric-manager",
        "libnvidia-nscq-570",
    ]


def test_fabric_manager_forced_without_nvswitch_is_refused():
    (message,) = errors_of(node(nvswitches=0), fabricmanager="true")
    assert message.startswith("nvidia_driver_fabricmanager=true, but node_facts found no NVSwitch")
    assert "nvidia_driver_image_build: true" in message


def test_fabric_manager_forced_for_an_image_is_allowed():
    plan = build_plan(node(gpus=[], nvswitches=0), {"fabricmanager": "true", "image_build": True})
    assert plan["packages"]["fabricmanager"] == ["nvidia-fabricmanager", "libnvidia-nscq"]


def test_fabric_manager_from_debian_is_refused():
    messages = errors_of(node(DEBIAN_12, nvswitches=4), source="distro", branch="535")
    assert any("Debian 12 does not ship fabric manager" in m for m in messages)


def test_mirror_needs_a_url():
    (message,) = errors_of(node(), source="mirror")
    assert message.startswith("nvidia_driver_source=mirror needs nvidia_driver_mirror_url")
    assert "<url>/ubuntu2404/x86_64/" in message


def test_mirror_url_with_credentials_is_refused_and_masked():
    (message,) = errors_of(node(), source="mirror", mirror_url="https://user:s3cret@mirror.internal/cuda")
    assert "https://***@mirror.internal/cuda is not a URL" in message
    assert "s3cret" not in message


def test_mirror_has_the_cuda_repository_layout():
    plan = build_plan(node(), {"source": "mirror", "mirror_url": "https://mirror.internal/nvidia/cuda/repos/"})
    assert plan["repositories"][0]["url"] == "https://mirror.internal/nvidia/cuda/repos/ubuntu2404/x86_64/"
    assert (
        plan["repositories"][0]["key_url"] == "https://mirror.internal/nvidia/cuda/repos/ubuntu2404/x86_64/3bf863cc.pub"
    )
    plan = build_plan(
        node(), {"source": "mirror", "mirror_url": "file:///srv/mirror", "mirror_key_url": "file:///k.pub"}
    )
    assert plan["repositories"][0]["key_url"] == "file:///k.pub"


def test_distro_branch_must_be_what_debian_ships():
    (message,) = errors_of(node(DEBIAN_12), source="distro")
    assert message == (
        "nvidia_driver_branch=580: Debian 12 ships only branch 535 in its own archive (non-free). Set "
        "nvidia_driver_branch: '535', or use nvidia_driver_source: cuda_repo for branch 580."
    )


def test_rhel_has_no_distro_driver():
    messages = errors_of(node(ROCKY_9), source="distro")
    assert any("does not ship the NVIDIA driver" in m for m in messages)


@pytest.mark.parametrize(
    "facts",
    [
        {"distribution": "Ubuntu", "distribution_version": "20.04", "architecture": "x86_64"},
        {"distribution": "Debian", "distribution_version": "11.9", "architecture": "x86_64"},
        {"distribution": "RedHat", "distribution_version": "8.10", "architecture": "x86_64"},
        {"distribution": "Ubuntu", "distribution_version": "24.04", "architecture": "ppc64le"},
        {"distribution": "SLES", "distribution_version": "15.6", "architecture": "x86_64"},
    ],
)
def test_unsupported_platforms_are_refused(facts):
    (message,) = errors_of(node(facts))
    assert "is not supported. Supported: Ubuntu 22.04/24.04, Debian 12/13, RHEL/Rocky/AlmaLinux 9" in message


@pytest.mark.parametrize("distribution", ["RedHat", "Rocky", "AlmaLinux"])
def test_el9_clones_share_the_rhel9_repository(distribution):
    facts = {"distribution": distribution, "distribution_version": "9.4", "architecture": "x86_64"}
    plan = build_plan(node(facts), {})
    assert plan["repositories"][0]["key_url"].endswith("/rhel9/x86_64/D42D0685.pub")


def test_debian_13_uses_its_new_repository_key():
    facts = {"distribution": "Debian", "distribution_version": "13.1", "architecture": "aarch64"}
    plan = build_plan(node(facts), {})
    assert plan["repositories"][0]["key_url"].endswith("/debian13/sbsa/8793F200.pub")


def test_branches_after_580_use_unsuffixed_metapackages_and_the_pin():
    plan = build_plan(node(), {"branch": "590"})
    assert plan["packages"]["kernel"] == ["nvidia-open"]
    assert plan["pin"]["version"] == "590.*"


def test_dcgm_and_toolkit_follow_the_branch_cuda_version():
    plan = build_plan(node(), {"branch": "570", "dcgm": True, "cuda_toolkit": True})
    assert plan["packages"]["dcgm"] == ["datacenter-gpu-manager-4-cuda12"]
    assert plan["packages"]["cuda_toolkit"] == ["cuda-toolkit-12-8"]
    plan = build_plan(node(), {"cuda_toolkit": True, "cuda_toolkit_version": "12.9"})
    assert plan["packages"]["cuda_toolkit"] == ["cuda-toolkit-12-9"]


def test_unknown_branch_needs_an_explicit_cuda_version_for_the_toolkit():
    (message,) = errors_of(node(), branch="610", cuda_toolkit=True)
    assert "Set nvidia_driver_cuda_toolkit_version" in message
    assert build_plan(node(), {"branch": "610"})["packages"]["kernel"] == ["nvidia-open"]


def test_dcgm_needs_nvidias_repository():
    messages = errors_of(node(DEBIAN_12), source="distro", branch="535", dcgm=True)
    assert any(m.startswith("nvidia_driver_dcgm=true needs NVIDIA's repository") for m in messages)


def test_container_toolkit_repository_and_version():
    plan = build_plan(node(), {"container_toolkit": True, "container_toolkit_version": "1.18.0-1"})
    assert plan["repositories"][1]["url"] == "https://nvidia.github.io/libnvidia-container/stable/deb/amd64/"
    assert plan["packages"]["container_toolkit"][0] == "nvidia-container-toolkit=1.18.0-1"
    plan = build_plan(node(), {"container_toolkit": True, "container_toolkit_repo": "none"})
    assert plan["packages"]["container_toolkit"] == []
    assert len(plan["repositories"]) == 1
    (message,) = errors_of(node(), container_toolkit=True, container_toolkit_version="latest")
    assert message.startswith("nvidia_driver_container_toolkit_version=latest")


def test_module_parameters_render_sorted_options_lines():
    plan = build_plan(
        node(), {"module_parameters": {"nvidia": {"NVreg_B": 1, "NVreg_A": True}, "nvidia_uvm": {"x": "y"}}}
    )
    assert plan["module_options"] == ["options nvidia NVreg_A=1 NVreg_B=1", "options nvidia_uvm x=y"]


@pytest.mark.parametrize(
    "parameters,fragment",
    [
        ({"nvidia": {"NVreg_X": "a b"}}, "nvidia_driver_module_parameters.nvidia.NVreg_X=a b"),
        ({"nvidia": {"bad name": 1}}, "nvidia_driver_module_parameters.nvidia.bad name=1"),
        ({"Nvidia!": {"x": 1}}, "nvidia_driver_module_parameters.Nvidia!"),
        ({"nvidia": 1}, "nvidia_driver_module_parameters.nvidia"),
        ("options nvidia x=1", "nvidia_driver_module_parameters must map"),
    ],
)
def test_bad_module_parameters(parameters, fragment):
    (message,) = errors_of(node(), module_parameters=parameters)
    assert message.startswith(fragment)


def test_container_runtimes():
    assert build_plan(node(), {"container_runtimes": ["docker", "podman"]})["container_runtimes"] == [
        "docker",
        "podman",
    ]
    (message,) = errors_of(node(), container_runtimes="docker")
    assert message.startswith("nvidia_driver_container_runtimes=docker: write auto")


def test_every_problem_is_reported_at_once():
    messages = errors_of(node(), branch="x", source="ppa", kernel_modules="nouveau", fabricmanager="maybe")
    assert [m.split("=")[0] for m in messages] == [
        "nvidia_driver_source",
        "nvidia_driver_branch",
        "nvidia_driver_kernel_modules",
        "nvidia_driver_fabricmanager",
    ]


def test_filter_reports_bad_input_as_one_filter_error():
    with pytest.raises(AnsibleFilterError) as raised:
        nvidia_driver_plan(node(gpus=[V100]), {"kernel_modules": "open", "branch": "58"})
    text = str(raised.value)
    assert text.startswith("nvidia_driver: bad input, nothing was changed:\n- nvidia_driver_branch=58")
    with pytest.raises(AnsibleFilterError):
        nvidia_driver_plan("not a dict")


def test_hold_selects_driver_packages_only():
    import re

    plan = build_plan(node(), {})
    name = re.compile(plan["hold"]["name_regex"])
    for held in ("nvidia-open-580", "libnvidia-compute-580", "nvidia-fabricmanager", "libcuda1", "firmware-nvidia-gsp"):
        assert name.match(held), held
    for free in ("nvidia-container-toolkit", "libnvidia-container1", "cuda-toolkit-13-0", "python3-pynvml"):
        assert not name.match(free), free
    assert re.match(plan["hold"]["version_regex"], "580.95.05-0ubuntu1")
    assert not re.match(plan["hold"]["version_regex"], "12.580.82-1")

"""The nvidia_driver repository/package table, rendered and compared with the checked-in one.

For every supported distribution, version, architecture, source, branch and kernel module
flavour, the plan the role installs from (plugins/module_utils/nvidia_driver_plan.py) is
rendered to the repositories, keys, dnf module stream, package specs, pins and services,
and compared with tests/unit/roles/nvidia_driver_expected.yml. A renamed package, a
stale branch or a wrong key shows up as a diff here, not at a customer.

After an intended change, regenerate the table and review the diff:

    .venv/bin/python tests/unit/roles/test_nvidia_driver_table.py --write
    git diff tests/unit/roles/nvidia_driver_expected.yml
"""

import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
EXPECTED = Path(__file__).with_name("nvidia_driver_expected.yml")

if __name__ == "__main__":  # pragma: no cover - regeneration entry point
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import conftest  # noqa: F401  (makes ansible_collections.privateai.deepseek importable)

from ansible_collections.privateai.deepseek.plugins.module_utils.nvidia_driver_plan import build_plan  # noqa: E402

PLATFORMS = {
    "ubuntu22.04": {"distribution": "Ubuntu", "distribution_version": "22.04", "distribution_major_version": "22"},
    "ubuntu24.04": {"distribution": "Ubuntu", "distribution_version": "24.04", "distribution_major_version": "24"},
    "debian12": {"distribution": "Debian", "distribution_version": "12.11", "distribution_major_version": "12"},
    "debian13": {"distribution": "Debian", "distribution_version": "13.1", "distribution_major_version": "13"},
    "el9": {"distribution": "Rocky", "distribution_version": "9.6", "distribution_major_version": "9"},
}
ARCHES = ("x86_64", "aarch64")
CUDA_REPO_BRANCHES = ("570", "580", "590")
DISTRO_BRANCHES = {
    "ubuntu22.04": ("570", "580"),
    "ubuntu24.04": ("570", "580"),
    "debian12": ("535",),
    "debian13": ("550",),
}
FLAVORS = ("open", "proprietary")
H200 = "0x2335"  # Hopper: runs either flavour
HGX = {"gpu_device_ids": [H200] * 8, "nvswitch_count": 4}
MIRROR = "https://mirror.example.internal/nvidia/cuda/repos"
EVERYTHING = {
    "cuda_toolkit": True,
    "container_toolkit": True,
    "container_toolkit_repo": "libnvidia-container",
    "dcgm": True,
}

# What could not be confirmed against a live NVIDIA repository from here (the CUDA
# repository is unreachable from the machines this was written on). Each note is part of
# the rendered row, so it stays visible in the table and in review.
UNVERIFIED = [
    (
        lambda p, s, b: s in ("cuda_repo", "mirror") and p.startswith("ubuntu") and int(b) >= 590,
        "590+: Ubuntu CUDA repo publishes unsuffixed names (nvidia-open, cuda-drivers seen); the unsuffixed userspace"
        " names libnvidia-compute / nvidia-utils / nvidia-compute-utils are inferred, not seen",
    ),
    (
        lambda p, s, b: s in ("cuda_repo", "mirror") and p == "el9",
        "kmod-nvidia-latest-dkms as the proprietary DKMS kmod of the <branch>-dkms stream and nvidia-persistenced"
        " carrying the driver version are from NVIDIA's docs/packaging, not from a live repoquery",
    ),
    (
        lambda p, s, b: s in ("cuda_repo", "mirror") and p.startswith("debian"),
        "nvidia-driver-cuda + nvidia-kernel[-open]-dkms is NVIDIA's documented compute-only set; the branch comes only"
        " from the apt pin (NVIDIA's own alternative is the nvidia-driver-pinning-<branch> package)",
    ),
    (
        lambda p, s, b: s in ("cuda_repo", "mirror") and p == "debian13",
        "Debian 13 repository key file 8793F200.pub taken from public install scripts, not from NVIDIA's docs",
    ),
]


def _cases():
    cases = []
    for platform in PLATFORMS:
        for arch in ARCHES:
            for branch in CUDA_REPO_BRANCHES:
                for flavor in FLAVORS:
                    cases.append((platform, arch, "cuda_repo", branch, "", flavor))
        cases.append((platform, "x86_64", "cuda_repo", "580", "580.95.05", "open"))
        cases.append((platform, "x86_64", "mirror", "580", "", "open"))
        for branch in DISTRO_BRANCHES.get(platform, ()):
            for arch in ARCHES:
                for flavor in FLAVORS:
                    cases.append((platform, arch, "distro", branch, "", flavor))
    return cases


def case_id(platform, arch, source, branch, version, flavor):
    return "-".join([platform, arch, source, version or branch, flavor])


def render(platform, arch, source, branch, version, flavor):
    facts = dict(PLATFORMS[platform], architecture=arch)
    options = {"source": source, "branch": branch, "version": version, "kernel_modules": flavor}
    if source == "mirror":
        options["mirror_url"] = MIRROR
    if source == "distro":
        facts.update(gpu_device_ids=[H200], nvswitch_count=0)
        options.update(cuda_toolkit=True)
        if platform.startswith("ubuntu"):
            facts.update(HGX)
            options.update(container_toolkit=True, container_toolkit_repo="libnvidia-container")
    else:
        facts.update(HGX)
        options.update(EVERYTHING)
    plan = build_plan(facts, options)
    row = {
        "repositories": [{"url": repo["url"], "key": repo["key_url"]} for repo in plan["repositories"]],
        "flavor": plan["flavor"],
        "packages": {group: specs for group, specs in plan["packages"].items() if specs},
        "headers": plan["headers"],
        "image_headers": plan["image_headers"],
        "services": {name: unit for name, unit in plan["services"].items() if unit},
        "version_package": plan["version_package"],
    }
    if plan["module_stream"]:
        row["module_stream"] = plan["module_stream"]
    if plan["pin"]:
        row["apt_pin"] = {"packages": plan["pin"]["packages"], "version": plan["pin"]["version"]}
    if plan["distro_components"]:
        row["distro_components"] = plan["distro_components"]
    if plan["fabricmanager_package"]:
        row["fabricmanager_package"] = plan["fabricmanager_package"]
    notes = [note for predicate, note in UNVERIFIED if predicate(platform, source, branch)]
    if notes:
        row["unverified"] = notes
    return row


def render_all():
    return {case_id(*case): render(*case) for case in _cases()}


HEADER = """\
# GENERATED by tests/unit/roles/test_nvidia_driver_table.py --write from
# plugins/module_utils/nvidia_driver_plan.py. Review every diff in this file: it is the
# list of repositories, keys and package names the nvidia_driver role installs.
#
# Row key: <platform>-<arch>-<source>-<branch or exact version>-<flavour>.
# cuda_repo/mirror rows render an HGX node (8x H200 = PCI 0x2335, 4 NVSwitches) with the
# CUDA toolkit, container toolkit and DCGM on; distro rows render one H200 with the CUDA
# toolkit (plus fabric manager and container toolkit on Ubuntu, which ships fabric manager).
# "unverified" lists what could not be confirmed against a live NVIDIA repository.
"""


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as yamllint (and this repository) expects."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def write_expected():
    text = yaml.dump(render_all(), Dumper=_IndentedDumper, sort_keys=True, width=150, default_flow_style=False)
    EXPECTED.write_text(HEADER + "---\n" + text)


@pytest.fixture(scope="module")
def expected():
    return yaml.safe_load(EXPECTED.read_text())


def test_table_covers_exactly_the_supported_combinations(expected):
    assert sorted(expected) == sorted(case_id(*case) for case in _cases())


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case_id(*case))
def test_rendered_plan_matches_the_checked_in_table(expected, case):
    assert render(*case) == expected[case_id(*case)]


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--write"]:
        write_expected()
        print("wrote %s" % EXPECTED)
    else:
        print(__doc__)

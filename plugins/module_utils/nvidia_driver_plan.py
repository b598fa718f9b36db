# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place that knows how NVIDIA drivers are packaged, per distribution.

`build_plan(facts, options)` turns the node (distribution, version, architecture, the
NVIDIA GPUs and NVSwitches node_facts found on the PCI bus) and the nvidia_driver role's
variables into the exact repositories, signing keys, dnf module stream, package names,
version pins, services and the kernel module flavour the role installs. The role renders
everything from this plan; tests/unit/roles/test_nvidia_driver_table.py renders every
supported distribution/version/arch/branch/flavour and compares it with the checked-in
tests/unit/roles/nvidia_driver_expected.yml, so a renamed package shows up as a diff.

Bad input raises PlanError with one message per problem, each naming the role variable
and the fix; the role calls this before it changes anything.

Sources of the names (read 2025/2026):
- NVIDIA Driver Installation Guide (docs.nvidia.com/datacenter/tesla/driver-installation-guide):
  CUDA network repository per distro/arch, cuda-keyring, `nvidia-open` / `cuda-drivers`
  (with `-<branch>` up to 580), compute-only sets (`nvidia-driver-cuda` +
  `nvidia-kernel-open-dkms` on Debian, `nvidia-driver-cuda` + `kmod-nvidia-open-dkms` on
  RHEL), dnf module streams `nvidia-driver:<branch>-open` / `<branch>-dkms`.
- NVIDIA/gpu-driver-container install scripts (debian13, rhel9, ubuntu24.04 precompiled):
  fabric manager and NSCQ are `nvidia-fabricmanager` / `libnvidia-nscq` without branch
  suffix from 580 on (`=<version>-1` pins), `nvidia-fabricmanager-<branch>` /
  `libnvidia-nscq-<branch>` before; RHEL used `nvidia-fabric-manager` before 580.
- Ubuntu archive (jammy/noble restricted + multiverse, checked with apt-cache):
  `nvidia-headless-<branch>-server[-open]`, `nvidia-utils-<branch>-server`,
  `nvidia-compute-utils-<branch>-server` (provides nvidia-persistenced),
  `libnvidia-compute-<branch>-server`, `nvidia-fabricmanager-<branch>`, `libnvidia-nscq-<branch>`.
- Debian archive (checked with apt-cache): bookworm ships 535 (non-free), trixie 550;
  `nvidia-open-kernel-dkms` and `nvidia-persistenced` live in contrib.
- NVIDIA/open-gpu-kernel-modules README "Compatible GPUs": open modules run on Turing and
  later; the lowest PCI device id listed is 0x1E02 (TITAN RTX, TU102). Volta GV100 ids end
  below 0x1E00. NVIDIA's R560 announcement: Grace Hopper and Blackwell require the open
  modules; Maxwell, Pascal and Volta require the proprietary ones; R580 is the last branch
  that supports Maxwell, Pascal and Volta.
"""

from __future__ import absolute_import, division, print_function

import re

CUDA_REPO_URL = "https://developer.download.nvidia.com/compute/cuda/repos"
CONTAINER_TOOLKIT_REPO_URL = "https://nvidia.github.io/libnvidia-container/stable"
CONTAINER_TOOLKIT_KEY_URL = "https://nvidia.github.io/libnvidia-container/gpgkey"

SOURCES = ("cuda_repo", "distro", "mirror")
FLAVORS = ("auto", "open", "proprietary")
FABRICMANAGER_MODES = ("auto", "true", "false")
CONTAINER_TOOLKIT_REPOS = ("libnvidia-container", "driver", "none")

# Supported platforms. repo_distro and repo_key are the CUDA repository directory and the
# signing key file in it (Debian 13 got a new key; the others use the 2022 key 3bf863cc).
PLATFORMS = {
    ("ubuntu", "22.04"): {
        "label": "Ubuntu 22.04",
        "family": "debian",
        "codename": "jammy",
        "repo_distro": "ubuntu2204",
        "repo_key": "3bf863cc.pub",
        "distro_branches": None,  # the archive carries many -server branches
    },
    ("ubuntu", "24.04"): {
        "label": "Ubuntu 24.04",
        "family": "debian",
        "codename": "noble",
        "repo_distro": "ubuntu2404",
        "repo_key": "3bf863cc.pub",
        "distro_branches": None,
    },
    ("debian", "12"): {
        "label": "Debian 12",
        "family": "debian",
        "codename": "bookworm",
        "repo_distro": "debian12",
        "repo_key": "3bf863cc.pub",
        "distro_branches": ("535",),
    },
    ("debian", "13"): {
        "label": "Debian 13",
        "family": "debian",
        "codename": "trixie",
        "repo_distro": "debian13",
        "repo_key": "8793F200.pub",
        "distro_branches": ("550",),
    },
    ("el", "9"): {
        "label": "RHEL/Rocky/AlmaLinux 9",
        "family": "redhat",
        "codename": "el9",
        "repo_distro": "rhel9",
        "repo_key": "D42D0685.pub",
        "distro_branches": (),  # no NVIDIA driver in the distribution
    },
}

EL_DISTRIBUTIONS = ("redhat", "rocky", "almalinux", "centos")

# machine -> (CUDA repository arch, dpkg arch, rpm basearch)
ARCHITECTURES = {
    "x86_64": ("x86_64", "amd64", "x86_64"),
    "amd64": ("x86_64", "amd64", "x86_64"),
    "aarch64": ("sbsa", "arm64", "aarch64"),
    "arm64": ("sbsa", "arm64", "aarch64"),
}

# Driver branch -> CUDA version it ships with (cuda-toolkit-X-Y that matches the runtime).
BRANCH_CUDA = {
    "535": "12.2",
    "550": "12.4",
    "560": "12.6",
    "565": "12.7",
    "570": "12.8",
    "575": "12.9",
    "580": "13.0",
    "590": "13.1",
    "595": "13.2",
}

# The CUDA repositories stopped publishing branch-suffixed metapackages after 580
# (nvidia-open-<b>, cuda-drivers-<b>); later branches are chosen by version pin only.
LAST_SUFFIXED_META_BRANCH = 580
# Fabric manager / NSCQ lost their branch suffix in the CUDA repositories at 580.
FIRST_UNSUFFIXED_FABRIC_BRANCH = 580
# R580 is the last branch that supports Maxwell, Pascal and Volta.
LAST_LEGACY_GPU_BRANCH = 580

OPEN_MIN_DEVICE_ID = 0x1E00  # Turing (TU102 0x1E02) and later: open modules supported
OPEN_ONLY_MIN_DEVICE_ID = 0x2900  # Blackwell (GB100 0x29xx) and later: open modules required
# GH200 Grace Hopper superchips (open modules required). From the open-gpu-kernel-modules
# README as remembered, not re-checked: a GH200 with another id is treated as Hopper.
GRACE_HOPPER_DEVICE_IDS = (0x2342, 0x2348)

# Installed packages the role holds (apt-mark hold / dnf versionlock) when their version is
# the driver's: every NVIDIA driver package, never the container toolkit (own versions).
HOLD_NAME_REGEX = (
    r"^(?!nvidia-container|libnvidia-container)"
    r"(.*nvidia.*|libcuda.*|libnvcuvid.*|libnvoptix.*|cuda-drivers.*|firmware-nvidia-gsp.*)$"
)
# apt preferences glob over the same names; only versions matching the pin are raised.
APT_PIN_PACKAGES = "*nvidia* libcuda* libnvcuvid* libnvoptix* cuda-drivers* firmware-nvidia-gsp*"

BRANCH_RE = re.compile(r"^[0-9]{3}$")
VERSION_RE = re.compile(r"^([0-9]{3})\.[0-9]{1,3}(\.[0-9]{1,3})?$")
CUDA_VERSION_RE = re.compile(r"^([0-9]{2})[.-]([0-9])$")
CONTAINER_TOOLKIT_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.~+]+)?$")
URL_RE = re.compile(r"^(https?://[^/\s?#]+|file:///)[^\s]*$")


class PlanError(Exception):
    """Bad input; `messages` holds one line per problem, each naming the variable."""

    def __init__(self, messages):
        self.messages = list(messages)
        super(PlanError, self).__init__("\n".join(self.messages))


def _netloc(url):
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/]*)", url)
    return match.group(1) if match else url


def _device_id(value):
    text = str(value).strip().lower()
    try:
        return int(text, 16)
    except ValueError:
        return None


def gpu_generation(device_id, architecture="x86_64"):
    """Classify a PCI device id: legacy (proprietary only), turing_plus, open_only."""
    number = _device_id(device_id)
    if number is None:
        return "unknown"
    if number < OPEN_MIN_DEVICE_ID:
        return "legacy"
    if number >= OPEN_ONLY_MIN_DEVICE_ID:
        return "open_only"
    if number in GRACE_HOPPER_DEVICE_IDS:
        return "open_only"
    return "turing_plus"


def choose_flavor(requested, device_ids, architecture, platform_key, source):
    """Return (flavor, reason, errors) for nvidia_driver_kernel_modules."""
    generations = {}
    for device_id in device_ids:
        generations.setdefault(gpu_generation(device_id, architecture), []).append(str(device_id))
    legacy = generations.get("legacy", [])
    open_only = generations.get("open_only", [])
    errors = []
    if legacy and open_only:
        errors.append(
            "nvidia_driver_kernel_modules: this node mixes GPUs that need the proprietary modules "
            "(Volta or older: %s) with GPUs that need the open modules (Blackwell/Grace Hopper: %s); "
            "no single driver flavour runs both. Split the GPUs across nodes."
            % (", ".join(legacy), ", ".join(open_only))
        )
        return None, "", errors
    if requested == "open":
        if legacy:
            errors.append(
                "nvidia_driver_kernel_modules=open, but the GPU(s) %s are Volta or older (PCI device id below 0x1e00): "
                "the open kernel modules support Turing and later only. Set nvidia_driver_kernel_modules: proprietary "
                "(or auto)." % ", ".join(legacy)
            )
            return None, "", errors
        return "open", "requested (nvidia_driver_kernel_modules=open)", errors
    if requested == "proprietary":
        if open_only:
            errors.append(
                "nvidia_driver_kernel_modules=proprietary, but the GPU(s) %s are Blackwell or Grace Hopper, which run "
                "only with the open kernel modules. Set nvidia_driver_kernel_modules: open (or auto)."
                % ", ".join(open_only)
            )
            return None, "", errors
        return "proprietary", "requested (nvidia_driver_kernel_modules=proprietary)", errors
    if legacy:
        return "proprietary", "auto: Volta or older GPU(s) %s need the proprietary modules" % ", ".join(legacy), errors
    if platform_key[0] == "debian" and source == "distro" and not open_only:
        return (
            "proprietary",
            "auto: Debian's own default (nvidia-kernel-dkms); its open module lives in contrib and lags the "
            "security updates of the proprietary stack",
            errors,
        )
    if not device_ids:
        return "open", "auto: no NVIDIA GPU visible; open is NVIDIA's default since R560", errors
    return "open", "auto: every GPU is Turing or newer (PCI device id 0x1e00 and above)", errors


def _platform_key(facts):
    distribution = str(facts.get("distribution", "")).strip().lower()
    version = str(facts.get("distribution_version", "")).strip()
    major = str(facts.get("distribution_major_version", "") or version.split(".", 1)[0]).strip()
    if distribution == "ubuntu":
        return ("ubuntu", ".".join(version.split(".")[:2]))
    if distribution == "debian":
        return ("debian", major)
    if distribution in EL_DISTRIBUTIONS:
        return ("el", major)
    return (distribution, version)


def _apt_spec(name, version):
    return "%s=%s-*" % (name, version) if version else name


def _rpm_spec(name, version):
    return "%s-%s" % (name, version) if version else name


def _specs(packages, family, version):
    """packages: list of (name, carries_driver_version)."""
    result = []
    for name, versioned in packages:
        pinned = version if versioned else ""
        result.append(_apt_spec(name, pinned) if family == "debian" else _rpm_spec(name, pinned))
    return result


def _cuda_version(branch, requested, errors, needed_for):
    if requested:
        match = CUDA_VERSION_RE.match(str(requested))
        if not match:
            errors.append(
                "nvidia_driver_cuda_toolkit_version=%s is not a CUDA version: write major.minor, e.g. '13.0'."
                % requested
            )
            return None
        return "%s.%s" % (match.group(1), match.group(2))
    if branch in BRANCH_CUDA:
        return BRANCH_CUDA[branch]
    errors.append(
        "nvidia_driver_cuda_toolkit_version: branch %s is not in the known branch table, so the CUDA version that "
        "matches it (needed for %s) is unknown. Set nvidia_driver_cuda_toolkit_version, e.g. '13.0'."
        % (branch, needed_for)
    )
    return None


def _debian_family_driver_packages(platform_key, source, branch, flavor):
    """(userspace, kernel, fabricmanager, persistenced_note) as lists of (name, versioned)."""
    number = int(branch)
    if platform_key[0] == "ubuntu" and source == "distro":
        suffix = "-open" if flavor == "open" else ""
        userspace = [
            ("libnvidia-compute-%s-server" % branch, True),
            ("nvidia-utils-%s-server" % branch, True),
            ("nvidia-compute-utils-%s-server" % branch, True),  # provides nvidia-persistenced
        ]
        kernel = [("nvidia-headless-%s-server%s" % (branch, suffix), True)]
        fabric = [("nvidia-fabricmanager-%s" % branch, True), ("libnvidia-nscq-%s" % branch, True)]
        return userspace, kernel, fabric
    if platform_key[0] == "debian" and source == "distro":
        userspace = [
            ("nvidia-smi", True),
            ("libnvidia-ml1", True),
            ("libcuda1", True),
            ("libnvidia-cfg1", True),
            ("nvidia-persistenced", False),  # contrib, versioned on its own (e.g. 535.171.04)
        ]
        kernel = [("nvidia-open-kernel-dkms" if flavor == "open" else "nvidia-kernel-dkms", True)]
        return userspace, kernel, []
    # NVIDIA's CUDA repository (or a mirror of it)
    if number >= FIRST_UNSUFFIXED_FABRIC_BRANCH:
        fabric = [("nvidia-fabricmanager", True), ("libnvidia-nscq", True)]
    else:
        fabric = [("nvidia-fabricmanager-%s" % branch, True), ("libnvidia-nscq-%s" % branch, True)]
    if platform_key[0] == "ubuntu":
        meta = ("nvidia-open" if flavor == "open" else "cuda-drivers") + (
            "-%s" % branch if number <= LAST_SUFFIXED_META_BRANCH else ""
        )
        ubuntu_suffix = "-%s" % branch if number <= LAST_SUFFIXED_META_BRANCH else ""
        userspace = [
            ("libnvidia-compute%s" % ubuntu_suffix, True),
            ("nvidia-utils%s" % ubuntu_suffix, True),
            ("nvidia-compute-utils%s" % ubuntu_suffix, True),  # provides nvidia-persistenced
        ]
        kernel = [(meta, True)]
        return userspace, kernel, fabric
    # Debian packaging in the CUDA repository: compute-only set, branch chosen by the pin
    userspace = [("nvidia-driver-cuda", True), ("nvidia-persistenced", True)]
    kernel = [("nvidia-kernel-open-dkms" if flavor == "open" else "nvidia-kernel-dkms", True)]
    return userspace, kernel, fabric


def _redhat_driver_packages(branch, flavor):
    number = int(branch)
    userspace = [("nvidia-driver-cuda", True), ("nvidia-persistenced", True)]
    kernel = [("kmod-nvidia-open-dkms" if flavor == "open" else "kmod-nvidia-latest-dkms", True)]
    if number >= FIRST_UNSUFFIXED_FABRIC_BRANCH:
        fabric = [("nvidia-fabricmanager", True), ("libnvidia-nscq", True)]
    else:
        fabric = [("nvidia-fabric-manager", True), ("libnvidia-nscq-%s" % branch, True)]
    return userspace, kernel, fabric


def _option(options, name, default=None):
    value = options.get(name, default)
    return default if value is None else value


def _bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def build_plan(facts, options):
    """Return the install plan for one node; raise PlanError on bad input."""
    errors = []
    platform_key = _platform_key(facts)
    machine = str(facts.get("architecture", "")).strip()
    platform = PLATFORMS.get(platform_key)
    arch = ARCHITECTURES.get(machine)
    if platform is None or arch is None:
        raise PlanError(
            [
                "nvidia_driver: %s %s (%s) is not supported. Supported: Ubuntu 22.04/24.04, Debian 12/13, "
                "RHEL/Rocky/AlmaLinux 9, on x86_64 and aarch64 (sbsa). Leave this host out of the play that applies "
                "privateai.deepseek.nvidia_driver."
                % (facts.get("distribution"), facts.get("distribution_version"), machine or "unknown arch")
            ]
        )
    family = platform["family"]
    repo_arch, deb_arch, rpm_arch = arch

    source = str(_option(options, "source", "cuda_repo"))
    branch = str(_option(options, "branch", "580")).strip()
    version = str(_option(options, "version", "")).strip()
    requested_flavor = str(_option(options, "kernel_modules", "auto"))
    fabricmanager = str(_option(options, "fabricmanager", "auto")).lower()
    image_build = _bool(_option(options, "image_build", False))
    mirror_url = str(_option(options, "mirror_url", "")).strip().rstrip("/")
    mirror_key_url = str(_option(options, "mirror_key_url", "")).strip()
    cuda_toolkit = _bool(_option(options, "cuda_toolkit", False))
    cuda_toolkit_version = str(_option(options, "cuda_toolkit_version", "")).strip()
    container_toolkit = _bool(_option(options, "container_toolkit", False))
    container_toolkit_repo = str(_option(options, "container_toolkit_repo", "libnvidia-container"))
    container_toolkit_repo_url = str(
        _option(options, "container_toolkit_repo_url", CONTAINER_TOOLKIT_REPO_URL) or CONTAINER_TOOLKIT_REPO_URL
    ).rstrip("/")
    container_toolkit_key_url = str(
        _option(options, "container_toolkit_key_url", CONTAINER_TOOLKIT_KEY_URL) or CONTAINER_TOOLKIT_KEY_URL
    )
    container_toolkit_version = str(_option(options, "container_toolkit_version", "")).strip()
    dcgm = _bool(_option(options, "dcgm", False))
    device_ids = [str(d) for d in (facts.get("gpu_device_ids") or [])]
    nvswitch_count = int(facts.get("nvswitch_count") or 0)

    if source not in SOURCES:
        errors.append("nvidia_driver_source=%s: choose one of %s." % (source, ", ".join(SOURCES)))
    if not BRANCH_RE.match(branch):
        errors.append(
            "nvidia_driver_branch=%s is not a driver branch: give the three-digit branch as a string, e.g. '580' "
            "(the long-term datacenter branch)." % branch
        )
    if version:
        match = VERSION_RE.match(version)
        if not match:
            errors.append(
                "nvidia_driver_version=%s is not a driver version: write it as NVIDIA does, e.g. '580.95.05', "
                "or leave it empty to take the newest release of nvidia_driver_branch." % version
            )
        elif BRANCH_RE.match(branch) and match.group(1) != branch:
            errors.append(
                "nvidia_driver_version=%s is not in nvidia_driver_branch=%s: set the branch to '%s' or pick a %s.x "
                "version." % (version, branch, match.group(1), branch)
            )
    if requested_flavor not in FLAVORS:
        errors.append("nvidia_driver_kernel_modules=%s: choose one of %s." % (requested_flavor, ", ".join(FLAVORS)))
    if fabricmanager not in FABRICMANAGER_MODES:
        errors.append("nvidia_driver_fabricmanager=%s: choose auto, true or false." % fabricmanager)
    if container_toolkit_repo not in CONTAINER_TOOLKIT_REPOS:
        errors.append(
            "nvidia_driver_container_toolkit_repo=%s: choose one of %s."
            % (container_toolkit_repo, ", ".join(CONTAINER_TOOLKIT_REPOS))
        )
    if container_toolkit_version and not CONTAINER_TOOLKIT_VERSION_RE.match(container_toolkit_version):
        errors.append(
            "nvidia_driver_container_toolkit_version=%s is not a package version: write e.g. '1.18.0-1' "
            "(apt/dnf release included), or leave it empty for the newest." % container_toolkit_version
        )
    if source == "mirror":
        if not mirror_url:
            errors.append(
                "nvidia_driver_source=mirror needs nvidia_driver_mirror_url: the URL inside your network that mirrors "
                "%s (same layout: <url>/%s/%s/), e.g. https://mirror.example.internal/nvidia/cuda/repos."
                % (CUDA_REPO_URL, platform["repo_distro"], repo_arch)
            )
        elif not URL_RE.match(mirror_url) or "@" in _netloc(mirror_url):
            errors.append(
                "nvidia_driver_mirror_url=%s is not a URL: write scheme and host (http://, https:// or file:///), and "
                "put credentials in nvidia_driver_mirror_username / nvidia_driver_mirror_password, not in the URL."
                % re.sub(r"//[^@/]*@", "//***@", mirror_url)
            )
    if container_toolkit and container_toolkit_repo == "libnvidia-container":
        for name, value in (
            ("nvidia_driver_container_toolkit_repo_url", container_toolkit_repo_url),
            ("nvidia_driver_container_toolkit_key_url", container_toolkit_key_url),
        ):
            if not URL_RE.match(value):
                errors.append("%s=%s is not a URL (http://, https:// or file:///)." % (name, value))
    module_options = _module_options(_option(options, "module_parameters", {}), errors)
    container_runtimes = _container_runtimes(_option(options, "container_runtimes", "auto"), errors)
    repo_key_sha256 = str(_option(options, "repo_key_sha256", "")).strip().lower()
    if repo_key_sha256 and not re.match(r"^[0-9a-f]{64}$", repo_key_sha256):
        errors.append(
            "nvidia_driver_repo_key_sha256=%s: write the key file's SHA-256 as 64 hex digits, or leave it empty."
            % repo_key_sha256
        )
    if errors:
        raise PlanError(errors)

    # Which source carries what, per distribution.
    if source == "distro":
        if family == "redhat":
            errors.append(
                "nvidia_driver_source=distro: %s does not ship the NVIDIA driver. Use nvidia_driver_source: cuda_repo "
                "(NVIDIA's repository) or mirror (your copy of it)." % platform["label"]
            )
        elif platform["distro_branches"] and branch not in platform["distro_branches"]:
            errors.append(
                "nvidia_driver_branch=%s: %s ships only branch %s in its own archive (non-free). Set "
                "nvidia_driver_branch: '%s', or use nvidia_driver_source: cuda_repo for branch %s."
                % (
                    branch,
                    platform["label"],
                    "/".join(platform["distro_branches"]),
                    platform["distro_branches"][0],
                    branch,
                )
            )
    number = int(branch)
    legacy = [d for d in device_ids if gpu_generation(d, machine) == "legacy"]
    if legacy and number > LAST_LEGACY_GPU_BRANCH:
        errors.append(
            "nvidia_driver_branch=%s does not support the Volta-or-older GPU(s) %s: R%s is the last branch for "
            "Maxwell, Pascal and Volta. Set nvidia_driver_branch: '%s'."
            % (branch, ", ".join(legacy), LAST_LEGACY_GPU_BRANCH, LAST_LEGACY_GPU_BRANCH)
        )

    flavor, flavor_reason, flavor_errors = choose_flavor(requested_flavor, device_ids, machine, platform_key, source)
    errors.extend(flavor_errors)

    if fabricmanager == "true" and nvswitch_count == 0 and not image_build:
        errors.append(
            "nvidia_driver_fabricmanager=true, but node_facts found no NVSwitch on this node's PCI bus: fabric manager "
            "only runs on NVSwitch systems (HGX/DGX 8-GPU boards) and fails to start elsewhere. Set "
            "nvidia_driver_fabricmanager: auto, or nvidia_driver_image_build: true when baking an image for HGX nodes."
        )
    fabric_enabled = fabricmanager == "true" or (fabricmanager == "auto" and nvswitch_count > 0)
    if fabric_enabled and source == "distro" and platform_key[0] == "debian":
        errors.append(
            "nvidia_driver_fabricmanager: this node has %d NVSwitch(es), but %s does not ship fabric manager. Use "
            "nvidia_driver_source: cuda_repo or mirror (NVIDIA's packages), or nvidia_driver_fabricmanager: false "
            "if you manage it yourself." % (nvswitch_count, platform["label"])
        )
    if dcgm and source == "distro":
        errors.append(
            "nvidia_driver_dcgm=true needs NVIDIA's repository (datacenter-gpu-manager-4 is not in %s's archive). "
            "Use nvidia_driver_source: cuda_repo or mirror, or leave nvidia_driver_dcgm: false." % platform["label"]
        )
    if container_toolkit and container_toolkit_repo == "driver" and source == "distro":
        errors.append(
            "nvidia_driver_container_toolkit_repo=driver: the toolkit is not in %s's archive. Use "
            "nvidia_driver_container_toolkit_repo: libnvidia-container (NVIDIA's toolkit repository or your mirror of "
            "it via nvidia_driver_container_toolkit_repo_url) or none." % platform["label"]
        )
    cuda_version = None
    if (cuda_toolkit and source != "distro") or dcgm:
        cuda_version = _cuda_version(branch, cuda_toolkit_version, errors, "the CUDA toolkit / DCGM")
    if errors:
        raise PlanError(errors)

    notes = []
    # Repositories and keys.
    repositories = []
    module_stream = None
    distro_components = None
    if source in ("cuda_repo", "mirror"):
        base = CUDA_REPO_URL if source == "cuda_repo" else mirror_url
        url = "%s/%s/%s/" % (base, platform["repo_distro"], repo_arch)
        key_url = url + platform["repo_key"]
        if source == "mirror" and mirror_key_url:
            key_url = mirror_key_url
        repositories.append(
            {
                "name": "privateai-deepseek-nvidia-cuda",
                "description": "NVIDIA CUDA repository (%s)"
                % ("developer.download.nvidia.com" if source == "cuda_repo" else "mirror"),
                "url": url,
                "key_url": key_url,
                "suites": ["/"] if family == "debian" else [],
                "components": [],
            }
        )
        if family == "redhat":
            module_stream = "nvidia-driver:%s-%s" % (branch, "open" if flavor == "open" else "dkms")
    if family == "debian":
        # Components of the distribution's own archive the role makes sure are enabled.
        if platform_key[0] == "debian":
            distro_components = ["contrib", "non-free", "non-free-firmware"] if source == "distro" else ["contrib"]
        else:
            distro_components = ["restricted", "multiverse"] if source == "distro" else ["multiverse"]
    if container_toolkit and container_toolkit_repo == "libnvidia-container":
        repositories.append(
            {
                "name": "privateai-deepseek-nvidia-container-toolkit",
                "description": "NVIDIA container toolkit repository",
                "url": "%s/%s/"
                % (container_toolkit_repo_url, ("deb/%s" % deb_arch) if family == "debian" else ("rpm/%s" % rpm_arch)),
                "key_url": container_toolkit_key_url,
                "suites": ["/"] if family == "debian" else [],
                "components": [],
            }
        )

    # Packages.
    if family == "debian":
        userspace, kernel, fabric = _debian_family_driver_packages(platform_key, source, branch, flavor)
    else:
        userspace, kernel, fabric = _redhat_driver_packages(branch, flavor)
    packages = {
        "userspace": _specs(userspace, family, version),
        "kernel": _specs(kernel, family, version),
        "fabricmanager": _specs(fabric, family, version) if fabric_enabled else [],
        "cuda_toolkit": [],
        "container_toolkit": [],
        "dcgm": [],
        # dkms builds the modules; the versionlock plugin holds the packages on dnf.
        "kernel_tools": ["dkms"],
        "tools": ["python3-dnf-plugin-versionlock"] if family == "redhat" else [],
    }
    if family == "debian":
        headers = ["linux-headers-{kernel}"]
        image_headers = ["linux-headers-%s" % (deb_arch if platform_key[0] == "debian" else "generic")]
    else:
        headers = ["kernel-devel-{kernel}", "kernel-headers"]
        image_headers = ["kernel-devel", "kernel-headers"]
    if cuda_toolkit:
        if source == "distro":
            packages["cuda_toolkit"] = ["nvidia-cuda-toolkit"]
            notes.append(
                "CUDA toolkit: the distribution's nvidia-cuda-toolkit (its own CUDA version, not the driver's)."
            )
        else:
            packages["cuda_toolkit"] = ["cuda-toolkit-%s" % cuda_version.replace(".", "-")]
    if container_toolkit and container_toolkit_repo != "none":
        names = [
            "nvidia-container-toolkit",
            "nvidia-container-toolkit-base",
            "libnvidia-container-tools",
            "libnvidia-container1",
        ]
        packages["container_toolkit"] = [
            (
                "%s=%s" % (n, container_toolkit_version)
                if family == "debian"
                else "%s-%s" % (n, container_toolkit_version)
            )
            if container_toolkit_version
            else n
            for n in names
        ]
    if container_toolkit and container_toolkit_repo == "none":
        notes.append(
            "Container toolkit packages are not installed (nvidia_driver_container_toolkit_repo=none); the runtime "
            "configuration is still written."
        )
    if dcgm:
        packages["dcgm"] = ["datacenter-gpu-manager-4-cuda%s" % cuda_version.split(".", 1)[0]]

    if fabric_enabled and fabricmanager == "true" and nvswitch_count == 0:
        notes.append("Fabric manager installed for an image (no NVSwitch on this builder); it starts on HGX nodes.")

    version_regex = r"^%s(-|$)" % re.escape(version) if version else r"^%s\." % branch
    # apt preferences stanza (priority 1000): keeps apt (and unattended-upgrades) on the branch
    # or exact version; dnf is held on the branch by the module stream and the versionlock.
    pin = (
        {"packages": APT_PIN_PACKAGES, "version": "%s-*" % version if version else "%s.*" % branch}
        if family == "debian"
        else None
    )
    return {
        "platform": {
            "id": "%s%s" % platform_key,
            "label": platform["label"],
            "family": family,
            "package_manager": "apt" if family == "debian" else "dnf",
            "codename": platform["codename"],
            "repo_arch": repo_arch,
            "deb_arch": deb_arch if family == "debian" else None,
            "rpm_arch": rpm_arch if family == "redhat" else None,
        },
        "source": source,
        "branch": branch,
        "version": version,
        "cuda_version": cuda_version or BRANCH_CUDA.get(branch),
        "flavor": flavor,
        "flavor_reason": flavor_reason,
        "gpus": [{"device_id": d, "generation": gpu_generation(d, machine)} for d in device_ids],
        "fabricmanager": fabric_enabled,
        "repositories": repositories,
        "distro_components": distro_components,
        "module_stream": module_stream,
        "packages": packages,
        "headers": headers,
        "image_headers": image_headers,
        "pin": pin,
        "hold": {"name_regex": HOLD_NAME_REGEX, "version_regex": version_regex},
        # Package whose installed version is the driver's (and fabric manager's), checked after install.
        "version_package": _first_versioned(userspace),
        "fabricmanager_package": fabric[0][0] if fabric_enabled and fabric else None,
        "services": {
            "persistenced": "nvidia-persistenced",
            "fabricmanager": "nvidia-fabricmanager" if fabric_enabled else None,
            "dcgm": "nvidia-dcgm" if dcgm else None,
        },
        "kernel_modules": ["nvidia", "nvidia_uvm", "nvidia_modeset"],
        "module_options": module_options,
        "container_runtimes": container_runtimes,
        "repo_key_sha256": repo_key_sha256,
        "notes": notes,
    }


MODULE_NAME_RE = re.compile(r"^[a-z0-9_]+$")
PARAMETER_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
PARAMETER_VALUE_RE = re.compile(r"^[A-Za-z0-9_.,:;=+/-]+$")


def _module_options(parameters, errors):
    """modprobe.d `options` lines from {module: {parameter: value}}."""
    if not isinstance(parameters, dict):
        errors.append(
            "nvidia_driver_module_parameters must map a kernel module to its parameters, e.g. "
            "{nvidia: {NVreg_RestrictProfilingToAdminUsers: 0}} (got %r)." % (parameters,)
        )
        return []
    lines = []
    for module in sorted(parameters):
        values = parameters[module]
        if not MODULE_NAME_RE.match(str(module)) or not isinstance(values, dict):
            errors.append(
                "nvidia_driver_module_parameters.%s: the key is a kernel module name (e.g. nvidia, nvidia_uvm) and its "
                "value a mapping of parameter: value." % module
            )
            continue
        rendered = []
        for name in sorted(values):
            value = values[name]
            if isinstance(value, bool):
                value = int(value)
            if not PARAMETER_NAME_RE.match(str(name)) or not PARAMETER_VALUE_RE.match(str(value)):
                errors.append(
                    "nvidia_driver_module_parameters.%s.%s=%s: a parameter name is letters, digits and _, a value has "
                    "no spaces or quotes (modprobe.d cannot quote them)." % (module, name, value)
                )
                continue
            rendered.append("%s=%s" % (name, value))
        if rendered:
            lines.append("options %s %s" % (module, " ".join(rendered)))
    return lines


def _container_runtimes(value, errors):
    if value in ("auto", None, ""):
        return "auto"
    engines = ("docker", "containerd", "podman")
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or [v for v in value if v not in engines]:
        errors.append(
            "nvidia_driver_container_runtimes=%s: write auto (the engines installed on the node) or a list of %s."
            % (value, ", ".join(engines))
        )
        return "auto"
    return list(value)


def _first_versioned(packages):
    for name, versioned in packages:
        if versioned:
            return name
    return packages[0][0]

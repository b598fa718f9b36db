#!/usr/bin/env python3
"""Local systemd test hosts: Docker engine, Debian base images, demo containers.

The platforms (image names and container options) are read from the molecule base
config, .config/molecule/config.yml, so molecule scenarios and the demo inventory
start identical hosts. Images are built with debootstrap (no registry is reachable)
and tagged `<suite>-<recipe hash>`; the plain `<suite>` tag points at the newest
build. An image is rebuilt only when its recipe (below) changes.

Commands:
  ensure-docker              install docker.io if needed and start the daemon
  build [SUITE ...]          build missing base images (all platforms by default)
  up PLATFORM NAME           start a long-lived container NAME like molecule's PLATFORM
  down NAME                  remove that container
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MOLECULE_BASE_CONFIG = REPO_ROOT / ".config" / "molecule" / "config.yml"
DOCKERD_LOG = Path("/var/log/privateai-dockerd.log")
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"

# Everything that decides the content of an image. Changing any value changes the
# recipe hash, hence the tag, hence triggers a rebuild.
RECIPE = {
    "recipe_version": 1,
    "variant": "minbase",
    "include": [
        "systemd",
        "systemd-sysv",
        "dbus",
        "python3",
        "python3-apt",
        "sudo",
        "ca-certificates",
        "iproute2",
        "procps",
    ],
    "mirror": MIRROR,
    "security_mirror": SECURITY_MIRROR,
    # Units that wait for hardware or consoles a container does not have.
    "masked_units": [
        "getty.target",
        "console-getty.service",
        "systemd-udevd.service",
        "systemd-udev-trigger.service",
        "systemd-firstboot.service",
    ],
}


def log(message: str) -> None:
    print(f"[testhosts] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


def sudo_prefix() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def load_platforms() -> dict[str, dict]:
    config = yaml.safe_load(MOLECULE_BASE_CONFIG.read_text())
    return {platform["name"]: platform for platform in config["platforms"]}


def docker_ready() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "info"], capture_output=True)
    return result.returncode == 0


def ensure_docker(wait_seconds: int = 90) -> None:
    if docker_ready():
        log("docker engine is running")
        return
    if not shutil.which("dockerd"):
        log("installing docker.io from the Debian archive")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(sudo_prefix() + ["apt-get", "update", "-qq"], env=env)
        run(sudo_prefix() + ["apt-get", "install", "-y", "-qq", "docker.io"], env=env)
    if Path("/run/systemd/system").is_dir():
        log("starting docker with systemctl")
        run(sudo_prefix() + ["systemctl", "start", "docker"])
    else:
        # No systemd (CI sandboxes, containers): run the daemon in the background.
        log(f"starting dockerd in the background (log: {DOCKERD_LOG})")
        with open(DOCKERD_LOG, "ab") as logfile:
            subprocess.Popen(
                sudo_prefix() + ["dockerd"],
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if docker_ready():
            log("docker engine is running")
            return
        time.sleep(1)
    sys.exit(f"docker engine did not come up within {wait_seconds}s; see {DOCKERD_LOG}")


def recipe_hash(suite: str) -> str:
    material = json.dumps({"suite": suite, **RECIPE}, sort_keys=True).encode()
    return hashlib.sha256(material).hexdigest()[:12]


def image_exists(reference: str) -> bool:
    result = subprocess.run(["docker", "image", "inspect", reference], capture_output=True)
    return result.returncode == 0


def apt_sources(suite: str) -> str:
    return (
        f"Types: deb\nURIs: {MIRROR}\nSuites: {suite} {suite}-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {SECURITY_MIRROR}\nSuites: {suite}-security\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def debootstrap_rootfs(suite: str, rootfs: Path) -> None:
    if not shutil.which("debootstrap"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(sudo_prefix() + ["apt-get", "install", "-y", "-qq", "debootstrap"], env=env)
    run(
        sudo_prefix()
        + [
            "debootstrap",
            f"--variant={RECIPE['variant']}",
            f"--include={','.join(RECIPE['include'])}",
            suite,
            str(rootfs),
            MIRROR,
        ],
        stdout=subprocess.DEVNULL,
    )
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(apt_sources(suite))
    # Empty machine-id: systemd creates a fresh one per container at boot.
    (rootfs / "etc/machine-id").write_text("")
    for unit in RECIPE["masked_units"]:
        link = rootfs / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    for cache in ("var/lib/apt/lists", "var/cache/apt/archives"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()


def build_image(repository: str, suite: str) -> None:
    hashed = f"{repository}:{suite}-{recipe_hash(suite)}"
    alias = f"{repository}:{suite}"
    if image_exists(hashed):
        log(f"{hashed} is up to date")
    else:
        log(f"building {hashed} with debootstrap")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"testhost-{suite}-", dir="/var/tmp") as tmp:
            rootfs = Path(tmp) / "rootfs"
            debootstrap_rootfs(suite, rootfs)
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            run(
                ["docker", "import", "-c", 'CMD ["/lib/systemd/systemd"]', "-", hashed],
                stdin=tar.stdout,
                stdout=subprocess.DEVNULL,
            )
            if tar.wait() != 0:
                sys.exit(f"tar of {rootfs} failed")
        log(f"built {hashed} in {time.monotonic() - started:.0f}s")
    run(["docker", "tag", hashed, alias])


def suites_by_platform() -> dict[str, tuple[str, str]]:
    result = {}
    for name, platform in load_platforms().items():
        repository, suite = platform["image"].rsplit(":", 1)
        result[name] = (repository, suite)
    return result


def build(selected: list[str]) -> None:
    images = sorted(set(suites_by_platform().values()))
    unknown = set(selected) - {suite for _, suite in images}
    if unknown:
        sys.exit(f"unknown suite(s) {sorted(unknown)}; known: {[s for _, s in images]}")
    for repository, suite in images:
        if not selected or suite in selected:
            build_image(repository, suite)


def container_state(name: str) -> str | None:
    result = subprocess.run(["docker", "inspect", "-f", "{{.State.Status}}", name], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def docker_run_args(platform: dict, name: str) -> list[str]:
    args = ["docker", "run", "-d", "--name", name, "--hostname", name]
    if platform.get("cgroupns_mode"):
        args += ["--cgroupns", platform["cgroupns_mode"]]
    for volume in platform.get("volumes", []):
        args += ["-v", volume]
    for mount in platform.get("tmpfs", []):
        args += ["--tmpfs", mount]
    for capability in platform.get("capabilities", []):
        args += ["--cap-add", capability]
    if platform.get("shm_size"):
        args += ["--shm-size", platform["shm_size"]]
    args.append(platform["image"])
    args += platform["command"].split()
    return args


def wait_for_systemd(name: str, wait_seconds: int = 60) -> None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        result = subprocess.run(
            ["docker", "exec", name, "systemctl", "is-system-running"],
            capture_output=True,
            text=True,
        )
        if result.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(1)
    sys.exit(f"systemd in container {name} did not finish booting within {wait_seconds}s")


def up(platform_name: str, name: str) -> None:
    platforms = load_platforms()
    if platform_name not in platforms:
        sys.exit(f"unknown platform {platform_name!r}; known: {sorted(platforms)}")
    state = container_state(name)
    if state == "running":
        log(f"container {name} is already running")
    elif state is not None:
        run(["docker", "start", name], stdout=subprocess.DEVNULL)
        log(f"started existing container {name}")
    else:
        run(docker_run_args(platforms[platform_name], name), stdout=subprocess.DEVNULL)
        log(f"created container {name} from {platforms[platform_name]['image']}")
    wait_for_systemd(name)


def down(name: str) -> None:
    if container_state(name) is not None:
        run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL)
        log(f"removed container {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ensure-docker")
    build_parser = commands.add_parser("build")
    build_parser.add_argument("suites", nargs="*")
    up_parser = commands.add_parser("up")
    up_parser.add_argument("platform")
    up_parser.add_argument("name")
    down_parser = commands.add_parser("down")
    down_parser.add_argument("name")
    args = parser.parse_args()

    if args.command == "ensure-docker":
        ensure_docker()
    elif args.command == "build":
        build(args.suites)
    elif args.command == "up":
        up(args.platform, args.name)
    elif args.command == "down":
        down(args.name)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""VM test tier: Debian 12 VMs under QEMU (software emulation), reached over real SSH.

What a container cannot show (auditd, kernel sysctls, reboots, sshd over a real
connection, a baked image booting) is tested on these VMs. Nested KVM does not work on
the CI machines, so QEMU runs with `-accel tcg`; a Debian 12 VM reaches SSH in about
25 s on 2 cores.

Images are directories under .build/vm/images/<name>/: `disk.raw` (an ext4 file system
without a partition table, root=/dev/vda), `vmlinuz` and `initrd.img` (booted directly
by QEMU) and `image.json`. The base image is built from the local Debian 12 systemd
image of tests/testhosts/testhosts.py plus a kernel, udev, openssh-server and
systemd-networkd (DHCP on en*), with `docker export` -> directory -> `mkfs.ext4 -d`
(no root mounts, no loop devices). It is cached by the hash of its recipe (below).
Every VM boots from a copy-on-write qcow2 overlay whose backing file is the image's
disk, so the cached image stays clean.

Commands:
  ensure-qemu                      install qemu-system-x86 and qemu-utils if missing
  base-image                       build (or reuse) the base image; print its directory
  image-from-container CONTAINER DEST [--authorized-key FILE]
                                   docker export a container into a bootable image
  user-data-disk SRC DEST          an ext4 disk labelled CIDATA holding SRC as user-data
  up NAME [--image DIR] [--user-data FILE] [--memory MIB]
                                   boot VM NAME, wait for SSH, print its connection JSON
  down NAME                        stop VM NAME and remove its overlay
  ssh NAME [--user USER] -- CMD    run CMD in VM NAME over SSH

VM state lives under .build/vm/instances/<name>/ (state.json, overlay, console.log).
VM names start with `vm-`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VM_ROOT = REPO_ROOT / ".build" / "vm"
IMAGES_DIR = VM_ROOT / "images"
INSTANCES_DIR = VM_ROOT / "instances"
TESTHOSTS = REPO_ROOT / "tests" / "testhosts" / "testhosts.py"
SOURCE_IMAGE = "privateai-deepseek/debian-systemd:bookworm"
BASE_REPOSITORY = "privateai-deepseek/vm-debian"


def hardening_packages() -> list[str]:
    """What the hardening role installs on Debian (its vars/Debian.yml, lynis among its tools):
    in the base image so that under software emulation their package tasks find them present
    instead of unpacking them at a few percent of native speed. The role's tasks still run and
    configure them (molecule site installs them itself)."""
    import yaml  # the venv's (ansible-core's dependency), which runs this script

    os_vars = yaml.safe_load((REPO_ROOT / "roles" / "hardening" / "vars" / "Debian.yml").read_text())
    areas = ["firewall", "audit", "updates", "pwquality", "tools"]
    return [package for area in areas for package in os_vars[f"hardening_os_{area}_packages"]]


HARDENING_PACKAGES = hardening_packages()

# Everything that decides the content of the base image. A change gives a new hash,
# hence a new docker tag and a new disk directory.
RECIPE = {
    "recipe_version": 1,
    "suite": "bookworm",
    "packages": [
        "linux-image-cloud-amd64",
        "udev",
        "kmod",
        "e2fsprogs",
        "openssh-server",
        "netbase",
        *HARDENING_PACKAGES,
    ],
    # The local systemd image masks these for containers; a VM needs udev (interface
    # names, /dev/disk/by-label) and nothing else of the list.
    "unmask": ["systemd-udevd.service", "systemd-udev-trigger.service"],
    "enable": ["ssh.service", "systemd-networkd.service"],
    "network": "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
    "fstab": "/dev/vda / ext4 rw,errors=remount-ro 0 1\n",
    "disk_size": "4G",
}
SSH_OPTIONS = [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "ConnectTimeout=5",
]
# QEMU's user-mode network: the host is 10.0.2.2, its DNS forwarder 10.0.2.3.
QEMU_RESOLV_CONF = "nameserver 10.0.2.3\n"


def log(message: str) -> None:
    print(f"[vmhosts] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


def sudo_prefix() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def ensure_qemu() -> None:
    missing = [tool for tool in ("qemu-system-x86_64", "qemu-img") if not shutil.which(tool)]
    if not missing:
        return
    log(f"installing qemu-system-x86 and qemu-utils (missing: {', '.join(missing)})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(sudo_prefix() + ["apt-get", "update", "-qq"], env=env)
    run(
        sudo_prefix() + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "qemu-system-x86", "qemu-utils"],
        env=env,
    )


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:12]


def base_tag() -> str:
    return f"{BASE_REPOSITORY}:{RECIPE['suite']}-{recipe_hash()}"


def docker_image_exists(reference: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", reference], capture_output=True).returncode == 0


def build_base_docker_image() -> str:
    """The VM recipe on top of the local systemd image, as a docker image (also the bake host)."""
    tag = base_tag()
    if docker_image_exists(tag):
        return tag
    if not docker_image_exists(SOURCE_IMAGE):
        run([sys.executable, str(TESTHOSTS), "build", RECIPE["suite"]])
    log(f"building {tag}")
    script = "\n".join(
        [
            "set -eu",
            "export DEBIAN_FRONTEND=noninteractive",
            "apt-get update -qq",
            "apt-get install -y -qq --no-install-recommends " + " ".join(RECIPE["packages"]) + " >/dev/null",
            *[f"rm -f /etc/systemd/system/{unit}" for unit in RECIPE["unmask"]],
            "systemctl enable " + " ".join(RECIPE["enable"]),
            "mkdir -p /etc/systemd/network",
            f"printf '%s' '{RECIPE['network']}' > /etc/systemd/network/50-dhcp.network",
            f"printf '%s' '{RECIPE['fstab']}' > /etc/fstab",
            # Host keys are made per VM at boot (ssh-keygen -A before sshd), never shipped.
            # No host keys in the image: the tier's disks get a unit that makes them per VM;
            # a baked image gets its own first-boot mechanism (roles/image_bake).
            "rm -f /etc/ssh/ssh_host_*",
            "apt-get clean",
            "rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log",
            ": > /etc/machine-id",
        ]
    )
    name = f"vm-build-{recipe_hash()}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    started = time.monotonic()
    try:
        run(["docker", "run", "--name", name, SOURCE_IMAGE, "bash", "-c", script])
        run(
            ["docker", "commit", "-c", 'CMD ["/lib/systemd/systemd"]', name, tag],
            stdout=subprocess.DEVNULL,
        )
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    log(f"built {tag} in {time.monotonic() - started:.0f}s")
    return tag


def export_rootfs(container: str, rootfs: Path) -> None:
    """docker export CONTAINER into ROOTFS (as root: file owners are kept)."""
    rootfs.mkdir(parents=True)
    export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
    run(sudo_prefix() + ["tar", "-C", str(rootfs), "-x", "--numeric-owner"], stdin=export.stdout)
    if export.wait() != 0:
        sys.exit(f"docker export {container} failed")
    # Files docker manages for a running container: give the VM its own.
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)
    (rootfs / "etc/resolv.conf").write_text(QEMU_RESOLV_CONF)
    hostname = rootfs / "etc/hostname"
    hostname.unlink(missing_ok=True)
    hostname.write_text("localhost\n")
    hosts = rootfs / "etc/hosts"
    hosts.unlink(missing_ok=True)
    hosts.write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    (rootfs / ".dockerenv").unlink(missing_ok=True)


def make_image(rootfs: Path, dest: Path, size: str, meta: dict) -> None:
    """ROOTFS -> DEST/{disk.raw, vmlinuz, initrd.img, image.json}, atomically."""
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    if not kernels:
        sys.exit(f"{rootfs} has no kernel under /boot; install linux-image-cloud-amd64 first")
    version = kernels[-1].name.removeprefix("vmlinuz-")
    initrd = rootfs / "boot" / f"initrd.img-{version}"
    if not initrd.is_file():
        sys.exit(f"{rootfs} has no {initrd.name}")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    shutil.copyfile(kernels[-1], partial / "vmlinuz")
    shutil.copyfile(initrd, partial / "initrd.img")
    run(
        ["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(rootfs), str(partial / "disk.raw"), size],
        stdout=subprocess.DEVNULL,
    )
    (partial / "image.json").write_text(json.dumps({"kernel": version, **meta}, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)


# The tier's own disks: host keys made at each VM's first boot, before sshd starts.
HOSTKEYS_DROPIN = "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n"


def authorize_key(rootfs: Path, public_key: Path) -> None:
    ssh_dir = rootfs / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(public_key.read_text())
    keys.chmod(0o600)


def base_image() -> Path:
    """Build (or reuse) the base image; returns its directory."""
    dest = IMAGES_DIR / f"debian12-{recipe_hash()}"
    if (dest / "image.json").is_file():
        return dest
    ensure_qemu()
    tag = build_base_docker_image()
    started = time.monotonic()
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    key = IMAGES_DIR / f"debian12-{recipe_hash()}.id_ed25519"
    if not key.is_file():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "privateai-vmhosts", "-f", str(key)])
    name = f"vm-export-{recipe_hash()}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    run(["docker", "create", "--name", name, tag], stdout=subprocess.DEVNULL)
    try:
        with tempfile.TemporaryDirectory(prefix="vm-rootfs-", dir="/var/tmp") as tmp:
            rootfs = Path(tmp) / "rootfs"
            export_rootfs(name, rootfs)
            authorize_key(rootfs, Path(f"{key}.pub"))
            dropin = rootfs / "etc/systemd/system/ssh.service.d"
            dropin.mkdir(parents=True, exist_ok=True)
            (dropin / "vmhosts-hostkeys.conf").write_text(HOSTKEYS_DROPIN)
            meta = {"recipe": recipe_hash(), "docker_image": tag, "ssh_user": "root", "ssh_key": str(key)}
            make_image(rootfs, dest, RECIPE["disk_size"], meta)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    log(f"base image {dest} made in {time.monotonic() - started:.0f}s")
    return dest


def image_from_container(container: str, dest: Path, authorized_key: Path | None, size: str) -> Path:
    """A bootable image from a (baked) container: nothing is added but resolv.conf/hosts and the key."""
    ensure_qemu()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vm-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        export_rootfs(container, rootfs)
        if authorized_key:
            authorize_key(rootfs, authorized_key)
        make_image(rootfs, dest, size, {"container": container})
    log(f"image {dest} made from container {container} in {time.monotonic() - started:.0f}s")
    return dest


def user_data_disk(source: Path, dest: Path) -> Path:
    """A small ext4 disk labelled CIDATA with `user-data` and `meta-data` (the NoCloud layout)."""
    with tempfile.TemporaryDirectory(prefix="vm-seed-") as tmp:
        seed = Path(tmp)
        shutil.copyfile(source, seed / "user-data")
        (seed / "meta-data").write_text(f"instance-id: {dest.stem}\n")
        run(["mkfs.ext4", "-q", "-F", "-L", "CIDATA", "-d", str(seed), str(dest), "4M"], stdout=subprocess.DEVNULL)
    return dest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_dir(name: str) -> Path:
    if not name.startswith("vm-"):
        sys.exit(f"VM names start with vm- (got {name!r})")
    return INSTANCES_DIR / name


def read_state(name: str) -> dict | None:
    state = instance_dir(name) / "state.json"
    return json.loads(state.read_text()) if state.is_file() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ssh_command(state: dict, user: str | None = None) -> list[str]:
    return [
        "ssh",
        *SSH_OPTIONS,
        "-i",
        state["identity_file"],
        "-p",
        str(state["port"]),
        f"{user or state['user']}@127.0.0.1",
    ]


def wait_for_ssh(state: dict, pid: int, console: Path, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not pid_alive(pid):
            sys.exit(f"qemu exited before SSH came up; console:\n{console.read_text()[-3000:]}")
        result = subprocess.run([*ssh_command(state), "true"], capture_output=True, timeout=30)
        if result.returncode == 0:
            return time.monotonic() - started
        time.sleep(2)
    tail = console.read_text()[-3000:] if console.is_file() else ""
    sys.exit(f"no SSH on 127.0.0.1:{state['port']} within {timeout:.0f}s; console:\n{tail}")


def up(
    name: str,
    image: Path | None,
    user_data: Path | None,
    memory: int,
    user: str,
    identity_file: Path | None,
    timeout: float,
) -> dict:
    state = read_state(name)
    if state and pid_alive(state["pid"]):
        log(f"{name} is already running on 127.0.0.1:{state['port']}")
        return state
    ensure_qemu()
    image = image or base_image()
    meta = json.loads((image / "image.json").read_text())
    identity = identity_file or (Path(meta["ssh_key"]) if "ssh_key" in meta else None)
    if identity is None:
        sys.exit(f"{image} has no key of its own: give --identity-file (the key its user-data authorised)")
    directory = instance_dir(name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    overlay = directory / "overlay.qcow2"
    # Copy-on-write: the VM writes into the overlay; the image's disk stays as built.
    backing = str((image / "disk.raw").resolve())
    run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", backing, str(overlay)])
    console = directory / "console.log"
    port = free_port()
    cmd = [
        "qemu-system-x86_64",
        "-name",
        name,
        "-accel",
        "tcg",
        "-smp",
        "2",
        "-m",
        str(memory),
        "-kernel",
        str(image / "vmlinuz"),
        "-initrd",
        str(image / "initrd.img"),
        "-append",
        "root=/dev/vda rw console=ttyS0 net.ifnames=1",
        "-drive",
        f"file={overlay},format=qcow2,if=virtio",
        "-netdev",
        f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22",
        "-device",
        "virtio-net-pci,netdev=n0",
        "-device",
        "virtio-rng-pci",
        "-display",
        "none",
        "-serial",
        f"file:{console}",
        "-monitor",
        "none",
    ]
    if user_data:
        seed = user_data_disk(user_data, directory / "seed.img")
        cmd += ["-drive", f"file={seed},format=raw,if=virtio,readonly=on"]
    with open(directory / "qemu.log", "ab") as qemu_log:
        process = subprocess.Popen(cmd, stdout=qemu_log, stderr=subprocess.STDOUT, start_new_session=True)
    state = {
        "instance": name,
        "address": "127.0.0.1",
        "port": port,
        "user": user or meta.get("ssh_user", "root"),
        "identity_file": str(identity.resolve()),
        "pid": process.pid,
        "image": str(image),
        "console": str(console),
    }
    (directory / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    seconds = wait_for_ssh(state, process.pid, console, timeout)
    state["boot_to_ssh_seconds"] = round(seconds, 1)
    (directory / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    log(f"{name}: SSH on 127.0.0.1:{port} after {seconds:.0f}s")
    return state


def down(name: str) -> None:
    state = read_state(name)
    if state and pid_alive(state["pid"]):
        os.killpg(state["pid"], signal.SIGTERM)
        for _ in range(50):
            if not pid_alive(state["pid"]):
                break
            time.sleep(0.1)
        else:
            os.killpg(state["pid"], signal.SIGKILL)
        log(f"stopped {name}")
    shutil.rmtree(instance_dir(name), ignore_errors=True)


def ssh(name: str, user: str | None, command: list[str]) -> int:
    state = read_state(name)
    if not state:
        sys.exit(f"no VM {name}")
    return subprocess.run([*ssh_command(state, user), *command]).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ensure-qemu")
    commands.add_parser("base-image")
    commands.add_parser("base-docker-image")
    export = commands.add_parser("image-from-container")
    export.add_argument("container")
    export.add_argument("dest", type=Path)
    export.add_argument("--authorized-key", type=Path)
    export.add_argument("--size", default=RECIPE["disk_size"])
    seed = commands.add_parser("user-data-disk")
    seed.add_argument("source", type=Path)
    seed.add_argument("dest", type=Path)
    up_parser = commands.add_parser("up")
    up_parser.add_argument("name")
    up_parser.add_argument("--image", type=Path)
    up_parser.add_argument("--user-data", type=Path)
    up_parser.add_argument("--user", default="")
    up_parser.add_argument("--identity-file", type=Path)
    up_parser.add_argument("--memory", type=int, default=2048)
    up_parser.add_argument("--timeout", type=float, default=300)
    down_parser = commands.add_parser("down")
    down_parser.add_argument("name")
    ssh_parser = commands.add_parser("ssh")
    ssh_parser.add_argument("name")
    ssh_parser.add_argument("--user")
    ssh_parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    if args.command == "ensure-qemu":
        ensure_qemu()
    elif args.command == "base-image":
        print(base_image())
    elif args.command == "base-docker-image":
        print(build_base_docker_image())
    elif args.command == "image-from-container":
        print(image_from_container(args.container, args.dest, args.authorized_key, args.size))
    elif args.command == "user-data-disk":
        print(user_data_disk(args.source, args.dest))
    elif args.command == "up":
        state = up(args.name, args.image, args.user_data, args.memory, args.user, args.identity_file, args.timeout)
        print(json.dumps(state))
    elif args.command == "down":
        down(args.name)
    elif args.command == "ssh":
        command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        sys.exit(ssh(args.name, args.user, command))


if __name__ == "__main__":
    main()

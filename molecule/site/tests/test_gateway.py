"""The TLS gateway in front of vLLM, checked from inside the node over real TLS.

Clients (group_vars/all.yml): alice (valid key), bob (revoked), carol (6 requests/minute,
burst 1). Every request goes to https://127.0.0.1:443 with the lab CA the role made.
"""

import base64
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from shlex import quote

import pytest
import yaml
from test_hardening import ADMIN_IP, CLIENT_IP, IMAGE, NETWORK, NODE_IP

PROJECT = Path(__file__).resolve().parents[3]
KEYS = PROJECT / ".build" / "molecule-site"
SCENARIO = Path(__file__).resolve().parents[1]

# Both fleet hosts are in the inventory; these checks are about the served node.
testinfra_hosts = ["ansible://site-node"]
URL = "https://127.0.0.1:443"
CA = "/etc/nginx/deepseek/ca.crt"
MODEL = "tiny-deepseek-v3"
ACCESS_LOG = "/var/log/nginx/deepseek-gateway.json"
VLLM_ROUTES_NOT_EXPOSED = [
    "/invocations",
    "/tokenize",
    "/detokenize",
    "/pause",
    "/resume",
    "/docs",
    "/openapi.json",
    "/metrics",
    "/version",
    "/v1/embeddings",
    "/v1/responses",
    "/v1/load_lora_adapter",
    "/reset_prefix_cache",
    "/collective_rpc",
    "/ping",
    "/score",
    "/rerank",
]


def key(name):
    return (KEYS / ("%s.key" % name)).read_text().strip()


def request(host, path, client=None, method=None, body=None, extra=""):
    """(status, body) of one request through the gateway, made on the node with curl."""
    command = "curl -sS --cacert %s -o /tmp/gw-body -w '%%{http_code}' %s" % (CA, extra)
    if method:
        command += " -X " + method
    if client:
        command += " -H 'Authorization: Bearer %s'" % key(client)
    if body is not None:
        command += " -H 'Content-Type: application/json' -d '%s'" % json.dumps(body)
    status = int(host.check_output(command + " " + URL + path))
    return status, host.file("/tmp/gw-body").content_string


def chat(max_tokens=4, stream=False):
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": max_tokens,
        "stream": stream,
    }


def test_allowed_routes_work_with_a_valid_key(host):
    status, body = request(host, "/v1/models", "alice")
    assert status == 200 and json.loads(body)["data"][0]["id"] == MODEL
    status, body = request(host, "/v1/chat/completions", "alice", body=chat())
    assert status == 200 and json.loads(body)["usage"]["completion_tokens"] == 4
    completion = {"model": MODEL, "prompt": "Hello", "max_tokens": 3}
    status, body = request(host, "/v1/completions", "alice", body=completion)
    assert status == 200 and json.loads(body)["usage"]["completion_tokens"] == 3
    assert request(host, "/health")[0] == 200


def test_streaming_passes_through_unbuffered(host):
    status, body = request(host, "/v1/chat/completions", "alice", body=chat(8, stream=True), extra="-N")
    events = [line for line in body.splitlines() if line.startswith("data: ")]
    assert status == 200
    assert events[-1] == "data: [DONE]" and len(events) >= 9


def test_missing_unknown_and_revoked_keys_are_refused(host):
    status, body = request(host, "/v1/models")
    assert status == 401 and json.loads(body)["error"]["message"] == "missing, unknown or revoked API key"
    assert request(host, "/v1/chat/completions", "bob", body=chat())[0] == 401
    vllm_key = host.check_output("cat /etc/deepseek/api-key").strip()
    command = "curl -s -o /dev/null -w '%%{http_code}' --cacert %s -H 'Authorization: Bearer %s' %s/v1/models"
    assert host.check_output(command % (CA, vllm_key, URL)) == "401"  # the model server's key is not a client key


@pytest.mark.parametrize("path", VLLM_ROUTES_NOT_EXPOSED)
def test_routes_outside_the_allowlist_are_not_forwarded(host, path):
    status, body = request(host, path, "alice", method="POST", body={})
    assert status == 404
    assert json.loads(body)["error"]["message"] == "route not exposed by the gateway"


# Hidden vLLM routes an attacker wants, and the allowlisted routes next to which the path can
# be spelled (/health needs no key, /v1/models does).
TRAVERSAL_TARGETS = ["/metrics", "/invocations", "/tokenize", "/docs", "/v1/load_lora_adapter"]
TRAVERSAL_ALLOWED = ["/health", "/v1/models"]


def traversal_paths():
    """Every spelling of "a hidden route next to an allowed one" that nginx normalises but a
    raw-path upstream would not: dot segments plain, percent-encoded in either case or half
    encoded; slashes plain, doubled or encoded; hidden-then-allowed and allowed-then-hidden."""
    dots = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e."]
    slashes = ["/", "//", "%2f", "%2F"]
    for hidden, allowed in itertools.product(TRAVERSAL_TARGETS, TRAVERSAL_ALLOWED):
        for dot, slash in itertools.product(dots, slashes):
            yield hidden + slash + dot + slash + allowed[1:]  # /metrics/../health
            yield allowed + slash + dot + slash + hidden[1:]  # /health/../metrics
            yield allowed + slash + "." + slash + dot + slash + dot + slash + hidden[1:]


# Sends each raw path as-is (http.client does not normalise) over TLS, with and without a
# client key; prints one JSON line per request: path, key used, status, start of the body.
RAW_REQUESTS = (
    """
import http.client, json, ssl, sys
paths, key = json.loads(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context(cafile="%s")
for path in paths:
    for auth in (None, key):
        conn = http.client.HTTPSConnection("127.0.0.1", 443, context=context, timeout=10)
        headers = {"Authorization": "Bearer " + auth} if auth else {}
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        body = answer.read(4096).decode("utf-8", "replace")
        print(json.dumps({"path": path, "keyed": bool(auth), "status": answer.status, "body": body}))
        conn.close()
"""
    % CA
)


def test_no_spelling_of_a_path_reaches_a_route_outside_the_allowlist(host):
    """The gateway forwards the route's own path, never the raw one: vLLM sees nothing but
    allowlisted paths, and no answer carries a hidden route's content."""
    paths = sorted(set(traversal_paths()))
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    script = base64.b64encode(RAW_REQUESTS.encode()).decode()
    output = host.check_output(
        "echo %s | base64 -d > /tmp/gw-raw.py && python3 /tmp/gw-raw.py '%s' '%s'"
        % (script, json.dumps(paths), key("bench"))
    )
    answers = [json.loads(line) for line in output.splitlines()]
    assert len(answers) == 2 * len(paths) > 500
    for answer in answers:
        # Unkeyed spellings must reach the routing, not the per-address limit (group_vars).
        assert answer["status"] in ((200, 400, 401, 404, 429) if answer["keyed"] else (200, 400, 401, 404)), answer
        assert "vllm:" not in answer["body"] and "# HELP" not in answer["body"], answer
        assert "openapi" not in answer["body"].lower() and "swagger" not in answer["body"].lower(), answer
        if answer["status"] == 200:  # normalised onto an allowed route: that route's own answer
            assert answer["body"] == "" or json.loads(answer["body"])["object"] == "list", answer
    # What vLLM itself was asked for in the meantime (uvicorn's access lines in the journal).
    journal = host.check_output("journalctl -u deepseek-vllm --since '%s' --no-pager -o cat" % since)
    asked = {match.split("?")[0] for match in re.findall(r'"(?:GET|POST|HEAD) (\S+) HTTP/', journal)}
    assert asked and asked <= set(TRAVERSAL_ALLOWED), sorted(asked)


def authorization_status(host, header):
    """Status of GET /v1/models with this exact Authorization header value."""
    command = "curl -s -o /dev/null -w '%%{http_code}' --cacert %s -H %s %s/v1/models"
    return int(host.check_output(command % (CA, quote("Authorization: " + header), URL)))


def test_the_key_must_match_byte_for_byte(host):
    """RFC 6750: the scheme in any case and 1*SP, the key exact (nginx's map alone ignores case)."""
    alice = key("alice")
    assert authorization_status(host, "Bearer " + alice) == 200
    assert authorization_status(host, "bearer " + alice) == 200
    assert authorization_status(host, "BEARER  " + alice) == 200
    for wrong in (alice.swapcase(), alice.upper(), alice.lower(), alice + "x", alice[:-1], "x" + alice):
        assert wrong == alice or authorization_status(host, "Bearer " + wrong) == 401, wrong
    assert authorization_status(host, "Basic " + alice) == 401
    assert authorization_status(host, "Bearer" + alice) == 401
    assert authorization_status(host, "Bearer %s %s" % (alice, alice)) == 401


# Requests nginx answers itself, whatever the method, line or header: (curl arguments or a
# raw request for openssl, the status the client sees).
NGINX_ANSWERS = [
    (["-X", "TRACE", URL + "/v1/models"], 405),
    (["-X", "CONNECT", URL + "/v1/models"], 405),
    (["-I", "-H", "Authorization: Bearer {alice}", URL + "/v1/models"], 403),  # HEAD: vLLM has no HEAD routes
    (["-I", URL + "/health"], 403),
    (["-X", "DELETE", "-H", "Authorization: Bearer {alice}", URL + "/v1/models"], 403),
    ([URL + "/" + "a" * 20000], 414),
    (["-H", "X-Big: " + "b" * 20000, URL + "/health"], 400),  # nginx's 494, sent as 400
    ([URL + "/v1/models"], 401),
    ([URL + "/tokenize"], 404),
    ("GARBAGE\r\n\r\n", 400),
    ("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("GET /health HTTP/9.9\r\nHost: a\r\n\r\n", 505),
]


@pytest.mark.parametrize("request_, status", NGINX_ANSWERS, ids=lambda value: str(value)[:40])
def test_every_answer_the_gateway_makes_itself_is_json(host, request_, status):
    if isinstance(request_, str):  # a raw request line: through openssl, which does not fix it up
        raw = host.check_output(
            "printf '%s' | timeout 10 openssl s_client -quiet -connect 127.0.0.1:443 -CAfile %s 2>/dev/null"
            % (request_, CA)
        )
        head, _, body = raw.partition("\r\n\r\n")
        answered = int(head.split()[1])
    else:
        arguments = " ".join(quote(part.format(alice=key("alice"))) for part in request_)
        output = host.check_output(
            "curl -sS --cacert %s -D /tmp/gw-head -o /tmp/gw-body -w '%%{http_code}' %s" % (CA, arguments)
        )
        answered, head, body = (
            int(output),
            host.file("/tmp/gw-head").content_string,
            host.file("/tmp/gw-body").content_string,
        )
    assert answered == status, (head, body)
    assert "content-type: application/json" in head.lower(), head
    if "-I" not in request_:  # a HEAD answer has no body
        assert json.loads(body)["error"]["code"] == status, body


def test_unauthenticated_traffic_is_limited_per_source_address(host):
    """Wrong keys from one address run into its own limit; a valid key and another address do not."""
    script = FLOOD % (CA, 1500)
    output = host.check_output("echo %s | base64 -d | python3 -" % base64.b64encode(script.encode()).decode())
    counts = json.loads(output)
    assert counts.get("401", 0) >= 100 and counts.get("429", 0) >= 100, counts
    assert request(host, "/v1/models", "alice")[0] == 200  # a client with a key is not counted with the address
    lan = "curl -s -o /dev/null -w '%%{http_code}' --cacert %s --resolve site-node:443:10.213.48.10 https://site-node/v1/models"
    assert host.check_output(lan % CA) == "401"  # another source address (the node's LAN one) has its own count


# One keep-alive TLS connection, wrong-key requests as fast as nginx answers; prints the counts per status.
FLOOD = """
import collections, http.client, json, ssl
conn = http.client.HTTPSConnection("127.0.0.1", 443, context=ssl.create_default_context(cafile="%s"), timeout=10)
counts = collections.Counter()
for _ in range(%d):
    try:
        conn.request("GET", "/v1/models", headers={"Authorization": "Bearer wrong-key-wrong-key-wrong-key"})
        answer = conn.getresponse()
        answer.read()
        counts[str(answer.status)] += 1
    except (http.client.HTTPException, OSError):  # the server closed the connection: open another
        conn.close()
        counts["reconnect"] += 1
print(json.dumps(counts))
"""

FORWARDED = """
import http.client, ssl, sys
context = ssl._create_unverified_context()  # about addresses, not TLS (checked elsewhere)
conn = http.client.HTTPSConnection(sys.argv[1], 443, context=context, timeout=10)
conn.request("GET", "/v1/models", headers={"X-Forwarded-For": "203.0.113.7", "X-Test": sys.argv[2]})
print(conn.getresponse().status)
"""


def test_forwarded_address_is_believed_only_from_the_load_balancer(host):
    """gateway_trusted_proxies (group_vars: the administrator's address .21 plays the site's
    load balancer): from it the access log and limits use X-Forwarded-For; from anyone else not."""

    statuses = {}
    for source in (ADMIN_IP, CLIENT_IP):
        result = subprocess.run(
            ["docker", "run", "--rm", "--network", NETWORK, "--ip", source, IMAGE,
             "python3", "-c", FORWARDED, NODE_IP, source],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        statuses[source] = result.stdout.strip()
    assert statuses == {ADMIN_IP: "401", CLIENT_IP: "401"}
    entries = [json.loads(line) for line in host.file(ACCESS_LOG).content_string.splitlines()[-10:]]
    addresses = [entry["remote_addr"] for entry in entries if entry["path"] == "/v1/models" and entry["status"] == 401]
    assert addresses[-2:] == ["203.0.113.7", CLIENT_IP]


def test_wrong_method_and_oversized_body(host):
    assert request(host, "/v1/chat/completions", "alice", method="GET")[0] == 403
    host.check_output("head -c 2000000 /dev/zero | tr '\\0' a > /tmp/gw-big")
    status, _ = request(host, "/v1/chat/completions", "alice", extra="--data-binary @/tmp/gw-big")
    assert status == 413


def test_rate_limit_per_key(host):
    statuses = [request(host, "/v1/models", "carol")[0] for _ in range(4)]
    assert statuses[:2] == [200, 200]  # the rate's first request plus a burst of 1
    assert statuses[2:] == [429, 429]
    assert request(host, "/v1/models", "alice")[0] == 200  # carol's limit is hers only


def test_only_tls_12_and_13(host):
    tls11 = host.run("openssl s_client -connect 127.0.0.1:443 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null")
    assert "alert protocol version" in tls11.stdout + tls11.stderr  # refused by the server
    for version in ("-tls1_2", "-tls1_3"):
        handshake = host.run("openssl s_client -connect 127.0.0.1:443 %s -CAfile %s </dev/null" % (version, CA))
        assert "Verify return code: 0 (ok)" in handshake.stdout
    headers = host.check_output("curl -sS -D - -o /dev/null --cacert %s %s/health" % (CA, URL))
    assert "strict-transport-security: max-age=63072000" in headers.lower()


def test_access_log_is_json_without_prompts_or_keys(host):
    secret_prompt = "my-secret-prompt-text"
    body = {"model": MODEL, "messages": [{"role": "user", "content": secret_prompt}], "max_tokens": 2}
    assert request(host, "/v1/chat/completions?trace=1", "alice", body=body)[0] == 200
    log = host.file(ACCESS_LOG).content_string
    entries = [json.loads(line) for line in log.splitlines()]
    assert entries[-1]["client"] == "alice" and entries[-1]["path"] == "/v1/chat/completions"
    assert secret_prompt not in log and "trace=1" not in log
    for name in ("alice", "bob", "carol"):
        assert key(name) not in log
    assert host.check_output("cat /etc/deepseek/api-key").strip() not in log


def test_keys_file_is_root_only(host):
    keys = host.file("/etc/nginx/deepseek/clients.conf")
    assert (keys.user, keys.group, keys.mode) == ("root", "root", 0o600)
    assert host.file("/etc/nginx/deepseek").mode == 0o700


def run_gateway(host, *extra_vars):
    """The gateway role alone (molecule/site/gateway.yml) with extra variables."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, str(SCENARIO / "gateway.yml")]
    command += ["--limit", host.backend.get_hostname()]
    for assignment in extra_vars:
        command += ["-e", assignment]
    return subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)


def nginx_master(host):
    return host.check_output("cat /run/nginx.pid").strip()


def clients_with(alice_keys):
    """gateway_clients of group_vars/all.yml with the keys this run made, alice's replaced."""
    clients = yaml.safe_load((SCENARIO / "group_vars" / "all.yml").read_text())["gateway_clients"]
    for client in clients:
        client["keys"] = alice_keys if client["name"] == "alice" else [key(client["name"])]
    return json.dumps({"gateway_clients": clients})


def test_key_rotation_reloads_without_a_restart(host):
    master = nginx_master(host)
    new_key = "rotated-" + "k" * 32
    both = run_gateway(host, clients_with([key("alice"), new_key]))
    assert both.returncode == 0, (both.stdout + both.stderr)[-3000:]
    assert request(host, "/v1/models", "alice")[0] == 200  # old key still works during the rotation
    status = host.check_output(
        "curl -s -o /dev/null -w '%%{http_code}' --cacert %s -H 'Authorization: Bearer %s' %s/v1/models"
        % (CA, new_key, URL)
    )
    assert status == "200"
    first = served_certificate(host)
    assert first["days"] <= 365
    # The same run finds the lab certificate inside a renewal window of 365 days: renewed.
    only_new = run_gateway(host, clients_with([new_key]), "gateway_tls_lab_days=366", "gateway_tls_lab_renew_days=365")
    assert only_new.returncode == 0, (only_new.stdout + only_new.stderr)[-3000:]
    assert request(host, "/v1/models", "alice")[0] == 401  # the old key is gone
    renewed = served_certificate(host)
    assert renewed["serial"] != first["serial"] and renewed["days"] == 366
    assert nginx_master(host) == master  # reloaded, never restarted
    assert new_key not in host.check_output("ls -a /etc/nginx/deepseek /etc/nginx/conf.d")  # no key-bearing backups
    assert host.run("ls /etc/nginx/deepseek/clients.conf.*").rc != 0
    back = run_gateway(host)  # the scenario's own clients again
    assert back.returncode == 0, (back.stdout + back.stderr)[-3000:]
    # Issued for longer than gateway_tls_lab_days (as earlier releases did): issued again.
    again = served_certificate(host)
    assert again["serial"] != renewed["serial"] and again["days"] == 365
    assert nginx_master(host) == master


def served_certificate(host):
    """Serial and lifetime in days of the certificate the gateway presents right now."""
    text = host.check_output(
        "openssl s_client -connect 127.0.0.1:443 -CAfile %s </dev/null 2>/dev/null"
        " | openssl x509 -noout -serial -startdate -enddate -dateopt iso_8601" % CA
    )
    fields = dict(line.split("=", 1) for line in text.splitlines())
    start, end = (datetime.fromisoformat(fields[name].replace("Z", "+00:00")) for name in ("notBefore", "notAfter"))
    return {"serial": fields["serial"], "days": round((end - start).total_seconds() / 86400)}


def test_tls_offers_only_the_intermediate_profiles_curves(host):
    """Mozilla intermediate: X25519, P-256, P-384; OpenSSL's X448 and P-521 are refused."""
    handshake = "openssl s_client -connect 127.0.0.1:443 -CAfile %s -groups %s %s </dev/null"
    # TLS 1.3 only: in TLS 1.2 the client must also offer the certificate's curve (P-256).
    for group in ("X25519", "P-256", "P-384"):
        for version in ("-tls1_3",):
            answer = host.run(handshake % (CA, group, version))
            assert answer.rc == 0 and "Verify return code: 0 (ok)" in answer.stdout, (group, version, answer.stderr)
    for group in ("X448", "P-521"):
        for version in ("-tls1_3",):
            answer = host.run(handshake % (CA, group, version))
            # s_client prints "Verify return code: 0" even when no certificate came: the exit status tells
            assert answer.rc != 0 and "no peer certificate available" in answer.stdout, (group, version, answer.stdout)


def test_tls_passes_mozillas_intermediate_profile():
    """sslyze's own check against Mozilla's intermediate configuration (protocols, ciphers, curves,
    certificate type, signature and lifetime), from a gateway client's address with the lab CA
    as its trust store. sslyze runs on the controller (make setup puts it in a virtualenv of its
    own) inside the network namespace of a probe container at that address."""
    name = "privateai-site-sslyze"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    subprocess.run(["docker", "run", "-d", "--rm", "--name", name, "--network", NETWORK, "--ip", CLIENT_IP,
                    IMAGE, "sleep", "300"], check=True, capture_output=True)  # fmt: skip
    try:
        pid = subprocess.check_output(["docker", "inspect", "-f", "{{.State.Pid}}", name], text=True).strip()
        scan = subprocess.run(
            ["nsenter", "--target", pid, "--net", "--", str(PROJECT / ".build" / "sslyze-venv" / "bin" / "sslyze"),
             "--mozilla_config=intermediate", "--certinfo_ca_file", str(KEYS / "gateway-ca" / "ca.crt"),
             "site-node:443{%s}" % NODE_IP],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    print(scan.stdout[-1500:])
    assert scan.returncode == 0, scan.stdout[-4000:] + scan.stderr[-2000:]
    assert "site-node:443: OK - Compliant." in scan.stdout
    assert "Supported curves:                  X25519, secp256r1, secp384r1" in scan.stdout


def test_the_nginx_unit_is_sandboxed(host):
    """systemd's own measure of the gateway's unit, at most 3.5 (Debian's unit alone: 9.6)."""
    report = host.check_output("systemd-analyze security --no-pager nginx.service")
    exposure = float(re.search(r"Overall exposure level for nginx.service: ([0-9.]+)", report).group(1))
    assert exposure <= 3.5, report
    status = host.check_output("systemctl show nginx -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet")
    assert "NoNewPrivileges=yes" in status and "ProtectSystem=strict" in status and "cap_sys_admin" not in status


def test_access_log_is_for_its_readers_only_and_rotates(host):
    log = host.file(ACCESS_LOG)
    assert (log.user, log.group, log.mode) == ("www-data", "adm", 0o640)
    master = nginx_master(host)
    host.check_output("logrotate -f /etc/logrotate.d/deepseek-gateway")
    assert request(host, "/v1/models?after-rotation", "alice")[0] == 200
    rotated, fresh = host.file(ACCESS_LOG + ".1"), host.file(ACCESS_LOG)
    assert rotated.exists and (fresh.user, fresh.group, fresh.mode) == ("www-data", "adm", 0o640)
    for _ in range(50):  # the workers reopen the log after the master's signal
        if '"client":"alice"' in host.file(ACCESS_LOG).content_string:
            break
        host.run("sleep 0.1")
    assert '"client":"alice"' in host.file(ACCESS_LOG).content_string
    assert nginx_master(host) == master


def test_the_keys_are_on_the_node_once(host):
    """The live clients.conf only: no candidate, backup or log copy on the node's disks. (Not
    the journal: this test's own commands reach the node as Ansible modules, which it records.)"""
    places = "/etc /var/lib /var/backups /var/cache /var/log/nginx /tmp /root /srv /opt"
    holders = host.run("grep -rlsF -e %s %s" % (key("alice"), places))
    assert holders.stdout.split() == ["/etc/nginx/deepseek/clients.conf"], holders.stdout


def test_a_config_nginx_rejects_is_never_applied(host):
    before = host.file("/etc/nginx/conf.d/deepseek-gateway.conf").content_string
    result = run_gateway(host, '{"gateway_server_extra": ["no_such_directive on;"]}')
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]
    assert "no_such_directive" in output and "nginx -t" in output
    assert host.file("/etc/nginx/conf.d/deepseek-gateway.conf").content_string == before
    assert request(host, "/v1/models", "alice")[0] == 200  # still serving the previous config


def test_benchmark_through_the_gateway(host, tmp_path):
    """site.yml's verify stage with deepseek_verify_benchmark: inference_benchmark over TLS
    with the lab CA and a client key, run on the node."""
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "converge.yml"),
        "--tags", "verify", "--limit", host.backend.get_hostname(),
        "-e", "deepseek_verify_benchmark=true",
        "-e", "benchmark_report_dir=%s" % tmp_path,
    ]  # fmt: skip
    tmp_path.chmod(0o755)  # the mode the report role gives its directory
    result = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "changed=0" in result.stdout.split("PLAY RECAP")[-1]
    report = json.loads((tmp_path / "benchmark.json").read_text())[host.backend.get_hostname()]
    assert report["result"]["completed"] == 8 and report["result"]["failed"] == 0  # site.yml's short run
    assert report["result"]["endpoint"] == URL
    assert report["measured_on"]["endpoint"] == "gateway" and report["measured_on"]["device"] == "cpu"


# --- fair share (gateway_request_caps, concurrency, tokens_per_minute) -----------------------


def vllm_requests_since(host, since):
    """Completion requests vLLM itself answered since a moment (its uvicorn access log)."""
    journal = host.check_output("journalctl -u deepseek-vllm --since '%s' --no-pager -o cat" % since)
    return len(re.findall(r'"POST /v1/(?:chat/)?completions HTTP', journal))


FROM_FILE = "-H 'Content-Type: application/json' --data-binary @/tmp/gw-request"
OVER_THE_CAPS = [
    ("/v1/chat/completions", {"n": 3}, 400, "n"),
    ("/v1/chat/completions", {"n": 1.5}, 400, "n"),
    ("/v1/chat/completions", {"best_of": 3}, 400, "best_of"),
    ("/v1/chat/completions", {"max_tokens": 1025}, 400, "max_tokens"),
    ("/v1/chat/completions", {"max_completion_tokens": 2000}, 400, "max_completion_tokens"),
    ("/v1/chat/completions", {"logprobs": True, "top_logprobs": 6}, 400, "top_logprobs"),
    ("/v1/chat/completions", {"prompt_logprobs": 6}, 400, "prompt_logprobs"),
    ("/v1/chat/completions", {"stop": ["a", "b", "c", "d", "e"]}, 400, "stop"),
    (
        "/v1/chat/completions",
        {"response_format": {"type": "json_schema", "json_schema": {"name": "loop", "schema": {"$ref": "#"}}}},
        400,
        "response_format",
    ),
    ("/v1/completions", {"logprobs": 6}, 400, "logprobs"),
    # the last of two equal keys is the one vLLM would read: it is the one checked
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "Hi"}], "n": 1, "n": 9}', 400, "n"),
    ("/v1/chat/completions", "[1, 2]", 400, None),
    ("/v1/chat/completions", "not json", 400, None),
]


@pytest.mark.parametrize("path, fields, status, param", OVER_THE_CAPS)
def test_a_request_over_its_clients_caps_never_reaches_vllm(host, path, fields, status, param):
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    if isinstance(fields, str):
        body = fields
    else:
        base = {"model": MODEL, "max_tokens": 4}
        base.update({"messages": [{"role": "user", "content": "Hi"}]} if "chat" in path else {"prompt": "Hi"})
        body = json.dumps(dict(base, **fields))
    host.check_output("printf '%%s' %s > /tmp/gw-request" % quote(body))
    answer, text = request(
        host, path, "alice", extra="-H 'Content-Type: application/json' --data-binary @/tmp/gw-request"
    )
    error = json.loads(text)["error"]
    assert answer == status and error["code"] == status, text
    assert error.get("param") == param, text
    assert vllm_requests_since(host, since) == 0


def test_a_token_budget_counts_streams_too_and_then_refuses(host):
    """frugal: 60 tokens a minute. A stream that did not ask for usage gets it (the gateway adds
    stream_options.include_usage) and is counted like any answer; then 429 with Retry-After.
    Runs before frugal's other test, in a minute of its own, so the gateway's count is exactly ours."""
    host.run("s=$(date +%S); s=${s#0}; [ $s -lt 45 ] || sleep $((61 - s))")
    stream = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "stream": True, "ignore_eos": True}
    status, text = request(host, "/v1/chat/completions", "frugal", body=stream)
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    assert status == 200 and events[-1]["choices"] == [] and events[-1]["usage"]["completion_tokens"] == 5, text
    used = events[-1]["usage"]["total_tokens"]
    for _ in range(20):
        status, text = request(
            host, "/v1/chat/completions", "frugal", body=dict(stream, stream=False), extra="-D /tmp/gw-headers"
        )
        if status != 200:
            break
        used += json.loads(text)["usage"]["total_tokens"]
    assert status == 429 and "token budget of 60 a minute used up" in text, (used, text)
    assert int(re.search(r"\((\d+) used\)", text).group(1)) == used  # the stream's tokens included
    assert re.search(r"(?im)^retry-after: \d+", host.file("/tmp/gw-headers").content_string)
    assert request(host, "/v1/chat/completions", "light", body=chat())[0] == 200  # others are not affected


def test_a_clients_own_caps_limit_and_set_max_tokens(host):
    """capped's caps (group_vars, frugal's without a token budget, which the test above used
    up): max_tokens 5 is given to a request that names none, and a body over its 4096 bytes
    gets 413. (With ignore_eos the model would go on to 2048.)"""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Count to a thousand."}], "ignore_eos": True}
    status, text = request(host, "/v1/chat/completions", "capped", body=body)
    assert status == 200 and json.loads(text)["usage"]["completion_tokens"] == 5, text
    big = dict(body, messages=[{"role": "user", "content": "x" * 5000}])
    host.check_output("printf '%%s' %s > /tmp/gw-request" % quote(json.dumps(big)))
    status, text = request(
        host,
        "/v1/chat/completions",
        "capped",
        extra="-H 'Content-Type: application/json' --data-binary @/tmp/gw-request",
    )
    assert status == 413 and "at most 4096 bytes" in json.loads(text)["error"]["message"], text


# Runs on the node: client "heavy" keeps as many of its heaviest requests in flight as its
# concurrency allows while "light" sends short ones one after the other; one more of heavy's
# ("fifth" at the default of 4) is refused.
FAIR_SHARE_LOAD = textwrap.dedent(
    """
    import http.client, json, ssl, statistics, sys, threading, time
    ca, heavy_key, light_key, model, prompt, max_tokens, n, top, stops, concurrency = sys.argv[1:11]
    context = ssl.create_default_context(cafile=ca)

    def post(key, body, timeout=600):
        connection = http.client.HTTPSConnection("127.0.0.1", 443, context=context, timeout=timeout)
        connection.request("POST", "/v1/chat/completions", json.dumps(body),
                           {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        return connection, connection.getresponse()

    def light_latencies(count):
        seconds, failures = [], 0
        for _ in range(count):
            started = time.monotonic()
            connection, response = post(light_key, {"model": model, "max_tokens": 16, "ignore_eos": True,
                                                    "messages": [{"role": "user", "content": "Hello"}]})
            response.read()
            failures += response.status != 200
            seconds.append(time.monotonic() - started)
            connection.close()
        return seconds, failures

    alone, alone_failures = light_latencies(8)
    heaviest = {"model": model, "messages": [{"role": "user", "content": prompt}], "n": int(n),
                "max_tokens": int(max_tokens), "ignore_eos": True, "logprobs": True, "top_logprobs": int(top),
                "stop": ["zz%d" % i for i in range(int(stops))], "stream": True}
    heavy, stop = [], threading.Event()

    def keep_heavy_busy():
        while not stop.is_set():
            connection, response = post(heavy_key, heaviest)
            heavy.append(response.status)
            while not stop.is_set() and response.read(256):
                pass
            connection.close()  # closing mid-stream: nginx and vLLM abort the request

    threads = [threading.Thread(target=keep_heavy_busy) for _ in range(int(concurrency))]
    for thread in threads:
        thread.start()
    time.sleep(3)  # all in flight, their prefill done
    connection, response = post(heavy_key, dict(heaviest, stream=False))
    fifth = response.status
    connection.close()
    loaded, loaded_failures = light_latencies(8)
    stop.set()
    for thread in threads:
        thread.join()
    print(json.dumps({"alone": alone, "loaded": loaded, "failures": alone_failures + loaded_failures,
                      "heavy": heavy, "fifth": fifth}))
    """
)


def test_one_clients_heaviest_load_leaves_others_served(host):
    """Fair share, measured: while heavy keeps the heaviest requests the role's default caps allow
    (n, max_tokens and top_logprobs at their caps, as many stop strings as allowed, a prompt that
    fills the rest of the context) in flight at the default concurrency, light's median latency
    stays within 3x of its unloaded value, with no failure."""
    defaults = yaml.safe_load((PROJECT / "roles" / "gateway" / "defaults" / "main.yml").read_text())
    caps, concurrency = defaults["gateway_request_caps"], defaults["gateway_default_concurrency"]
    unit = host.file("/etc/systemd/system/deepseek-vllm.service").content_string
    context = int(re.search(r"--max-model-len (\d+)", unit).group(1))
    max_tokens = min(caps["max_tokens"], context // 2)
    # A prompt that fills the rest of the context, measured with vLLM's own tokenizer (as root, on its socket).
    tokenize = (
        "curl -s --unix-socket /run/deepseek-vllm/api.sock http://localhost/tokenize -H 'Authorization: Bearer %s'"
        " -H 'Content-Type: application/json'"
    )
    tokenize = tokenize % host.check_output("cat /etc/deepseek/api-key").strip()
    words = "the quick brown fox jumps over the lazy dog "
    per_copy = json.loads(host.check_output(tokenize + " -d %s" % quote(json.dumps({"prompt": words}))))["count"]
    prompt = words * max(1, (context - max_tokens - 64) // per_copy)

    result = json.loads(
        host.check_output(
            "python3 -c %s %s %s %s %s %s %d %d %d %d %d"
            % (
                quote(FAIR_SHARE_LOAD),
                CA,
                key("heavy"),
                key("light"),
                MODEL,
                quote(prompt),
                max_tokens,
                caps["n"],
                caps["top_logprobs"],
                caps["stop"],
                concurrency,
            )
        )
    )
    alone, loaded = statistics.median(result["alone"]), statistics.median(result["loaded"])
    print("light p50 alone %.3f s, under heavy's load %.3f s (%.1fx); heavy statuses %s; 5th of heavy's: %d"
          % (alone, loaded, loaded / alone, sorted(set(result["heavy"])), result["fifth"]))  # fmt: skip
    assert result["failures"] == 0
    assert set(result["heavy"]) == {200} and len(result["heavy"]) >= concurrency
    assert result["fifth"] == 429  # one more than its concurrency
    assert loaded <= 3 * alone, result

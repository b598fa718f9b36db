"""Assertions on the real state the base role leaves on a Debian systemd host."""

import textwrap

import pytest

TLS_PROBE = textwrap.dedent(
    """
    import socket, ssl, sys, threading
    cert, key = sys.argv[1], sys.argv[2]
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    def serve():
        conn, _ = listener.accept()
        try:
            server_ctx.wrap_socket(conn, server_side=True).close()
        except ssl.SSLError:
            pass
    threading.Thread(target=serve, daemon=True).start()
    # The default context is what requests/pip/vLLM clients use: the system trust store.
    client_ctx = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", port)) as raw:
        try:
            client_ctx.wrap_socket(raw, server_hostname="localhost").close()
            print("trusted")
        except ssl.SSLCertVerificationError as error:
            print("rejected:", error.verify_message)
    """
)


def tls_probe(host, name):
    host.run("install -m 0600 /dev/stdin /root/tls-test/probe.py <<'EOF'\n%s\nEOF" % TLS_PROBE)
    result = host.run(
        "python3 /root/tls-test/probe.py /root/tls-test/%s-server.pem /root/tls-test/%s-server.key" % (name, name)
    )
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def test_python_ssl_trusts_the_installed_ca(host):
    assert tls_probe(host, "trusted") == "trusted"


def test_python_ssl_still_rejects_other_cas(host):
    assert tls_probe(host, "untrusted").startswith("rejected")


def test_ca_is_in_the_system_bundle(host):
    installed = host.run("ls /usr/local/share/ca-certificates/privateai-deepseek-*.crt").stdout.split()
    assert len(installed) == 1
    pem = host.file(installed[0]).content_string.strip()
    assert pem in host.file("/etc/ssl/certs/ca-certificates.crt").content_string
    verify = host.run("openssl verify /root/tls-test/trusted-server.pem")
    assert verify.rc == 0, verify.stdout + verify.stderr


def test_service_account_is_locked_down(host):
    user = host.user("deepseek")
    assert user.exists
    assert user.uid == 2001
    assert user.group == "deepseek"
    assert user.gid == 2001
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/deepseek"
    assert user.groups == ["deepseek"]
    assert user.password.startswith("!")
    # cannot start a login shell
    assert host.run("su deepseek -c true").rc != 0


@pytest.mark.parametrize(
    "path,owner,group,mode",
    [
        ("/opt/deepseek", "root", "root", 0o755),
        ("/etc/deepseek", "root", "deepseek", 0o750),
        ("/srv/deepseek/models", "root", "deepseek", 0o750),
        ("/var/lib/deepseek", "deepseek", "deepseek", 0o750),
        ("/var/cache/deepseek", "deepseek", "deepseek", 0o750),
        ("/var/log/deepseek", "deepseek", "deepseek", 0o750),
    ],
)
def test_directory_layout(host, path, owner, group, mode):
    directory = host.file(path)
    assert directory.is_directory
    assert (directory.user, directory.group, directory.mode) == (owner, group, mode)


def test_service_user_cannot_write_config_or_models(host):
    for path in ("/etc/deepseek", "/srv/deepseek/models", "/opt/deepseek"):
        result = host.run("setpriv --reuid=deepseek --regid=deepseek --clear-groups touch %s/probe" % path)
        assert result.rc != 0, path
    assert host.run("setpriv --reuid=deepseek --regid=deepseek --clear-groups touch /var/cache/deepseek/probe").rc == 0
    host.run("rm -f /var/cache/deepseek/probe")


def test_pip_uses_system_trust_store_proxy_and_mirror(host):
    config = host.file("/etc/pip.conf").content_string
    assert "cert = /etc/ssl/certs/ca-certificates.crt" in config
    assert "proxy = http://proxy.example.internal:3128" in config
    assert "index-url = https://pypi.example.internal/simple" in config


def test_apt_proxy(host):
    config = host.file("/etc/apt/apt.conf.d/90privateai-deepseek-proxy").content_string
    assert 'Acquire::https::Proxy "http://proxy.example.internal:3128";' in config
    assert "Acquire::http::Proxy " not in config
    assert 'Acquire::http::Proxy::localhost "DIRECT";' in config


def test_time_sync_configured_and_enabled(host):
    config = host.file("/etc/systemd/timesyncd.conf.d/90-privateai-deepseek.conf").content_string
    assert "NTP=ntp1.example.internal ntp2.example.internal" in config
    service = host.service("systemd-timesyncd")
    assert service.is_enabled
    # In a container systemd refuses to run it (ConditionVirtualization=!container).
    assert not service.is_running


def test_base_packages(host):
    for name in ("acl", "curl", "pciutils", "python3-venv", "zstd"):
        assert host.package(name).is_installed, name

"""Bad input to the base role fails before any change, naming the variable.

Runs the real role with ansible-playbook against a real Debian 12 systemd container
(the same platform molecule uses), once per bad value, and after each run checks
that the play reported changed=0 and the host still has none of what base creates.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTHOSTS = REPO_ROOT / "tests" / "testhosts" / "testhosts.py"
HOST = "privateai-test-badinput-deb12"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def host():
    subprocess.run([sys.executable, str(TESTHOSTS), "up", "deb12", HOST], check=True)
    yield HOST
    subprocess.run([sys.executable, str(TESTHOSTS), "down", HOST], check=True)


def run_base(tmp_path, role_vars):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        textwrap.dedent(
            """
            - hosts: all
              gather_facts: true
              roles:
                - role: privateai.deepseek.base
            """
        )
    )
    (tmp_path / "vars.yml").write_text(role_vars)
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i", f"{HOST},",
            "-c", "community.docker.docker",
            "-e", f"@{tmp_path / 'vars.yml'}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )  # fmt: skip


def host_is_untouched(host):
    probe = (
        "! id deepseek"
        " && [ ! -e /etc/deepseek ] && [ ! -e /srv/deepseek ] && [ ! -e /etc/pip.conf ]"
        " && [ ! -e /etc/apt/apt.conf.d/90privateai-deepseek-proxy ]"
        " && ! ls /usr/local/share/ca-certificates/privateai-deepseek-* 2>/dev/null"
    )
    return subprocess.run(["docker", "exec", host, "sh", "-c", probe], capture_output=True).returncode == 0


def private_key_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


BAD_INPUTS = {
    "ca_not_pem": (
        "base_extra_ca_certificates: ['{dir}/ca.der']",
        {"ca.der": "0\x82\x03\x1e0\x82\x02\x06\xa0\x03"},
        "base_extra_ca_certificates[0] ({dir}/ca.der): expected a PEM certificate",
    ),
    "ca_is_a_private_key": (
        "base_extra_ca_certificates: ['{dir}/key.pem']",
        {"key.pem": private_key_pem()},
        "found a PEM 'PRIVATE KEY' block",
    ),
    "ca_file_missing": (
        "base_extra_ca_certificates: ['{dir}/nowhere.pem']",
        {},
        "base_extra_ca_certificates[0] ({dir}/nowhere.pem): no certificate found",
    ),
    "ca_inline_corrupt": (
        'base_extra_ca_certificates: ["-----BEGIN CERTIFICATE-----\\nTUlJQm9ndXM=\\n-----END CERTIFICATE-----"]',
        {},
        "base_extra_ca_certificates[0] (inline PEM): certificate 1 of 1 is not valid",
    ),
    "proxy_without_scheme": (
        "deepseek_https_proxy: proxy.example.internal:3128",
        {},
        "deepseek_https_proxy=proxy.example.internal:3128 is not a proxy URL",
    ),
    "relative_model_dir": (
        "deepseek_model_dir: srv/models",
        {},
        "deepseek_model_dir=srv/models must be an absolute path",
    ),
    "uid_not_a_number": (
        "base_service_uid: abc",
        {},
        "base_service_uid",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_before_any_change(host, tmp_path, case):
    role_vars, files, expected = BAD_INPUTS[case]
    for name, content in files.items():
        (tmp_path / name).write_text(content)

    result = run_base(tmp_path, role_vars.format(dir=tmp_path))

    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert expected.format(dir=tmp_path) in output
    assert "changed=0" in output.split("PLAY RECAP")[-1]
    assert host_is_untouched(host)


@pytest.mark.parametrize(
    "url,shown",
    [
        ("ftp://user:s3cret@proxy.example.internal:3128", "ftp://***@proxy.example.internal:3128"),
        ("user:s3cret@proxy.example.internal:3128", "***@proxy.example.internal:3128"),
    ],
)
def test_proxy_credentials_never_reach_the_log(host, tmp_path, url, shown):
    result = run_base(tmp_path, f"deepseek_http_proxy: '{url}'")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"deepseek_http_proxy={shown} is not a proxy URL" in output
    assert "s3cret" not in output
    assert host_is_untouched(host)

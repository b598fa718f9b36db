"""The CA filter accepts real certificates and names the variable on every rejection."""

import datetime

import pytest
from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.privateai.deepseek.plugins.filter.pem_certificates import pem_certificates
from ansible_collections.privateai.deepseek.plugins.module_utils.pem import parse_certificates

NOW = datetime.datetime.now(datetime.timezone.utc)


def make_certificate(common_name, is_ca=True, not_after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=30))
        .not_valid_after(not_after or NOW + datetime.timedelta(days=365))
    )
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    certificate = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem, certificate


def test_bundle_is_split_into_checked_certificates():
    root_pem, _, root = make_certificate("Corp Root CA")
    issuing_pem, _, _ = make_certificate("Corp Issuing CA")
    bundle = "# corporate bundle\n" + root_pem + "\n" + issuing_pem

    result = pem_certificates(bundle, variable="base_extra_ca_certificates[0]")

    assert [entry["subject"] for entry in result] == ["CN=Corp Root CA", "CN=Corp Issuing CA"]
    assert result[0]["pem"] == root_pem
    assert result[0]["sha256"] == root.fingerprint(hashes.SHA256()).hex()
    assert result[0]["file_name"] == "privateai-deepseek-%s.crt" % result[0]["sha256"][:16]
    assert result[0]["is_ca"] is True


def test_same_certificate_gets_the_same_file_name_whatever_the_formatting():
    pem, _, _ = make_certificate("Corp Root CA")
    crlf = pem.replace("\n", "\r\n")
    assert pem_certificates(pem, "v")[0]["file_name"] == pem_certificates(crlf, "v")[0]["file_name"]


def test_leaf_certificate_is_accepted_but_marked():
    pem, _, _ = make_certificate("proxy.example.internal", is_ca=False)
    assert pem_certificates(pem, "v")[0]["is_ca"] is False


@pytest.mark.parametrize(
    "text_kind,expected",
    [
        ("empty", "no certificate found"),
        ("garbage", "found no PEM block"),
        ("private_key", "found a PEM 'PRIVATE KEY' block"),
        ("corrupt", "certificate 1 of 1 is not valid PEM/X.509"),
        ("expired", "expired on"),
    ],
)
def test_rejections_name_the_variable_and_the_fix(text_kind, expected):
    good_pem, key_pem, _ = make_certificate("Corp Root CA")
    expired_pem, _, _ = make_certificate("Old CA", not_after=NOW - datetime.timedelta(days=1))
    lines = good_pem.splitlines()
    texts = {
        "empty": "",
        "garbage": "this is not a certificate",
        "private_key": key_pem,
        "corrupt": "\n".join(lines[:1] + [lines[1][:-8] + "AAAAAAAA"] + lines[3:]),
        "expired": expired_pem,
    }

    with pytest.raises(AnsibleFilterError) as error:
        pem_certificates(texts[text_kind], variable="base_extra_ca_certificates[2]", source="files/ca.pem")

    message = str(error.value)
    assert message.startswith("base_extra_ca_certificates[2] (files/ca.pem): ")
    assert expected in message


def test_expiry_is_judged_against_the_given_time():
    pem, _, _ = make_certificate("Corp Root CA", not_after=NOW + datetime.timedelta(days=10))
    assert parse_certificates(pem, "v", now=NOW)
    with pytest.raises(ValueError, match="expired"):
        parse_certificates(pem, "v", now=NOW + datetime.timedelta(days=11))

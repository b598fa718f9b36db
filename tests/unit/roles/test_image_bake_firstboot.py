"""The first-boot script of image_bake: user-data parsing and validation (pure functions)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "image_bake" / "files" / "deepseek-firstboot.py"
spec = importlib.util.spec_from_file_location("deepseek_firstboot", SCRIPT)
firstboot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(firstboot)

CONFIG = {
    "default_model": "tiny-deepseek-v3",
    "models": {"tiny-deepseek-v3": {"model_path": "/srv/m/tiny/current"}, "smollm2-135m-instruct": {}},
    "admin_user": "admin",
}
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


def test_cloud_config_section_is_read():
    text = "#cloud-config\npackages: [htop]\nprivateai_deepseek:\n  model: smollm2-135m-instruct\n"
    assert firstboot.parse_user_data(text) == {"model": "smollm2-135m-instruct"}


def test_json_and_absent_section():
    assert firstboot.parse_user_data('{"privateai_deepseek": {"start": false}}') == {"start": False}
    assert firstboot.parse_user_data("#cloud-config\npackages: [htop]\n") == {}
    assert firstboot.parse_user_data("") == {}


def test_section_must_be_a_mapping():
    with pytest.raises(ValueError, match="must be a mapping"):
        firstboot.parse_user_data("privateai_deepseek: [1, 2]\n")


def test_good_user_data_passes():
    section = {
        "api_key": "A" * 40,
        "model": "smollm2-135m-instruct",
        "tls_cert": CERT,
        "tls_key": KEY,
        "ssh_authorized_keys": ["ssh-ed25519 AAAA admin@example"],
        "start": False,
    }
    assert firstboot.validate(section, CONFIG) == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"model": "deepseek-v3"}, "is not baked into this image; choose one of tiny-deepseek-v3, smollm2"),
        ({"api_key": "short"}, "api_key must be 16-256 characters"),
        ({"api_key": "x" * 20 + '"; rm -rf /'}, "api_key must be"),
        ({"tls_cert": CERT}, "tls_cert and tls_key go together"),
        ({"tls_cert": "not pem", "tls_key": KEY}, "tls_cert must be a PEM certificate"),
        ({"model_path": "relative/path"}, "model_path must be an absolute path"),
        ({"admin_user": "Root Admin"}, "admin_user must be a user name"),
        ({"ssh_authorized_keys": "ssh-ed25519 AAAA"}, "ssh_authorized_keys must be a list"),
        ({"start": "yes"}, "start must be true or false"),
        ({"apikey": "x" * 20}, "unknown keys apikey"),
    ],
)
def test_bad_user_data_is_named(section, message):
    errors = firstboot.validate(section, CONFIG)
    assert any(message in error for error in errors), errors

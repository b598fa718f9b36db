#!/usr/bin/python3
"""privateai.deepseek first boot: configure an instance of a baked image from its user-data.

Installed by the privateai.deepseek.image_bake role and run once by
deepseek-firstboot.service. It reads the `privateai_deepseek` section of the instance's
user-data from the first source that has one:

  1. a disk labelled CIDATA or cidata holding a `user-data` file (NoCloud layout: what
     `cloud-localds`, libvirt, Proxmox and OpenStack config drives give);
  2. cloud-init's copy of the user-data (/var/lib/cloud/instance/user-data.txt), when
     cloud-init runs in the image (AWS, Azure, Google Cloud metadata services);
  3. a file (default /etc/deepseek/firstboot/user-data) written by other means; it is
     deleted once applied, because it holds the API key.

user-data (YAML, or JSON; a `#cloud-config` document may carry other cloud-init keys):

  privateai_deepseek:
    api_key: <letters, digits, . _ ~ + / = ->   # generated when absent
    model: <a model baked into the image>      # default: the image's default model
    model_path: /srv/...                       # optional: weights on an attached volume
    tls_cert: <PEM chain>                      # optional, with tls_key
    tls_key: <PEM private key>
    admin_user: admin                          # optional (default: the image's)
    ssh_authorized_keys: [<public key>, ...]   # optional, for admin_user
    start: true                                # start the runtime now (default true)

It then writes the API key and the runtime's environment, installs the unit of the chosen
model and enables it, installs the TLS material, authorises the administrator's keys,
builds the NVIDIA kernel module for the running kernel when the image deferred it, and
records the outcome (no secret) in <state dir>/firstboot.json. Exit codes: 0 applied,
1 the user-data is invalid (nothing is enabled; the unit can be re-run after a fix),
2 the image's own configuration is missing.
"""

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

CONFIG = "/usr/share/privateai-deepseek/firstboot.json"
API_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._~+/=-]{16,256}$")
USER_PATTERN = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
KNOWN_KEYS = {"api_key", "model", "model_path", "tls_cert", "tls_key", "admin_user", "ssh_authorized_keys", "start"}


def log(message):
    print("deepseek-firstboot: %s" % message, flush=True)


def run(cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def parse_user_data(text):
    """The privateai_deepseek section of a YAML or JSON user-data document ({} when absent)."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise ValueError("user-data is not JSON and python3-yaml is not installed")
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError("user-data is not valid YAML: %s" % error)
    if not isinstance(document, dict):
        return {}
    section = document.get("privateai_deepseek") or {}
    if not isinstance(section, dict):
        raise ValueError("privateai_deepseek in user-data must be a mapping")
    return section


def find_cidata_device():
    for label in ("CIDATA", "cidata"):
        result = run(["blkid", "-c", "/dev/null", "-t", "LABEL=%s" % label, "-o", "device"], check=False)
        devices = [line for line in result.stdout.split() if line.startswith("/dev/")]
        if devices:
            return devices[0]
    return None


def read_cidata():
    device = find_cidata_device()
    if not device:
        return None
    mountpoint = tempfile.mkdtemp(prefix="deepseek-cidata-")
    try:
        run(["mount", "-o", "ro", device, mountpoint])
        try:
            path = os.path.join(mountpoint, "user-data")
            if not os.path.isfile(path):
                return None
            with open(path) as handle:
                return handle.read()
        finally:
            run(["umount", mountpoint], check=False)
    finally:
        os.rmdir(mountpoint)


def read_file(path):
    if path and os.path.isfile(path):
        with open(path) as handle:
            return handle.read()
    return None


def load_user_data(config):
    """(source, section, text) of the first source with a privateai_deepseek section."""
    readers = {
        "cidata": read_cidata,
        "cloud-init": lambda: read_file("/var/lib/cloud/instance/user-data.txt"),
        "file": lambda: read_file(config["user_data_file"]),
    }
    for source in config["sources"]:
        text = readers[source]()
        if text is None:
            continue
        section = parse_user_data(text)
        if section:
            return source, section
    return None, {}


def validate(section, config):
    errors = []
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        errors.append("unknown keys %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(KNOWN_KEYS))))
    api_key = section.get("api_key")
    if api_key is not None and not (isinstance(api_key, str) and API_KEY_PATTERN.match(api_key)):
        errors.append("api_key must be 16-256 characters of letters, digits and . _ ~ + / = -")
    model = section.get("model", config["default_model"])
    if model not in config["models"]:
        errors.append("model %r is not baked into this image; choose one of %s" % (model, ", ".join(config["models"])))
    model_path = section.get("model_path")
    if model_path is not None and not (isinstance(model_path, str) and re.match(r"^/[A-Za-z0-9._/-]+$", model_path)):
        errors.append("model_path must be an absolute path (letters, digits, . _ / -)")
    cert, key = section.get("tls_cert"), section.get("tls_key")
    if (cert is None) != (key is None):
        errors.append("tls_cert and tls_key go together")
    if cert is not None and not (isinstance(cert, str) and "-----BEGIN CERTIFICATE-----" in cert):
        errors.append("tls_cert must be a PEM certificate (chain)")
    if key is not None and not (isinstance(key, str) and re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", key)):
        errors.append("tls_key must be a PEM private key")
    admin = section.get("admin_user", config["admin_user"])
    if not (isinstance(admin, str) and USER_PATTERN.match(admin)):
        errors.append("admin_user must be a user name (lower case letters, digits, _ and -)")
    keys = section.get("ssh_authorized_keys", [])
    if not (isinstance(keys, list) and all(isinstance(k, str) and re.match(r"^(ssh|ecdsa|sk)-", k) for k in keys)):
        errors.append("ssh_authorized_keys must be a list of OpenSSH public keys")
    if not isinstance(section.get("start", True), bool):
        errors.append("start must be true or false")
    return errors


def write_file(path, content, mode, owner="root", group="root"):
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".firstboot-")
    try:
        os.fchmod(fd, mode)
        os.fchown(fd, pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply_runtime(section, config):
    model = section.get("model", config["default_model"])
    source_dir = os.path.join(config["models_dir"], model)
    service = config["service_name"]
    api_key = section.get("api_key") or secrets.token_urlsafe(36)
    write_file(config["api_key_file"], api_key + "\n", 0o640, group=config["service_group"])
    with open(os.path.join(source_dir, service + ".env")) as handle:
        env_lines = [line for line in handle.read().splitlines() if not line.startswith("VLLM_API_KEY=")]
    env_lines.append("VLLM_API_KEY=%s" % api_key)
    env_file = os.path.join(config["config_dir"], service + ".env")
    write_file(env_file, "\n".join(env_lines) + "\n", 0o640, group=config["service_group"])
    with open(os.path.join(source_dir, service + ".service")) as handle:
        unit = handle.read()
    if section.get("model_path"):
        unit = re.sub(r"--model \S+", "--model %s" % section["model_path"], unit, count=1)
    write_file("/etc/systemd/system/%s.service" % service, unit, 0o644)
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", service + ".service"])
    started = False
    if section.get("start", True):
        run(["systemctl", "start", "--no-block", service + ".service"])
        started = True
    return {
        "model": model,
        "model_path": section.get("model_path") or config["models"][model]["model_path"],
        "api_key": "given" if section.get("api_key") else "generated",
        "service": service,
        "enabled": True,
        "start_requested": started,
    }


def apply_tls(section, config):
    if "tls_cert" not in section:
        return False
    tls_dir = config["tls_dir"]
    write_file(os.path.join(tls_dir, "server.crt"), section["tls_cert"].strip() + "\n", 0o644)
    write_file(os.path.join(tls_dir, "server.key"), section["tls_key"].strip() + "\n", 0o600)
    if run(["systemctl", "is-active", "--quiet", "nginx.service"], check=False).returncode == 0:
        run(["systemctl", "reload", "nginx.service"], check=False)
    return True


def apply_admin(section, config):
    keys = section.get("ssh_authorized_keys", [])
    user = section.get("admin_user", config["admin_user"])
    if not keys:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", user])
        entry = pwd.getpwnam(user)
    sudoers = "/etc/sudoers.d/90-deepseek-admin"
    write_file(sudoers, "%s ALL=(ALL) NOPASSWD: ALL\n" % user, 0o440)
    if run(["visudo", "-cf", sudoers], check=False).returncode != 0:
        os.unlink(sudoers)
        raise RuntimeError("sudoers entry for %s did not validate" % user)
    ssh_dir = os.path.join(entry.pw_dir, ".ssh")
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    os.chown(ssh_dir, entry.pw_uid, entry.pw_gid)
    group = grp.getgrgid(entry.pw_gid).gr_name
    write_file(os.path.join(ssh_dir, "authorized_keys"), "\n".join(keys) + "\n", 0o600, owner=user, group=group)
    return {"user": user, "keys": len(keys)}


def apply_nvidia(config):
    if not config.get("nvidia_first_boot"):
        return None
    kernel = os.uname().release
    if not shutil.which("dkms"):
        return {"kernel": kernel, "built": False, "message": "dkms is not installed"}
    build = run(["dkms", "autoinstall", "-k", kernel], check=False)
    load = run(["modprobe", "nvidia"], check=False)
    return {"kernel": kernel, "built": build.returncode == 0, "loaded": load.returncode == 0}


def main():
    try:
        with open(CONFIG) as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        log("cannot read %s: %s" % (CONFIG, error))
        return 2
    status_path = os.path.join(config["state_dir"], "firstboot.json")
    status = {"ok": False, "source": None, "errors": []}
    try:
        source, section = load_user_data(config)
        status["source"] = source
        errors = validate(section, config)
        if errors:
            status["errors"] = errors
            for error in errors:
                log("user-data: " + error)
            return 1
        status["admin"] = apply_admin(section, config)
        status["runtime"] = apply_runtime(section, config)
        status["tls"] = apply_tls(section, config)
        status["nvidia"] = apply_nvidia(config)
        if source == "file":
            os.unlink(config["user_data_file"])
        status["ok"] = True
        log("applied user-data from %s: model %s" % (source or "defaults", status["runtime"]["model"]))
        return 0
    except (OSError, ValueError, RuntimeError, subprocess.CalledProcessError) as error:
        status["errors"].append(str(error))
        log("failed: %s" % error)
        return 1
    finally:
        write_file(status_path, json.dumps(status, indent=2, sort_keys=True) + "\n", 0o644)
        if status["ok"]:
            write_file(os.path.join(config["state_dir"], "firstboot.done"), "", 0o644)


if __name__ == "__main__":
    sys.exit(main())

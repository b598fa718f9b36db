#!/usr/bin/python3
"""privateai.deepseek image_bake: describe the content of the image, deterministically.

Prints one JSON document: the bake settings given on stdin (JSON), the OS release, the
kernels, every installed package with its version, the vLLM runtime's wheel set, the
models baked in (with the checksum of each staged model's MANIFEST.sha256) and the
SHA-256 of every file the role installed. Nothing time- or host-dependent is included
(no dates, machine-id, host name or host keys), so two bakes from the same inputs give
the same manifest; `content_sha256` is the digest of everything else in it.
Usage: image_manifest.py PATH... < settings.json
"""

import glob
import hashlib
import json
import os
import subprocess
import sys


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def os_release():
    values = {}
    with open("/etc/os-release") as handle:
        for line in handle:
            key, _, value = line.strip().partition("=")
            if key in ("ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"):
                values[key.lower()] = value.strip('"')
    return values


def packages():
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}:${Architecture}\t${Version}\n"],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    installed = {}
    for line in result.stdout.splitlines():
        status, name, version = line.split("\t")
        if status.startswith("ii"):
            installed[name] = version
    return dict(sorted(installed.items()))


def files(paths):
    found = {}
    for path in paths:
        if os.path.isdir(path):
            for root, _dirs, names in os.walk(path):
                for name in names:
                    full = os.path.join(root, name)
                    if os.path.isfile(full) and not os.path.islink(full):
                        found[full] = sha256_file(full)
        elif os.path.isfile(path):
            found[path] = sha256_file(path)
    return dict(sorted(found.items()))


def main():
    settings = json.load(sys.stdin)
    models = {}
    for name, model in sorted(settings.get("models", {}).items()):
        entry = dict(model)
        manifest = os.path.join(model["model_path"], "MANIFEST.sha256")
        entry["weights_manifest_sha256"] = sha256_file(manifest) if os.path.isfile(manifest) else None
        models[name] = entry
    runtime = dict(settings.get("runtime", {}))
    marker = runtime.pop("installed_marker", "")
    runtime["wheel_set_sha256"] = None
    if marker and os.path.isfile(marker):
        with open(marker) as handle:
            runtime["wheel_set_sha256"] = handle.read().strip()
    manifest = {
        "format": 1,
        "image": settings.get("image", {}),
        "bake": settings.get("bake", {}),
        "os": os_release(),
        "kernels": sorted(os.path.basename(k)[len("vmlinuz-") :] for k in glob.glob("/boot/vmlinuz-*")),
        "packages": packages(),
        "runtime": runtime,
        "models": models,
        "files": files(sys.argv[1:]),
    }
    manifest["content_sha256"] = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
    print(json.dumps(manifest, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()

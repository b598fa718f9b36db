#!/usr/bin/env bash
# Download what the GPU check needs into .build/device-wheels (run here, before the
# device call; the H200 machine has no internet). ansible-core 2.19 needs Python >= 3.11;
# 2.17 is the fallback for a Python 3.10 device.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
dest="$repo/.build/device-wheels"
pip="$repo/.venv/bin/pip"
mkdir -p "$dest"
for py in 3.11 3.12 3.13; do
  "$pip" download -q --dest "$dest" --only-binary=:all: --python-version "$py" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    "ansible-core==$("$repo/.venv/bin/python" -c 'import ansible; print(ansible.__version__)')"
done
"$pip" download -q --dest "$dest" --only-binary=:all: --python-version 3.10 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  "ansible-core>=2.17,<2.18"
# The device has nvidia-ml-py; the same version travels in case its venv cannot see it.
"$pip" download -q --dest "$dest" --no-deps "nvidia-ml-py==$("$repo/.venv/bin/python" -c 'from importlib.metadata import version; print(version("nvidia-ml-py"))')"
du -sh "$dest"

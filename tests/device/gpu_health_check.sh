#!/usr/bin/env bash
# GPU check for gpu_health, run on a machine with NVIDIA GPUs (the lent H200):
#   bash tests/device/prepare.sh            # here, once: wheels for the offline device
#   device run: bash tests/device/gpu_health_check.sh   (carry .build/device-wheels)
# Runs the module through ansible-core, the CLI, and nvidia-smi -q, compares the figures
# both report, times a probe, and writes everything to $OUT (or tests/device/results).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="${OUT:-$repo/tests/device/results}/gpu_health-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
exec > >(tee "$out/transcript.txt") 2>&1

echo "== machine"; uname -a; python3 --version; nvidia-smi -L || { echo "no nvidia-smi: not a GPU machine"; exit 2; }

echo "== ansible-core from the carried wheels (no internet here)"
venv=/tmp/gpu-health-venv
python3 -m venv --system-site-packages "$venv"   # keeps the machine's nvidia-ml-py
"$venv/bin/pip" install -q --no-index --find-links "$repo/.build/device-wheels" ansible-core \
  || { echo "ansible-core did not install from .build/device-wheels"; exit 2; }
"$venv/bin/python" -c 'import pynvml' 2>/dev/null \
  || "$venv/bin/pip" install -q --no-index --find-links "$repo/.build/device-wheels" nvidia-ml-py
collections=/tmp/gpu-health-collections
mkdir -p "$collections/ansible_collections/privateai"
ln -sfn "$repo" "$collections/ansible_collections/privateai/deepseek"
export ANSIBLE_CONFIG="$repo/tests/device/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

echo "== the module through ansible-core (fail_on_unhealthy=false: we want the figures)"
start=$EPOCHREALTIME
"$venv/bin/ansible-playbook" -i localhost, "$repo/tests/device/gpu_health_probe.yml" \
  -e "ansible_python_interpreter=$venv/bin/python" -e "device_out=$out"
echo "module rc=$? wall=$(awk "BEGIN {printf \"%.3f\", $EPOCHREALTIME - $start}") s (includes a 5 s XID watch)"

echo "== the CLI, timed without the XID watch"
for run in 1 2 3; do
  start=$EPOCHREALTIME
  PYTHONPATH="$collections" "$venv/bin/python" -m ansible_collections.privateai.deepseek.cli.gpu_health \
    --json > "$out/cli.json"
  echo "cli run $run rc=$? wall=$(awk "BEGIN {printf \"%.3f\", $EPOCHREALTIME - $start}") s"
done
PYTHONPATH="$collections" "$venv/bin/python" -m ansible_collections.privateai.deepseek.cli.gpu_health

echo "== nvidia-smi"
nvidia-smi -q -x > "$out/nvidia-smi.xml"
nvidia-smi -q > "$out/nvidia-smi.txt"
[ -s "$out/module.json" ] && "$venv/bin/python" "$repo/tests/device/compare_nvidia_smi.py" "$out/module.json" "$out/nvidia-smi.xml"
echo "results in $out"

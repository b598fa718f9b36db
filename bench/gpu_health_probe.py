"""How long a gpu_health probe takes: our own code over the scripted NVML (1 and 8 GPUs),
and the real NVML when this machine has a driver.

    .venv/bin/python bench/gpu_health_probe.py

On a GPU node most of the time is the driver answering NVML queries; the scripted
figures show what the module itself adds.
"""

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "unit" / "support"))
sys.path.insert(0, str(REPO / ".build" / "collections"))

from fake_nvml import FakeNvml, hgx_h200  # noqa: E402

from ansible_collections.privateai.deepseek.plugins.module_utils import gpu_health  # noqa: E402


def timed(nvml, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        gpu_health.check_node(nvml, {})
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main():
    print("| NVML | GPUs | runs | median ms | max ms |")
    print("|---|---|---|---|---|")
    for count in (1, 8):
        median, worst = timed(FakeNvml(hgx_h200(count=count)), 200)
        print(f"| scripted (module code only) | {count} | 200 | {median:.2f} | {worst:.2f} |")
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
    except Exception as error:  # no driver here: say so instead of a number
        print(f"| real | - | - | {type(error).__name__}: {error} | |")
        return
    median, worst = timed(pynvml, 10)
    print(f"| real | {count} | 10 | {median:.2f} | {worst:.2f} |")


if __name__ == "__main__":
    main()

"""measured_on: what a benchmark measured, read from the model directory and the PCI bus."""

import json
import struct

from ansible_collections.privateai.deepseek.plugins.module_utils import benchmark_context


def write_safetensors(path, tensors):
    header = json.dumps({"__metadata__": {"format": "pt"}, **tensors}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64)


def test_model_description_reads_precision_and_parameters(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"architectures": ["DeepseekV3ForCausalLM"], "torch_dtype": "bfloat16",
                    "quantization_config": {"quant_method": "fp8"}})
    )  # fmt: skip
    write_safetensors(
        tmp_path / "model-00001.safetensors", {"a": {"dtype": "F8_E4M3", "shape": [4, 8], "data_offsets": [0, 32]}}
    )
    write_safetensors(
        tmp_path / "model-00002.safetensors", {"b": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}
    )
    description = benchmark_context.model_description(str(tmp_path))
    assert description == {
        "model_dir": str(tmp_path),
        "architecture": "DeepseekV3ForCausalLM",
        "precision": "fp8",  # the quantization method beats the dtype of the unquantized layers
        "parameters": 35,
    }


def test_unknown_is_none_not_a_guess(tmp_path):
    assert benchmark_context.model_description(None)["parameters"] is None
    (tmp_path / "model.safetensors").write_bytes(b"\xff" * 8)  # a header length far past the file
    assert benchmark_context.model_description(str(tmp_path)) == {
        "model_dir": str(tmp_path), "architecture": None, "precision": None, "parameters": None,
    }  # fmt: skip


def test_device_is_cpu_without_an_nvidia_gpu_on_the_bus_and_gpu_with_one(tmp_path):
    assert benchmark_context.device_of(str(tmp_path)) == {"device": "cpu", "gpu_model": None, "gpu_count": 0}
    for index in range(2):
        device = tmp_path / "sys/bus/pci/devices" / ("0000:1%d:00.0" % index)
        device.mkdir(parents=True)
        (device / "vendor").write_text("0x10de\n")
        (device / "class").write_text("0x030200\n")
        (device / "device").write_text("0x2335\n")
    found = benchmark_context.device_of(str(tmp_path))
    assert found["device"] == "gpu" and found["gpu_count"] == 2
    assert found["gpu_model"]  # NVML's name where it answers, else the PCI id


class Record:
    def __init__(self, success=True, latency=2.0):
        self.success, self.latency = success, latency


def test_the_progress_file_says_where_the_run_is(tmp_path):
    from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_progress import FileProgress

    path = tmp_path / "progress.json"
    path.write_text('{"line": "an old run"}')
    now = [100.0]
    progress = FileProgress(str(path), clock=lambda: now[0])
    assert not path.exists()  # the last run's file is gone before this one starts
    progress.measured(Record(latency=3.0))  # a warm-up request
    progress.start("concurrency 2", 10, None, 15.0)
    assert json.loads(path.read_text())["line"] == "concurrency 2: 0/10 requests, about 15 s planned"
    now[0] = 104.0
    for success in (True, True, False, True):
        progress.advance(Record(success=success))
    status = json.loads(path.read_text())  # written once: at most once a second
    assert status["line"] == "concurrency 2: 1/10 requests, 0.25 req/s, about 36 s left"
    now[0] = 105.0
    progress.advance(Record())
    status = json.loads(path.read_text())
    assert (status["done"], status["failed"], status["total"]) == (5, 1, 10)
    assert status["line"] == "concurrency 2: 5/10 requests (1 failed), 1.00 req/s, about 5 s left"
    progress.close()
    assert json.loads(path.read_text())["line"] == "concurrency 2: done, 5 requests in 5 s"
    assert progress.seconds_per_request == 2.2  # the warm-up's 3 s and four 2 s requests that succeeded

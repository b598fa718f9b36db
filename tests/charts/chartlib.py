"""Render the deepseek-vllm chart offline and validate what comes out.

helm_python (PyPI helm-python-sdk) embeds Helm v4: lint and render run in-process, no
cluster, no helm binary. Every rendered object is validated against the Kubernetes
schemas that kubernetes-validate ships, and the KServe/KEDA custom resources against the
CRD schemas kept in tests/charts/schemas/ (see the header of each for what was trimmed).
"""

import copy
import json
import math
from pathlib import Path

import jsonschema
import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="pip install helm-python-sdk (requirements-dev.txt)")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")

from ansible_collections.privateai.deepseek.plugins.module_utils.planner import cpu_plan, plan  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "deepseek-vllm"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a recent one.
KUBE_VERSIONS = ("1.29", "1.35")
RELEASE = "ds"
NAMESPACE = "ai"
API_KEY = "test-key-0123456789"


def values_from_plan(result, gpu_count):
    """Chart values for a model_plan result: the mapping roles/k8s_deploy/tasks/values.yml does in Jinja."""
    tp = result["tensor_parallel_size"]
    weight_gb = result["weight_gb"]
    shm_gib = 2 * tp
    if gpu_count:
        memory_gib = max(16, math.ceil(weight_gb / tp) + 16 + shm_gib)
        resources = {
            "requests": {"cpu": str(4 * tp), "memory": "%dGi" % memory_gib},
            "limits": {"cpu": str(8 * tp), "memory": "%dGi" % memory_gib},
        }
    else:
        memory_gib = max(4, math.ceil(weight_gb) + 4 + 4 + shm_gib)
        resources = {
            "requests": {"cpu": "2", "memory": "%dGi" % memory_gib},
            "limits": {"cpu": "4", "memory": "%dGi" % memory_gib},
        }
    startup = max(900, 600 + math.ceil(weight_gb * 3))
    return {
        "device": "gpu" if gpu_count else "cpu",
        "model": {"name": result["model"]},
        "engine": {
            "tensorParallelSize": tp,
            "maxModelLen": result["max_model_len"],
            "gpuMemoryUtilization": result["gpu_memory_utilization"] or 0.9,
            "quantization": result["quantization"],
            "reasoningParser": result["reasoning_parser"],
            "toolCallParser": result["tool_call_parser"],
        },
        "modelCache": {"size": "%dGi" % max(1, math.ceil(weight_gb * 1.1 / 1.073741824))},
        "resources": resources,
        "probes": {"startupTimeoutSeconds": int(math.ceil(startup / 60.0) * 60)},
        "apiKey": {"value": API_KEY},
    }


def deep_merge(base, override):
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _serverless(mode, minimum):
    extra = {"mode": mode, "serverless": {"minReplicas": minimum, "maxReplicas": 3}}
    if mode == "keda":
        extra["ingress"] = {"enabled": True}
    return extra


def matrix():
    """name -> (values, plan): the cases issue #10 names."""
    qwen7b = plan("deepseek-r1-distill-qwen-7b", gpu_count=1, gpu_memory_gib=80)
    v3 = plan("deepseek-v3", gpu_count=8, gpu_memory_gib=141)
    tiny = cpu_plan("tiny-deepseek-v3", cpu_kv_cache_gib=1)
    base7b = values_from_plan(qwen7b, 1)
    cases = {
        "gpu1-r1-distill-qwen-7b": (base7b, qwen7b),
        "gpu8-deepseek-v3-fp8": (
            deep_merge(values_from_plan(v3, 8), {"model": {"verify": "presence"}, "ingress": {"enabled": True}}),
            v3,
        ),
        "cpu-tiny-deepseek-v3": (
            deep_merge(
                values_from_plan(tiny, 0),
                {"engine": {"cpuKvCacheSpaceGib": 1}, "image": {"repository": "registry.internal/vllm/vllm-cpu"}},
            ),
            tiny,
        ),
    }
    for mode in ("kserve", "keda"):
        for minimum in (0, 1):
            name = "%s-min%d-r1-distill-qwen-7b" % (mode, minimum)
            cases[name] = (deep_merge(base7b, _serverless(mode, minimum)), qwen7b)
    cases["deployment-hpa-r1-distill-qwen-7b"] = (
        deep_merge(base7b, {"autoscaling": {"enabled": True}, "ingress": {"enabled": True}}),
        qwen7b,
    )
    return cases


MATRIX = matrix()


def render(values):
    """Rendered objects (helm test hooks included), as dicts, with their template path."""
    manifests = helm.Chart.load(str(CHART)).render(values, name=RELEASE, namespace=NAMESPACE)
    objects = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                objects.append((path, document))
    return objects


def _strict(schema):
    """The API server's strict field validation: unknown fields are errors, not pruned."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def crd_schemas():
    """(group/version, kind) -> (JSON schema of the CRD version, podspec-embedding paths)."""
    found = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            api_version = "%s/%s" % (crd["spec"]["group"], version["name"])
            found[(api_version, crd["spec"]["names"]["kind"])] = _strict(version["schema"]["openAPIV3Schema"])
    return found


CRD_SCHEMAS = crd_schemas()
_POD_SPEC_FIELDS = None


def pod_spec_fields():
    global _POD_SPEC_FIELDS
    if _POD_SPEC_FIELDS is None:
        definitions = kubernetes_validate.utils.schema_contents(
            "kubernetes-json-schema/v%s.0-local-strict/_definitions.json" % KUBE_VERSIONS[-1], KUBE_VERSIONS[-1]
        )
        _POD_SPEC_FIELDS = set(definitions["$defs"]["io.k8s.api.core.v1.PodSpec"]["properties"])
    return _POD_SPEC_FIELDS


def _split_podspec(schema, instance, pointer=""):
    """Remove the core/v1 PodSpec fields from an x-privateai-podspec object; return them."""
    found = []
    if not isinstance(schema, dict) or not isinstance(instance, dict):
        return found
    if schema.get("x-privateai-podspec"):
        podspec = {key: instance.pop(key) for key in list(instance) if key in pod_spec_fields()}
        found.append((pointer, podspec))
    for key, sub in schema.get("properties", {}).items():
        if key in instance:
            found.extend(_split_podspec(sub, instance[key], pointer + "/" + key))
    return found


def validate_object(obj):
    """Raise jsonschema.ValidationError (or SchemaNotFoundError) when `obj` is not valid."""
    key = (obj["apiVersion"], obj["kind"])
    if key in CRD_SCHEMAS:
        schema = CRD_SCHEMAS[key]
        rest = copy.deepcopy(obj)
        podspecs = _split_podspec(schema, rest)
        jsonschema.Draft7Validator(schema).validate(rest)
        for pointer, podspec in podspecs:
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "embedded"}, "spec": podspec}
            for version in KUBE_VERSIONS:
                try:
                    kubernetes_validate.validate(pod, version, strict=True)
                except jsonschema.ValidationError as error:
                    error.message = "%s (PodSpec at %s): %s" % (obj["kind"], pointer, error.message)
                    raise
        return
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)


def pod_specs(objects):
    """(kind/name, pod spec) for everything that runs pods."""
    specs = []
    for _path, obj in objects:
        name = "%s/%s" % (obj["kind"], obj["metadata"]["name"])
        if obj["kind"] == "Deployment":
            specs.append((name, obj["spec"]["template"]["spec"]))
        elif obj["kind"] == "Pod":
            specs.append((name, obj["spec"]))
        elif obj["kind"] == "InferenceService":
            specs.append((name, obj["spec"]["predictor"]))
    return specs


def by_kind(objects, kind):
    return [obj for _path, obj in objects if obj["kind"] == kind]


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True)[:2000]

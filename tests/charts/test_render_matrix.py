"""The chart for every case of the matrix: lint, render, schema-validate, security rules."""

import re

import pytest
from chartlib import (
    API_KEY,
    CHART,
    MATRIX,
    NAMESPACE,
    by_kind,
    dump,
    helm,
    pod_specs,
    render,
    validate_object,
)

CASES = sorted(MATRIX)
RENDERED = {}


def rendered(case):
    if case not in RENDERED:
        RENDERED[case] = render(MATRIX[case][0])
    return RENDERED[case]


def quantity_gib(text):
    match = re.match(r"^(\d+)(Gi|Mi)$", text)
    assert match, "expected a Gi/Mi quantity, got %r" % text
    return int(match.group(1)) / (1024.0 if match.group(2) == "Mi" else 1.0)


@pytest.mark.parametrize("case", CASES)
def test_lint_is_clean(case):
    report = helm.lint(str(CHART), MATRIX[case][0], strict=True, namespace=NAMESPACE)
    problems = [message for message in report["messages"] if message["severity"] >= 2]
    assert not report["errors"] and not problems, report


@pytest.mark.parametrize("case", CASES)
def test_every_object_is_valid(case):
    objects = rendered(case)
    assert objects
    for path, obj in objects:
        try:
            validate_object(obj)
        except Exception as error:  # the message should name the object and the field
            pytest.fail("%s in %s (%s/%s) is invalid: %s" % (case, path, obj["kind"], obj["metadata"]["name"], error))


@pytest.mark.parametrize("case", CASES)
def test_expected_objects(case):
    values = MATRIX[case][0]
    mode = values.get("mode", "deployment")
    kinds = sorted({obj["kind"] for _path, obj in rendered(case)})
    expected = {"NetworkPolicy", "Secret", "PersistentVolumeClaim"}
    if mode == "kserve":
        expected |= {"InferenceService"}
        forbidden = {"Deployment", "Service", "HorizontalPodAutoscaler", "ScaledObject"}
    else:
        expected |= {"Deployment", "Service", "PodDisruptionBudget", "Pod"}
        forbidden = {"InferenceService"}
        if mode == "keda":
            expected.add("ScaledObject")
            forbidden.add("HorizontalPodAutoscaler")
    if values.get("autoscaling", {}).get("enabled"):
        expected.add("HorizontalPodAutoscaler")
    if values.get("ingress", {}).get("enabled") and mode != "kserve":
        expected.add("Ingress")
    assert expected <= set(kinds), kinds
    assert not forbidden & set(kinds), kinds


@pytest.mark.parametrize("case", CASES)
def test_security_rules(case):
    for name, spec in pod_specs(rendered(case)):
        for host_namespace in ("hostNetwork", "hostPID", "hostIPC"):
            assert spec.get(host_namespace) is not True, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] > 0, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec.get("automountServiceAccountToken") is False, name
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = "%s container %s" % (name, container["name"])
            context = container["securityContext"]
            assert context.get("privileged") is not True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["runAsNonRoot"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert not context["capabilities"].get("add"), where
            assert context["seccompProfile"]["type"] == "RuntimeDefault", where
            limits = container["resources"]["limits"]
            requests = container["resources"]["requests"]
            assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests), where
            assert not container["image"].endswith(":latest"), where


@pytest.mark.parametrize("case", CASES)
def test_network_policy_admits_only_listed_peers(case):
    policies = by_kind(rendered(case), "NetworkPolicy")
    assert len(policies) == 1
    spec = policies[0]["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    for rule in spec["ingress"]:
        assert rule["from"], "an ingress rule without 'from' admits every pod: %s" % dump(rule)
        for peer in rule["from"]:
            assert "ipBlock" not in peer, dump(peer)
            selector = peer.get("namespaceSelector", {}).get("matchLabels") or peer.get("podSelector", {})
            assert selector, "a peer without labels admits everything: %s" % dump(peer)
    for rule in spec["egress"]:
        assert {port["port"] for port in rule["ports"]} == {53}, "egress beyond DNS: %s" % dump(rule)


@pytest.mark.parametrize("case", CASES)
def test_serving_pod_follows_the_plan(case):
    values, result = MATRIX[case]
    serving = [spec for name, spec in pod_specs(rendered(case)) if not name.startswith("Pod/")]
    assert len(serving) == 1
    spec = serving[0]
    container = spec["containers"][0]
    args = container["args"]
    assert "--tensor-parallel-size=%d" % result["tensor_parallel_size"] in args
    assert "--max-model-len=%d" % result["max_model_len"] in args
    assert ("--reasoning-parser=%s" % result["reasoning_parser"] in args) == bool(result["reasoning_parser"])
    assert ("--tool-call-parser=%s" % result["tool_call_parser"] in args) == bool(result["tool_call_parser"])
    gpus = container["resources"]["limits"].get("nvidia.com/gpu")
    if values["device"] == "gpu":
        assert gpus == str(result["tensor_parallel_size"])
        assert "--gpu-memory-utilization=%s" % result["gpu_memory_utilization"] in args
    else:
        assert gpus is None
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["VLLM_CPU_KVCACHE_SPACE"] == str(values["engine"]["cpuKvCacheSpaceGib"])
    # The API key comes from the Secret, never from the pod spec.
    assert API_KEY not in dump(spec)
    key_env = [item for item in container["env"] if item["name"] == "VLLM_API_KEY"]
    assert key_env and "secretKeyRef" in key_env[0]["valueFrom"]


@pytest.mark.parametrize("case", CASES)
def test_shm_probes_and_cache(case):
    values, result = MATRIX[case]
    tp = result["tensor_parallel_size"]
    serving = [spec for name, spec in pod_specs(rendered(case)) if not name.startswith("Pod/")][0]
    volumes = {volume["name"]: volume for volume in serving["volumes"]}
    shm = volumes["dshm"]["emptyDir"]
    assert shm["medium"] == "Memory"
    assert quantity_gib(shm["sizeLimit"]) >= 2 * tp, "/dev/shm must grow with tensor parallelism"
    container = serving["containers"][0]
    assert {"mountPath": "/dev/shm", "name": "dshm"} in container["volumeMounts"]
    # The memory limit must hold the memory-backed /dev/shm.
    assert quantity_gib(container["resources"]["limits"]["memory"]) > quantity_gib(shm["sizeLimit"])
    startup = container["startupProbe"]
    window = startup["periodSeconds"] * startup["failureThreshold"]
    assert window >= 900, "startup probe allows only %d s" % window
    assert window >= values["probes"]["startupTimeoutSeconds"]
    if result["weight_gb"] > 100:
        assert window >= 2400, "a %s GB model needs a longer startup window than %d s" % (result["weight_gb"], window)
    # Model cache on a claim, mounted read-only; init container verifies the manifest.
    assert volumes["model-cache"]["persistentVolumeClaim"]["claimName"]
    mounts = [mount for mount in container["volumeMounts"] if mount["name"] == "model-cache"]
    assert mounts[0]["readOnly"] is True
    init = serving["initContainers"][0]
    assert init["name"] == "verify-model"
    script = init["args"][0]
    assert ("sha256sum --check" in script) == (values["model"].get("verify", "full") == "full")


@pytest.mark.parametrize("case", [case for case in CASES if MATRIX[case][0].get("mode") == "kserve"])
def test_kserve_warm_minimum(case):
    values = MATRIX[case][0]
    isvc = by_kind(rendered(case), "InferenceService")[0]
    predictor = isvc["spec"]["predictor"]
    minimum = values["serverless"]["minReplicas"]
    assert predictor["minReplicas"] == minimum
    assert predictor["maxReplicas"] == values["serverless"]["maxReplicas"]
    assert predictor["scaleMetric"] == "concurrency" and predictor["scaleTarget"] >= 1
    annotations = isvc["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "Serverless"
    assert annotations["autoscaling.knative.dev/scale-to-zero-pod-retention-period"].endswith("s")
    assert annotations["autoscaling.knative.dev/initial-scale"] == str(minimum)
    assert ("autoscaling.knative.dev/allow-zero-initial-scale" in annotations) == (minimum == 0)
    assert predictor["containers"][0]["ports"][0]["name"] == "http1"


@pytest.mark.parametrize("case", [case for case in CASES if MATRIX[case][0].get("mode") == "keda"])
def test_keda_warm_minimum(case):
    values = MATRIX[case][0]
    objects = rendered(case)
    scaled = by_kind(objects, "ScaledObject")[0]["spec"]
    deployment = by_kind(objects, "Deployment")[0]
    assert scaled["minReplicaCount"] == values["serverless"]["minReplicas"]
    assert scaled["maxReplicaCount"] == values["serverless"]["maxReplicas"]
    assert scaled["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert "replicas" not in deployment["spec"], "KEDA owns the replica count"
    trigger = scaled["triggers"][0]
    assert trigger["metadata"]["threshold"] == str(values["serverless"].get("targetConcurrency", 16))
    query = trigger["metadata"]["query"]
    assert "$HOST" not in query and "$MODEL" not in query and "deepseek.internal" in query
    # Demand must stay visible at zero pods: every term has a fallback.
    assert query.count("or vector(0)") == 3
    assert scaled["initialCooldownPeriod"] >= values["probes"]["startupTimeoutSeconds"]

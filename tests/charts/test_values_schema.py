"""Bad values fail at template time with a message that names the value."""

import copy

import jsonschema
import pytest
from chartlib import CHART, MATRIX, by_kind, deep_merge, helm, render, validate_object

BASE = MATRIX["gpu1-r1-distill-qwen-7b"][0]


def rejection(override):
    values = deep_merge(BASE, override)
    with pytest.raises(helm.HelmError) as caught:
        helm.Chart.load(str(CHART)).render(values, name="ds", namespace="ai")
    return str(caught.value)


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"engine": {"tensorParallelSize": 3}}, "/engine/tensorParallelSize"),
        ({"engine": {"maxModelLen": 0}}, "/engine/maxModelLen"),
        ({"engine": {"gpuMemoryUtilization": 1.2}}, "/engine/gpuMemoryUtilization"),
        ({"engine": {"quantization": "int4"}}, "/engine/quantization"),
        ({"engine": {"extraArgs": ["rm -rf /"]}}, "/engine/extraArgs/0"),
        ({"mode": "serverless"}, "/mode"),
        ({"device": "tpu"}, "/device"),
        ({"image": {"tag": "latest"}}, "/image/tag"),
        ({"image": {"digest": "sha256:abc"}}, "/image/digest"),
        ({"serverless": {"minReplicas": -1}}, "/serverless/minReplicas"),
        ({"serverless": {"targetConcurrency": 0}}, "/serverless/targetConcurrency"),
        ({"serverless": {"scaleToZeroGracePeriodSeconds": 5}}, "/serverless/scaleToZeroGracePeriodSeconds"),
        ({"probes": {"startupTimeoutSeconds": 60}}, "/probes/startupTimeoutSeconds"),
        ({"resources": {"limits": {"memory": "lots"}}}, "/resources/limits/memory"),
        ({"podSecurityContext": {"runAsUser": 0}}, "/podSecurityContext/runAsUser"),
        ({"service": {"type": "LoadBalancer"}}, "/service/type"),
        ({"modelCache": {"type": "nfs"}}, "/modelCache/type"),
        ({"modelCache": {"hostPath": "relative/dir"}}, "/modelCache/hostPath"),
        ({"shm": {"sizeLimit": "16G"}}, "/shm/sizeLimit"),
        ({"apiKey": {"value": 'has spaces and "quotes"'}}, "/apiKey/value"),
        ({"model": {"dir": "../etc"}}, "/model/dir"),
        ({"engine": {"tensorParalelSize": 2}}, "tensorParalelSize"),
        ({"replica": 2}, "replica"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_schema_rejects(override, expected):
    message = rejection(override)
    assert expected in message, message


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"mode": "keda", "serverless": {"minReplicas": 3, "maxReplicas": 2}}, "serverless.maxReplicas (2) must be >="),
        (
            {"autoscaling": {"enabled": True, "minReplicas": 4, "maxReplicas": 2}},
            "autoscaling.maxReplicas (2) must be >=",
        ),
        ({"mode": "kserve", "autoscaling": {"enabled": True}}, "autoscaling.enabled is for mode=deployment"),
        ({"device": "cpu", "engine": {"tensorParallelSize": 2}}, "engine.tensorParallelSize must be 1 with device=cpu"),
        ({"modelCache": {"type": "existingClaim"}}, "modelCache.existingClaim must name"),
        ({"apiKey": {"value": ""}}, "set apiKey.existingSecret"),
        ({"mode": "keda"}, "ingress.enabled=false"),
        ({"mode": "kserve", "modelCache": {"type": "hostPath"}}, "does not allow hostPath"),
    ],
)
def test_template_checks_reject(override, expected):
    message = rejection(override)
    assert expected in message, message


def test_defaults_alone_need_an_api_key():
    with pytest.raises(helm.HelmError, match="apiKey.existingSecret"):
        helm.Chart.load(str(CHART)).render({}, name="ds", namespace="ai")


def test_existing_secret_replaces_the_generated_one():
    objects = render(deep_merge(BASE, {"apiKey": {"value": "", "existingSecret": "my-key"}}))
    assert not by_kind(objects, "Secret")
    container = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "my-key"


# The validators themselves must be able to fail: break rendered objects on purpose.
def _rendered(case, kind):
    return copy.deepcopy(by_kind(render(MATRIX[case][0]), kind)[0])


def _breaks(obj, mutate):
    mutate(obj)
    with pytest.raises(jsonschema.ValidationError):
        validate_object(obj)


def test_validator_rejects_bad_deployment():
    obj = _rendered("gpu1-r1-distill-qwen-7b", "Deployment")
    _breaks(obj, lambda o: o["spec"]["template"]["spec"]["containers"][0].update(securityContxt={}))


def test_validator_rejects_bad_inferenceservice_fields():
    for mutate in (
        lambda o: o["spec"]["predictor"].update(minReplicas="zero"),
        lambda o: o["spec"]["predictor"].update(scaleMetric="tokens"),
        lambda o: o["spec"]["predictor"].update(minReplica=0),
        lambda o: o["spec"]["predictor"]["containers"][0].update(imagePullPolicy=3),
        lambda o: o["spec"]["predictor"]["volumes"][1].update(emptyDir="big"),
    ):
        _breaks(_rendered("kserve-min0-r1-distill-qwen-7b", "InferenceService"), mutate)


def test_validator_rejects_bad_scaledobject():
    for mutate in (
        lambda o: o["spec"].update(minReplicaCount="0"),
        lambda o: o["spec"].update(cooldown=300),
        lambda o: o["spec"]["triggers"][0].pop("type"),
        lambda o: o["spec"]["triggers"][0]["metadata"].update(threshold=16),
    ):
        _breaks(_rendered("keda-min0-r1-distill-qwen-7b", "ScaledObject"), mutate)

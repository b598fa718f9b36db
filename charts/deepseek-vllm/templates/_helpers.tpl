{{/* Names and labels. */}}
{{- define "deepseek-vllm.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "deepseek-vllm.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "deepseek-vllm.labels" -}}
{{ include "deepseek-vllm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: inference
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
privateai.deepseek/model: {{ .Values.model.name }}
{{- end -}}

{{- define "deepseek-vllm.servedName" -}}
{{- .Values.model.servedName | default .Values.model.name -}}
{{- end -}}

{{- define "deepseek-vllm.modelDir" -}}
{{- printf "%s/%s" .Values.modelCache.mountPath (.Values.model.dir | default .Values.model.name) -}}
{{- end -}}

{{- define "deepseek-vllm.secretName" -}}
{{- .Values.apiKey.existingSecret | default (printf "%s-api-key" (include "deepseek-vllm.fullname" .)) -}}
{{- end -}}

{{- define "deepseek-vllm.claimName" -}}
{{- .Values.modelCache.existingClaim | default (printf "%s-model-cache" (include "deepseek-vllm.fullname" .)) -}}
{{- end -}}

{{- define "deepseek-vllm.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* vLLM's compile cache on the model claim (read-write subdirectory), so cold starts skip compilation. */}}
{{- define "deepseek-vllm.persistCompileCache" -}}
{{- and .Values.modelCache.persistCompileCache (ne .Values.modelCache.type "hostPath") -}}
{{- end -}}

{{/* GPUs one pod needs: one per tensor-parallel rank. */}}
{{- define "deepseek-vllm.gpus" -}}
{{- if eq .Values.device "gpu" }}{{ .Values.engine.tensorParallelSize }}{{ else }}0{{ end -}}
{{- end -}}

{{- define "deepseek-vllm.shmSize" -}}
{{- if .Values.shm.sizeLimit -}}
{{- .Values.shm.sizeLimit -}}
{{- else -}}
{{- printf "%dGi" (mul 2 (int .Values.engine.tensorParallelSize)) -}}
{{- end -}}
{{- end -}}

{{/*
Checks a JSON schema cannot express (relations between values). Each message names the
value and the fix.
*/}}
{{- define "deepseek-vllm.validate" -}}
{{- $v := .Values -}}
{{- if and (ne $v.mode "deployment") (lt (int $v.serverless.maxReplicas) (int $v.serverless.minReplicas)) -}}
{{- fail (printf "serverless.maxReplicas (%v) must be >= serverless.minReplicas (%v)" $v.serverless.maxReplicas $v.serverless.minReplicas) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) -}}
{{- fail (printf "autoscaling.maxReplicas (%v) must be >= autoscaling.minReplicas (%v)" $v.autoscaling.maxReplicas $v.autoscaling.minReplicas) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (ne $v.mode "deployment") -}}
{{- fail (printf "autoscaling.enabled is for mode=deployment; mode=%s scales with serverless.*" $v.mode) -}}
{{- end -}}
{{- if and (eq $v.device "cpu") (ne (int $v.engine.tensorParallelSize) 1) -}}
{{- fail "engine.tensorParallelSize must be 1 with device=cpu" -}}
{{- end -}}
{{- if and (eq $v.modelCache.type "existingClaim") (not $v.modelCache.existingClaim) -}}
{{- fail "modelCache.existingClaim must name a PersistentVolumeClaim when modelCache.type=existingClaim" -}}
{{- end -}}
{{- if and (not $v.apiKey.existingSecret) (not $v.apiKey.value) -}}
{{- fail "set apiKey.existingSecret (a Secret you manage) or apiKey.value (the chart creates the Secret); the endpoint is never served without a key" -}}
{{- end -}}
{{- if and (eq $v.mode "keda") $v.serverless.keda.query (contains "$HOST" $v.serverless.keda.query) (not $v.ingress.enabled) -}}
{{- fail "serverless.keda.query counts ingress requests for $HOST but ingress.enabled=false: enable the ingress or give a query without $HOST" -}}
{{- end -}}
{{- if and (eq $v.mode "kserve") (eq $v.modelCache.type "hostPath") -}}
{{- fail "mode=kserve (Knative) does not allow hostPath volumes: use modelCache.type=pvc or existingClaim" -}}
{{- end -}}
{{- end -}}

{{/* The pod's volumes. */}}
{{- define "deepseek-vllm.volumes" -}}
- name: model-cache
{{- if eq .Values.modelCache.type "hostPath" }}
  hostPath:
    path: {{ .Values.modelCache.hostPath }}
    type: Directory
{{- else }}
  persistentVolumeClaim:
    claimName: {{ include "deepseek-vllm.claimName" . }}
{{- end }}
- name: dshm
  emptyDir:
    medium: Memory
    sizeLimit: {{ include "deepseek-vllm.shmSize" . }}
- name: tmp
  emptyDir:
    sizeLimit: 8Gi
- name: cache
  emptyDir:
    sizeLimit: 16Gi
{{- end -}}

{{/* Init container: the weights on the volume match their manifest before vLLM loads them. */}}
{{- define "deepseek-vllm.verifyContainer" -}}
- name: verify-model
  image: {{ include "deepseek-vllm.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["/bin/sh", "-ec"]
  args:
    - |
      cd "$MODEL_DIR" || { echo "model directory $MODEL_DIR does not exist on the model cache volume"; exit 1; }
      test -s "$MANIFEST" || { echo "$MODEL_DIR/$MANIFEST is missing or empty: stage the model with its manifest"; exit 1; }
      {{- if eq .Values.model.verify "full" }}
      sha256sum --check --strict --quiet "$MANIFEST"
      {{- else }}
      sed -e 's/^[0-9a-fA-F]\{64\} [ *]//' "$MANIFEST" | while IFS= read -r file; do
        test -s "$file" || { echo "$MODEL_DIR/$file is listed in $MANIFEST but missing or empty"; exit 1; }
      done
      {{- end }}
      echo "model $MODEL_DIR verified ({{ .Values.model.verify }})"
  env:
    - name: MODEL_DIR
      value: {{ include "deepseek-vllm.modelDir" . | quote }}
    - name: MANIFEST
      value: {{ .Values.model.manifest | quote }}
  securityContext:
    {{- include "deepseek-vllm.containerSecurityContext" . | nindent 4 }}
  resources:
    requests:
      cpu: 500m
      memory: 256Mi
    limits:
      cpu: "2"
      memory: 512Mi
  volumeMounts:
    - name: model-cache
      mountPath: {{ .Values.modelCache.mountPath }}
      readOnly: true
{{- end -}}

{{- define "deepseek-vllm.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "deepseek-vllm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* vLLM's command line, from the engine block (the planner's output). */}}
{{- define "deepseek-vllm.args" -}}
- --model={{ include "deepseek-vllm.modelDir" . }}
- --served-model-name={{ include "deepseek-vllm.servedName" . }}
- --host=0.0.0.0
- --port={{ .Values.service.port }}
- --tensor-parallel-size={{ .Values.engine.tensorParallelSize }}
- --max-model-len={{ .Values.engine.maxModelLen }}
- --dtype={{ .Values.engine.dtype }}
{{- if eq .Values.device "gpu" }}
- --gpu-memory-utilization={{ .Values.engine.gpuMemoryUtilization }}
{{- end }}
{{- with .Values.engine.quantization }}
- --quantization={{ . }}
{{- end }}
{{- with .Values.engine.reasoningParser }}
- --reasoning-parser={{ . }}
{{- end }}
{{- with .Values.engine.toolCallParser }}
- --enable-auto-tool-choice
- --tool-call-parser={{ . }}
{{- end }}
- --disable-fastapi-docs
{{- range .Values.engine.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The vLLM container (name, image, command, probes, resources, mounts). */}}
{{- define "deepseek-vllm.vllmContainer" -}}
image: {{ include "deepseek-vllm.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
args:
  {{- include "deepseek-vllm.args" . | nindent 2 }}
env:
  - name: VLLM_API_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "deepseek-vllm.secretName" . }}
        key: {{ .Values.apiKey.secretKey }}
  # No hub downloads, no usage reports: the weights come from the model cache only.
  - name: HF_HUB_OFFLINE
    value: "1"
  - name: TRANSFORMERS_OFFLINE
    value: "1"
  - name: VLLM_NO_USAGE_STATS
    value: "1"
  - name: DO_NOT_TRACK
    value: "1"
  # The root filesystem is read-only: every cache lives on a mounted volume.
  - name: HOME
    value: /tmp
  - name: XDG_CACHE_HOME
    value: /var/cache/vllm
  - name: HF_HOME
    value: /var/cache/vllm/huggingface
  - name: VLLM_CACHE_ROOT
    value: {{ ternary "/var/cache/vllm/compile" "/var/cache/vllm/vllm" (include "deepseek-vllm.persistCompileCache" . | eq "true") }}
  - name: TRITON_CACHE_DIR
    value: /var/cache/vllm/triton
  - name: TORCHINDUCTOR_CACHE_DIR
    value: /var/cache/vllm/inductor
  {{- if eq .Values.device "cpu" }}
  - name: VLLM_CPU_KVCACHE_SPACE
    value: {{ .Values.engine.cpuKvCacheSpaceGib | quote }}
  {{- end }}
ports:
  # Knative accepts only the port names http1 and h2c.
  - name: {{ ternary "http1" "http" (eq .Values.mode "kserve") }}
    containerPort: {{ .Values.service.port }}
    protocol: TCP
startupProbe:
  httpGet:
    path: /health
    port: {{ .Values.service.port }}
  periodSeconds: {{ .Values.probes.periodSeconds }}
  failureThreshold: {{ div (int .Values.probes.startupTimeoutSeconds) (int .Values.probes.periodSeconds) }}
  timeoutSeconds: 5
readinessProbe:
  httpGet:
    path: /health
    port: {{ .Values.service.port }}
  periodSeconds: {{ .Values.probes.periodSeconds }}
  failureThreshold: 3
  timeoutSeconds: 5
livenessProbe:
  httpGet:
    path: /health
    port: {{ .Values.service.port }}
  periodSeconds: 30
  failureThreshold: 5
  timeoutSeconds: 10
securityContext:
  {{- include "deepseek-vllm.containerSecurityContext" . | nindent 2 }}
resources:
  requests:
    cpu: {{ .Values.resources.requests.cpu | quote }}
    memory: {{ .Values.resources.requests.memory | quote }}
    {{- if eq .Values.device "gpu" }}
    {{ .Values.gpu.resourceName }}: {{ include "deepseek-vllm.gpus" . | quote }}
    {{- end }}
  limits:
    cpu: {{ .Values.resources.limits.cpu | quote }}
    memory: {{ .Values.resources.limits.memory | quote }}
    {{- if eq .Values.device "gpu" }}
    {{ .Values.gpu.resourceName }}: {{ include "deepseek-vllm.gpus" . | quote }}
    {{- end }}
volumeMounts:
  - name: model-cache
    mountPath: {{ .Values.modelCache.mountPath }}
    readOnly: true
  {{- if include "deepseek-vllm.persistCompileCache" . | eq "true" }}
  - name: model-cache
    mountPath: /var/cache/vllm/compile
    subPath: .vllm-cache
  {{- end }}
  - name: dshm
    mountPath: /dev/shm
  - name: tmp
    mountPath: /tmp
  - name: cache
    mountPath: /var/cache/vllm
{{- end -}}

{{/* Pod-level fields shared by the Deployment and the InferenceService predictor. */}}
{{- define "deepseek-vllm.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if eq .Values.device "gpu" }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

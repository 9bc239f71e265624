{{/* The object name: the release name unless overridden. */}}
{{- define "model-service.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Pods of both tracks (stable and canary): what the Service selects. */}}
{{- define "model-service.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Every object: the chart's labels plus the ones strata passes (SPEC §4). */}}
{{- define "model-service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "model-service.selectorLabels" . }}
app.kubernetes.io/component: inference
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Changes whenever the model does, so a new model version rolls the pods. */}}
{{- define "model-service.modelChecksum" -}}
{{- printf "%s\n%s\n%s" .uri (toString .version) (.digest | default "") | sha256sum -}}
{{- end -}}

{{/* pvc://<claim>/<sub/path> → (dict "claim" .. "subPath" ..); empty for other schemes. */}}
{{- define "model-service.pvcSource" -}}
{{- if hasPrefix "pvc://" .uri -}}
{{- $parts := splitList "/" (trimPrefix "pvc://" .uri) -}}
claim: {{ first $parts | quote }}
subPath: {{ rest $parts | join "/" | trimSuffix "/" | quote }}
{{- end -}}
{{- end -}}

{{/*
The downloader script. Its only input is the environment (MODEL_URI, MODEL_PATH), never
text spliced into the script, so a URI cannot inject shell.
*/}}
{{- define "model-service.downloadScript" -}}
set -eu
case "$MODEL_URI" in
  s3://*)    rclone copy --s3-env-auth ":s3:${MODEL_URI#s3://}" "$MODEL_PATH" ;;
  oss://*)   rclone copy --s3-provider Alibaba --s3-env-auth ":s3:${MODEL_URI#oss://}" "$MODEL_PATH" ;;
  https://*) rclone copyurl --auto-filename "$MODEL_URI" "$MODEL_PATH"
             for f in "$MODEL_PATH"/*.tar.gz "$MODEL_PATH"/*.tgz; do
               if [ -f "$f" ]; then tar -xzf "$f" -C "$MODEL_PATH" && rm -f "$f"; fi
             done ;;
  pvc://*)   cp -a /mnt/model-source/. "$MODEL_PATH"/ ;;
  *)         echo "unsupported model URI: $MODEL_URI" >&2; exit 1 ;;
esac
echo "model ready in $MODEL_PATH"
{{- end -}}

{{/*
The downloader's object-store settings (modelStorage.<scheme of the model URI>): rclone reads
RCLONE_S3_* as its flags, and --s3-env-auth takes the keys from AWS_* env vars, which come
from the Secret by reference (never a value in the chart's output).
*/}}
{{- define "model-service.storageEnv" -}}
{{- with .provider }}
- name: RCLONE_S3_PROVIDER
  value: {{ . | quote }}
{{- end }}
{{- with .endpoint }}
- name: RCLONE_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with .region }}
- name: RCLONE_S3_REGION
  value: {{ . | quote }}
{{- end }}
{{- with .secretName }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . | quote }}
      key: AWS_ACCESS_KEY_ID
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . | quote }}
      key: AWS_SECRET_ACCESS_KEY
{{- end }}
{{- end -}}

{{/* Pods of one track only: what its own Service and PodDisruptionBudget select. */}}
{{- define "model-service.trackSelector" -}}
{{ include "model-service.selectorLabels" .root }}
strata.dev/track: {{ .track }}
{{- end -}}

{{/* One HTTP probe; ints go through `int` (values arrive as JSON numbers). */}}
{{- define "model-service.probe" -}}
httpGet:
  path: {{ .path | quote }}
  port: {{ .port | quote }}
initialDelaySeconds: {{ .initialDelaySeconds | default 0 | int }}
periodSeconds: {{ .periodSeconds | default 10 | int }}
failureThreshold: {{ .failureThreshold | default 3 | int }}
{{- end -}}

{{/*
The pod template of one track. Arguments: root (the chart context), track (stable or
canary), image, model ({name, version, uri, digest}).
*/}}
{{- define "model-service.podTemplate" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $pvc := include "model-service.pvcSource" .model | fromYaml -}}
{{- $storage := get $values.modelStorage (first (splitList "://" .model.uri)) | default dict -}}
metadata:
  labels:
    {{- include "model-service.selectorLabels" $root | nindent 4 }}
    strata.dev/track: {{ .track }}
    {{- with $values.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/model: {{ include "model-service.modelChecksum" .model }}
    strata.dev/model: {{ printf "%s@%s" .model.name (toString .model.version) | quote }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with ($storage.serviceAccountName | default $values.serviceAccountName) }}
  serviceAccountName: {{ . }}
  {{- end }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  initContainers:
    - name: model-downloader
      image: {{ $values.downloader.image | quote }}
      command: ["/bin/sh", "-c"]
      args:
        - |
          {{- include "model-service.downloadScript" $root | nindent 10 }}
      env:
        - name: MODEL_URI
          value: {{ .model.uri | quote }}
        - name: MODEL_PATH
          value: /mnt/models
        {{- include "model-service.storageEnv" $storage | nindent 8 }}
        {{- with $values.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.downloader.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: model
          mountPath: /mnt/models
        {{- if $pvc }}
        - name: model-source
          mountPath: /mnt/model-source
          readOnly: true
          {{- with $pvc.subPath }}
          subPath: {{ . | quote }}
          {{- end }}
        {{- end }}
  containers:
    - name: server
      image: {{ .image | quote }}
      imagePullPolicy: {{ $values.imagePullPolicy }}
      {{- with $values.command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.workingDir }}
      workingDir: {{ . | quote }}
      {{- end }}
      ports:
        {{- range $values.ports }}
        - name: {{ .name }}
          containerPort: {{ .port | int }}
          protocol: {{ .protocol | default "TCP" }}
        {{- end }}
      env:
        - name: MODEL_PATH
          value: /mnt/models
        - name: MODEL_NAME
          value: {{ .model.name | quote }}
        - name: MODEL_VERSION
          value: {{ toString .model.version | quote }}
        {{- with $values.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.probes.readiness }}
      readinessProbe:
        {{- include "model-service.probe" . | nindent 8 }}
      {{- end }}
      {{- with $values.probes.liveness }}
      livenessProbe:
        {{- include "model-service.probe" . | nindent 8 }}
      {{- end }}
      {{- with $values.probes.startup }}
      startupProbe:
        {{- include "model-service.probe" . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: model
          mountPath: /mnt/models
          readOnly: true
        {{- with $values.volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  {{- with $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: model
      emptyDir:
        {{- with $values.modelVolume.sizeLimit }}
        sizeLimit: {{ . | quote }}
        {{- else }} {}
        {{- end }}
    {{- if $pvc }}
    - name: model-source
      persistentVolumeClaim:
        claimName: {{ $pvc.claim | quote }}
        readOnly: true
    {{- end }}
    {{- with $values.volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

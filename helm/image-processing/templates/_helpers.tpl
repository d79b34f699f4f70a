{{/* Release-scoped name prefix (63-character DNS label limit). */}}
{{- define "ip.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The deployables: name, port, probe port, component, storage use, who may call each, and which services
each calls. Keys match `.Values.services`.
*/}}
{{- define "ip.catalog" -}}
gateway: { name: gateway, port: 5000, probePort: 5100, portEnv: WEB_PORT, component: gateway, storage: none, callers: [ingress, web], calls: [product, upload, health, web, auth] }
product: { name: product, port: 5101, probePort: 5101, portEnv: PRODUCT_PORT, component: api, storage: none, callers: [gateway, upload, health], calls: [] }
upload: { name: upload, port: 5102, probePort: 5102, portEnv: UPLOAD_PORT, component: api, storage: readWrite, callers: [gateway, health], calls: [product] }
imageWorker: { name: image-worker, port: 5104, probePort: 5104, portEnv: WORKER_PORT, component: worker, storage: readWrite, callers: [health], calls: [] }
health: { name: health, port: 5103, probePort: 5103, portEnv: HEALTH_PORT, component: health, storage: readOnly, callers: [gateway], calls: [gateway, product, upload, image-worker, web, auth] }
web: { name: web, port: 5106, probePort: 5106, portEnv: WEB_APP_PORT, component: web, storage: none, callers: [gateway, health], calls: [] }
auth: { name: auth, port: 5105, probePort: 5105, portEnv: AUTH_PORT, component: api, storage: none, callers: [gateway, health], calls: [] }
{{- end -}}

{{- define "ip.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels of one deployable's resources: (dict "root" $ "name" "gateway"). */}}
{{- define "ip.componentLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/part-of: {{ .root.Chart.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{ include "ip.selectorLabels" . }}
{{- end -}}

{{/* Selector labels of one deployable: (dict "root" $ "name" "gateway"). */}}
{{- define "ip.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Image of one deployable: (dict "root" $ "name" "gateway"). */}}
{{- define "ip.image" -}}
{{- $image := .root.Values.global.image -}}
{{- $prefix := ternary (printf "%s/%s" $image.registry $image.repository) $image.repository (ne $image.registry "") -}}
{{- printf "%s/%s:%s" $prefix .name (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "ip.secretName" -}}
{{- default (printf "%s-secrets" (include "ip.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* The URL a service is reached at inside the release: (dict "root" $ "name" "product" "port" 5101). */}}
{{- define "ip.serviceUrl" -}}
{{- printf "http://%s-%s:%v" (include "ip.fullname" .root) .name .port -}}
{{- end -}}

{{/* The restricted container securityContext every container of the chart runs with. */}}
{{- define "ip.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "ip.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

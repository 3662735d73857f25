{{/* The release's full name: the release name, with "sluice" in it once. */}}
{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.operatorName" -}}
{{- printf "%s-operator" (include "sluice.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- default (include "sluice.operatorName" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "sluice.webhookServiceName" -}}
{{- printf "%s-webhook" (include "sluice.operatorName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "sluice.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: sluice
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels of the operator's Deployment, pods and Service: the common ones and its name (the instance is in both already). */}}
{{- define "sluice.operatorLabels" -}}
{{ include "sluice.labels" . }}
app.kubernetes.io/name: sluice-operator
{{- end -}}

{{/* The operator pods' selector: stable across upgrades (a Deployment's selector cannot change). */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: sluice-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.registry -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The user name of the operator's requests, as the API server sees it (the update webhook's match conditions leave them out). */}}
{{- define "sluice.operatorUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "sluice.serviceAccountName" .) -}}
{{- end -}}

{{/* The uninstall hook's Job, ServiceAccount and roles. */}}
{{- define "sluice.uninstallName" -}}
{{- printf "%s-uninstall" (include "sluice.operatorName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The user name of the uninstall hook's requests (the update webhook's match conditions leave them out too). */}}
{{- define "sluice.uninstallUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "sluice.uninstallName" .) -}}
{{- end -}}

{{/*
Namespaces a webhook never selects, so that a broken operator can always be reinstalled and the
control plane never waits on it: the release's namespace and kube-system.
*/}}
{{- define "sluice.webhookNamespaceSelector" -}}
matchExpressions:
  - key: sluice.dev/job-quota
    operator: In
    values: [enforced]
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: [{{ .Release.Namespace | quote }}, kube-system]
{{- end -}}

{{- define "sluice.webhookClientConfig" -}}
service:
  namespace: {{ .root.Release.Namespace }}
  name: {{ include "sluice.webhookServiceName" .root }}
  port: 443
  path: {{ .path }}
{{- end -}}

{{- define "sluice.certManagerAnnotation" -}}
{{- if .Values.certManager.enabled }}
cert-manager.io/inject-ca-from: {{ printf "%s/%s-webhook" .Release.Namespace (include "sluice.fullname" .) }}
{{- end }}
{{- end -}}

{{/* The annotations of the uninstall hook's objects: run before `helm uninstall` deletes anything, in order of weight. */}}
{{- define "sluice.uninstallHook" -}}
helm.sh/hook: pre-delete
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{/* The injected sidecar's image: its own registry and tag, else the operator image's (both come from one build). */}}
{{- define "sluice.sidecarImage" -}}
{{- $registry := default .Values.image.registry .Values.sidecar.image.registry -}}
{{- $tag := .Values.sidecar.image.tag | default .Values.image.tag | default .Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .Values.sidecar.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.sidecar.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The webhook configurations whose caBundle the operator writes (and RBAC lets it patch), comma-separated. */}}
{{- define "sluice.mutatingWebhookConfigurations" -}}
{{- $names := list (printf "%s-jobs" (include "sluice.fullname" .)) -}}
{{- if .Values.injection.enabled -}}
{{- $names = append $names (printf "%s-pods" (include "sluice.fullname" .)) -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}

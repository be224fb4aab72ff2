{{- define "flink-autoscale-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, also the Service's, which the certificate names. */}}
{{- define "flink-autoscale-webhook.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "flink-autoscale-webhook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flink-autoscale-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flink-autoscale-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "flink-autoscale-webhook.labels" -}}
helm.sh/chart: {{ include "flink-autoscale-webhook.chart" . }}
{{ include "flink-autoscale-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-webhook
{{- end }}

{{- define "flink-autoscale-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flink-autoscale-webhook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key, mounted at /tls. */}}
{{- define "flink-autoscale-webhook.tlsSecretName" -}}
{{- if and (not .Values.certManager.enabled) .Values.tls.existingSecret }}
{{- .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "flink-autoscale-webhook.fullname" .) }}
{{- end }}
{{- end }}

{{/* cert-manager's serving Certificate, the source of the injected CA. */}}
{{- define "flink-autoscale-webhook.certificateName" -}}
{{- printf "%s-serving" (include "flink-autoscale-webhook.fullname" .) }}
{{- end }}

{{/*
The CA bundle for the webhook configurations when cert-manager is off: the caBundle
value, base64-encoded here when it was given as PEM. Fails, saying what to supply,
when the TLS material is missing.
*/}}
{{- define "flink-autoscale-webhook.caBundle" -}}
{{- $ca := .Values.caBundle | default "" | trim }}
{{- if contains "-----BEGIN" $ca }}
{{- b64enc (printf "%s\n" $ca) }}
{{- else }}
{{- $ca | nospace }}
{{- end }}
{{- end }}

{{- define "flink-autoscale-webhook.checkTls" -}}
{{- if not .Values.certManager.enabled }}
{{- $fromValues := and .Values.tls.crt .Values.tls.key }}
{{- if and (not .Values.tls.existingSecret) (not $fromValues) }}
{{- fail "certManager.enabled is false, so the webhook's TLS certificate must be supplied: set tls.existingSecret to a kubernetes.io/tls Secret, or tls.crt and tls.key (e.g. --set-file tls.crt=certs/out/tls.crt --set-file tls.key=certs/out/tls.key), plus caBundle (--set-file caBundle=certs/out/ca.crt). See certs/README.md; or enable cert-manager (certManager.enabled: true)." }}
{{- end }}
{{- if and (not .Values.tls.existingSecret) (or .Values.tls.crt .Values.tls.key) (not $fromValues) }}
{{- fail "tls.crt and tls.key must be set together" }}
{{- end }}
{{- if not .Values.caBundle }}
{{- fail "certManager.enabled is false, so caBundle must be set to the CA that signed the webhook's certificate (base64 or PEM, e.g. --set-file caBundle=certs/out/ca.crt): without it the API server cannot trust the webhook. See certs/README.md." }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where the probes and Prometheus reach /healthz, /readyz, /metrics. */}}
{{- define "flink-autoscale-webhook.probePort" -}}
{{- if .Values.adminPort.enabled }}admin{{ else }}https{{ end }}
{{- end }}
{{- define "flink-autoscale-webhook.probeScheme" -}}
{{- if .Values.adminPort.enabled }}HTTP{{ else }}HTTPS{{ end }}
{{- end }}

{{/* What both webhook configurations share. */}}
{{- define "flink-autoscale-webhook.commonWebhook" -}}
sideEffects: None
admissionReviewVersions: ["v1"]
matchPolicy: Equivalent
failurePolicy: {{ .Values.failurePolicy }}
timeoutSeconds: {{ .Values.timeoutSeconds }}
# Never the webhook's own namespace (so a broken webhook can always be repaired) nor
# kube-system.
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- $excluded := concat (list .Release.Namespace "kube-system") .Values.excludedNamespaces | uniq }}
        {{- range $excluded }}
        - {{ . | quote }}
        {{- end }}
{{- end }}
{{- define "flink-autoscale-webhook.clientConfig" -}}
clientConfig:
  service:
    name: {{ include "flink-autoscale-webhook.fullname" .root }}
    namespace: {{ .root.Release.Namespace }}
    port: {{ .root.Values.service.port }}
    path: {{ .path }}
  {{- if not .root.Values.certManager.enabled }}
  caBundle: {{ include "flink-autoscale-webhook.caBundle" .root }}
  {{- end }}
{{- end }}

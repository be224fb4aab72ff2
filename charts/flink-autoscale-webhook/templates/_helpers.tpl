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

{{/*
What every webhook shares; the failure policy is the webhook's own
(webhooks.<kind>.failurePolicy), else failurePolicy. Call with
(dict "root" . "policy" .Values.webhooks.vpa.failurePolicy).
*/}}
{{- define "flink-autoscale-webhook.commonWebhook" -}}
{{- $values := .root.Values -}}
sideEffects: None
admissionReviewVersions: ["v1"]
matchPolicy: Equivalent
failurePolicy: {{ .policy | default $values.failurePolicy }}
timeoutSeconds: {{ $values.timeoutSeconds }}
# Never the webhook's own namespace (so a broken webhook can always be repaired) nor
# kube-system; plus webhooks.namespaceSelector.
namespaceSelector:
  {{- with $values.webhooks.namespaceSelector.matchLabels }}
  matchLabels:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- $excluded := concat (list .root.Release.Namespace "kube-system") $values.excludedNamespaces | uniq }}
        {{- range $excluded }}
        - {{ . | quote }}
        {{- end }}
    {{- with $values.webhooks.namespaceSelector.matchExpressions }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- with $values.webhooks.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
CEL (matchConditions, Kubernetes >= 1.30): only autoscalers aimed at Flink reach the
webhook, so HPAs and VPAs of every other workload never depend on it. A target is
Flink's when it is a FlinkDeployment (its scale subresource) or a Deployment named
<name>-taskmanager (standalone mode).
*/}}
{{- define "flink-autoscale-webhook.vpaAimsAtFlink" -}}
- name: targets-flink
  expression: >-
    has(object.spec.targetRef) && has(object.spec.targetRef.kind) &&
    (object.spec.targetRef.kind == 'FlinkDeployment' ||
    (object.spec.targetRef.kind == 'Deployment' && has(object.spec.targetRef.name) &&
    object.spec.targetRef.name.endsWith('-taskmanager')))
{{- end }}
{{- define "flink-autoscale-webhook.hpaAimsAtFlink" -}}
- name: targets-flink
  expression: >-
    has(object.spec.scaleTargetRef) && has(object.spec.scaleTargetRef.kind) &&
    (object.spec.scaleTargetRef.kind == 'FlinkDeployment' ||
    (object.spec.scaleTargetRef.kind == 'Deployment' && has(object.spec.scaleTargetRef.name) &&
    object.spec.scaleTargetRef.name.endsWith('-taskmanager')))
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

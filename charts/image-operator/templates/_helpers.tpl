{{/* Name of every resource of the release. */}}
{{- define "image-operator.fullname" -}}
{{ .Values.fullnameOverride | default .Release.Name }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "image-operator.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "image-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{- define "image-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default .Release.Name }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{- define "image-operator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Secret of the webhook serving certificate issued by cert-manager. */}}
{{- define "image-operator.webhookCertSecret" -}}
{{ include "image-operator.fullname" . }}-webhook-cert
{{- end }}

{{/* Secret through which the replicas share a generated webhook certificate (without cert-manager). */}}
{{- define "image-operator.webhookGeneratedCertSecret" -}}
{{- if .Values.webhook.certificates.secretName }}
{{- .Values.webhook.certificates.secretName }}
{{- else }}
{{- include "image-operator.fullname" . }}-webhook-generated-cert
{{- end }}
{{- end }}

{{/* Settings shared by every webhook. */}}
{{- define "image-operator.webhookPolicy" -}}
admissionReviewVersions: [v1]
sideEffects: None
failurePolicy: {{ .Values.webhook.failurePolicy }}
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
{{- end }}

{{/* cert-manager's CA injector fills the caBundle from the Certificate's Secret. */}}
{{- define "image-operator.webhookAnnotations" -}}
{{- if .Values.webhook.certificates.certManager.enabled -}}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "image-operator.fullname" . }}-webhook
{{- end }}
{{- end }}

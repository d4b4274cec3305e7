{{/*
Shared helpers. Every object of this chart carries "shipshape.labels": the
Kubernetes recommended labels, the Backstage kubernetes-id and the Shipshape
ownership/cost labels that the portal compares with the catalog entity.
*/}}

{{- define "shipshape.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "shipshape.fullname" -}}
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

{{/* The image tag is required and may never be "latest": what runs must be traceable to a build. */}}
{{- define "shipshape.imageTag" -}}
{{- $tag := required "image.tag is required (the release workflow sets it to the commit SHA); refusing to deploy an unversioned image" .Values.image.tag | toString }}
{{- if or (eq $tag "latest") (hasSuffix ":latest" $tag) }}
{{- fail "image.tag \"latest\" is not allowed: deploy an immutable tag (commit SHA or version)" }}
{{- end }}
{{- $tag }}
{{- end }}

{{- define "shipshape.image" -}}
{{- $tag := include "shipshape.imageTag" . }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "shipshape.version" -}}
{{- regexReplaceAll "[^A-Za-z0-9._-]" (include "shipshape.imageTag" .) "-" | trunc 63 | trimSuffix "-" | trimSuffix "." }}
{{- end }}

{{/* A duration of one number and unit (30s, 15m, 1h, 30d, 1w) in seconds, e.g. backup.rpo. */}}
{{- define "shipshape.durationSeconds" -}}
{{- if not (regexMatch "^[0-9]+[smhdw]$" (toString .)) }}
{{- fail (printf "%q is not a duration like 15m, 1h or 1d" (toString .)) }}
{{- end }}
{{- $unit := get (dict "s" 1 "m" 60 "h" 3600 "d" 86400 "w" 604800) (regexFind "[smhdw]$" .) }}
{{- mul (regexFind "^[0-9]+" . | int) $unit }}
{{- end }}

{{- define "shipshape.environment" -}}
{{- required "shipshape.environment is required: install with -f values-staging.yaml or -f values-production.yaml" .Values.shipshape.environment }}
{{- end }}

{{- define "shipshape.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shipshape.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "shipshape.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "shipshape.selectorLabels" . }}
app.kubernetes.io/version: {{ include "shipshape.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.shipshape.system | quote }}
backstage.io/kubernetes-id: {{ .Values.shipshape.service }}
shipshape.dev/service: {{ .Values.shipshape.service }}
shipshape.dev/owner: {{ .Values.shipshape.owner }}
shipshape.dev/cost-center: {{ .Values.shipshape.costCenter }}
shipshape.dev/environment: {{ include "shipshape.environment" . }}
shipshape.dev/tier: {{ .Values.shipshape.tier }}
{{- end }}

{{- define "shipshape.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "shipshape.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Pod-level security context shared by the app, the hooks, the backup and the test pod. */}}
{{- define "shipshape.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "shipshape.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* DATABASE_URL from a Secret reference: the chart never holds credential values. */}}
{{- define "shipshape.databaseEnv" -}}
{{- if .Values.database.enabled }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required when database.enabled (a Secret you create; the chart never holds credentials)" .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- end }}
{{- end }}

{{/* NetworkPolicy egress rules shared by the server, backup and migration policies. */}}
{{- define "shipshape.egressDns" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{- define "shipshape.egressDatabase" -}}
- ports:
    - port: {{ .Values.database.port }}
      protocol: TCP
  {{- with .Values.networkPolicy.databaseCidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}

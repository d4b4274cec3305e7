{{/*
The pod template of the service's workload: the Deployment's (strategy rolling) or the Argo
Rollout's (canary, blue-green), so both run the same pods. The spread constraints count pods of
the same ReplicaSet by the hash label the workload's controller sets.
*/}}
{{- define "shipshape.podTemplate" -}}
{{- $hashLabel := ternary "pod-template-hash" "rollouts-pod-template-hash" (eq (include "shipshape.strategy" .) "rolling") -}}
metadata:
  labels:
    {{- include "shipshape.labels" . | nindent 4 }}
    app.kubernetes.io/component: server
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "shipshape.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "shipshape.podSecurityContext" . | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- if .Values.topologySpread.enabled }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: {{ .Values.topologySpread.zoneWhenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "shipshape.selectorLabels" . | nindent 10 }}
          app.kubernetes.io/component: server
      matchLabelKeys:
        - {{ $hashLabel }}
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "shipshape.selectorLabels" . | nindent 10 }}
          app.kubernetes.io/component: server
      matchLabelKeys:
        - {{ $hashLabel }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: app
      image: {{ include "shipshape.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      env:
        - name: PORT
          value: {{ .Values.containerPort | quote }}
        - name: SERVICE_NAME
          value: {{ .Values.shipshape.service | quote }}
        - name: APP_ENV
          value: {{ include "shipshape.environment" . | quote }}
        - name: APP_VERSION
          value: {{ include "shipshape.imageTag" . | quote }}
        - name: LOG_LEVEL
          value: {{ .Values.logLevel | quote }}
        - name: SLO_LATENCY_THRESHOLD_SECONDS
          value: {{ .Values.slo.latency.thresholdSeconds | quote }}
        {{- include "shipshape.databaseEnv" . | nindent 8 }}
        {{- range $name, $value := .Values.env }}
        - name: {{ $name }}
          value: {{ $value | quote }}
        {{- end }}
      {{- with .Values.envFromSecrets }}
      envFrom:
        {{- range . }}
        - secretRef:
            name: {{ . }}
        {{- end }}
      {{- end }}
      startupProbe:
        httpGet:
          path: /health
          port: http
        periodSeconds: 2
        failureThreshold: 30
      livenessProbe:
        httpGet:
          path: /health
          port: http
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /ready
          port: http
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 2
      lifecycle:
        preStop:
          # keep serving while the endpoint is removed from Services and Ingresses
          sleep:
            seconds: 5
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- include "shipshape.containerSecurityContext" . | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
{{- end }}

{{/* The release strategy (values strategy): rolling, canary or blue-green; anything else fails. */}}
{{- define "shipshape.strategy" -}}
{{- $s := default "rolling" .Values.strategy -}}
{{- if not (has $s (list "rolling" "canary" "blue-green")) -}}
{{- fail (printf "strategy is %q; expected rolling, canary or blue-green" $s) -}}
{{- end -}}
{{- $s -}}
{{- end }}

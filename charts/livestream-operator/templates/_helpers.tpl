{{/* Names, labels and image references shared by the templates. */}}

{{- define "livestream-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* release-chart, or the release name alone when it already contains the chart name. */}}
{{- define "livestream-operator.fullname" -}}
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

{{- define "livestream-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "livestream-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "livestream-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "livestream-operator.labels" -}}
helm.sh/chart: {{ include "livestream-operator.chart" . }}
{{ include "livestream-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: livestream-operator
{{- end -}}

{{- define "livestream-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "livestream-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference from {repository, tag, digest}: the digest wins; the tag defaults to appVersion + suffix. */}}
{{- define "livestream-operator.image" -}}
{{- $image := index . 0 -}}
{{- $root := index . 1 -}}
{{- $suffix := index . 2 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default (printf "%s%s" $root.Chart.AppVersion $suffix) $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces the operator manages, or nothing for every namespace. */}}
{{- define "livestream-operator.watchNamespaces" -}}
{{- join "," (uniq .Values.watchNamespaces) -}}
{{- end -}}

{{/* The selector of the pods the operator creates (ingest and transcoder). */}}
{{- define "livestream-operator.dataPlaneSelector" -}}
matchLabels:
  app.kubernetes.io/managed-by: livestream-operator
  app.kubernetes.io/name: livestream
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values: [ingest, transcoder]
{{- end -}}

{{/*
The operator's command line (livestream-operator --help and docs/operator.md list every flag); lists
are comma-separated. test/integration/chart checks each flag against the operator's --help. The pod's
name and namespace reach it through POD_NAME (--identity) and POD_NAMESPACE.
*/}}
{{- define "livestream-operator.args" -}}
{{- $le := .Values.leaderElection -}}
{{- $op := .Values.operator -}}
{{- $dp := .Values.dataPlane -}}
{{- $nv := .Values.gpu.nvidia -}}
{{- $amd := .Values.gpu.amd -}}
- --log-level={{ $op.logLevel }}
- --http-port={{ $op.httpPort }}
- --workers={{ $op.workers }}
- --cluster-domain={{ $op.clusterDomain }}
{{- if $le.enabled }}
{{- /* A boolean flag takes no value (off is the operator's default). */}}
- --leader-elect
- --leader-election-id={{ $le.leaseName }}
- --leader-election-namespace={{ .Release.Namespace }}
- --lease-duration={{ $le.leaseDuration }}
- --renew-deadline={{ $le.renewDeadline }}
- --retry-period={{ $le.retryPeriod }}
{{- end }}
{{- with .Values.watchNamespaces }}
- --watch-namespaces={{ join "," (uniq .) }}
{{- end }}
- --ingest-image={{ include "livestream-operator.image" (list $dp.ingest.image . "") }}
- --transcoder-image={{ include "livestream-operator.image" (list $dp.transcoder.image . "") }}
- --image-pull-policy={{ $dp.imagePullPolicy }}
{{- with $dp.imagePullSecrets }}
- --image-pull-secrets={{ join "," . }}
{{- end }}
{{- with $nv.runtimeClassName }}
- --nvidia-runtime-class={{ . }}
{{- end }}
{{- with $nv.encodeCapableProducts.h264 }}
- --nvenc-products-h264={{ join "," . }}
{{- end }}
{{- with $nv.encodeCapableProducts.hevc }}
- --nvenc-products-hevc={{ join "," . }}
{{- end }}
{{- with $amd.encodeCapableProducts.h264 }}
- --vcn-products-h264={{ join "," . }}
{{- end }}
{{- with $amd.encodeCapableProducts.hevc }}
- --vcn-products-hevc={{ join "," . }}
{{- end }}
- --geforce-session-cap={{ $nv.geforceSessionCap }}
- --amd-device-groups={{ join "," $amd.deviceGroups }}
{{- range $op.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

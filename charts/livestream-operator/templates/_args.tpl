{{/*
The operator's command line (livestream-operator --help lists every flag). Lists are comma-separated;
tolerations are JSON. test/integration/chart checks each flag against the operator's --help.
*/}}
{{- define "livestream-operator.args" -}}
{{- $le := .Values.leaderElection -}}
{{- $op := .Values.operator -}}
{{- $dp := .Values.dataPlane -}}
{{- $nv := .Values.gpu.nvidia -}}
{{- $amd := .Values.gpu.amd -}}
- --log-level={{ $op.logLevel }}
- --admin-port={{ $op.adminPort }}
- --max-concurrent-reconciles={{ $op.maxConcurrentReconciles }}
- --cluster-domain={{ $op.clusterDomain }}
- --leader-elect={{ $le.enabled }}
{{- if $le.enabled }}
- --leader-election-id={{ $le.leaseName }}
- --leader-election-namespace={{ .Release.Namespace }}
- --leader-election-lease-duration={{ $le.leaseDuration }}
- --leader-election-renew-deadline={{ $le.renewDeadline }}
- --leader-election-retry-period={{ $le.retryPeriod }}
{{- end }}
{{- with .Values.watchNamespaces }}
- --watch-namespaces={{ join "," (uniq .) }}
{{- end }}
- --ingest-image={{ include "livestream-operator.image" (list $dp.ingest.image . "") }}
- --transcoder-image={{ include "livestream-operator.image" (list $dp.transcoder.image . "") }}
- --transcoder-nvidia-image={{ include "livestream-operator.image" (list $dp.transcoder.nvidiaImage . "-nvidia") }}
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
- {{ printf "--nvidia-tolerations=%s" (toJson $nv.tolerations) | quote }}
- {{ printf "--amd-tolerations=%s" (toJson $amd.tolerations) | quote }}
- --amd-device-groups={{ join "," $amd.deviceGroups }}
{{- range $op.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
What the operator does in a namespace it manages. Least privilege: it reads LiveStreams and
TranscodeProfiles and writes only their status; it owns the children it creates (Deployments,
Services, ConfigMaps, Secrets) through server-side apply; it reads Pods (slim, for GPU capacity and
pod state) and writes Events. It never writes spec of a custom resource, never execs, never lists
Secrets it did not label (a label selector; RBAC cannot narrow that further).
*/}}
{{- define "livestream-operator.namespacedRules" -}}
- apiGroups: [livestream-operator.io]
  resources: [livestreams, transcodeprofiles]
  verbs: [get, list, watch]
- apiGroups: [livestream-operator.io]
  resources: [livestreams/status, transcodeprofiles/status]
  verbs: [get, update, patch]
# Owner references with blockOwnerDeletion need update on the owner's finalizers subresource where
# the OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift).
- apiGroups: [livestream-operator.io]
  resources: [livestreams/finalizers]
  verbs: [update]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [services, configmaps, secrets]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch, update]
{{- end -}}

{{/* Cluster-scoped reads: Nodes (GPU products, capacity, taints) for placement. */}}
{{- define "livestream-operator.clusterRules" -}}
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
{{- end -}}

{{/*
What the operator does in a namespace it manages (docs/operator.md, "Permissions"). Least privilege:
it reads LiveStreams and TranscodeProfiles and writes only their status; it applies the Deployments,
Services and ConfigMaps it owns (server-side apply); it creates the two Secrets of a stream once and
never changes them (and reads a user-named key Secret); it records Events. It never writes the spec
of a custom resource and never execs. Its Secret cache is label-selected (RBAC cannot narrow a list
by label; watchNamespaces narrows it by namespace).
*/}}
{{- define "livestream-operator.namespacedRules" -}}
- apiGroups: [livestream-operator.io]
  resources: [livestreams, transcodeprofiles]
  verbs: [get, list, watch]
- apiGroups: [livestream-operator.io]
  resources: [livestreams/status, transcodeprofiles/status]
  verbs: [get, patch]
# Owner references with blockOwnerDeletion need update on the owner's finalizers subresource where
# the OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift).
- apiGroups: [livestream-operator.io]
  resources: [livestreams/finalizers]
  verbs: [update]
# Server-side apply is a patch, and a patch that creates the object is also authorized as create.
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [services, configmaps]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create]
{{- end -}}

{{/*
Cluster-wide reads for placement, in every mode: Nodes (GPU products, capacity, taints) and Pods (what
is already requested on each node, whoever runs it; cached as slim usage records, not whole Pods).
*/}}
{{- define "livestream-operator.clusterRules" -}}
- apiGroups: [""]
  resources: [nodes, pods]
  verbs: [get, list, watch]
{{- end -}}

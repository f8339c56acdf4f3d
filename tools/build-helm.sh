#!/usr/bin/env bash
# Builds helm from the pinned Go module in tools/go/helm, once per version, into the same per-version
# cache as the local control plane (~/.cache/livestream-operator/bin/helm-<version>/helm), and prints
# the binary's path on its last line. About 2.5 minutes cold on 2 cores; nothing when it is built.
#   LIVESTREAM_CACHE_DIR   cache root (default: $XDG_CACHE_HOME/livestream-operator or ~/.cache/...)
#   HELM_BIN               a helm 3 binary you already have: used as it is, nothing is built
# Exit status 2: no Go toolchain; 1: the build failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${HELM_BIN:-}" ]; then
  [ -x "$HELM_BIN" ] || { echo "HELM_BIN=$HELM_BIN is not an executable; unset it to build helm from Go modules" >&2; exit 2; }
  echo "$HELM_BIN"; exit 0
fi
version=$(sed -n 's#^require helm.sh/helm/v3 \(v[^ ]*\)$#\1#p' "$here/go/helm/go.mod")
[ -n "$version" ] || { echo "tools/go/helm/go.mod does not require helm.sh/helm/v3" >&2; exit 1; }
cache=${LIVESTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/livestream-operator}
out="$cache/bin/helm-$version"
if [ -x "$out/helm" ]; then echo "$out/helm"; exit 0; fi
if ! command -v go >/dev/null; then
  echo "Go is not installed and helm $version is not built yet; install Go >= 1.26 (https://go.dev/dl)" >&2
  echo "and run this again (about 2.5 minutes the first time), or set HELM_BIN to a helm 3 binary." >&2
  exit 2
fi
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
  echo "another build of helm $version is running (lock $out/.lock); waiting for it..." >&2
  flock 9
fi
if [ ! -x "$out/helm" ]; then
  echo "building helm $version (helm.sh/helm/v3/cmd/helm)..." >&2
  start=$SECONDS
  # As helm's Makefile does: the Kubernetes version `helm template` and `helm lint` assume without a
  # cluster (.Capabilities.KubeVersion) is the client-go minor plus one (v0.37 -> 1.37); without it
  # helm assumes 1.20 and refuses charts that need a newer one.
  client_go=$(sed -n 's#^[[:space:]]*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$here/go/helm/go.mod")
  [ -n "$client_go" ] || { echo "tools/go/helm/go.mod has no k8s.io/client-go requirement" >&2; exit 1; }
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go"
  done
  if ! (cd "$here/go/helm" && CGO_ENABLED=0 nice go build -trimpath -ldflags "$ldflags" -o "$out/.helm.tmp" helm.sh/helm/v3/cmd/helm) >&2; then
    echo "building helm failed (see the Go errors above); check go version (need >= 1.26) and go env GOPROXY." >&2
    rm -f "$out/.helm.tmp"; exit 1
  fi
  mv "$out/.helm.tmp" "$out/helm"
  echo "built helm $version in $((SECONDS - start)) s ($(du -m "$out/helm" | cut -f1) MB)" >&2
fi
echo "$out/helm"

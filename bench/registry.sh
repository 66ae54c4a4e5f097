#!/usr/bin/env bash
# Pulls and pushes the same ~200 MB, 8-layer image with sbuild and with skopeo against local docker-registry
# instances and prints median wall times and ratios, in one run.
#   pull: registry A -> empty sbuild store    vs  registry A -> empty OCI layout (skopeo keeps the compressed blobs too)
#   push: sbuild store -> empty registry B    vs  OCI layout -> empty registry B (wiped and restarted before every push)
# Usage: bench/registry.sh [RUNS]   (default 3). Needs scripts/setup to have run (sbuild on PATH, skopeo, umoci, docker-registry).
set -euo pipefail
runs=${1:-3}

need() { command -v "$1" >/dev/null 2>&1 || { echo "registry.sh: $1 not found (install the Debian package '$2'; scripts/setup does)" >&2; exit 1; }; }
command -v sbuild >/dev/null 2>&1 || { echo "registry.sh: sbuild not found on PATH (run scripts/setup, which publishes it to /usr/local/bin/sbuild)" >&2; exit 1; }
need skopeo skopeo
need umoci umoci  # checks the hand-made OCI layout
need docker-registry docker-registry
need curl curl
need bc bc
need ss iproute2

work=$(mktemp -d /tmp/sbuild-bench-registry-XXXXXX)
declare -A reg_pid=()
cleanup() {
  local name
  for name in "${!reg_pid[@]}"; do kill "${reg_pid[$name]}" 2>/dev/null || true; wait "${reg_pid[$name]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
  done
  echo "registry.sh: no free port found" >&2; exit 1
}

# start_registry NAME PORT: a docker-registry with an empty storage directory $work/NAME-storage, listening on 127.0.0.1:PORT.
start_registry() {
  local name=$1 port=$2 dir=$work/$1-storage
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$work/$name.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  /usr/bin/docker-registry serve "$work/$name.yml" >>"$work/$name.log" 2>&1 &
  reg_pid[$name]=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && return
    kill -0 "${reg_pid[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "registry.sh: docker-registry $name did not come up on 127.0.0.1:$port; its log:" >&2; cat "$work/$name.log" >&2; exit 1
}

stop_registry() {
  local name=$1
  kill "${reg_pid[$name]}" 2>/dev/null || true
  wait "${reg_pid[$name]}" 2>/dev/null || true
  unset "reg_pid[$name]"
}

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# time_cmd CMD...: prints the wall seconds; a failing command aborts the benchmark with its output.
time_cmd() {
  local s e
  s=$(now)
  if ! "$@" >"$work/cmd.log" 2>&1; then echo "registry.sh: failed: $*" >&2; cat "$work/cmd.log" >&2; exit 1; fi
  e=$(now)
  echo "$e - $s" | bc
}

port_a=$(free_port)
start_registry a "$port_a"
port_b=$(free_port)
while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
start_registry b "$port_b"
A=127.0.0.1:$port_a
B=127.0.0.1:$port_b

# The image, made by hand as an OCI layout (umoci's own layer compression barely compresses, so real gzip -6 here):
# 8 layers of ~25 MiB, each half random bytes (incompressible) and half base64 text (gzip takes ~25% off), and a config.
echo "registry.sh: making the 8-layer image" >&2
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
# put_blob FILE: moves FILE into the layout under its digest; sets blob_digest and blob_size.
put_blob() {
  blob_digest=sha256:$(sha256sum <"$1" | cut -d' ' -f1)
  blob_size=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/${blob_digest#sha256:}"
}
layers=8; uncompressed=0; compressed=0; diff_ids=(); layer_descs=()
for i in $(seq "$layers"); do
  d=$work/l$i/data/layer$i
  mkdir -p "$d"
  head -c 12800K /dev/urandom >"$d/random.bin"
  head -c 9450K /dev/urandom | base64 -w 76 >"$d/text.txt"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/l$i" -cf "$work/layer.tar" data
  diff_ids+=("\"sha256:$(sha256sum <"$work/layer.tar" | cut -d' ' -f1)\"")
  uncompressed=$((uncompressed + $(stat -c %s "$work/layer.tar")))
  gzip -n -6 <"$work/layer.tar" >"$work/layer.tar.gz"
  put_blob "$work/layer.tar.gz"
  compressed=$((compressed + blob_size))
  layer_descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$blob_digest\",\"size\":$blob_size}")
  rm -rf "$work/l$i" "$work/layer.tar"
done
printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/true"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
  "$(dpkg --print-architecture)" "$(IFS=,; echo "${diff_ids[*]}")" >"$work/config.json"
put_blob "$work/config.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$blob_digest" "$blob_size" "$(IFS=,; echo "${layer_descs[*]}")" >"$work/manifest.json"
put_blob "$work/manifest.json"
manifest_digest=$blob_digest
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"src"}}]}' \
  "$blob_digest" "$blob_size" >"$layout/index.json"
umoci stat --image "$layout:src" >/dev/null  # a well-formed layout, manifest and config

skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:src" "docker://$A/bench/source:1"
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:src" "docker://$B/bench/image:1"
# The store sbuild pushes from holds the image under registry B's name (sbuild push pushes an image by its local name).
push_store=$work/push-store
pushed=$(sbuild --root "$push_store" pull -q "$B/bench/image:1")
[ "$pushed" = "$manifest_digest" ] || { echo "registry.sh: sbuild pulled $pushed, expected $manifest_digest" >&2; exit 1; }

# Same bytes on both sides: skopeo runs with --preserve-digests (it fails rather than recompress or rewrite the
# manifest), both pulls start from an empty destination, and every push goes to an emptied registry B (no blob to skip,
# no cross-repository mount). Note: skopeo 1.9 uploads blobs from an oci: source one at a time (that source is not
# thread-safe for it), where sbuild uploads up to 4 at once; its pulls run 6 downloads at once, sbuild's 4.
pull_sbuild=(); pull_skopeo=(); push_sbuild=(); push_skopeo=()
for i in $(seq "$runs"); do
  echo "registry.sh: run $i of $runs" >&2
  rm -rf "$work/pull-store" "$work/pull-oci"; sync
  pull_sbuild+=("$(time_cmd sbuild --root "$work/pull-store" pull "$A/bench/source:1")")
  rm -rf "$work/pull-store" "$work/pull-oci"; sync
  pull_skopeo+=("$(time_cmd skopeo copy --src-tls-verify=false "docker://$A/bench/source:1" "oci:$work/pull-oci:x")")
  rm -rf "$work/pull-store" "$work/pull-oci"

  stop_registry b; start_registry b "$port_b"; sync
  push_sbuild+=("$(time_cmd sbuild --root "$push_store" push "$B/bench/image:1")")
  grep -q "$manifest_digest" "$work/cmd.log" || { echo "registry.sh: sbuild pushed another manifest than $manifest_digest:" >&2; cat "$work/cmd.log" >&2; exit 1; }
  stop_registry b; start_registry b "$port_b"; sync
  push_skopeo+=("$(time_cmd skopeo copy --preserve-digests --dest-tls-verify=false "oci:$layout:src" "docker://$B/bench/image:1")")
done
# Both pushes must have stored the same manifest (so the same blobs) in the registry.
remote=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$B/v2/bench/image/manifests/1" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
[ "$remote" = "$manifest_digest" ] || { echo "registry.sh: registry B holds $remote, expected $manifest_digest" >&2; exit 1; }

printf 'image: %d layers + config, %.1f MB uncompressed, %.1f MB compressed (gzip -6); manifest %s\n' \
  "$layers" "$(echo "$uncompressed / 1000000" | bc -l)" "$(echo "$compressed / 1000000" | bc -l)" "${manifest_digest:0:19}"
printf '%s runs each, median wall seconds; %s nproc, %s, sbuild %s\n' "$runs" "$(nproc)" "$(skopeo --version)" "$(sbuild --version)"
printf '%-6s %10s %10s %8s\n' op sbuild skopeo ratio
for op in pull push; do
  if [ "$op" = pull ]; then s=$(printf '%s\n' "${pull_sbuild[@]}" | median); k=$(printf '%s\n' "${pull_skopeo[@]}" | median)
  else s=$(printf '%s\n' "${push_sbuild[@]}" | median); k=$(printf '%s\n' "${push_skopeo[@]}" | median); fi
  printf '%-6s %10.3f %10.3f %8.2f\n' "$op" "$s" "$k" "$(echo "$s / $k" | bc -l)"
done
echo "(ratio = sbuild time / skopeo time; at or below 1.00 means sbuild is as fast or faster)"
printf 'all runs: pull sbuild %s | pull skopeo %s | push sbuild %s | push skopeo %s\n' \
  "${pull_sbuild[*]}" "${pull_skopeo[*]}" "${push_sbuild[*]}" "${push_skopeo[*]}"

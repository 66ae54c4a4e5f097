#!/usr/bin/env bash
# Build engine benchmark: sbuild (NativeAOT, published from this source tree) against the reference BuildKit v0.32.2
# (../shared/oracle) on the same Dockerfiles, contexts and busybox base, in one run. Each timed case is the median
# of N runs; sbuild and BuildKit alternate within every run, so load on the machine affects both alike.
#
#   1  cold multi-stage build (3 stages, RUN and COPY --from; empty caches)
#   2  no-op rebuild of 1 (everything cached)
#   3  one file of the context changed (COPY . then RUN)
#   4  20 RUN steps, cold; per-RUN cost against a bare `runc run` of `true` in a busybox bundle
#   5  two parallel stages of `RUN sleep 1` joined by COPY --from, cold
#   6  10,000-file 40 MB context: no-op rebuild, and one file added
#   7  1 GB one-file context: first (cold) build, no-op rebuild, --no-cache rebuild
#   8  200 builds with a changing ARG (sbuild only), GC budget 5 MB: store size every 50 builds
#
# Usage: bench/engine.sh [--quick] [--runs N] [--only 1,2,...] [--sbuild PATH] [--shared-buildkitd]
#   --quick             N=1, scenario 7 with a 64 MB file, scenario 8 with 20 builds (a smoke test)
#   --sbuild PATH       use this sbuild binary instead of publishing one from the source tree to /tmp/bench-sbuild
#   --shared-buildkitd  use the oracle's shared daemon (buildkitd-up; it restarts that daemon if its registry list
#                       differs, which disturbs other users). Default: a private buildkitd from the same archive
#                       with the oracle's configuration, its own socket and state dir, stopped at the end.
# Cold means: sbuild on a fresh store holding only the imported busybox base (and the runtime probe); BuildKit after
# `buildctl prune --all`. sbuild writes into its store (-t), BuildKit exports with type=image,push=false; both
# print plain progress to a log file. Needs root, runc, docker-registry, skopeo, bc, jq, curl, ss, busybox-static.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle=$(cd "$here/../../shared/oracle" 2>/dev/null && pwd || echo /work/shared/oracle)

runs=3; quick=0; only=""; sbuild_bin=""; shared_bk=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; runs=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --only) only=",$2,"; shift 2 ;;
    --sbuild) sbuild_bin=$(realpath "$2"); shift 2 ;;
    --shared-buildkitd) shared_bk=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "engine.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
want() { [ -z "$only" ] || [[ $only == *",$1,"* ]]; }
big_size=1G; loop_builds=200; loop_every=50
if [ "$quick" = 1 ]; then big_size=64M; loop_builds=20; loop_every=10; fi

[ "$(id -u)" = 0 ] || { echo "engine.sh: run as root" >&2; exit 1; }
for c in runc docker-registry skopeo bc jq curl ss; do
  command -v "$c" >/dev/null 2>&1 || { echo "engine.sh: $c not found (scripts/setup installs it)" >&2; exit 1; }
done

log() { echo "engine.sh: $*" >&2; }
work=$(mktemp -d /tmp/sbuild-engine-XXXXXX)
reg_pid=""; bk_pid=""
cleanup() {
  local rc=$?
  [ -n "$reg_pid" ] && { kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; }
  if [ -n "$bk_pid" ]; then
    "$buildctl_bin" --addr "$bk_addr" prune --all >/dev/null 2>&1 || true
    kill "$bk_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$bk_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  # Snapshots may still be mounted if a build was interrupted.
  { grep -o " $work/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work" || true
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------- sbuild: publish the NativeAOT binary from this tree (same command as scripts/setup) ----------
if [ -z "$sbuild_bin" ]; then
  log "publishing sbuild (NativeAOT) to /tmp/bench-sbuild"
  dotnet publish "$here/src/Cli/Sbuild.Cli.csproj" -c Release -r linux-x64 -p:PublishAot=true -o /tmp/bench-sbuild -nologo -v quiet >&2
  sbuild_bin=/tmp/bench-sbuild/sbuild
fi
[ -x "$sbuild_bin" ] || { echo "engine.sh: $sbuild_bin is not executable" >&2; exit 1; }
sbuild_version=$("$sbuild_bin" --version)

# ---------- the busybox base: a template store with busybox:latest imported ----------
template=$work/template
bash "$here/scripts/make-busybox-rootfs" "$work/busybox.tar"
"$sbuild_bin" --root "$template" image import "$work/busybox.tar" busybox:latest >/dev/null
# One throwaway build in another store makes sbuild probe its OCI runtime; the template gets only that verdict
# (runtime.json), which a real store has had since its first build.
mkdir -p "$work/probe"; printf 'FROM busybox\nRUN true\n' >"$work/probe/Dockerfile"
"$sbuild_bin" --root "$work/probe-store" image import "$work/busybox.tar" busybox:latest >/dev/null
"$sbuild_bin" --root "$work/probe-store" --progress quiet "$work/probe" >/dev/null
cp "$work/probe-store/runtime.json" "$template/runtime.json"
rm -rf "$work/probe-store"
runtime=$(jq -r '[.runtimes[] | select(.works)][0].path // "unknown"' "$template/runtime.json")
store=$work/store
fresh_store() { rm -rf "$store"; cp -a "$template" "$store"; }

# ---------- a loopback registry with the same busybox for BuildKit ----------
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
  done
  echo "engine.sh: no free port found" >&2; exit 1
}
port=$(free_port)
mkdir -p "$work/registry"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { echo "engine.sh: docker-registry did not start:" >&2; cat "$work/registry.log" >&2; exit 1; }
reg=127.0.0.1:$port
ref_name=$(jq -r '.manifests[] | .annotations["org.opencontainers.image.ref.name"] // empty' "$template/index.json" | grep -i busybox | head -1)
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$template:$ref_name" "docker://$reg/library/busybox:latest"
base_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$reg/library/busybox:latest")

# ---------- BuildKit v0.32.2 ----------
if [ "$shared_bk" = 1 ]; then
  eval "$("$oracle/buildkitd-up" --insecure-registry "$reg")"
  bk_addr=$BUILDKIT_HOST
  buildctl_bin=$(command -v buildctl)
else
  bk_home=/var/lib/sbuild-bench-buildkit
  bk_bin=$bk_home/bin/buildkit-v0.32.2
  if [ ! -x "$bk_bin/buildkitd" ]; then
    (cd "$oracle" && sha256sum -c --quiet buildkit-v0.32.2-linux-amd64.tar.xz.sha256) || { echo "engine.sh: oracle archive checksum mismatch" >&2; exit 1; }
    mkdir -p "$bk_home/bin"; tar -xJf "$oracle/buildkit-v0.32.2-linux-amd64.tar.xz" -C "$bk_home/bin"
  fi
  # The oracle's buildkitd.toml (buildkitd-up), with this run's registry.
  printf '[worker.oci]\n  enabled = true\n  binary = "runc"\n  snapshotter = "overlayfs"\n  gc = true\n[worker.containerd]\n  enabled = false\n[registry."%s"]\n  http = true\n  insecure = true\n' "$reg" >"$work/buildkitd.toml"
  bk_addr=unix://$work/buildkitd.sock
  mkdir -p "$bk_home/state"
  setsid "$bk_bin/buildkitd" --config "$work/buildkitd.toml" --root "$bk_home/state" --addr "$bk_addr" \
    --oci-worker-binary=runc --containerd-worker=false >"$work/buildkitd.log" 2>&1 </dev/null &
  bk_pid=$!
  buildctl_bin=$bk_bin/buildctl
  for _ in $(seq 150); do "$buildctl_bin" --addr "$bk_addr" debug workers >/dev/null 2>&1 && break; sleep 0.2; done
  "$buildctl_bin" --addr "$bk_addr" debug workers >/dev/null 2>&1 || { echo "engine.sh: buildkitd did not start:" >&2; tail -5 "$work/buildkitd.log" >&2; exit 1; }
fi
bk_version=$("$buildctl_bin" --addr "$bk_addr" debug info 2>/dev/null | awk '/BuildKit:/ {print $2, $3}' || true)
[ -n "$bk_version" ] || bk_version="BuildKit v0.32.2"

# ---------- helpers ----------
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
med() { printf '%s\n' "$@" | median; }
# timed LOG CMD...: runs CMD with its output in LOG and prints the wall seconds; a failure aborts with the log.
timed() {
  local out=$1 s e; shift
  s=$EPOCHREALTIME
  if ! "$@" >"$out" 2>&1; then echo "engine.sh: failed: $*" >&2; tail -30 "$out" >&2; exit 1; fi
  e=$EPOCHREALTIME
  echo "$e - $s" | bc
}
# sb CTX [ARGS...]: an sbuild build of CTX (its Dockerfile) into the current store.
sb() { local ctx=$1; shift; "$sbuild_bin" --root "$store" build --progress plain -t bench:latest "$@" "$ctx"; }
# bk CTX [ARGS...]: the same with BuildKit; `FROM busybox` resolves to the loopback registry's copy.
bk() {
  local ctx=$1; shift
  "$buildctl_bin" --addr "$bk_addr" build --progress plain --frontend dockerfile.v0 \
    --local context="$ctx" --local dockerfile="$ctx" \
    --opt "context:busybox=docker-image://$reg/library/busybox:latest" \
    --output "type=image,name=$reg/bench/out:latest,push=false" "$@"
}
bk_cold() { "$buildctl_bin" --addr "$bk_addr" prune --all >/dev/null; }
# Steps reported as cached in a plain-progress log (both print BuildKit's "#N CACHED").
cached_steps() { grep -c 'CACHED' "$1" || true; }

declare -A S=() B=() RAW=() NOTE=()
results=()   # keys in print order
# record KEY "SBUILD RUNS" "BUILDKIT RUNS": stores the medians (and the runs) of a case.
record() {
  S[$1]=$(med $2); B[$1]=$(med $3); RAW[$1]="sbuild $2 | buildkit $3"; results+=("$1")
  log "$(printf '%-28s sbuild %8.3f s   buildkit %8.3f s   ratio %.2f' "$1" "${S[$1]}" "${B[$1]}" "$(echo "${S[$1]} / ${B[$1]}" | bc -l)")"
}

uptime_before=$(uptime)
log "sbuild $sbuild_version ($sbuild_bin), runtime: $runtime; $bk_version at $bk_addr; registry $reg, base $base_digest"
log "load before: $uptime_before"

# ---------- 1 + 2: cold multi-stage build, then no-op rebuild ----------
if want 1 || want 2; then
  c=$work/ctx1; mkdir -p "$c/src"
  for i in $(seq 20); do echo "source file $i" >"$c/src/file$i.txt"; done
  cat >"$c/Dockerfile" <<'EOF'
FROM busybox AS tools
RUN mkdir -p /out && echo "tool built" > /out/tool.txt && cp /bin/busybox /out/tool

FROM busybox AS assets
COPY src/ /src/
RUN cat /src/*.txt | sort > /assets.txt && wc -l /assets.txt

FROM busybox
COPY --from=tools /out/ /opt/tools/
COPY --from=assets /assets.txt /usr/share/assets.txt
RUN ls -l /opt/tools /usr/share/assets.txt > /manifest.txt
CMD ["cat", "/manifest.txt"]
EOF
  cs=(); cb=(); ns=(); nb=()
  for i in $(seq "$runs"); do
    log "1+2 multi-stage: run $i/$runs"
    fresh_store; cs+=("$(timed "$work/s1.log" sb "$c")")
    bk_cold;     cb+=("$(timed "$work/b1.log" bk "$c")")
    ns+=("$(timed "$work/s2.log" sb "$c")")
    nb+=("$(timed "$work/b2.log" bk "$c")")
  done
  record "1 cold multi-stage" "${cs[*]}" "${cb[*]}"
  record "2 no-op rebuild" "${ns[*]}" "${nb[*]}"
  NOTE["2 no-op rebuild"]="steps CACHED: sbuild $(cached_steps "$work/s2.log"), buildkit $(cached_steps "$work/b2.log")"
fi

# ---------- 3: one file of the context changed ----------
if want 3; then
  c=$work/ctx3; mkdir -p "$c/src"
  for i in $(seq 100); do echo "source file $i" >"$c/src/file$i.txt"; done
  printf 'FROM busybox\nCOPY . /app\nRUN find /app -type f | wc -l > /app.count && cat /app/src/changed.txt\n' >"$c/Dockerfile"
  echo start >"$c/src/changed.txt"
  fresh_store; timed "$work/s3.log" sb "$c" >/dev/null; bk_cold; timed "$work/b3.log" bk "$c" >/dev/null
  ts=(); tb=()
  for i in $(seq "$runs"); do
    log "3 one-file change: run $i/$runs"
    echo "change $i $RANDOM" >"$c/src/changed.txt"
    ts+=("$(timed "$work/s3.log" sb "$c")")
    tb+=("$(timed "$work/b3.log" bk "$c")")
  done
  record "3 one-file change" "${ts[*]}" "${tb[*]}"
  NOTE["3 one-file change"]="steps CACHED: sbuild $(cached_steps "$work/s3.log"), buildkit $(cached_steps "$work/b3.log")"
fi

# ---------- 4: 20 RUN steps, cold; bare runc run ----------
if want 4; then
  c=$work/ctx4; mkdir -p "$c"; c1=$work/ctx4one; mkdir -p "$c1"
  { echo 'FROM busybox'; for n in $(seq 20); do echo "RUN echo $n > /f$n"; done; } >"$c/Dockerfile"
  printf 'FROM busybox\nRUN echo 1 > /f1\n' >"$c1/Dockerfile"
  ts=(); tb=(); t1s=(); t1b=()
  for i in $(seq "$runs"); do
    log "4 20 RUN steps: run $i/$runs"
    fresh_store; ts+=("$(timed "$work/s4.log" sb "$c")")
    bk_cold;     tb+=("$(timed "$work/b4.log" bk "$c")")
    fresh_store; t1s+=("$(timed "$work/s4one.log" sb "$c1")")
    bk_cold;     t1b+=("$(timed "$work/b4one.log" bk "$c1")")
  done
  s20=$(med "${ts[@]}"); b20=$(med "${tb[@]}"); s1=$(med "${t1s[@]}"); b1=$(med "${t1b[@]}")
  record "4 20 RUN steps, cold" "${ts[*]}" "${tb[*]}"
  record "4' 1 RUN step, cold" "${t1s[*]}" "${t1b[*]}"
  # Bare runtime: `runc run` of `true` in a busybox bundle (no overlay, no layer), median of 20.
  bundle=$work/bundle; mkdir -p "$bundle/rootfs"; tar -xf "$work/busybox.tar" -C "$bundle/rootfs"
  (cd "$bundle" && runc spec)
  jq '.process.terminal = false | .process.args = ["true"] | .root.readonly = false' "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
  rr=()
  for n in $(seq 20); do rr+=("$(timed "$work/runc.log" runc run --bundle "$bundle" "sbuild-engine-$$-$n")"); done
  runc_ms=$(echo "$(med "${rr[@]}") * 1000" | bc -l)
  crun_ms=""
  if command -v crun >/dev/null 2>&1 && crun run --bundle "$bundle" "sbuild-engine-probe-$$" >/dev/null 2>&1; then
    rr=(); for n in $(seq 20); do rr+=("$(timed "$work/crun.log" crun run --bundle "$bundle" "sbuild-engine-c$$-$n")"); done
    crun_ms=$(echo "$(med "${rr[@]}") * 1000" | bc -l)
  fi
  # The same bare run under the seccomp filter every RUN gets (Docker's default profile, in sbuild and in BuildKit),
  # as sbuild writes it into its bundles: taken from the config.json of a running RUN. runc compiles the filter at
  # every start, which costs it about 20 ms here.
  mkdir -p "$work/ctx4sc"; printf 'FROM busybox\nRUN sleep 2\n' >"$work/ctx4sc/Dockerfile"
  fresh_store
  "$sbuild_bin" --root "$store" build --progress quiet --no-cache "$work/ctx4sc" >"$work/s4sc.log" 2>&1 & sc_pid=$!
  for _ in $(seq 100); do
    for f in "$store"/tmp/*/sbuild-*/config.json; do
      [ -f "$f" ] && jq -e '.linux.seccomp.syscalls' "$f" >/dev/null 2>&1 && jq '.linux.seccomp' "$f" >"$work/seccomp.json" && break 2
    done
    sleep 0.05
  done
  wait "$sc_pid" || { echo "engine.sh: the build that shows sbuild's seccomp filter failed:" >&2; cat "$work/s4sc.log" >&2; exit 1; }
  [ -s "$work/seccomp.json" ] || { echo "engine.sh: no running RUN's config.json was seen under $store/tmp" >&2; exit 1; }
  jq --slurpfile sc "$work/seccomp.json" '.linux.seccomp = $sc[0]' "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
  rr=()
  for n in $(seq 20); do rr+=("$(timed "$work/runc.log" runc run --bundle "$bundle" "sbuild-engine-s$$-$n")"); done
  runc_sc_ms=$(echo "$(med "${rr[@]}") * 1000" | bc -l)
  per_s=$(echo "($s20 - $s1) * 1000 / 19" | bc -l); per_b=$(echo "($b20 - $b1) * 1000 / 19" | bc -l)
  NOTE["4 20 RUN steps, cold"]=$(printf 'per RUN (20-RUN minus 1-RUN build, /19): sbuild %.0f ms, buildkit %.0f ms; total/20: sbuild %.0f ms, buildkit %.0f ms; bare runc run of true: %.0f ms, with the seccomp filter of a RUN %.0f ms%s; sbuild per-RUN overhead above bare runc: %.0f ms, above bare runc with the same filter: %.0f ms' \
    "$per_s" "$per_b" "$(echo "$s20 * 50" | bc -l)" "$(echo "$b20 * 50" | bc -l)" "$runc_ms" "$runc_sc_ms" \
    "$([ -n "$crun_ms" ] && printf ', bare crun run: %.0f ms' "$crun_ms")" "$(echo "$per_s - $runc_ms" | bc -l)" "$(echo "$per_s - $runc_sc_ms" | bc -l)")
  log "${NOTE["4 20 RUN steps, cold"]}"
fi

# ---------- 5: two parallel 1 s stages ----------
if want 5; then
  c=$work/ctx5; mkdir -p "$c"
  cat >"$c/Dockerfile" <<'EOF'
FROM busybox AS a
RUN sleep 1 && echo a > /a.txt

FROM busybox AS b
RUN sleep 1 && echo b > /b.txt

FROM busybox
COPY --from=a /a.txt /a.txt
COPY --from=b /b.txt /b.txt
EOF
  ts=(); tb=()
  for i in $(seq "$runs"); do
    log "5 two parallel sleep-1 stages: run $i/$runs"
    fresh_store; ts+=("$(timed "$work/s5.log" sb "$c")")
    bk_cold;     tb+=("$(timed "$work/b5.log" bk "$c")")
  done
  record "5 two parallel 1 s stages" "${ts[*]}" "${tb[*]}"
fi

# ---------- 6: 10,000-file 40 MB context ----------
if want 6; then
  c=$work/ctx6; mkdir -p "$c/files"
  (cd "$c/files" && head -c 40000000 /dev/urandom | split -b 4000 -a 4 -d - f)
  for d in $(seq -w 0 99); do mkdir "$c/files/d$d"; mv "$c/files/f$d"?? "$c/files/d$d/"; done
  printf 'FROM busybox\nCOPY . /ctx\nRUN find /ctx -type f | wc -l > /ctx.count\n' >"$c/Dockerfile"
  fresh_store; timed "$work/s6.log" sb "$c" >/dev/null; bk_cold; timed "$work/b6.log" bk "$c" >/dev/null
  ns=(); nb=(); as=(); ab=()
  for i in $(seq "$runs"); do
    log "6 10k-file context: run $i/$runs"
    ns+=("$(timed "$work/s6n.log" sb "$c")")
    nb+=("$(timed "$work/b6n.log" bk "$c")")
    echo "added $i $RANDOM" >"$c/files/added-$i.txt"
    as+=("$(timed "$work/s6a.log" sb "$c")")
    ab+=("$(timed "$work/b6a.log" bk "$c")")
  done
  record "6a 10k files: no-op" "${ns[*]}" "${nb[*]}"
  record "6b 10k files: one added" "${as[*]}" "${ab[*]}"
  NOTE["6a 10k files: no-op"]="steps CACHED: sbuild $(cached_steps "$work/s6n.log"), buildkit $(cached_steps "$work/b6n.log")"
  NOTE["6b 10k files: one added"]="steps CACHED: sbuild $(cached_steps "$work/s6a.log"), buildkit $(cached_steps "$work/b6a.log")"
  rm -rf "$c"
fi

# ---------- 7: 1 GB one-file context ----------
if want 7; then
  free_gb() { df -BG --output=avail "$1" | tail -1 | tr -dc 0-9; }
  bk_state=${bk_home:-/var/lib/sbuild-oracle}/state
  [ -d "$bk_state" ] || bk_state=/var/lib
  if [ "$(free_gb "$work")" -lt 8 ] || [ "$(free_gb "$bk_state")" -lt 8 ]; then
    log "7 skipped: less than 8 GB free ($(free_gb "$work") GB on $work, $(free_gb "$bk_state") GB on $bk_state)"
    NOTE["7 skipped"]="less than 8 GB free disk"
  else
    c=$work/ctx7; mkdir -p "$c"
    log "7: writing a $big_size file of random bytes"
    head -c "$big_size" /dev/urandom >"$c/big.bin"
    printf 'FROM busybox\nCOPY big.bin /data/big.bin\n' >"$c/Dockerfile"
    fs=(); fb=(); ns=(); nb=(); xs=(); xb=()
    for i in $(seq "$runs"); do
      log "7 $big_size context: run $i/$runs"
      fresh_store; sync; fs+=("$(timed "$work/s7.log" sb "$c")")
      bk_cold; sync;     fb+=("$(timed "$work/b7.log" bk "$c")")
      ns+=("$(timed "$work/s7n.log" sb "$c")")
      nb+=("$(timed "$work/b7n.log" bk "$c")")
      xs+=("$(timed "$work/s7x.log" sb "$c" --no-cache)")
      xb+=("$(timed "$work/b7x.log" bk "$c" --no-cache)")
    done
    record "7a $big_size: first build" "${fs[*]}" "${fb[*]}"
    record "7b $big_size: no-op" "${ns[*]}" "${nb[*]}"
    record "7c $big_size: --no-cache" "${xs[*]}" "${xb[*]}"
    rm -rf "$c" "$store"; bk_cold
  fi
fi

# ---------- 8: many builds, store size under the GC budget (sbuild only) ----------
# The GC after each build holds the build cache to a budget set in sbuild's config file (5 MB here, so 200 small builds
# go far past it). Each build also leaves the previous loop:latest dangling, as docker build does; those images keep
# their layer blobs until `sbuild image prune`, which docker's builder GC does not touch either, so they are counted
# apart and pruned at the end.
if want 8; then
  c=$work/ctx8; mkdir -p "$c" "$work/config8/sbuild"
  printf 'FROM busybox\nARG N\nRUN echo "build $N" > /n.txt && head -c 100000 /dev/urandom > /noise.bin\n' >"$c/Dockerfile"
  printf '{"builder": {"gc": {"defaultReservedSpace": "1MB", "defaultMaxUsedSpace": "5MB", "defaultMinFreeSpace": "0"}}}\n' \
    >"$work/config8/sbuild/config.json"
  fresh_store
  sizes() {
    local cache dangling
    cache=$("$sbuild_bin" --root "$store" du | awk '/^Total:/ {print $2}')
    dangling=$("$sbuild_bin" --root "$store" images -q --filter dangling=true | wc -l)
    printf 'store %s (blobs %s, snapshots %s, metadata %s); build cache %s; dangling images %s' "$(du -sh "$store" | cut -f1)" \
      "$(du -sh "$store/blobs" | cut -f1)" "$(du -sh "$store/snapshots" 2>/dev/null | cut -f1 || echo 0)" \
      "$(du -ch "$store"/metadata.db* 2>/dev/null | tail -1 | cut -f1)" "${cache:-0B}" "$dangling"; }
  growth=("after 0 builds: $(sizes)")
  log "8 ${growth[0]}"
  lt=()
  for n in $(seq "$loop_builds"); do
    lt+=("$(XDG_CONFIG_HOME=$work/config8 timed "$work/s8.log" "$sbuild_bin" --root "$store" build --progress plain -t "loop:latest" --build-arg "N=$n" "$c")")
    if [ $((n % loop_every)) = 0 ]; then growth+=("after $n builds: $(sizes)"); log "8 ${growth[-1]}"; fi
  done
  "$sbuild_bin" --root "$store" image prune -f >/dev/null
  growth+=("after sbuild image prune -f: $(sizes)")
  loop_median=$(med "${lt[@]}")
  loop_last=$(printf '%s\n' "${lt[@]: -loop_every}" | median)
fi

uptime_after=$(uptime)

# ---------- report ----------
echo
echo "sbuild $sbuild_version (runtime $runtime) vs $bk_version; $runs run(s) each, median wall seconds; nproc $(nproc)"
echo "load before: $uptime_before"
echo "load after:  $uptime_after"
echo
target() {
  case $1 in
    "1 cold"*) echo "<= 0.3" ;;
    "2 no-op"*) echo "<= 0.2, sbuild < 40 ms" ;;
    "3 one"*) echo "<= 0.3" ;;
    "4 20"*) echo "<= 0.4" ;;
    "5 two"*) echo "sbuild <= 1.15 s" ;;
    "6a"*|"6b"*) echo "<= 0.2" ;;
    "7a"*) echo "<= 0.5" ;;
    *) echo "-" ;;
  esac
}
met() {
  local k=$1 s=${S[$1]} b=${B[$1]} r
  r=$(echo "$s / $b" | bc -l)
  case $(target "$k") in
    "<= 0.2, sbuild < 40 ms") [ "$(echo "$r <= 0.2" | bc -l)$(echo "$s < 0.040" | bc -l)" = 11 ] && echo yes || echo no ;;
    "<= "*) t=$(target "$k"); t=${t#<= }; [ "$(echo "$r <= $t" | bc -l)" = 1 ] && echo yes || echo no ;;
    "sbuild <= 1.15 s") [ "$(echo "$s <= 1.15" | bc -l)" = 1 ] && echo yes || echo no ;;
    *) echo "-" ;;
  esac
}
printf '| %-26s | %9s | %11s | %7s | %-20s | %-4s |\n' scenario "sbuild s" "BuildKit s" ratio "target (ratio)" met
echo '|----------------------------|----------:|------------:|--------:|----------------------|------|'
for k in "${results[@]}"; do
  printf '| %-26s | %9.3f | %11.3f | %7.2f | %-20s | %-4s |\n' "$k" "${S[$k]}" "${B[$k]}" "$(echo "${S[$k]} / ${B[$k]}" | bc -l)" "$(target "$k")" "$(met "$k")"
done
echo "(ratio = sbuild time / BuildKit time; below 1 means sbuild is faster)"
[ -n "${S["2 no-op rebuild"]:-}" ] && printf 'sbuild no-op rebuild: %.0f ms\n' "$(echo "${S["2 no-op rebuild"]} * 1000" | bc -l)"
for k in "${!NOTE[@]}"; do echo "$k: ${NOTE[$k]}"; done | sort
echo "all runs (seconds):"
for k in "${results[@]}"; do echo "  $k: ${RAW[$k]}"; done
if want 8; then
  echo "8 $loop_builds builds with a new ARG each (sbuild only): median build $(printf '%.3f' "$loop_median") s, median of the last $loop_every $(printf '%.3f' "$loop_last") s"
  printf '  %s\n' "${growth[@]}"
fi
exit 0

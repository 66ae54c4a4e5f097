#!/usr/bin/env bash
# Builds the same Dockerfile with sbuild and with Docker BuildKit in one run and prints wall times and ratios:
# a cold build (empty caches) and a fully cached rebuild, each the median of N runs.
# Usage: bench/compare.sh [CONTEXT_DIR] [RUNS]   (default: examples/hello, 5). Needs scripts/setup to have run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
context=$(cd "${1:-$here/examples/hello}" && pwd)
runs=${2:-5}
sock=/run/sbuild-test-docker.sock
docker=(/usr/bin/docker -H "unix://$sock")
export DOCKER_BUILDKIT=1

if ! "${docker[@]}" version >/dev/null 2>&1; then
  /usr/sbin/dockerd --iptables=false --ip-forward=false --bridge=none --data-root /var/lib/sbuild-test-docker \
    --exec-root /run/sbuild-test-docker --pidfile /run/sbuild-test-docker.pid -H "unix://$sock" >/tmp/sbuild-bench-dockerd.log 2>&1 &
  for _ in $(seq 60); do "${docker[@]}" version >/dev/null 2>&1 && break; sleep 1; done
fi

store=$(mktemp -d /tmp/sbuild-bench-XXXXXX)
trap 'rm -rf "$store"' EXIT
export SBUILD_ROOT=$store
bash "$here/scripts/make-busybox-rootfs" "$store/busybox.tar"
sbuild image import "$store/busybox.tar" busybox:latest >/dev/null
# Give BuildKit the very same base image.
printf 'FROM busybox\n' > "$store/Dockerfile.base"
sbuild --progress quiet -t busybox:latest -f "$store/Dockerfile.base" -o "type=docker,dest=$store/base.tar" "$store" >/dev/null
"${docker[@]}" load -i "$store/base.tar" >/dev/null

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() { local s e; s=$(now); "$@" >/dev/null 2>&1; e=$(now); echo "$e - $s" | bc; }

cold_sbuild=(); warm_sbuild=(); cold_bk=(); warm_bk=()
for i in $(seq "$runs"); do
  rm -rf "$store/cache" "$store/snapshots"
  cold_sbuild+=("$(time_cmd sbuild --progress quiet -t bench:1 "$context")")
  warm_sbuild+=("$(time_cmd sbuild --progress quiet -t bench:1 "$context")")
  "${docker[@]}" builder prune -af >/dev/null 2>&1
  cold_bk+=("$(time_cmd "${docker[@]}" build --network=host -t bench:1 "$context")")
  warm_bk+=("$(time_cmd "${docker[@]}" build --network=host -t bench:1 "$context")")
done

cs=$(printf '%s\n' "${cold_sbuild[@]}" | median); ws=$(printf '%s\n' "${warm_sbuild[@]}" | median)
cb=$(printf '%s\n' "${cold_bk[@]}" | median); wb=$(printf '%s\n' "${warm_bk[@]}" | median)
printf 'context: %s, %s runs each (median wall seconds)\n' "$context" "$runs"
printf '%-14s %10s %10s %8s\n' case sbuild buildkit ratio
printf '%-14s %10.3f %10.3f %7.1fx\n' cold "$cs" "$cb" "$(echo "$cb / $cs" | bc -l)"
printf '%-14s %10.3f %10.3f %7.1fx\n' cached "$ws" "$wb" "$(echo "$wb / $ws" | bc -l)"
echo "(ratio = BuildKit time / sbuild time; above 1 means sbuild is faster)"

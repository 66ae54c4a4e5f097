#!/usr/bin/env bash
# Export speed and memory: compressing a ~300 MB mixed layer with sbuild (gzip through `image import`, zstd through
# an image output with force-compression) against gzip -6, pigz (if installed) and zstd -3, and the peak RSS of
# sbuild importing and exporting a 1 GB layer. Usage: bench/export.sh [SBUILD]  (default: sbuild on PATH)
set -euo pipefail
SBUILD=${1:-sbuild}
WORK=$(mktemp -d /var/tmp/sbuild-bench-export.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export SBUILD_ROOT="$WORK/store" SOURCE_DATE_EPOCH=0

# A layer tar of mixed content: half random bytes, half base64 text, in 10 MiB files.
make_layer() { # DIR MIB
    mkdir -p "$1/root"
    for i in $(seq 1 $(( $2 / 10 ))); do
        if (( i % 2 )); then head -c 10485760 /dev/urandom > "$1/root/f$i"
        else head -c 7864320 /dev/urandom | base64 > "$1/root/f$i"; fi
    done
    tar -C "$1/root" -cf "$1/layer.tar" . && rm -rf "$1/root"
}

seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f MB/s", b / s / 1e6 }'; }

make_layer "$WORK/m" 300
SIZE=$(stat -c %s "$WORK/m/layer.tar")
echo "layer: $SIZE bytes, nproc $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
t=$(seconds gzip -6 -c "$WORK/m/layer.tar");  echo "gzip -6:            ${t}s  $(rate "$SIZE" "$t")"
if command -v pigz >/dev/null; then t=$(seconds pigz -6 -c "$WORK/m/layer.tar"); echo "pigz -6:            ${t}s  $(rate "$SIZE" "$t")"; fi
t=$(seconds zstd -3 -c "$WORK/m/layer.tar");  echo "zstd -3:            ${t}s  $(rate "$SIZE" "$t")"
t=$(seconds zstd -3 -T0 -c "$WORK/m/layer.tar"); echo "zstd -3 -T0:        ${t}s  $(rate "$SIZE" "$t")"
# sbuild writes its blob to disk and fsyncs it: the same for zstd, into a file on the store's filesystem, then sync.
t=$(seconds bash -c "zstd -q -3 -T0 -c '$WORK/m/layer.tar' > '$WORK/m/layer.zst' && sync '$WORK/m/layer.zst'"); rm -f "$WORK/m/layer.zst"
echo "zstd -3 -T0 > file, sync: ${t}s  $(rate "$SIZE" "$t")"
# image import: parse the tar, hash it, gzip it (parallel 1 MiB blocks), hash and fsync the blob.
t=$(seconds "$SBUILD" image import "$WORK/m/layer.tar" bench:1); echo "sbuild import gzip: ${t}s  $(rate "$SIZE" "$t")"
# force-compression: the stored gzip layer is decompressed and compressed again with zstd -3.
mkdir -p "$WORK/ctx" && echo "FROM bench:1" > "$WORK/ctx/Dockerfile"
t=$(seconds gzip -dc "$(ls -S "$SBUILD_ROOT"/blobs/sha256/* | head -1)");   echo "gzip -dc (stored):  ${t}s"
t=$(seconds "$SBUILD" -q -o type=image,name=bench:zstd,compression=zstd,force-compression=true "$WORK/ctx"); echo "sbuild gzip→zstd:   ${t}s  $(rate "$SIZE" "$t")"
# zstd alone: the same layer stored uncompressed, then compressed with zstd -3 (read, sha256 of the tar, zstd on every
# core, sha256 of the blob, fsync): what `zstd -3` does plus sbuild's hashing and bookkeeping.
"$SBUILD" -q -o type=image,name=bench:raw,compression=uncompressed,force-compression=true "$WORK/ctx" >/dev/null
echo "FROM bench:raw" > "$WORK/ctx/Dockerfile"
t=$(seconds "$SBUILD" -q -o type=image,name=bench:rawzstd,compression=zstd,force-compression=true "$WORK/ctx"); echo "sbuild plain→zstd:  ${t}s  $(rate "$SIZE" "$t")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

make_layer "$WORK/g" 1000
SIZE=$(stat -c %s "$WORK/g/layer.tar")
echo "1 GB layer: $SIZE bytes"
/usr/bin/time -f "import  peak RSS %M KiB, %e s" "$SBUILD" image import "$WORK/g/layer.tar" big:1 >/dev/null
echo "FROM big:1" > "$WORK/ctx/Dockerfile"
/usr/bin/time -f "oci export peak RSS %M KiB, %e s" "$SBUILD" -q -t big:2 -o type=oci,dest="$WORK/big.tar" "$WORK/ctx" >/dev/null
/usr/bin/time -f "zstd export peak RSS %M KiB, %e s" "$SBUILD" -q -o type=oci,dest="$WORK/bigz.tar",compression=zstd,force-compression=true "$WORK/ctx" >/dev/null

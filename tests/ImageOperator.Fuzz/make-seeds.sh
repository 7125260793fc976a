#!/usr/bin/env bash
# Regenerates the small seed images of the fuzz targets with qemu-img (tests/stack/provision.sh installs it).
# Seeds are kept small (AFL works best under a few KiB); every format variant the readers handle is represented.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seeds="$here/Seeds"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 64 KiB of compressible text with a few random bytes: data clusters, compressible clusters, holes.
python3 - "$work/disk.raw" <<'PY'
import random, sys
random.seed(4)
data = bytearray(b"".join(b"sector %06d of the seed disk\n" % i for i in range(2400)))[:65536]
data[4096:8192] = bytes(4096)
data[20000:20100] = bytes(random.getrandbits(8) for _ in range(100))
data[32768:49152] = bytes(16384)
open(sys.argv[1], "wb").write(data)
PY

rm -rf "$seeds" && mkdir -p "$seeds"/{qcow2,vmdk,vdi,vhd,oci,any}
convert() { qemu-img convert -q -f raw -O "$1" "${@:3}" "$work/disk.raw" "$2"; }
convert qcow2 "$seeds/qcow2/v3-512.qcow2" -o cluster_size=512
convert qcow2 "$seeds/qcow2/v2-512.qcow2" -o compat=0.10,cluster_size=512
convert qcow2 "$seeds/qcow2/zlib-512.qcow2" -c -o cluster_size=512
convert qcow2 "$seeds/qcow2/zstd-1k.qcow2" -c -o cluster_size=1024,compression_type=zstd
qemu-io -f qcow2 -c "write -z 1k 1k" "$seeds/qcow2/v3-512.qcow2" >/dev/null
convert vmdk "$seeds/vmdk/stream.vmdk" -o subformat=streamOptimized
convert vpc "$seeds/vhd/fixed.vhd" -o subformat=fixed
qemu-img create -q -f vpc -o subformat=dynamic "$seeds/vhd/dynamic-empty.vhd" 64K
# Allocated VDI blocks are 1 MiB, beyond AFL's 1 MB input limit: the VDI seed maps no block.
qemu-img create -q -f vdi "$seeds/vdi/dynamic-empty.vdi" 64K
qemu-img create -q -f vmdk "$seeds/vmdk/sparse-empty.vmdk" 64K
( cd "$work" && cp "$seeds/qcow2/zlib-512.qcow2" disk.qcow2 \
  && printf '{"displayName":"seed","operatingSystem":"Oracle Linux","exportedBy":"imageoperator.io"}' > metadata.json \
  && tar --format=ustar -cf "$seeds/oci/seed.oci" metadata.json disk.qcow2 )
cp "$seeds/qcow2/zlib-512.qcow2" "$seeds/vhd/fixed.vhd" "$seeds/oci/seed.oci" "$seeds/any/"
ls -l "$seeds"/*

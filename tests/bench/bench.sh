#!/usr/bin/env bash
# Conversion benchmark: our `image-operator convert` (Release build) against `qemu-img convert` on the same
# source and pairs, runs interleaved (ours, qemu, ours, qemu, ...), with a plain `cp` of the source's data as the
# physical limit. Prints per pair the median wall time of each, the median of the per-run ratios ours/qemu,
# CPU seconds (user+sys) and our peak RSS; then our peak RSS converting a 16 GiB virtual disk.
#
# Environment: BENCH_DIR (work folder, default /tmp/image-operator-bench), VIRTUAL_GIB (8), DATA_MIB (1536),
# RUNS (3), PAIRS (space-separated pair names to run; default all).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${BENCH_DIR:-/tmp/image-operator-bench}
virtual_gib=${VIRTUAL_GIB:-8}
data_mib=${DATA_MIB:-1536}
runs=${RUNS:-3}
mkdir -p "$dir"

# Provisioning brings qemu-img; the benchmark also needs GNU time, and clang, which links the Native AOT build
# (a short-lived tool compared with a C program should not pay ~0.15 s of runtime start-up per run).
extra=""
[ -x /usr/bin/time ] || extra+=" time"
command -v clang >/dev/null || extra+=" clang"
if ! command -v qemu-img >/dev/null || [ -n "$extra" ]; then
  EXTRA_PACKAGES=$extra bash "$root/tests/stack/provision.sh" >/dev/null
fi
echo "building the CLI (Release, Native AOT)..." >&2
dotnet publish "$root/operator/ImageOperator.Cli" -nologo -c Release --use-current-runtime -p:PublishAot=true -p:PublishReadyToRun=false \
  -o "$dir/cli" --artifacts-path "$dir/artifacts" >/dev/null
ours="$dir/cli/image-operator"

source_for() { # VIRTUAL_GIB DATA_MIB -> prefix of src.raw/src.qcow2/src.vmdk
  local prefix="$dir/src-${1}g-${2}m"
  if [ ! -f "$prefix.vmdk" ]; then
    echo "making a ${1} GiB source with ${2} MiB of data..." >&2
    python3 "$here/make-source.py" "$prefix.raw" "$1" "$2"
    qemu-img convert -f raw -O qcow2 "$prefix.raw" "$prefix.qcow2"
    qemu-img convert -f raw -O vmdk "$prefix.raw" "$prefix.vmdk"
  fi
  echo "$prefix"
}
src=$(source_for "$virtual_gib" "$data_mib")

# name | our arguments | qemu-img arguments | output extension
pairs=(
  "qcow2-vmdk|-f qcow2 -O vmdk|-f qcow2 -O vmdk -o subformat=streamOptimized|vmdk"
  "qcow2-vhd|-f qcow2 -O vhd|-f qcow2 -O vpc|vhd"
  "qcow2-vdi|-f qcow2 -O vdi|-f qcow2 -O vdi|vdi"
  "vmdk-qcow2|-f vmdk -O qcow2|-f vmdk -O qcow2|qcow2"
  "raw-qcow2|-f raw -O qcow2|-f raw -O qcow2|qcow2"
  "qcow2-raw|-f qcow2 -O raw|-f qcow2 -O raw|raw"
  "qcow2-oci|-f qcow2 -O oci|-f qcow2 -O qcow2|oci"
  "qcow2-qcow2c|-f qcow2 -O qcow2 -c|-f qcow2 -O qcow2 -c|qcow2"
)

measure() { # OUTPUT_FILE COMMAND... -> "wall cpu rss_kib"
  local out=$1; shift
  rm -f "$out"
  # Write back the previous run's dirty pages first, so no run pays for the one before it.
  sync
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" \
    || { echo "bench: '$*' failed: $(tail -1 "$dir/stderr.txt")" >&2; exit 1; }
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$dir/time.txt"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cp_times=()
for _ in $(seq "$runs"); do
  read -r wall _ _ < <(measure "$dir/copy" cp "$src.qcow2" "$dir/copy")
  cp_times+=("$wall")
done
rm -f "$dir/copy"
cp_median=$(printf '%s\n' "${cp_times[@]}" | median)

printf '\nsource: %s GiB virtual, %s MiB data (%s MiB as qcow2); %s interleaved runs; cp of the qcow2: %ss\n' \
  "$virtual_gib" "$data_mib" "$(( $(stat -c %s "$src.qcow2") >> 20 ))" "$runs" "$cp_median"
printf '%-13s %9s %9s %7s %9s %9s %9s %10s %10s\n' pair ours_s qemu_s ratio ours_cpu qemu_cpu ours_MiB ours_out qemu_out
for pair in "${pairs[@]}"; do
  IFS='|' read -r name our_args qemu_args ext <<<"$pair"
  if [ -n "${PAIRS:-}" ] && [[ " $PAIRS " != *" $name "* ]]; then continue; fi
  input="$src.${name%%-*}"
  ours_w=() qemu_w=() ratios=() ours_c=() qemu_c=() rss=0
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086 # the argument strings are word lists
    read -r ow oc orss < <(measure "$dir/ours.$ext" "$ours" convert $our_args "$input" "$dir/ours.$ext")
    # shellcheck disable=SC2086
    read -r qw qc _ < <(measure "$dir/qemu.$ext" qemu-img convert $qemu_args "$input" "$dir/qemu.$ext")
    ours_w+=("$ow") qemu_w+=("$qw") ours_c+=("$oc") qemu_c+=("$qc")
    ratios+=("$(awk -v a="$ow" -v b="$qw" 'BEGIN { printf "%.3f", a / b }')")
    (( orss > rss )) && rss=$orss
  done
  printf '%-13s %9s %9s %7s %9s %9s %9s %10s %10s\n' "$name" \
    "$(printf '%s\n' "${ours_w[@]}" | median)" "$(printf '%s\n' "${qemu_w[@]}" | median)" \
    "$(printf '%s\n' "${ratios[@]}" | median)" \
    "$(printf '%s\n' "${ours_c[@]}" | median)" "$(printf '%s\n' "${qemu_c[@]}" | median)" \
    "$(( rss >> 10 ))" "$(( $(stat -c %s "$dir/ours.$ext") >> 20 ))M" "$(( $(stat -c %s "$dir/qemu.$ext") >> 20 ))M"
  rm -f "$dir/ours.$ext" "$dir/qemu.$ext"
done

big=$(source_for 16 "$data_mib")
printf '\npeak RSS of ours on a 16 GiB virtual disk (%s MiB data):\n' "$data_mib"
for args in "-O qcow2" "-O qcow2 -c" "-O vmdk" "-O vhd" "-O oci -c"; do
  # shellcheck disable=SC2086
  read -r wall _ rss < <(measure "$dir/big.out" "$ours" convert -f qcow2 $args "$big.qcow2" "$dir/big.out")
  printf '  convert %-12s %6ss %5s MiB\n' "$args" "$wall" "$(( rss >> 10 ))"
done
rm -f "$dir/big.out"

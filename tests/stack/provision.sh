#!/usr/bin/env bash
# Installs every real component the tests and the local stack need, on a fresh Debian 12 machine with only
# the .NET SDK: qemu-img (the oracle), etcd, Ceph RGW (S3) and a kube-apiserver built from Debian's
# kubernetes source package. Idempotent and cached: a second run on the same machine takes seconds.
# Prints nothing on stdout but the path of the kube-apiserver binary's folder (for KUBEBUILDER_ASSETS-like use).
set -euo pipefail
log() { echo "[provision $(date +%T)] $*" >&2; }
CACHE=${IMAGE_OPERATOR_CACHE:-$HOME/.cache/image-operator}
K8S_VERSION=1.20.2
BIN="$CACHE/kubernetes-$K8S_VERSION/bin"
mkdir -p "$CACHE"

# Honour official envtest binaries when a developer has them.
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  NEED_APISERVER=0
else
  NEED_APISERVER=1
fi

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
PKGS=(qemu-utils etcd-server ceph-mon ceph-osd radosgw ceph-common curl jq rsync python3 e2fsprogs fdisk shellcheck)
[ "$NEED_APISERVER" = 1 ] && PKGS+=(golang-go dpkg-dev golang-github-modern-go-reflect2-dev)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$NEED_APISERVER" = 1 ] && [ ! -f /etc/apt/sources.list.d/image-operator-src.sources ]; then
    # deb-src entries mirroring the machine's deb entries, so that `apt-get source kubernetes` works.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee /etc/apt/sources.list.d/image-operator-src.sources >/dev/null
    else
      grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/image-operator-src.list >/dev/null
    fi
  fi
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ "$NEED_APISERVER" = 1 ]; then
  if [ ! -x "$BIN/kube-apiserver" ]; then
    SRC="$CACHE/src"
    mkdir -p "$SRC"
    tree=$(find "$SRC" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    if [ -z "$tree" ]; then
      log "fetching Debian's kubernetes source package"
      (cd "$SRC" && apt-get source -qq kubernetes >&2)
      tree=$(find "$SRC" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    fi
    # Debian's vendored reflect2 crashes the server on the first custom object written (Go 1.19 map layout).
    rsync -a --delete /usr/share/gocode/src/github.com/modern-go/reflect2/ "$tree/vendor/github.com/modern-go/reflect2/"
    log "building kube-apiserver (several minutes on a cold cache)"
    (cd "$tree" && CGO_ENABLED=0 make WHAT=cmd/kube-apiserver >&2)
    mkdir -p "$BIN"
    cp "$tree/_output/bin/kube-apiserver" "$BIN/kube-apiserver.tmp" && mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
    # The Go build cache (~2 GB) is only worth keeping while the same tree is rebuilt; the binary is cached.
    rm -rf "$tree/_output/local"
  fi
  ln -sf "$(command -v etcd)" "$BIN/etcd"
  ln -sf "$(command -v kubectl)" "$BIN/kubectl" 2>/dev/null || true
  echo "$BIN"
else
  echo "$KUBEBUILDER_ASSETS"
fi

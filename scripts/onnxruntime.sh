#!/usr/bin/env bash
# The ONNX Runtime shared library spine loads (spine.onnxruntime_path), taken from the PyPI wheel
# onnxruntime==1.31.1 (capi/libonnxruntime.so.1.31.1), into /usr/local/lib/spine/onnxruntime/
# (world-readable: the postgres user loads it). Idempotent: nothing is fetched when it is there.
# SPINE_ORT_DIR overrides the directory (then set spine.onnxruntime_path to match).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pypi_fetch.sh
ORT_VERSION=1.31.1
ORT_DIR=${SPINE_ORT_DIR:-/usr/local/lib/spine/onnxruntime}
LIB="$ORT_DIR/libonnxruntime.so.$ORT_VERSION"
[ -s "$LIB" ] && exit 0

case "$(uname -m)" in
  x86_64) PLAT=manylinux_2_28_x86_64; SHA=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f ;;
  aarch64) PLAT=manylinux_2_28_aarch64; SHA= ;;
  *) echo "setup: no onnxruntime wheel for $(uname -m)" >&2; exit 1 ;;
esac
if ! mkdir -p "$ORT_DIR" 2>/dev/null || [ ! -w "$ORT_DIR" ]; then
  echo "setup: cannot write $ORT_DIR; run 'make setup' as root (or set SPINE_ORT_DIR)." >&2
  exit 1
fi
echo "setup: fetching ONNX Runtime $ORT_VERSION (PyPI wheel onnxruntime==$ORT_VERSION) into $ORT_DIR"
DL=target/downloads
# the shared library does not depend on the Python version: any CPython wheel of this release has the same one
whl=$(fetch_wheel "onnxruntime==$ORT_VERSION" "$SHA" "$DL" --platform "$PLAT" --python-version 3.11 --implementation cp)
extract_member "$whl" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$LIB"
extract_member "$whl" "onnxruntime/capi/libonnxruntime_providers_shared.so" "$ORT_DIR/libonnxruntime_providers_shared.so"
chmod 0755 "$ORT_DIR" "$(dirname "$ORT_DIR")"
echo "setup: ONNX Runtime at $LIB"

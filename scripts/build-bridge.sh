#!/usr/bin/env bash
# Builds the bridge library from bridge-dll/ twice (`npm run build:bridge`):
#   build/bridge/linux/libcopybridge.so     Linux, against Debian's shared libzmq (for the tests)
#   build/bridge/windows/copybridge.dll     Windows x64, mingw-w64, static libzmq, no runtime DLLs
#   build/bridge/windows/cb_wintest.exe     Windows test program (driven under wine by the tests)
#   build/bridge/build-info.json            paths the tests read (libzmq prefix, wine prefix)
# CMake stamps the "version" of package.json into both builds and into the EA's
# include/CopyBridge/Version.mqh (committed; rewritten when the version changes).
#
# The static libzmq comes from scripts/ci/bridge-setup.sh (built once, cached).
# Environment: CB_SKIP_WINDOWS=1 builds only the Linux library; CB_LIBZMQ_MINGW=<prefix> uses
# a static libzmq built elsewhere; CB_NO_APT=1 never installs packages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/bridge"
JOBS="$(nproc 2>/dev/null || echo 2)"
log() { echo "build-bridge: $*" >&2; }
mkdir -p "$OUT"

WINEPREFIX_DIR=""
if [[ "${CB_SKIP_WINDOWS:-0}" != 1 && -z "${CB_LIBZMQ_MINGW:-}" ]]; then
  setup_args=()
  [[ "${CB_NO_APT:-0}" == 1 ]] && setup_args+=(--no-apt)
  setup_out="$(bash "$ROOT/scripts/ci/bridge-setup.sh" "${setup_args[@]}")"
  CB_LIBZMQ_MINGW="$(sed -n 's/^CB_LIBZMQ_MINGW=//p' <<<"$setup_out")"
  WINEPREFIX_DIR="$(sed -n 's/^CB_WINEPREFIX=//p' <<<"$setup_out")"
fi

# ---- Linux ------------------------------------------------------------------------------------
log "Linux shared library"
cmake -S "$ROOT/bridge-dll" -B "$OUT/cmake-linux" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$OUT/cmake-linux" -j "$JOBS" -- --no-print-directory >/dev/null
mkdir -p "$OUT/linux"
cp -f "$OUT/cmake-linux/libcopybridge.so" "$OUT/linux/libcopybridge.so"

# ---- Windows x64 ------------------------------------------------------------------------------
if [[ "${CB_SKIP_WINDOWS:-0}" != 1 ]]; then
  log "Windows x64 DLL (mingw-w64, static libzmq from $CB_LIBZMQ_MINGW)"
  cmake -S "$ROOT/bridge-dll" -B "$OUT/cmake-mingw" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/bridge-dll/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_PREFIX_PATH="$CB_LIBZMQ_MINGW" -DZeroMQ_DIR="$CB_LIBZMQ_MINGW/CMake" >/dev/null
  cmake --build "$OUT/cmake-mingw" -j "$JOBS" -- --no-print-directory >/dev/null
  mkdir -p "$OUT/windows"
  cp -f "$OUT/cmake-mingw/copybridge.dll" "$OUT/cmake-mingw/cb_wintest.exe" "$OUT/windows/"
  x86_64-w64-mingw32-strip --strip-unneeded "$OUT/windows/copybridge.dll" "$OUT/windows/cb_wintest.exe"
fi

cat >"$OUT/build-info.json" <<EOF
{
  "linux": "build/bridge/linux/libcopybridge.so",
  "windows": $([[ "${CB_SKIP_WINDOWS:-0}" != 1 ]] && echo '"build/bridge/windows/copybridge.dll"' || echo null),
  "libzmqMingw": "${CB_LIBZMQ_MINGW:-}",
  "winePrefix": "${WINEPREFIX_DIR}"
}
EOF
log "done: $(cd "$ROOT" && ls build/bridge/linux/* build/bridge/windows/* 2>/dev/null | tr '\n' ' ')"

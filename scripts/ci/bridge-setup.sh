#!/usr/bin/env bash
# Prepares a Debian machine to build and test the bridge (bridge-dll/). Idempotent; a second run
# with everything in place takes well under a second.
#
#   1. installs the Debian packages the bridge build and tests need (only those missing; runs
#      apt-get update once, and only when something must be installed or fetched);
#   2. builds libzmq 4.3.x as a static library for Windows x64 (mingw-w64, posix threads, CURVE
#      with the built-in tweetnacl, no libsodium, IPC off) from Debian's zeromq3 source package,
#      fetched with apt-get source after enabling deb-src, and caches the result keyed by the
#      source version and the build recipe;
#   3. prepares a headless wine prefix for the wine test.
#
# Cache: $CB_CACHE_DIR, else /var/cache/copybridge when writable, else ~/.cache/copybridge.
# Prints two lines on stdout: "CB_LIBZMQ_MINGW=<static libzmq prefix>" and "CB_WINEPREFIX=<dir>".
#
# Options: --no-apt (never install packages), --no-wine (skip the wine prefix).
set -euo pipefail

NO_APT=0
NO_WINE=0
for arg in "$@"; do
  case "$arg" in
    --no-apt) NO_APT=1 ;;
    --no-wine) NO_WINE=1 ;;
    *) echo "bridge-setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLCHAIN="$ROOT/bridge-dll/cmake/mingw-w64-x86_64.cmake"
log() { echo "bridge-setup: $*" >&2; }

# ---- cache folder ---------------------------------------------------------------------------
if [[ -n "${CB_CACHE_DIR:-}" ]]; then
  CACHE="$CB_CACHE_DIR"
elif mkdir -p /var/cache/copybridge 2>/dev/null && [[ -w /var/cache/copybridge ]]; then
  CACHE=/var/cache/copybridge
else
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/copybridge"
fi
mkdir -p "$CACHE"

# ---- Debian packages ------------------------------------------------------------------------
PACKAGES=(cmake make gcc pkg-config dpkg-dev libzmq3-dev
          gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64
          wine64
          zip unzip)  # the Windows bundle (npm run package) and its test
APT_UPDATED=0
SUDO=""
if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null; then SUDO="sudo -n"; fi

apt_update_once() {
  if [[ "$APT_UPDATED" == 0 ]]; then
    log "apt-get update"
    $SUDO apt-get update -q >/dev/null
    APT_UPDATED=1
  fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ "$NO_APT" == 1 ]] || ! command -v apt-get >/dev/null; then
    log "missing packages: ${missing[*]} (install them, or run without --no-apt as root)"
    exit 1
  fi
  apt_update_once
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- static libzmq for mingw ----------------------------------------------------------------
# The source version is the one of the installed libzmq3-dev (both come from zeromq3).
ZMQ_SRC_VERSION="$(dpkg-query -W -f='${source:Version}' libzmq3-dev)"
# Every flag of the recipe is part of the cache key: change one and the library is rebuilt.
ZMQ_CMAKE_FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED=OFF -DBUILD_STATIC=ON -DBUILD_TESTS=OFF
  -DWITH_DOCS=OFF -DWITH_DOC=OFF -DENABLE_CPACK=OFF -DENABLE_PRECOMPILED=OFF
  -DENABLE_DRAFTS=OFF -DENABLE_WS=OFF -DWITH_LIBBSD=OFF -DWITH_LIBSODIUM=OFF -DENABLE_CURVE=ON
  -DZMQ_HAVE_IPC=OFF -DZMQ_WIN32_WINNT=0x0600 -DPOLLER=select -DZMQ_CV_IMPL=win32api
  "-DCMAKE_C_FLAGS=-DFD_SETSIZE=1024" "-DCMAKE_CXX_FLAGS=-DFD_SETSIZE=1024"
)
# FD_SETSIZE: the select() poller of a Windows I/O thread holds at most FD_SETSIZE sockets
# (64 by default, silently ignoring the rest); 1024 covers CB_MAX_HANDLES (256) x 2 connections.
RECIPE_HASH="$( { echo recipe-1; printf '%s\n' "${ZMQ_CMAKE_FLAGS[@]}"; cat "$TOOLCHAIN";
                  x86_64-w64-mingw32-g++-posix --version | head -1; } | sha256sum | cut -c1-12)"
ZMQ_PREFIX="$CACHE/libzmq-mingw64-static-${ZMQ_SRC_VERSION}-${RECIPE_HASH}"

build_libzmq() {
  local work src
  work="$(mktemp -d "$CACHE/.build-libzmq.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  src="$CACHE/src/zeromq3-$ZMQ_SRC_VERSION"
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    ensure_deb_src
    mkdir -p "$CACHE/src/dl"
    log "fetching the zeromq3 $ZMQ_SRC_VERSION source package"
    (cd "$CACHE/src/dl" && apt-get source -q --download-only "zeromq3=$ZMQ_SRC_VERSION" >/dev/null 2>&1) || {
      log "apt-get source zeromq3=$ZMQ_SRC_VERSION failed"; exit 1; }
    rm -rf "$src.tmp"
    dpkg-source --no-check -x "$CACHE/src/dl/zeromq3_${ZMQ_SRC_VERSION#*:}.dsc" "$src.tmp" >/dev/null
    mv "$src.tmp" "$src"
  fi
  log "building static libzmq for Windows x64 (about 1.5 minutes on 2 cores)"
  cmake -S "$src" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_INSTALL_PREFIX="$work/prefix" "${ZMQ_CMAKE_FLAGS[@]}" >"$work/configure.log" 2>&1 || {
      tail -40 "$work/configure.log" >&2; exit 1; }
  grep -q "Using tweetnacl for CURVE security" "$work/configure.log" || {
    log "libzmq configure did not enable CURVE with tweetnacl"; exit 1; }
  cmake --build "$work/build" -j "$(nproc 2>/dev/null || echo 2)" >"$work/build.log" 2>&1 || {
    tail -40 "$work/build.log" >&2; exit 1; }
  cmake --install "$work/build" >/dev/null
  cp "$work/configure.log" "$work/prefix/configure.log"
  echo "$ZMQ_SRC_VERSION" >"$work/prefix/VERSION"
  rm -rf "$ZMQ_PREFIX"
  mv "$work/prefix" "$ZMQ_PREFIX"
}

ensure_deb_src() {
  if ! apt-get source --simulate zeromq3 >/dev/null 2>&1 && [[ "$NO_APT" == 0 ]]; then
    local f=/etc/apt/sources.list.d/copybridge-deb-src.sources
    log "enabling deb-src in $f"
    $SUDO tee "$f" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    APT_UPDATED=0
    apt_update_once
  fi
}

if [[ ! -f "$ZMQ_PREFIX/lib/libzmq.a" ]]; then
  # One build at a time (two CI jobs on one machine share the cache).
  exec 9>"$CACHE/.lock"
  flock 9
  [[ -f "$ZMQ_PREFIX/lib/libzmq.a" ]] || build_libzmq
  flock -u 9
else
  log "static libzmq cached: $ZMQ_PREFIX"
fi

# ---- wine prefix ----------------------------------------------------------------------------
WINEPREFIX="${CB_WINEPREFIX:-$CACHE/wineprefix}"
if [[ "$NO_WINE" == 0 ]]; then
  if [[ ! -f "$WINEPREFIX/system.reg" ]]; then
    log "creating the wine prefix $WINEPREFIX"
    WINE="$(command -v wine64 || echo /usr/lib/wine/wine64)"
    WINESERVER="$(command -v wineserver || echo /usr/lib/wine/wineserver)"
    env -u DISPLAY WINEPREFIX="$WINEPREFIX" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
      timeout 120 "$WINE" wineboot -i >/dev/null 2>&1 || log "wineboot returned $? (the wine test will retry)"
    WINEPREFIX="$WINEPREFIX" timeout 20 "$WINESERVER" -k 2>/dev/null || true
  fi
fi

echo "CB_LIBZMQ_MINGW=$ZMQ_PREFIX"
echo "CB_WINEPREFIX=$WINEPREFIX"

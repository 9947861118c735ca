#!/usr/bin/env bash
# Installs the MongoDB-protocol server the ledger tests run against (issue 5). Idempotent: a second
# run with a warm cache takes well under a second. Called by .ci/run before `npm test`; the test
# helper (test/helpers/mongo-server.ts) also calls it when the cache is missing.
#
# Order of preference, same as the helper:
#   1. MONGO_URL set          -> tests use that server; nothing to install.
#   2. `mongod` on PATH       -> tests start it on a free loopback port; nothing to install.
#   3. otherwise              -> mongo-java-server (Maven Central, pinned below) with its H2 file
#                                backend, started by a tiny launcher class compiled here.
# Why not FerretDB 1.x: the Go module proxy answers 403 "not available" for every version of
# github.com/FerretDB/FerretDB (v1), and FerretDB v2 needs PostgreSQL with the DocumentDB
# extension, which no reachable registry ships. MongoDB's own server is not in any of them either.
#
# Prints the launch command line (as KEY=VALUE lines) on success. Exit codes: 0 ok, 1 failure.
set -euo pipefail

MJS_VERSION=1.47.0   # keep in step with scripts/ci/mongo-test-server/pom.xml
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/mongo-test-server"
CACHE_ROOT="${COPYBRIDGE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/copybridge}"
DEST="$CACHE_ROOT/mongo-java-server-$MJS_VERSION"

log() { echo "mongo-setup: $*" >&2; }

if [[ -n "${MONGO_URL:-}" ]]; then
  log "MONGO_URL is set; the tests use that server"
  echo "MONGO_TEST_SERVER=external"
  exit 0
fi
if command -v mongod >/dev/null 2>&1; then
  log "using $(command -v mongod)"
  echo "MONGO_TEST_SERVER=mongod"
  exit 0
fi

# The stamp ties the cache to the pinned version and the launcher's source, so editing either
# rebuilds and an interrupted install never counts as done.
STAMP_WANT="$MJS_VERSION $(sha256sum "$SRC/CopyBridgeTestMongo.java" "$SRC/pom.xml" | sha256sum | cut -c1-16)"
if [[ -f "$DEST/stamp" && "$(cat "$DEST/stamp")" == "$STAMP_WANT" ]] && command -v java >/dev/null 2>&1; then
  echo "MONGO_TEST_SERVER=mongo-java-server"
  echo "MONGO_JAVA_CP=$DEST/classes:$DEST/lib/*"
  exit 0
fi

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing ${need_apt[*]}; install them (Java 17 + Maven) or set MONGO_URL"
    exit 1
  fi
  log "installing ${need_apt[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

log "installing mongo-java-server $MJS_VERSION into $DEST"
TMP="$(mktemp -d "$CACHE_ROOT.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE_ROOT" && mktemp -d "$CACHE_ROOT.tmp.XXXXXX"; })"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/lib" "$TMP/classes"
# Maven keeps its own cache in ~/.m2, so a rebuild after a launcher edit downloads nothing.
mvn -q -B -f "$SRC/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$TMP/lib" -DincludeScope=runtime >"$TMP/mvn.log" 2>&1 || {
  cat "$TMP/mvn.log" >&2
  log "maven could not fetch de.bwaldvogel:mongo-java-server-h2-backend:$MJS_VERSION"
  exit 1
}
javac -nowarn -d "$TMP/classes" -cp "$TMP/lib/*" "$SRC/CopyBridgeTestMongo.java"
echo "$STAMP_WANT" >"$TMP/stamp"
rm -f "$TMP/mvn.log"
mkdir -p "$CACHE_ROOT"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
log "ready ($(ls "$DEST/lib" | wc -l) jars)"
echo "MONGO_TEST_SERVER=mongo-java-server"
echo "MONGO_JAVA_CP=$DEST/classes:$DEST/lib/*"

#!/usr/bin/env bash
# Runs before `npm test`: makes sure what the tests load exists (Debian packages, the static
# Windows libzmq, the MongoDB-protocol test server, the bridge library). Every step is idempotent
# and takes about a second when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${COPYBRIDGE_SKIP_PRETEST:-}" == 1 ]]; then exit 0; fi
bash scripts/ci/bridge-setup.sh >/dev/null
bash scripts/ci/mongo-setup.sh >/dev/null
npm run -s build:bridge >/dev/null

#!/usr/bin/env bash
# Boots the built app with no configuration but a fresh DATA_DIR (embedded PGlite), registers,
# chats over REST, restarts, and checks the data survived.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
port=${SMOKE_PORT:-18181}
base="http://127.0.0.1:$port"
log=$(mktemp)
pid=
# The server is waited for before its data goes: on SIGTERM it closes PGlite, which writes
# into DATA_DIR while it shuts down (an `rm -rf` racing it failed with "Directory not empty").
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

boot() {
  PORT=$port DATA_DIR="$data" node scripts/start.mjs >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    if curl -sf "$base/readyz" >/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "server did not become ready"; cat "$log"; exit 1
}
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(eval('(o)=>o.'+process.argv[1])(JSON.parse(s))))" "$1"; }

boot
a=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"smoke_a","email":"a@smoke.test","password":"password-a","display_name":"A"}')
b=$(curl -sf -XPOST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"smoke_b","email":"b@smoke.test","password":"password-b","display_name":"B"}')
ta=$(echo "$a" | json token); bid=$(echo "$b" | json user.id)
conv=$(curl -sf -XPOST "$base/api/conversations" -H "authorization: Bearer $ta" -H 'content-type: application/json' \
  -d "{\"type\":\"one_to_one\",\"member_ids\":[\"$bid\"]}" | json id)
curl -sf -XPOST "$base/api/conversations/$conv/messages" -H "authorization: Bearer $ta" -H 'content-type: application/json' \
  -d '{"content":"hello from smoke","message_type":"text","client_id":"smoke-1"}' >/dev/null
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

boot
tb=$(curl -sf -XPOST "$base/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"smoke_b","password":"password-b"}' | json token)
got=$(curl -sf "$base/api/conversations/$conv/messages" -H "authorization: Bearer $tb" | json 'messages[0].content')
[ "$got" = "hello from smoke" ] || { echo "expected the message after restart, got: $got"; cat "$log"; exit 1; }
echo "smoke ok: boot, register, chat, restart, data kept"

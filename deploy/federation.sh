#!/usr/bin/env bash
# A federation of N counties on this machine, each node a separate `bashu node` process:
# for trying the product and for tests.
#
#   deploy/federation.sh up   [--dir D] [--counties N] [--base-port P] [--http-base-port Q]
#   deploy/federation.sh status [--dir D]
#   deploy/federation.sh down [--dir D]
#
# `up` founds an alliance with `bashu alliance init` (keys, genesis signed by every founder,
# one node.toml per county, and whatever else init writes, such as TLS identities), starts
# one node per county, and waits until every node answers /readyz. `down` stops them with
# SIGTERM and waits until each has exited (a node finishes in-flight calls first).
#
# Environment: BASHU_BIN (default: `bashu` on PATH, else target/release/bashu or
# target/debug/bashu of this checkout). Exit status: 0 ok, 1 failure (see D/logs/).
set -euo pipefail

COUNTIES=("500153=荣昌区" "510521=泸县" "511083=隆昌市" "500118=永川区" "500111=大足区")

cmd="${1:-}"
[ $# -gt 0 ] && shift
dir="federation"
n=3
base_port=7150
http_base_port=7250
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --counties) n="$2"; shift 2 ;;
    --base-port) base_port="$2"; shift 2 ;;
    --http-base-port) http_base_port="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "federation.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${BASHU_BIN:-}" ]; then
  bin="$BASHU_BIN"
elif command -v bashu >/dev/null 2>&1; then
  bin="$(command -v bashu)"
elif [ -x "$here/target/release/bashu" ]; then
  bin="$here/target/release/bashu"
else
  bin="$here/target/debug/bashu"
fi

say() { echo "federation: $*" >&2; }
die() { say "$*"; exit 1; }

# GET http://127.0.0.1:PORT/PATH; prints the status code (000 when unreachable).
http_status() {
  local port="$1" path="$2"
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port$path" || true
  else
    # bash's /dev/tcp: no curl needed.
    local line
    line="$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
      printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 &&
      timeout 2 head -n1 <&3) 2>/dev/null || true)"
    echo "$line" | awk '{print ($2 == "" ? "000" : $2)}'
  fi
}

counties_in() {
  # The county directories an earlier `up` created, in order.
  [ -f "$dir/counties" ] || die "no federation in $dir (run: $0 up --dir $dir)"
  cat "$dir/counties"
}

http_port_of() {
  # The [http] listen port of a county's node.toml.
  awk -F'[:"]' '/^\[http\]/{h=1} h && /^listen/{print $(NF-1); exit}' "$dir/$1/node.toml"
}

up() {
  [ "$n" -ge 1 ] && [ "$n" -le "${#COUNTIES[@]}" ] || die "--counties must be 1..${#COUNTIES[@]}"
  [ -x "$bin" ] || die "no bashu binary at $bin (build it, or set BASHU_BIN)"
  [ -e "$dir/genesis.bin" ] && die "$dir already holds an alliance; use another --dir or remove it"
  local args=()
  for c in "${COUNTIES[@]:0:$n}"; do args+=(--county "$c"); done
  say "founding an alliance of $n counties in $dir"
  "$bin" alliance init --dir "$dir" "${args[@]}" --base-port "$base_port" \
    --http-base-port "$http_base_port" --sync-interval 0 >"$dir.init.log" 2>&1 ||
    { cat "$dir.init.log" >&2; die "alliance init failed"; }
  mv "$dir.init.log" "$dir/init.log"
  mkdir -p "$dir/logs" "$dir/pids"
  : >"$dir/counties"
  for c in "${COUNTIES[@]:0:$n}"; do
    local code="${c%%=*}"
    echo "$code" >>"$dir/counties"
    "$bin" node --config "$dir/$code/node.toml" </dev/null >"$dir/logs/$code.log" 2>&1 &
    echo $! >"$dir/pids/$code.pid"
    say "started $code (pid $!)"
  done
  # Ready: the store is open and the node confirmed its own log with a peer.
  local deadline=$((SECONDS + 60))
  for code in $(counties_in); do
    local port; port="$(http_port_of "$code")"
    until [ "$(http_status "$port" /readyz)" = "200" ]; do
      kill -0 "$(cat "$dir/pids/$code.pid")" 2>/dev/null ||
        { tail -n 20 "$dir/logs/$code.log" >&2; die "node $code exited"; }
      [ $SECONDS -lt $deadline ] || die "node $code not ready after 60 s (see $dir/logs/$code.log)"
      sleep 0.2
    done
    say "$code ready: config $dir/$code/node.toml, console http://127.0.0.1:$port/console?token=<$dir/$code/secretariat.token>"
  done
}

status() {
  for code in $(counties_in); do
    local pid port state
    pid="$(cat "$dir/pids/$code.pid" 2>/dev/null || echo)"
    port="$(http_port_of "$code")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then state="running (pid $pid)"; else state="stopped"; fi
    echo "$code $state, /readyz $(http_status "$port" /readyz)"
  done
}

down() {
  local failed=0
  for code in $(counties_in); do
    local f="$dir/pids/$code.pid"
    [ -f "$f" ] || continue
    local pid; pid="$(cat "$f")"
    if kill -TERM "$pid" 2>/dev/null; then
      local deadline=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
          say "$code did not stop within 30 s; killing it"
          kill -KILL "$pid" 2>/dev/null || true
          failed=1
          break
        fi
        sleep 0.1
      done
    fi
    rm -f "$f"
    if grep -q "node stopped" "$dir/logs/$code.log"; then
      say "$code stopped cleanly"
    else
      say "$code stopped, but not cleanly (see $dir/logs/$code.log)"
      failed=1
    fi
  done
  return $failed
}

case "$cmd" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac

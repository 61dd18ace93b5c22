#!/usr/bin/env bash
# The fault lab: a small imitation of the troubleshooting guide's platform (platform-api,
# fine-tuning-service, their own PostgreSQL and Redis) on loopback, and the faults the guide
# describes, injected and healed by name. See README "Practise with the lab".
#
#   scripts/lab.sh up             build (once) and start everything; registers the `lab` environment
#                                 in a portal when PORTAL_URL and PORTAL_TOKEN (an admin token) are set
#   scripts/lab.sh down           stop everything the lab started
#   scripts/lab.sh fault NAME     inject a fault          scripts/lab.sh heal NAME   heal it
#   scripts/lab.sh status         what runs, which faults are on, what /health says
#   scripts/lab.sh faults         the faults, one per line: NAME  what it does
#   scripts/lab.sh register       (re)register the `lab` environment in the portal (PORTAL_URL, PORTAL_TOKEN)
#
# Settings (environment): LAB_DIR (default .local/lab), LAB_PG_PORT 44532, LAB_REDIS_PORT 44379,
# LAB_API_PORT 44800, LAB_FT_PORT 44801, LAB_TLS_PORT 44443, LAB_ENVIRONMENT lab, LAB_APP (a built
# Portal.Lab.Platform.dll; default: built into $LAB_DIR/app). The ports stay clear of the guide's
# (5432/6379/8000/8001), the shared dev servers (35432/36379) and scripts/test.sh (25432/26379).
set -euo pipefail

# shellcheck source=lib/local-services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/local-services.sh"

LAB_DIR=${LAB_DIR:-$PORTAL_ROOT/.local/lab}
LAB_PG_PORT=${LAB_PG_PORT:-44532}
LAB_REDIS_PORT=${LAB_REDIS_PORT:-44379}
LAB_API_PORT=${LAB_API_PORT:-44800}
LAB_FT_PORT=${LAB_FT_PORT:-44801}
LAB_TLS_PORT=${LAB_TLS_PORT:-44443}
LAB_ENVIRONMENT=${LAB_ENVIRONMENT:-lab}

FAULTS=(
  "port-conflict       another program holds platform-api's port (platform-api is stopped, a squatter answers 404)"
  "pg-down             the lab's PostgreSQL is stopped"
  "pg-auth             the platform user's database password no longer matches (wrong password)"
  "pg-pool             every connection slot is taken (max_connections exhausted)"
  "redis-down          the lab's Redis is stopped"
  "redis-maxmemory     Redis is at maxmemory with noeviction: writes are refused"
  "component-unhealthy fine-tuning-service's /health says unhealthy (its model server crashed)"
  "workflow-failed     workflow wf-lab-failed failed at step 'train' (status endpoint and log)"
  "api-slow            every platform-api request takes 2.5 s (the guide's limit is 2 s)"
  "tls-expired         platform-api's HTTPS certificate expired 30 days ago"
  "dns-failure         platform-api's name for fine-tuning-service no longer resolves"
  "memory-pressure     platform-api uses over 90 % of its memory limit"
  "cpu-burn            platform-api keeps a CPU core busy"
)

secrets=$LAB_DIR/secrets
run=$LAB_DIR/run
logs=$LAB_DIR/logs

fault_names() { local f; for f in "${FAULTS[@]}"; do printf '%s\n' "${f%% *}"; done; }

lab_token() { portal_secret "$secrets/lab-token"; }

# ------------------------------------------------------------------ processes

app_dll() {
  if [[ -n ${LAB_APP:-} ]]; then printf '%s' "$LAB_APP"; return; fi
  local dll=$LAB_DIR/app/Portal.Lab.Platform.dll
  if [[ ! -f $dll ]]; then
    portal_log "building the lab platform into $LAB_DIR/app"
    dotnet build "$PORTAL_ROOT/src/Portal.Lab.Platform/Portal.Lab.Platform.csproj" -c Release -o "$LAB_DIR/app" -nologo -v q >&2 \
      || portal_die "building src/Portal.Lab.Platform failed"
  fi
  printf '%s' "$dll"
}

pid_of() {
  local file=$run/$1.pid pid
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q Portal.Lab.Platform "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

# start_app ROLE PORT: starts one lab process (settings through the environment, so no password is in `ps`).
start_app() {
  local role=$1 port=$2 dll pg_pw redis_pw
  pid_of "$role" >/dev/null && return 0
  portal_require_port_free "$port" "LAB_${role^^}_PORT" "$role"
  dll=$(app_dll)
  pg_pw=$(portal_secret "$secrets/platform-db")
  redis_pw=$(portal_secret "$secrets/redis")
  mkdir -p "$run" "$logs"
  (
    export Lab__Role=$role Lab__Port=$port Lab__Token
    Lab__Token=$(lab_token)
    export Lab__Postgres="Host=127.0.0.1;Port=$LAB_PG_PORT;Database=platform;Username=platform;Password=$pg_pw;Timeout=2"
    export Lab__Redis="127.0.0.1:$LAB_REDIS_PORT,password=$redis_pw"
    export Lab__LogPath=$logs/api.log Lab__FineTuningUrl=http://localhost:$LAB_FT_PORT
    [[ $role == platform-api ]] && export Lab__TlsPort=$LAB_TLS_PORT
    export DOTNET_gcServer=0 DOTNET_GCHeapHardLimit=0x20000000 ASPNETCORE_ENVIRONMENT=Production
    # setsid: the process outlives this script and is not hit by the caller's Ctrl-C.
    setsid dotnet "$dll" --role "$role" >"$logs/$role.out" 2>&1 </dev/null &
    echo $! >"$run/$role.pid"
  )
  local i
  for i in $(seq 1 150); do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null; then
      portal_log "$role listening on 127.0.0.1:$port"
      return 0
    fi
    pid_of "$role" >/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$logs/$role.out" >&2 || true
  portal_die "$role did not come up on 127.0.0.1:$port (see $logs/$role.out)"
}

stop_app() {
  local role=$1 pid i
  pid=$(pid_of "$role") || { rm -f "$run/$role.pid"; return 0; }
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$run/$role.pid"
}

pg_start() { portal_pg_start --disposable "$LAB_DIR/pg" "$LAB_PG_PORT" "$secrets/pg-super" LAB_PG_PORT max_connections=20 fsync=off; }

redis_start() { portal_redis_start "$LAB_DIR/redis" "$LAB_REDIS_PORT" "$secrets/redis" LAB_REDIS_PORT ""; }

psql_super() {
  PGPASSWORD=$(portal_secret "$secrets/pg-super") PGCONNECT_TIMEOUT=5 \
    "$PORTAL_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$LAB_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

rcli() { REDISCLI_AUTH=$(portal_secret "$secrets/redis") redis-cli -h 127.0.0.1 -p "$LAB_REDIS_PORT" "$@"; }

# in_process ROLE PORT METHOD FAULT: switches a fault the lab process injects into itself.
in_process() {
  local code
  code=$(curl -s -o "$run/fault-response" -w '%{http_code}' --max-time 60 -X "$3" \
    -H "X-Lab-Token: $(lab_token)" "http://127.0.0.1:$2/lab/faults/$4") || code=000
  [[ $code == 200 ]] || portal_die "$1 did not take fault $4 ($3, HTTP $code): $(cat "$run/fault-response" 2>/dev/null)"
}

# wait_healthy: until both services' /health answer 200 (at most 60 s; a starting process is busy a while).
wait_healthy() {
  local i port ok
  for i in $(seq 1 300); do
    ok=1
    for port in "$LAB_API_PORT" "$LAB_FT_PORT"; do
      [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/health" 2>/dev/null) == 200 ]] || { ok=; break; }
    done
    [[ -n $ok ]] && return 0
    sleep 0.2
  done
  portal_warn "the lab's /health is still not healthy after 60 s: scripts/lab.sh status says why"
  return 1
}

# ------------------------------------------------------------------ portal registration

write_registration() {
  local reg=$LAB_DIR/portal pg_pw redis_pw
  mkdir -p "$reg"
  chmod 700 "$reg"
  pg_pw=$(portal_secret "$secrets/platform-db")
  redis_pw=$(portal_secret "$secrets/redis")
  (umask 077
  cat >"$reg/platform-api.json" <<JSON
{"role":"platform-api","kind":"http","baseUrl":"http://127.0.0.1:$LAB_API_PORT","logPaths":["$logs/api.log"],"units":["platform-api"],"allowLoopback":true}
JSON
  cat >"$reg/fine-tuning-service.json" <<JSON
{"role":"fine-tuning-service","kind":"http","baseUrl":"http://127.0.0.1:$LAB_FT_PORT","units":["fine-tuning-service"],"allowLoopback":true}
JSON
  cat >"$reg/platform-db.json" <<JSON
{"role":"platform-db","kind":"postgres","host":"127.0.0.1","port":$LAB_PG_PORT,"database":"platform","username":"platform","password":"$pg_pw","allowLoopback":true}
JSON
  cat >"$reg/platform-redis.json" <<JSON
{"role":"platform-redis","kind":"redis","host":"127.0.0.1","port":$LAB_REDIS_PORT,"password":"$redis_pw","allowLoopback":true}
JSON
  # The built-in sweep plus the API's HTTPS port (the lab serves TLS beside plain HTTP). No host.memory /
  # host.cpu: the lab shares its machine, whose load is not the lab's fault; platform-api's /health reports
  # its own memory and CPU against its limits.
  cat >"$reg/triage-definition.json" <<JSON
{"checks":[
 {"targetKind":"http","probe":"http.check","parameters":{"path":"/health","timeout_ms":"5000"},"timeoutSeconds":10},
 {"targetKind":"postgres","probe":"tcp.connect","parameters":{"timeout_ms":"2000"},"timeoutSeconds":5},
 {"targetKind":"postgres","probe":"postgres.connect","timeoutSeconds":10},
 {"targetKind":"postgres","probe":"postgres.activity","timeoutSeconds":10},
 {"targetKind":"redis","probe":"tcp.connect","parameters":{"timeout_ms":"2000"},"timeoutSeconds":5},
 {"targetKind":"redis","probe":"redis.ping","timeoutSeconds":10},
 {"targetKind":"redis","probe":"redis.memory","timeoutSeconds":10},
 {"role":"platform-api","probe":"port.owner","parameters":{"port":"$LAB_API_PORT"},"timeoutSeconds":10},
 {"role":"platform-api","probe":"http.latency","parameters":{"path":"/platform/workflows/wf-1001/status","samples":"2","timeout_ms":"5000"},"timeoutSeconds":15},
 {"role":"platform-api","probe":"tls.inspect","parameters":{"port":"$LAB_TLS_PORT","timeout_ms":"3000"},"timeoutSeconds":10}
]}
JSON
  )
}

register() {
  [[ -n ${PORTAL_URL:-} && -n ${PORTAL_TOKEN:-} ]] || portal_die "register needs PORTAL_URL (e.g. http://127.0.0.1:5080) and PORTAL_TOKEN (an admin token: POST /api/auth/tokens)"
  write_registration
  local f name code
  for f in "$LAB_DIR"/portal/*.json; do
    name=$(basename "$f" .json)
    if [[ $name == triage-definition ]]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $PORTAL_TOKEN" -H 'Content-Type: application/json' \
        --data-binary "@$f" "$PORTAL_URL/api/triage/definitions/$LAB_ENVIRONMENT") || code=000
    else
      code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $PORTAL_TOKEN" -H 'Content-Type: application/json' \
        --data-binary "@$f" "$PORTAL_URL/api/environments/$LAB_ENVIRONMENT/targets/$name") || code=000
    fi
    [[ $code == 2* ]] || portal_die "registering $name in $PORTAL_URL failed (HTTP $code)"
  done
  portal_log "environment '$LAB_ENVIRONMENT' registered in $PORTAL_URL: open $PORTAL_URL/triage"
}

# ------------------------------------------------------------------ commands

up() {
  portal_ensure_packages pg redis lab
  mkdir -p "$secrets" "$run" "$logs"
  chmod 700 "$secrets"
  app_dll >/dev/null
  pg_start
  portal_pg_ensure_db "$LAB_PG_PORT" "$secrets/pg-super" platform "$secrets/platform-db" platform
  redis_start
  start_app fine-tuning-service "$LAB_FT_PORT"
  start_app platform-api "$LAB_API_PORT"
  wait_healthy
  write_registration
  if [[ -n ${PORTAL_URL:-} && -n ${PORTAL_TOKEN:-} ]]; then register; else
    portal_log "not registered in a portal (set PORTAL_URL and PORTAL_TOKEN, then: scripts/lab.sh register); target files: $LAB_DIR/portal"
  fi
  portal_log "lab is up: platform-api http://127.0.0.1:$LAB_API_PORT (https :$LAB_TLS_PORT), fine-tuning-service http://127.0.0.1:$LAB_FT_PORT"
}

down() {
  stop_app squatter
  stop_app platform-api
  stop_app fine-tuning-service
  portal_redis_stop "$LAB_DIR/redis"
  portal_pg_stop "$LAB_DIR/pg"
  rm -f "$run"/fault.*
  portal_log "lab is down"
}

fault() {
  local name=$1
  case $name in
    port-conflict)
      stop_app platform-api
      start_app squatter "$LAB_API_PORT" ;;
    pg-down) portal_pg_stop "$LAB_DIR/pg" ;;
    pg-auth)
      # A password nobody has: every client with the real one is refused (28P01).
      psql_super <<<"ALTER ROLE platform PASSWORD 'lab-wrong-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')';" ;;
    redis-down) portal_redis_stop "$LAB_DIR/redis" ;;
    redis-maxmemory)
      rcli CONFIG SET maxmemory-policy noeviction >/dev/null
      rcli EVAL "for i=1,2048 do redis.call('SET','lab:fill:'..i,string.rep('x',1024)) end return 1" 0 >/dev/null
      local used
      used=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
      # Just under what is used: every write is refused with OOM, and used/maxmemory is over 100 %.
      rcli CONFIG SET maxmemory $((used - 65536)) >/dev/null ;;
    component-unhealthy) in_process fine-tuning-service "$LAB_FT_PORT" PUT "$name" ;;
    pg-pool|workflow-failed|api-slow|tls-expired|dns-failure|memory-pressure|cpu-burn)
      in_process platform-api "$LAB_API_PORT" PUT "$name" ;;
    *) portal_die "unknown fault '$name'; scripts/lab.sh faults lists them" ;;
  esac
  : >"$run/fault.$name"
  portal_log "fault $name injected"
}

heal() {
  local name=$1
  case $name in
    port-conflict)
      stop_app squatter
      start_app platform-api "$LAB_API_PORT" ;;
    pg-down) pg_start ;;
    pg-auth) portal_pg_ensure_db "$LAB_PG_PORT" "$secrets/pg-super" platform "$secrets/platform-db" platform ;;
    redis-down) redis_start ;;
    redis-maxmemory)
      rcli CONFIG SET maxmemory 0 >/dev/null
      rcli EVAL "local n=0 for i=1,2048 do n=n+redis.call('DEL','lab:fill:'..i) end return n" 0 >/dev/null ;;
    component-unhealthy) in_process fine-tuning-service "$LAB_FT_PORT" DELETE "$name" ;;
    pg-pool|workflow-failed|api-slow|tls-expired|dns-failure|memory-pressure|cpu-burn)
      in_process platform-api "$LAB_API_PORT" DELETE "$name" ;;
    *) portal_die "unknown fault '$name'; scripts/lab.sh faults lists them" ;;
  esac
  rm -f "$run/fault.$name"
  wait_healthy
  portal_log "fault $name healed"
}

status() {
  local role port pid
  for role in platform-api fine-tuning-service squatter; do
    if pid=$(pid_of "$role"); then printf '%-20s running (pid %s)\n' "$role" "$pid"; else printf '%-20s stopped\n' "$role"; fi
  done
  if "$PORTAL_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$LAB_PG_PORT" 2>/dev/null; then printf '%-20s running on :%s\n' postgresql "$LAB_PG_PORT"; else printf '%-20s stopped\n' postgresql; fi
  if [[ $(rcli PING 2>/dev/null) == PONG ]]; then printf '%-20s running on :%s\n' redis "$LAB_REDIS_PORT"; else printf '%-20s stopped\n' redis; fi
  printf 'faults on:           %s\n' "$(cd "$run" 2>/dev/null && ls fault.* 2>/dev/null | sed 's/^fault\.//' | tr '\n' ' ' || true)"
  for port in "$LAB_API_PORT" "$LAB_FT_PORT"; do
    printf 'health :%s          %s\n' "$port" "$(curl -s --max-time 5 "http://127.0.0.1:$port/health" 2>/dev/null | head -c 400 || echo unreachable)"
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  fault|heal)
    [[ -n ${2:-} ]] || portal_die "usage: scripts/lab.sh $1 NAME (scripts/lab.sh faults lists them)"
    fault_names | grep -qx -- "$2" || portal_die "unknown fault '$2'; scripts/lab.sh faults lists them"
    "$1" "$2" ;;
  status) status ;;
  faults) printf '%s\n' "${FAULTS[@]}" ;;
  register) register ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

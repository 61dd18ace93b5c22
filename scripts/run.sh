#!/usr/bin/env bash
# Start the Portal locally with its own PostgreSQL and Redis (data kept in .local/run/ between runs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export PORTAL_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/local-services.sh
source "$ROOT/scripts/lib/local-services.sh"

usage() {
  cat <<EOF
Usage: scripts/run.sh [--port N] [--host H]

Builds and runs the Portal (Release) with a private PostgreSQL and Redis.

  --port N     HTTP port of the portal     (env PORTAL_PORT,       default 5080)
  --host H     address to listen on        (env PORTAL_HOST,       default 127.0.0.1)
  -h, --help   this help

Other settings (environment):
  PORTAL_PG_PORT      PostgreSQL port on 127.0.0.1 (default 15432)
  PORTAL_REDIS_PORT   Redis port on 127.0.0.1      (default 16379)
  ASPNETCORE_ENVIRONMENT  (default Production)

Data, passwords and logs live in .local/run/; delete that folder to start from scratch.
EOF
}

PORT="${PORTAL_PORT:-5080}"
HOST="${PORTAL_HOST:-127.0.0.1}"
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) [[ $# -ge 2 ]] || portal_die "--port needs a value"; PORT=$2; shift 2 ;;
    --port=*) PORT=${1#*=}; shift ;;
    --host) [[ $# -ge 2 ]] || portal_die "--host needs a value"; HOST=$2; shift 2 ;;
    --host=*) HOST=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; portal_die "unknown argument: $1" ;;
  esac
done
PG_PORT="${PORTAL_PG_PORT:-15432}"
REDIS_PORT="${PORTAL_REDIS_PORT:-16379}"
if [[ ! $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then portal_die "invalid --port '$PORT'"; fi

INST="$ROOT/.local/run"
SECRETS="$INST/secrets"
WEB_PROJ="$ROOT/src/Portal.Web/Portal.Web.csproj"
BIN_DIR="$ROOT/src/Portal.Web/bin/Release/net10.0"

command -v dotnet >/dev/null 2>&1 || portal_die "the .NET 10 SDK (dotnet) is not on PATH; see https://dot.net"
[[ -f $WEB_PROJ ]] || portal_die "$WEB_PROJ not found"
portal_ensure_packages pg redis

# Fail before building if the portal's own port is taken (a second run.sh, another server...).
if portal_port_in_use "$PORT" "$HOST"; then
  portal_die "port $PORT is already in use on $HOST. Use another one: scripts/run.sh --port <N> (or PORTAL_PORT=<N>)"
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
portal_log "building Portal.Web (Release)"
dotnet build "$WEB_PROJ" -c Release -nologo -v q || portal_die "build failed; see the errors above"

APP_PID=
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $APP_PID ]] && kill -0 "$APP_PID" 2>/dev/null; then
    portal_log "stopping the portal"
    kill -TERM "$APP_PID" 2>/dev/null || true
    # graceful shutdown first (SIGTERM -> host stops), then force
    timeout 30 tail --pid="$APP_PID" -f /dev/null || kill -KILL "$APP_PID" 2>/dev/null || true
  fi
  # Only what this script started: a PostgreSQL/Redis from another terminal's run.sh stays up.
  portal_stop_started
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$INST"
portal_pg_start "$INST/pg" "$PG_PORT" "$SECRETS/postgres-superuser-password" PORTAL_PG_PORT
portal_pg_ensure_db "$PG_PORT" "$SECRETS/postgres-superuser-password" portal "$SECRETS/portal-db-password" portal
# Keep Redis snapshots for local runs so sessions/caches survive a restart.
portal_redis_start "$INST/redis" "$REDIS_PORT" "$SECRETS/redis-password" PORTAL_REDIS_PORT "60 1"

DB_PW=$(portal_secret "$SECRETS/portal-db-password")
REDIS_PW=$(portal_secret "$SECRETS/redis-password")
export ConnectionStrings__Portal="Host=127.0.0.1;Port=$PG_PORT;Database=portal;Username=portal;Password=$DB_PW"
export ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT,password=$REDIS_PW,abortConnect=false"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
# No default password: the first admin is created from this only while no user exists yet.
export PORTAL_ADMIN_PASSWORD="${PORTAL_ADMIN_PASSWORD:-$(portal_secret "$SECRETS/admin-password")}"
# Data Protection keys (cookies, encrypted target passwords) also kept next to the data.
export Portal__DataProtectionKeysPath="${Portal__DataProtectionKeysPath:-$INST/keys}"

LISTEN_HOST=$HOST
[[ $HOST == *:* && $HOST != \[* ]] && LISTEN_HOST="[$HOST]"   # IPv6 literal needs brackets in URLs
URL_HOST=$LISTEN_HOST
[[ $HOST == 0.0.0.0 || $HOST == '*' || $HOST == '+' || $HOST == '::' ]] && URL_HOST=localhost
PG_DATA_SHOWN=${INST#"$ROOT"/}/pg
[[ -L $INST/pg ]] && PG_DATA_SHOWN+=" -> $(readlink -f "$INST/pg")"

cat <<EOF

  Portal:      http://$URL_HOST:$PORT   (listening on $HOST:$PORT, $ASPNETCORE_ENVIRONMENT)
  PostgreSQL:  127.0.0.1:$PG_PORT, database "portal", role "portal"   data: $PG_DATA_SHOWN
  Redis:       127.0.0.1:$REDIS_PORT   data: ${INST#"$ROOT"/}/redis
  Passwords:   ${SECRETS#"$ROOT"/}/   Logs: ${INST#"$ROOT"/}/pg.log, ${INST#"$ROOT"/}/redis/redis.log
EOF
cat <<EOF
  Sign in:     user "admin", password in ${SECRETS#"$ROOT"/}/admin-password
               (used only to create the first admin while no user exists; change users in the portal)

  Stop with Ctrl-C (PostgreSQL and Redis stop too, unless another run.sh started them).

EOF

# Content root = bin folder (appsettings*.json and wwwroot are copied there by the build).
cd "$BIN_DIR"
# Background + wait so the traps run right away on Ctrl-C/TERM and can stop the app in order.
dotnet "$BIN_DIR/Portal.Web.dll" --urls "http://$LISTEN_HOST:$PORT" &
APP_PID=$!
set +e
wait "$APP_PID"
rc=$?
set -e
APP_PID=
exit "$rc"

#!/usr/bin/env bash
# Build Release, start a private PostgreSQL + Redis (scripts/lib/local-services.sh, own ports), run the
# benchmarks in tests/Portal.Benchmarks part by part, and write docs/benchmarks.md with machine,
# commit and date. About 10-15 minutes on a 2-core machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export PORTAL_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/local-services.sh
source "$ROOT/scripts/lib/local-services.sh"

ALL_PARTS=(micro search probes sweep hub live circuits)

usage() {
  cat <<EOF2
Usage: scripts/bench.sh [--quick] [--no-build] [PART...]

  PART        any of: ${ALL_PARTS[*]} (default: all). The report is always rewritten
              from every part's latest results in .local/bench/results/.
  --quick     smaller loads (a smoke run; numbers are not comparable with the targets)
  --no-build  use the existing Release build
  -h, --help  this help

Environment: PORTAL_BENCH_PG_PORT (default 45432), PORTAL_BENCH_REDIS_PORT (default 46379),
PORTAL_TEST_CHROMIUM (default /usr/bin/chromium).
Writes: docs/benchmarks.md; raw results and BenchmarkDotNet tables in .local/bench/results/.
EOF2
}

QUICK=
NO_BUILD=
PARTS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=--quick; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; portal_die "unknown option: $1" ;;
    *) [[ " ${ALL_PARTS[*]} " == *" $1 "* ]] || portal_die "unknown part: $1 (parts: ${ALL_PARTS[*]})"; PARTS+=("$1"); shift ;;
  esac
done
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=("${ALL_PARTS[@]}")

PG_PORT="${PORTAL_BENCH_PG_PORT:-45432}"
REDIS_PORT="${PORTAL_BENCH_REDIS_PORT:-46379}"
INST="$ROOT/.local/bench"
RESULTS="$INST/results"
SECRETS="$INST/secrets"
PROJECT="$ROOT/tests/Portal.Benchmarks/Portal.Benchmarks.csproj"
DLL="$ROOT/tests/Portal.Benchmarks/bin/Release/net10.0/Portal.Benchmarks.dll"

command -v dotnet >/dev/null 2>&1 || portal_die "the .NET 10 SDK (dotnet) is not on PATH"
portal_ensure_packages pg redis chromium cjk-fonts probe-tools

mkdir -p "$INST" "$RESULTS"
exec 9>"$INST/.lock"
flock -n 9 || portal_die "another scripts/bench.sh is already running in $ROOT"

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  portal_pg_stop "$INST/pg"
  portal_redis_stop "$INST/redis"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
started=$SECONDS
if [[ -z $NO_BUILD ]]; then
  portal_log "building tests/Portal.Benchmarks (Release)"
  dotnet build "$PROJECT" -c Release -nologo -v quiet || portal_die "BUILD FAILED"
fi
[[ -f $DLL ]] || portal_die "$DLL not found (build first, or drop --no-build)"

portal_pg_start --disposable "$INST/pg" "$PG_PORT" "$SECRETS/postgres-superuser-password" PORTAL_BENCH_PG_PORT \
  fsync=off synchronous_commit=off full_page_writes=off 9>&-
portal_redis_start "$INST/redis" "$REDIS_PORT" "$SECRETS/redis-password" PORTAL_BENCH_REDIS_PORT "" 9>&-
PG_PW=$(portal_secret "$SECRETS/postgres-superuser-password")
REDIS_PW=$(portal_secret "$SECRETS/redis-password")
export PORTAL_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PW;Database=postgres"
export PORTAL_TEST_REDIS="127.0.0.1:$REDIS_PORT,password=$REDIS_PW"
export PORTAL_TEST_CHROMIUM="${PORTAL_TEST_CHROMIUM:-/usr/bin/chromium}"
[[ -x $PORTAL_TEST_CHROMIUM ]] || portal_die "PORTAL_TEST_CHROMIUM=$PORTAL_TEST_CHROMIUM is not executable"

BENCH_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FAILED=()
for part in "${PARTS[@]}"; do
  printf '\n==> benchmark: %s\n' "$part" >&2
  part_started=$SECONDS
  # Each part in its own process: one part's heap, threads and browser never disturb the next.
  if ! dotnet "$DLL" "$part" $QUICK --out "$RESULTS"; then
    FAILED+=("$part")
  fi
  portal_log "$part took $((SECONDS - part_started)) s"
done

export BENCH_LOAD_START BENCH_LOAD_END
BENCH_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_COMMIT BENCH_DATE BENCH_MACHINE
BENCH_COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] && echo ' (with uncommitted changes)')"
BENCH_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
# shellcheck disable=SC1091  # /etc/os-release is the machine's, not ours
BENCH_MACHINE="$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)${QUICK:+; QUICK smoke run}"
dotnet "$DLL" report --out "$RESULTS" --doc "$ROOT/docs/benchmarks.md"

portal_log "benchmarks took $((SECONDS - started)) s; results: docs/benchmarks.md"
if ((${#FAILED[@]} > 0)); then
  portal_die "parts that did not complete: ${FAILED[*]} (see above; their rows say why)"
fi

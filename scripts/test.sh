#!/usr/bin/env bash
# Provision what the tests need (PostgreSQL, Redis, Chromium, CJK fonts), build, run every test
# project, print a summary. Exit status is non-zero if anything failed or no test ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export PORTAL_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/local-services.sh
source "$ROOT/scripts/lib/local-services.sh"

usage() {
  cat <<EOF
Usage: scripts/test.sh [--filter EXPR] [--no-build]

  --filter EXPR   passed to 'dotnet test --filter' (e.g. FullyQualifiedName~Search); also accepted
                  as a bare argument
  --no-build      skip 'dotnet build Portal.sln' (use the existing Release build)
  -h, --help      this help

Environment: PORTAL_TEST_PG_PORT (default 25432), PORTAL_TEST_REDIS_PORT (default 26379),
PORTAL_TEST_CHROMIUM (default /usr/bin/chromium).
Exported to the tests: PORTAL_TEST_PG, PORTAL_TEST_REDIS, PORTAL_TEST_CHROMIUM.
Results (trx) and service logs: .local/test/
EOF
}

FILTER=
NO_BUILD=
while [[ $# -gt 0 ]]; do
  case $1 in
    --filter) [[ $# -ge 2 ]] || portal_die "--filter needs a value"; FILTER=$2; shift 2 ;;
    --filter=*) FILTER=${1#*=}; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; portal_die "unknown option: $1" ;;
    *) [[ -z $FILTER ]] || portal_die "only one filter allowed"; FILTER=$1; shift ;;
  esac
done

PG_PORT="${PORTAL_TEST_PG_PORT:-25432}"
REDIS_PORT="${PORTAL_TEST_REDIS_PORT:-26379}"
INST="$ROOT/.local/test"
RESULTS="$INST/results"
SECRETS="$INST/secrets"
SLN="$ROOT/Portal.sln"

command -v dotnet >/dev/null 2>&1 || portal_die "the .NET 10 SDK (dotnet) is not on PATH"
[[ -f $SLN ]] || portal_die "$SLN not found"
portal_ensure_packages pg redis chromium cjk-fonts probe-tools lab sshd

mkdir -p "$INST"
# One test run per checkout at a time: runs share ports, data and the results folder.
exec 9>"$INST/.lock"
flock -n 9 || portal_die "another scripts/test.sh is already running in $ROOT"

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Always stop the test services, even ones a crashed earlier run left behind.
  portal_pg_stop "$INST/pg"
  portal_redis_stop "$INST/redis"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# MSBuild/VBCSCompiler node reuse leaves servers running after the build; CI wants none.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false

if [[ -z $NO_BUILD ]]; then
  portal_log "building Portal.sln (Release)"
  if ! dotnet build "$SLN" -c Release -nologo; then
    portal_die "BUILD FAILED: Portal.sln does not compile (errors above); no tests were run"
  fi
fi

# ---- services (throwaway data: fsync off, no Redis persistence). `9>&-`: the daemons must not
# inherit the lock, or a server left behind by a killed run would block every later run.
portal_pg_start --disposable "$INST/pg" "$PG_PORT" "$SECRETS/postgres-superuser-password" PORTAL_TEST_PG_PORT \
  fsync=off synchronous_commit=off full_page_writes=off 9>&-
portal_redis_start "$INST/redis" "$REDIS_PORT" "$SECRETS/redis-password" PORTAL_TEST_REDIS_PORT "" 9>&-

PG_PW=$(portal_secret "$SECRETS/postgres-superuser-password")
REDIS_PW=$(portal_secret "$SECRETS/redis-password")
export PORTAL_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_PW;Database=postgres"
export PORTAL_TEST_REDIS="127.0.0.1:$REDIS_PORT,password=$REDIS_PW"
export PORTAL_TEST_CHROMIUM="${PORTAL_TEST_CHROMIUM:-/usr/bin/chromium}"
[[ -x $PORTAL_TEST_CHROMIUM ]] || portal_die "PORTAL_TEST_CHROMIUM=$PORTAL_TEST_CHROMIUM is not executable"

# ---- test projects: fixed order first, then any other tests/*/*Tests.csproj
ORDERED=(Portal.Runbooks.Tests Portal.Web.Tests Portal.IntegrationTests Portal.BrowserTests)
PROJECTS=()
for name in "${ORDERED[@]}"; do
  if [[ -f $ROOT/tests/$name/$name.csproj ]]; then
    PROJECTS+=("tests/$name/$name.csproj")
  else
    portal_warn "tests/$name/$name.csproj not present; skipped"
  fi
done
shopt -s nullglob
for path in "$ROOT"/tests/*/*.csproj; do
  rel=${path#"$ROOT"/}
  dir=$(basename "$(dirname "$rel")")
  name=$(basename "$rel" .csproj)
  [[ $name == *Tests ]] || continue
  [[ $dir == Portal.Benchmarks || $dir == Portal.Testing ]] && continue
  [[ " ${PROJECTS[*]} " == *" $rel "* ]] || PROJECTS+=("$rel")
done
shopt -u nullglob
[[ ${#PROJECTS[@]} -gt 0 ]] || portal_die "no test projects found under tests/"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# Values of an attribute of the trx <Counters .../> element (0 if absent).
counter() { local v; v=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2"); printf '%s' "${v:-0}"; }
xml_unescape() { sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'; }

ROWS=()
PROBLEMS=()
FAILED_TESTS=()
TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0
filter_args=()
[[ -n $FILTER ]] && filter_args=(--filter "$FILTER")

for rel in "${PROJECTS[@]}"; do
  name=$(basename "$rel" .csproj)
  trx="$RESULTS/$name.trx"
  printf '\n==> %s\n' "$name" >&2
  started=${EPOCHREALTIME/./}
  if ! grep -qiF "${rel//\//\\}" "$SLN"; then
    # dotnet test --no-build would only fail with a missing-dll error; say what is wrong instead.
    ROWS+=("$name|-|-|-|0.0s|NOT IN Portal.sln")
    PROBLEMS+=("$name: not listed in Portal.sln (dotnet sln add $rel)")
    continue
  fi
  set +e
  dotnet test "$ROOT/$rel" -c Release --no-build "${filter_args[@]}" \
    --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS" \
    --logger "console;verbosity=normal"
  rc=$?
  set -e
  elapsed=$(( ${EPOCHREALTIME/./} - started ))
  duration=$(printf '%d.%01ds' $((elapsed / 1000000)) $((elapsed % 1000000 / 100000)))

  if [[ ! -f $trx ]]; then
    if [[ $rc -eq 0 && -n $FILTER ]]; then
      ROWS+=("$name|0|0|0|$duration|no test matched filter")
    else
      ROWS+=("$name|-|-|-|$duration|CRASHED (exit $rc, no results)")
      PROBLEMS+=("$name: test run crashed or did not start (exit $rc, no trx)")
    fi
    continue
  fi

  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  total=$(counter total "$counters")
  passed=$(counter passed "$counters")
  failed=$(counter failed "$counters")
  errors=$(( $(counter error "$counters") + $(counter timeout "$counters") + $(counter aborted "$counters") ))
  # VSTest writes skipped tests as outcome NotExecuted, counted in total but not in executed
  skipped=$(( total - $(counter executed "$counters") ))
  ((skipped >= 0)) || skipped=0
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed + errors))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))

  status=ok
  if ((failed + errors > 0)); then
    status=FAILED
    PROBLEMS+=("$name: $failed failed, $errors errored/aborted")
    while IFS= read -r t; do
      [[ -n $t ]] && FAILED_TESTS+=("$name: $t")
    done < <(grep -o '<UnitTestResult [^>]*>' "$trx" | grep -E 'outcome="(Failed|Error|Timeout|Aborted)"' \
               | sed -n 's/.* testName="\([^"]*\)".*/\1/p' | xml_unescape || true)
  elif [[ $rc -ne 0 ]]; then
    status="ERROR (exit $rc)"
    PROBLEMS+=("$name: dotnet test exited with $rc although no test failed (host crash or aborted run?)")
  elif ((total == 0)); then
    status="no tests${FILTER:+ matched the filter}"
  fi
  ROWS+=("$name|$passed|$((failed + errors))|$skipped|$duration|$status")
done

# Stop services now so the summary is the last thing printed (the trap stays as a safety net).
portal_pg_stop "$INST/pg"
portal_redis_stop "$INST/redis"

printf '\n%-34s %7s %7s %8s %9s  %s\n' PROJECT PASSED FAILED SKIPPED DURATION STATUS
printf '%s\n' "--------------------------------------------------------------------------------"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name passed failed skipped duration status <<<"$row"
  printf '%-34s %7s %7s %8s %9s  %s\n' "$name" "$passed" "$failed" "$skipped" "$duration" "$status"
done
printf 'Results: %s\n\n' "${RESULTS#"$ROOT"/}"

rc=0
if ((${#PROBLEMS[@]} > 0)); then
  printf 'TESTS FAILED:\n'
  printf '  %s\n' "${PROBLEMS[@]}"
  if ((${#FAILED_TESTS[@]} > 0)); then
    printf 'Failed tests:\n'
    printf '  %s\n' "${FAILED_TESTS[@]}"
  fi
  rc=1
elif ((TOTAL_PASSED == 0)); then
  printf 'TESTS FAILED: no test ran%s\n' "${FILTER:+ (filter: $FILTER)}"
  rc=1
else
  printf 'ALL TESTS PASSED (%d tests)\n' "$TOTAL_PASSED"
fi
# Plain closing line, readable by any tool: "N passed, N failed, N skipped".
printf 'Total: %d passed, %d failed, %d skipped\n' "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
exit "$rc"

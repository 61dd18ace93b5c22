# shellcheck shell=bash
# Private PostgreSQL / Redis instances for scripts/run.sh, scripts/test.sh and friends.
# Sourced, not executed. Expects the caller to run under `set -euo pipefail`.
#
# Everything lives under $PORTAL_ROOT/.local/<instance>/ and listens on 127.0.0.1 only,
# on ports of our own, so a system PostgreSQL/Redis (5432/6379) is never touched.
#
# Functions:
#   portal_log MSG... / portal_warn MSG... / portal_die MSG...
#                              messages on stderr; die exits 1
#   portal_ensure_packages FEATURE...
#                              FEATURE: pg | redis | chromium | cjk-fonts | probe-tools | lab | sshd. Installs what is missing
#                              (root: apt-get update once + install; else prints the apt command, exits 1)
#   portal_secret FILE         prints the secret in FILE, generating it (mode 600) on first use
#   portal_port_in_use PORT [HOST]
#                              true if something accepts TCP connections on HOST:PORT (default 127.0.0.1)
#   portal_require_port_free PORT ENV_VAR WHAT
#                              dies with a message naming PORT, WHAT uses it and ENV_VAR to override
#   portal_pg_start [--disposable] DATA_DIR PORT PWFILE ENV_VAR [NAME=VALUE...]
#                              initdb once (superuser "postgres", scram-sha-256, password from PWFILE,
#                              generated if the cluster is new), start or reuse; NAME=VALUE are extra
#                              server settings (e.g. fsync=off). Log: <real data dir>.log.
#                              --disposable: a cluster whose PWFILE is lost is wiped and re-created
#                              (test data) instead of refused
#   portal_pg_ensure_db PORT SUPER_PWFILE ROLE ROLE_PWFILE DB
#                              role (LOGIN, password from ROLE_PWFILE, generated) + database owned by it
#   portal_pg_stop DATA_DIR    pg_ctl stop -m fast; no-op if not running
#   portal_redis_start DIR PORT PWFILE ENV_VAR SAVE
#                              start or reuse redis-server; SAVE="" disables snapshots, "60 1" keeps them
#   portal_redis_stop DIR      SIGTERM via DIR/redis.pid, wait for exit; no-op if not running
#   portal_stop_started        stops (reverse order) only what portal_*_start started in this shell;
#                              meant for EXIT traps
#
# Root: PostgreSQL refuses to run as root, so the cluster is owned and run by the `postgres` user.
# If postgres cannot traverse the repo path, the cluster goes to /var/tmp/portal-pg-<hash>-<instance>
# and DATA_DIR becomes a symlink to it.

[[ -n ${_PORTAL_LOCAL_SERVICES_LOADED:-} ]] && return 0
_PORTAL_LOCAL_SERVICES_LOADED=1

PORTAL_ROOT="${PORTAL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
PORTAL_PG_BIN="${PORTAL_PG_BIN:-/usr/lib/postgresql/15/bin}"
PORTAL_PG_OS_USER="${PORTAL_PG_OS_USER:-postgres}"  # only used when running as root

_PORTAL_STARTED=()   # "pg|<dir>" / "redis|<dir>" for portal_stop_started
_PORTAL_APT_UPDATED=

portal_log()  { printf '==> %s\n' "$*" >&2; }
portal_warn() { printf 'WARNING: %s\n' "$*" >&2; }
portal_die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

_portal_is_root() { [[ $(id -u) -eq 0 ]]; }

# ---------------------------------------------------------------- packages

_portal_has_cjk_font() {
  command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list :lang=zh family 2>/dev/null) ]]
}

# apt-get waits for the dpkg lock by itself (DPkg::Lock::Timeout); `update` does not wait for the
# lists lock, so retry while another apt (e.g. a provisioning job) holds it.
_portal_apt() {
  local attempt out
  for attempt in $(seq 1 60); do
    if out=$(DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=600 "$@" 2>&1); then
      [[ -n $out ]] && printf '%s\n' "$out" >&2
      return 0
    fi
    if [[ $out == *"Could not get lock"* && $attempt -lt 60 ]]; then
      portal_log "apt is busy (another install running), waiting..."
      sleep 5
      continue
    fi
    printf '%s\n' "$out" >&2
    return 1
  done
}

portal_ensure_packages() {
  local feature missing=()
  for feature in "$@"; do
    case $feature in
      pg)
        [[ -x $PORTAL_PG_BIN/postgres && -x $PORTAL_PG_BIN/initdb && -x $PORTAL_PG_BIN/pg_ctl ]] \
          || missing+=(postgresql-15)
        [[ -x $PORTAL_PG_BIN/psql ]] || missing+=(postgresql-client-15) ;;
      redis)
        command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
        command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools) ;;
      chromium)
        [[ -x /usr/bin/chromium ]] || missing+=(chromium) ;;
      cjk-fonts)
        command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
        _portal_has_cjk_font || missing+=(fonts-noto-cjk) ;;
      probe-tools)
        # Real peers and outside oracles for the probe tests.
        [[ -x /usr/bin/tracepath ]] || missing+=(iputils-tracepath)
        command -v dig >/dev/null 2>&1 || missing+=(dnsutils)
        [[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq-base)
        command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
        command -v prometheus-blackbox-exporter >/dev/null 2>&1 || missing+=(prometheus-blackbox-exporter)
        command -v openssl >/dev/null 2>&1 || missing+=(openssl)
        command -v curl >/dev/null 2>&1 || missing+=(curl)
        command -v jq >/dev/null 2>&1 || missing+=(jq)
        python3 -c 'import yaml' >/dev/null 2>&1 || missing+=(python3-yaml)
        command -v setpriv >/dev/null 2>&1 || missing+=(util-linux) ;;
      lab)
        # scripts/lab.sh: switches faults over HTTP, sends the lab's processes off with setsid.
        command -v curl >/dev/null 2>&1 || missing+=(curl)
        command -v setsid >/dev/null 2>&1 || missing+=(util-linux) ;;
      sshd)
        # The SSH tests start their own private sshd (generated config, loopback port); policy-rc.d
        # below keeps the package from starting the system's one.
        [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
        command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client) ;;
      *) portal_die "portal_ensure_packages: unknown feature '$feature'" ;;
    esac
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0

  if ! _portal_is_root; then
    printf 'Missing packages. Install them with:\n\n  sudo apt-get install -y %s\n\n' "${missing[*]}" >&2
    exit 1
  fi
  command -v apt-get >/dev/null 2>&1 || portal_die "missing packages (${missing[*]}) and no apt-get on this machine"

  # The postgresql-15 package creates and starts a "main" cluster on 5432 on first install; we never
  # use it, so switch that off before installing (only when no PG 15 cluster exists yet).
  if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /etc/postgresql/15 ]]; then
    mkdir -p /etc/postgresql-common/createcluster.d
    printf '# Written by Portal scripts: no default cluster; Portal runs private clusters.\ncreate_main_cluster = false\n' \
      > /etc/postgresql-common/createcluster.d/portal-no-main-cluster.conf
  fi

  # Packages like prometheus start their service on install; the tests start their own, on their
  # own ports. policy-rc.d (Debian's switch for this) keeps invoke-rc.d from starting anything.
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# Written by Portal scripts during apt-get install: start no services.\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    added_policy=1
  fi

  portal_log "installing: ${missing[*]}"
  if [[ -z $_PORTAL_APT_UPDATED ]]; then
    _portal_apt update || portal_die "apt-get update failed"
    _PORTAL_APT_UPDATED=1
  fi
  _portal_apt install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
    || { [[ -n $added_policy ]] && rm -f "$policy"; portal_die "apt-get install ${missing[*]} failed"; }
  if [[ -n $added_policy ]]; then rm -f "$policy"; fi

  # Verify, so a package that installed but did not provide what we need fails here, not later.
  for feature in "$@"; do
    case $feature in
      pg) [[ -x $PORTAL_PG_BIN/postgres && -x $PORTAL_PG_BIN/psql ]] || portal_die "PostgreSQL 15 still missing in $PORTAL_PG_BIN" ;;
      redis) { command -v redis-server && command -v redis-cli; } >/dev/null || portal_die "redis still missing" ;;
      chromium) [[ -x /usr/bin/chromium ]] || portal_die "/usr/bin/chromium still missing" ;;
      cjk-fonts) _portal_has_cjk_font || portal_die "no CJK font visible to fontconfig (fc-list :lang=zh)" ;;
      sshd) [[ -x /usr/sbin/sshd ]] && command -v ssh-keygen >/dev/null || portal_die "openssh-server still missing" ;;
      probe-tools) { [[ -x /usr/bin/tracepath && -x /usr/sbin/dnsmasq ]] && command -v dig && command -v prometheus \
                     && command -v prometheus-blackbox-exporter; } >/dev/null || portal_die "probe test tools still missing" ;;
    esac
  done
}

# ---------------------------------------------------------------- secrets & ports

portal_secret() {
  local file=$1
  if [[ ! -s $file ]]; then
    mkdir -p "$(dirname "$file")"
    chmod 700 "$(dirname "$file")"
    # hex only: safe inside connection strings, config files and SQL literals
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file.tmp") && mv "$file.tmp" "$file"
  fi
  chmod 600 "$file"
  local secret
  secret=$(<"$file")
  [[ $secret =~ ^[A-Za-z0-9]+$ ]] || portal_die "$file must hold a single alphanumeric secret (delete it to regenerate)"
  printf '%s' "$secret"
}

portal_port_in_use() {
  local port=$1 host=${2:-127.0.0.1}
  [[ $host == 0.0.0.0 || $host == '*' || $host == '+' ]] && host=127.0.0.1
  timeout 2 bash -c ": >/dev/tcp/$host/$port" 2>/dev/null
}

portal_require_port_free() {
  local port=$1 var=$2 what=$3
  if portal_port_in_use "$port"; then
    portal_die "port $port (for $what) is already in use on 127.0.0.1 by another program.
       Stop that program, or choose another port: $var=<port> $(basename "$0") ..."
  fi
}

_portal_check_port_number() {
  if [[ ! $1 =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > 65535)); then portal_die "invalid port '$1' (from $2)"; fi
}

# ---------------------------------------------------------------- PostgreSQL

# Run a command as the OS user that owns the cluster (postgres when we are root). cd / because
# postgres may not be allowed into the caller's working directory.
_portal_as_pg() {
  if _portal_is_root; then
    (cd / && runuser -u "$PORTAL_PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

# Resolve (creating if needed) the real data directory for DATA_DIR; prints its path.
_portal_pg_real_dir() {
  local data=$1 parent name real
  parent=$(dirname "$data")
  mkdir -p "$parent"
  if [[ -L $data ]]; then
    real=$(readlink -f "$data")
  elif [[ -d $data ]] || ! _portal_is_root || runuser -u "$PORTAL_PG_OS_USER" -- test -x "$parent"; then
    real=$data
  else
    # postgres cannot reach the repo (e.g. it lives under /root): keep the cluster in /var/tmp.
    name=$(basename "$parent")
    real="/var/tmp/portal-pg-$(printf '%s' "$PORTAL_ROOT" | sha1sum | cut -c1-12)-$name"
    portal_log "postgres cannot traverse $parent; cluster lives in $real ($data links to it)"
  fi
  if [[ ! -e $real ]]; then
    mkdir -m 700 "$real"
    _portal_is_root && chown "$PORTAL_PG_OS_USER:" "$real"
  fi
  # /var/tmp is world-writable: refuse anything we did not create ourselves.
  [[ -d $real && ! -L $real ]] || portal_die "$real is not a directory"
  if _portal_is_root && [[ $(stat -c %U "$real") != "$PORTAL_PG_OS_USER" ]]; then
    portal_die "$real must be owned by $PORTAL_PG_OS_USER (it is owned by $(stat -c %U "$real")); remove it to start fresh"
  fi
  [[ $real == "$data" ]] || ln -sfn "$real" "$data"
  printf '%s' "$(cd "$real" && pwd -P)"
}

_portal_pg_running() { _portal_as_pg "$PORTAL_PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

portal_pg_start() {
  local disposable=
  [[ $1 == --disposable ]] && { disposable=1; shift; }
  local data=$1 port=$2 pwfile=$3 var=$4
  shift 4
  _portal_check_port_number "$port" "$var"
  local real log
  real=$(_portal_pg_real_dir "$data")
  log="$real.log"
  [[ $real == "$data" ]] || ln -sfn "$log" "$data.log"

  # A cluster without its password file is unusable (every login needs the password). It happens
  # when a fresh clone at the same path meets the /var/tmp cluster of an earlier clone. Test data
  # is disposable: start over; anything else: refuse and say what to remove.
  if [[ -f $real/PG_VERSION && ! -s $pwfile ]]; then
    [[ -n $disposable ]] || portal_die "cluster $real exists but its password file $pwfile is missing.
       Remove $real (and ${real}.log) to start fresh."
    portal_warn "cluster $real has no password file (left by an earlier checkout?); re-initialising it"
    if _portal_pg_running "$real"; then
      _portal_as_pg "$PORTAL_PG_BIN/pg_ctl" stop -D "$real" -m immediate -w -t 60 >/dev/null || true
    fi
    find "$real" -mindepth 1 -delete
  fi

  if _portal_pg_running "$real"; then
    local running_port
    running_port=$(sed -n 4p "$real/postmaster.pid" 2>/dev/null || true)
    [[ $running_port == "$port" ]] || portal_die "PostgreSQL in $data is already running on port $running_port, not $port.
       Use $var=$running_port, or stop it: $(_portal_is_root && echo "runuser -u $PORTAL_PG_OS_USER -- ")$PORTAL_PG_BIN/pg_ctl stop -D $real"
    portal_log "PostgreSQL already running on 127.0.0.1:$port ($data), reusing it"
    return 0
  fi

  if [[ ! -f $real/PG_VERSION ]]; then
    [[ -z $(ls -A "$real") ]] || portal_die "$real is neither empty nor a PostgreSQL cluster; remove it"
    portal_log "initialising PostgreSQL cluster in $data"
    local pw tmp
    pw=$(portal_secret "$pwfile")
    # initdb needs the password in a file the cluster user can read; keep it only for initdb.
    tmp=$(mktemp)
    printf '%s\n' "$pw" >"$tmp"
    _portal_is_root && chown "$PORTAL_PG_OS_USER:" "$tmp"
    if ! _portal_as_pg "$PORTAL_PG_BIN/initdb" -D "$real" -U postgres --pwfile="$tmp" \
          --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$real.initdb.log" 2>&1; then
      rm -f "$tmp"
      cat "$real.initdb.log" >&2
      portal_die "initdb failed for $real"
    fi
    rm -f "$tmp"
  fi

  portal_require_port_free "$port" "$var" "PostgreSQL"

  if [[ ! -e $log ]]; then
    if _portal_is_root; then install -m 600 -o "$PORTAL_PG_OS_USER" /dev/null "$log"; else : >"$log"; fi
  fi

  # Unix sockets are limited to ~107 bytes; beyond that, TCP only (we never use the socket anyway).
  local sockdir=$real
  ((${#real} + 20 < 107)) || sockdir=''
  local opts="-c listen_addresses=127.0.0.1 -p $port -k '$sockdir' -c max_connections=200" setting
  for setting in "$@"; do opts+=" -c $setting"; done

  portal_log "starting PostgreSQL on 127.0.0.1:$port (log: $data.log)"
  if ! _portal_as_pg "$PORTAL_PG_BIN/pg_ctl" start -D "$real" -l "$log" -o "$opts" -w -t 60 >/dev/null; then
    tail -n 30 "$log" >&2 || true
    portal_die "PostgreSQL did not start (see $log)"
  fi
  _PORTAL_STARTED+=("pg|$data")
}

portal_pg_stop() {
  local data=$1 real
  [[ -e $data ]] || return 0
  real=$(readlink -f "$data")
  _portal_pg_running "$real" || return 0
  portal_log "stopping PostgreSQL ($data)"
  _portal_as_pg "$PORTAL_PG_BIN/pg_ctl" stop -D "$real" -m fast -w -t 60 >/dev/null \
    || portal_warn "PostgreSQL in $data did not stop cleanly"
}

portal_pg_ensure_db() {
  local port=$1 super_pwfile=$2 role=$3 role_pwfile=$4 db=$5 role_pw super_pw
  role_pw=$(portal_secret "$role_pwfile")
  super_pw=$(portal_secret "$super_pwfile")
  # Script on stdin so no password shows up in `ps`. The role password is (re)set every time so it
  # always matches the file. \gexec runs each generated statement on its own (CREATE DATABASE
  # cannot run inside a transaction).
  PGPASSWORD=$super_pw PGCONNECT_TIMEOUT=10 \
    "$PORTAL_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
\set role '$role'
\set db '$db'
\set pw '$role_pw'
SELECT format(CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
                   THEN 'ALTER ROLE %I WITH LOGIN PASSWORD %L'
                   ELSE 'CREATE ROLE %I WITH LOGIN PASSWORD %L' END, :'role', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
}

# ---------------------------------------------------------------- Redis

_portal_redis_pid() {
  local pidfile=$1/redis.pid pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against a recycled pid belonging to something else
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
  printf '%s' "$pid"
}

_portal_redis_ping() {
  [[ $(REDISCLI_AUTH=$2 timeout 5 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

portal_redis_start() {
  local dir=$1 port=$2 pwfile=$3 var=$4 save=$5 pw pid
  _portal_check_port_number "$port" "$var"
  mkdir -p "$dir"
  chmod 700 "$dir"
  dir=$(cd "$dir" && pwd -P)
  pw=$(portal_secret "$pwfile")

  if pid=$(_portal_redis_pid "$dir"); then
    _portal_redis_ping "$port" "$pw" || portal_die "redis-server from $dir (pid $pid) is running but does not answer on 127.0.0.1:$port with the stored password.
       Use the port it was started with ($var), or stop it: kill $pid"
    portal_log "Redis already running on 127.0.0.1:$port ($dir), reusing it"
    return 0
  fi
  portal_require_port_free "$port" "$var" "Redis"

  local save_line="save $save"
  [[ -n $save ]] || save_line='save ""'
  # Config file (mode 600) instead of arguments, so the password never shows up in `ps`.
  (umask 077; cat >"$dir/redis.conf" <<CONF
# Generated by scripts/lib/local-services.sh on every start; edits are overwritten.
port $port
bind 127.0.0.1
protected-mode yes
dir "$dir"
daemonize yes
pidfile "$dir/redis.pid"
logfile "$dir/redis.log"
requirepass $pw
$save_line
appendonly no
CONF
  )
  rm -f "$dir/redis.pid"
  portal_log "starting Redis on 127.0.0.1:$port (log: $dir/redis.log)"
  redis-server "$dir/redis.conf" >/dev/null || portal_die "redis-server failed to start (see $dir/redis.log)"
  _PORTAL_STARTED+=("redis|$dir")

  # daemonize returns before the server listens: wait (max ~20 s) until it answers.
  local i
  for i in $(seq 1 200); do
    _portal_redis_ping "$port" "$pw" && return 0
    if ((i > 10)) && ! _portal_redis_pid "$dir" >/dev/null; then break; fi
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2 || true
  portal_die "Redis did not come up on 127.0.0.1:$port (see $dir/redis.log)"
}

portal_redis_stop() {
  local dir=$1 pid
  pid=$(_portal_redis_pid "$dir") || return 0
  portal_log "stopping Redis ($dir)"
  # SIGTERM = SHUTDOWN (saves first when snapshots are on); needs neither port nor password.
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! timeout 30 tail --pid="$pid" -f /dev/null; then
    portal_warn "Redis (pid $pid) did not exit within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

portal_stop_started() {
  local i entry
  for ((i = ${#_PORTAL_STARTED[@]} - 1; i >= 0; i--)); do
    entry=${_PORTAL_STARTED[i]}
    case $entry in
      pg\|*) portal_pg_stop "${entry#pg|}" ;;
      redis\|*) portal_redis_stop "${entry#redis|}" ;;
    esac
  done
  _PORTAL_STARTED=()
}

# Shared set-up for the project's commands: Python 3.12 virtualenv and PostgreSQL.
# Sourced by scripts/test.sh, scripts/bench.sh and scripts/demo.sh.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python312() {
    local candidate
    for candidate in "${PYTHON:-}" python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 \
        /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    local stamp="$VENV/.installed" want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        python="$(find_python312)" || {
            echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)." >&2
            exit 2
        }
        say "creating virtualenv with $python"
        "$python" -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing saleor-storecredit with its test extra"
        "$VENV/bin/python" -m pip install -q --upgrade pip >&2
        "$VENV/bin/python" -m pip install -q -e "$ROOT[test]" >&2
        echo "$want" >"$stamp"
    fi
}

_pg_reachable() {
    "$VENV/bin/python" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}

_pg_bin() {
    local dir
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    return 1
}

# Exports DATABASE_URL: the given one, else the local server, else a throwaway
# server started here and stopped when the calling script exits.
ensure_postgres() {
    if [ -n "${DATABASE_URL:-}" ] && [ "${STORECREDIT_THROWAWAY_PG:-0}" != 1 ]; then
        say "using DATABASE_URL"
        return 0
    fi
    local local_url="postgres://postgres@127.0.0.1:5432/postgres"
    if [ "${STORECREDIT_THROWAWAY_PG:-0}" != 1 ] && _pg_reachable "$local_url"; then
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/storecredit"
        say "using the local PostgreSQL at 127.0.0.1:5432"
        return 0
    fi
    local bin
    if ! bin="$(_pg_bin)"; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing PostgreSQL from Debian packages"
            apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
            bin="$(_pg_bin)"
        fi
        [ -n "${bin:-}" ] || { echo "PostgreSQL is needed: set DATABASE_URL or install postgresql." >&2; exit 2; }
    fi
    PG_TMP="$(mktemp -d /tmp/storecredit-pg.XXXXXX)"
    local port run=()
    port="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$PG_TMP"
        run=(runuser -u postgres --)
    fi
    say "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -A trust -U postgres >"$PG_TMP/initdb.log" 2>&1 ||
        { cat "$PG_TMP/initdb.log" >&2; exit 2; }
    "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w \
        -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        start >&2 || { cat "$PG_TMP/server.log" >&2; exit 2; }
    PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -m fast stop)
    trap 'stop_postgres' EXIT
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/storecredit"
}

stop_postgres() {
    if [ -n "${PG_TMP:-}" ]; then
        "${PG_STOP[@]}" >/dev/null 2>&1 || true
        rm -rf "$PG_TMP"
    fi
}

# Where Saleor core is: SALEOR_DIR (a Saleor checkout with its own .venv, as
# `uv sync` makes it) or SALEOR_PYTHON (any Python that can import saleor);
# default: the project's virtualenv. Sets SALEOR_PYTHON and SALEOR_PATH (the
# PYTHONPATH that runs this project's code inside that Saleor).
resolve_saleor() {
    SALEOR_PATH="$ROOT"
    if [ -n "${SALEOR_DIR:-}" ]; then
        SALEOR_DIR="$(cd "$SALEOR_DIR" && pwd)"
        SALEOR_PYTHON="${SALEOR_PYTHON:-$SALEOR_DIR/.venv/bin/python}"
        SALEOR_PATH="$ROOT:$SALEOR_DIR"
    fi
    SALEOR_PYTHON="${SALEOR_PYTHON:-$VENV/bin/python}"
    SALEOR_PATH="$SALEOR_PATH${PYTHONPATH:+:$PYTHONPATH}"
}

saleor_importable() {
    PYTHONPATH="$SALEOR_PATH" "$SALEOR_PYTHON" -c "import saleor${1:+, $1}" >/dev/null 2>&1
}

# Headless Chromium for the Dashboard pages' browser tests: Debian's package,
# installed here when running as root. Exports STORECREDIT_CHROMIUM, or returns 1.
ensure_chromium() {
    local candidate
    for candidate in "${STORECREDIT_CHROMIUM:-}" chromium chromium-browser google-chrome; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1; then
            export STORECREDIT_CHROMIUM="$(command -v "$candidate")"
            return 0
        fi
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Chromium from Debian packages (Dashboard browser tests)"
        if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
            command -v chromium >/dev/null 2>&1 && export STORECREDIT_CHROMIUM="$(command -v chromium)" && return 0
        fi
    fi
    return 1
}

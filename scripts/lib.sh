# Shared by the scripts that need the AWS emulator: start moto from the project's venv on a
# free loopback port (AWS managed policies loaded), wait until it answers, stop it on exit.
# shellcheck shell=bash

VENV="${VENV:-.venv}"

# Cargo's target directory as an absolute path: CARGO_TARGET_DIR may be relative (default
# `target`) or absolute (.ci/run points it at a cache under $HOME), and scripts run binaries
# from other working directories.
TARGET="${CARGO_TARGET_DIR:-target}"
case "$TARGET" in /*) ;; *) TARGET="$PWD/$TARGET" ;; esac

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_moto: sets MOTO_PORT, MOTO_PID and the AWS_* variables the SDK and the CLI read.
# moto binds a port the kernel chooses (-p 0) and names it in its start-up banner: choosing a
# free port first and handing it over would race with anything else starting at the same time.
start_moto() {
    [ -x "$VENV/bin/moto_server" ] || { echo "moto_server not in $VENV: run 'make venv'" >&2; return 1; }
    MOTO_LOG_FILE="${MOTO_LOG:-$(mktemp "${TMPDIR:-/tmp}/connector-audit-moto.XXXXXX")}"
    MOTO_IAM_LOAD_MANAGED_POLICIES=true "$VENV/bin/moto_server" -H 127.0.0.1 -p 0 >"$MOTO_LOG_FILE" 2>&1 &
    MOTO_PID=$!
    MOTO_PORT=
    for _ in $(seq 1 600); do
        MOTO_PORT=$(sed -n 's|.*Running on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$MOTO_LOG_FILE" | head -n 1)
        [ -n "$MOTO_PORT" ] && break
        kill -0 "$MOTO_PID" 2>/dev/null || { echo "moto exited: see $MOTO_LOG_FILE" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$MOTO_PORT" ] || { echo "moto did not name its port within 60 s: see $MOTO_LOG_FILE" >&2; return 1; }
    export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_SESSION_TOKEN
    for _ in $(seq 1 600); do
        if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/', timeout=1)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$MOTO_PID" 2>/dev/null || { echo "moto exited: see $MOTO_LOG_FILE" >&2; return 1; }
        sleep 0.1
    done
    echo "moto did not answer on port $MOTO_PORT" >&2
    return 1
}

stop_moto() {
    [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
    # a log of our own making goes with the server; one the caller named stays
    [ -z "${MOTO_LOG:-}" ] && [ -n "${MOTO_LOG_FILE:-}" ] && rm -f "$MOTO_LOG_FILE"
    return 0
}

# start_function BOOTSTRAP LOGFILE [VAR=VALUE...]: runs the Lambda binary behind cargo-lambda's
# Runtime API emulator (`cargo lambda watch --only-lambda-apis`, which serves the function it
# calls `_` at /.rt); sets INVOKE_PORT, WATCH_PID, FN_PID. Needs cargo-lambda on PATH.
start_function() {
    local bootstrap=$1 log=$2
    shift 2
    INVOKE_PORT=$(free_port)
    cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" >"$log.watch" 2>&1 &
    WATCH_PID=$!
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null && break
        sleep 0.1
    done
    env AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$INVOKE_PORT/.rt" AWS_LAMBDA_FUNCTION_NAME=_ \
        AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 "$@" \
        "$bootstrap" >"$log" 2>&1 &
    FN_PID=$!
}

# invoke_function FILE: the function's response to the event in FILE (non-zero when it failed).
invoke_function() {
    cargo lambda invoke _ --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" --data-file "$1" --output-format json
}

stop_function() {
    [ -n "${FN_PID:-}" ] && kill "$FN_PID" 2>/dev/null
    [ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
    return 0
}

# cleanup_all DIR: stops the function and moto, removes DIR (for `trap ... EXIT`).
cleanup_all() {
    stop_function
    stop_moto
    wait 2>/dev/null || true
    rm -rf "$1"
}

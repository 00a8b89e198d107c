# Shared by the scripts that need the AWS emulator: start moto from the project's venv on a
# free loopback port (AWS managed policies loaded), wait until it answers, stop it on exit.
# shellcheck shell=bash

VENV="${VENV:-.venv}"

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_moto: sets MOTO_PORT, MOTO_PID and the AWS_* variables the SDK and the CLI read.
start_moto() {
    [ -x "$VENV/bin/moto_server" ] || { echo "moto_server not in $VENV: run 'make venv'" >&2; return 1; }
    MOTO_PORT=$(free_port)
    MOTO_IAM_LOAD_MANAGED_POLICIES=true "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"${MOTO_LOG:-/dev/null}" 2>&1 &
    MOTO_PID=$!
    export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    export AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_SESSION_TOKEN
    for _ in $(seq 1 600); do
        if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/', timeout=1)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$MOTO_PID" 2>/dev/null || { echo "moto exited" >&2; return 1; }
        sleep 0.1
    done
    echo "moto did not answer on port $MOTO_PORT" >&2
    return 1
}

stop_moto() {
    [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null && wait "$MOTO_PID" 2>/dev/null
    return 0
}

#!/usr/bin/env bash
# Runs the Dockerfile where there is no Docker daemon (as on this project's build machines):
#
#   build stage    its RUN steps run on this machine in the repository root (the stage's
#                  WORKDIR /src after `COPY . .`), with this machine's Rust toolchain instead
#                  of the rust image's;
#   runtime stage  every step runs in a chroot: a fresh copy of a Debian 12 system made by
#                  debootstrap --variant=minbase (scripts/chroot-lib.sh), standing in for
#                  debian:bookworm-slim. RUN runs in the chroot, COPY copies from the
#                  repository (or, with --from=build, from the build stage's /src = the
#                  repository), ENV/USER/WORKDIR/EXPOSE are kept for the container's start;
#   the container  CMD starts as USER in WORKDIR with ENV, inside its own network namespace
#                  (unshare -n: only loopback, so port 8080 cannot clash with the host), and
#                  the HEALTHCHECK command is run in the same chroot, namespace and user until it
#                  passes (within --start-period plus --retries × --interval, at most 60 s);
#                  then the JSON API is asked a question, the process's user is checked to be
#                  non-root, and SIGTERM must stop it cleanly.
#
# Only the instructions this project's Dockerfile uses are understood (one per line; RUN in
# shell form, CMD and HEALTHCHECK CMD in exec form); any other fails loudly.
#
#   scripts/docker-chroot.sh [Dockerfile]          needs root, debootstrap, unshare, curl
#   SPORTELLO_SKIP_BUILD=1 scripts/docker-chroot.sh   reuse target/release/sportello
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root_dir}"
# shellcheck source=scripts/chroot-lib.sh
source scripts/chroot-lib.sh
dockerfile="${1:-Dockerfile}"
say() { echo "==> docker-chroot: $*"; }
fail() {
    echo "docker-chroot: $*" >&2
    exit 1
}

json_array() { # a JSON array of strings -> NUL-separated
    python3 -c 'import json, sys; a = json.loads(sys.argv[1]); assert isinstance(a, list) and all(isinstance(x, str) for x in a); sys.stdout.write("\0".join(a))' "$1"
}

# Split the Dockerfile into stages of instructions (comments and blank lines dropped).
mapfile -t lines < <(grep -v '^\s*#' "${dockerfile}" | grep -v '^\s*$')
stage=""
build_stage=()
runtime_stage=()
for line in "${lines[@]}"; do
    if [[ "${line}" =~ ^FROM[[:space:]]+([^[:space:]]+)([[:space:]]+AS[[:space:]]+([a-z]+))? ]]; then
        stage="${BASH_REMATCH[3]:-runtime}"
        say "stage ${stage}: FROM ${BASH_REMATCH[1]}"
        continue
    fi
    case "${stage}" in
    build) build_stage+=("${line}") ;;
    runtime) runtime_stage+=("${line}") ;;
    *) fail "instruction before FROM: ${line}" ;;
    esac
done

# Build stage, on this machine.
for line in "${build_stage[@]}"; do
    case "${line}" in
    "WORKDIR /src" | "COPY . .") ;; # the repository root is /src
    RUN\ *)
        if [ "${SPORTELLO_SKIP_BUILD:-0}" = 1 ]; then
            say "build: skipped (SPORTELLO_SKIP_BUILD=1): ${line#RUN }"
        else
            say "build: ${line#RUN }"
            bash -c "${line#RUN }"
        fi
        ;;
    *) fail "build stage: unsupported instruction: ${line}" ;;
    esac
done

# Runtime stage, in a fresh chroot.
chroot_ensure_base
scratch="$(mktemp -d)"
server_pid=""
cleanup() {
    [ -n "${server_pid}" ] && kill "${server_pid}" 2>/dev/null || true
    chroot_release "${scratch}"
}
trap cleanup EXIT
root="$(chroot_fresh_copy "${scratch}")"
user=root
workdir=/
envs=()
cmd=()
health=()
health_interval=30
health_start=0
health_retries=3
for line in "${runtime_stage[@]}"; do
    say "runtime: ${line:0:110}"
    case "${line}" in
    RUN\ *) chroot_run "${root}" root /bin/sh -c "${line#RUN }" ;;
    COPY\ *)
        read -r -a args <<<"${line#COPY }"
        from="."
        if [[ "${args[0]}" == --from=build ]]; then
            from="build"
            args=("${args[@]:1}")
        fi
        [ "${#args[@]}" = 2 ] || fail "COPY with other than one source: ${line}"
        src="${args[0]}"
        dst="${args[1]}"
        if [ "${from}" = build ]; then
            [[ "${src}" == /src/* ]] || fail "COPY --from=build outside /src: ${src}"
            src="${src#/src/}"
        fi
        [ -e "${src}" ] || fail "COPY source missing: ${src}"
        mkdir -p "${root}$(dirname "${dst}")"
        if [ -d "${src}" ]; then
            mkdir -p "${root}${dst}"
            cp -a "${src}/." "${root}${dst}/"
        else
            cp -a "${src}" "${root}${dst}"
        fi
        chown -R 0:0 "${root}${dst}"
        ;;
    USER\ *) user="${line#USER }" ;;
    WORKDIR\ *)
        workdir="${line#WORKDIR }"
        mkdir -p "${root}${workdir}"
        ;;
    ENV\ *=*) envs+=("${line#ENV }") ;;
    EXPOSE\ *) ;;
    HEALTHCHECK\ *)
        rest="${line#HEALTHCHECK }"
        while [[ "${rest}" == --* ]]; do
            opt="${rest%% *}"
            rest="${rest#* }"
            value="${opt#*=}"
            case "${opt}" in
            --interval=*) health_interval="${value%s}" ;;
            --start-period=*) health_start="${value%s}" ;;
            --retries=*) health_retries="${value}" ;;
            --timeout=*) ;;
            *) fail "HEALTHCHECK option ${opt}" ;;
            esac
        done
        [[ "${rest}" == CMD\ \[* ]] || fail "HEALTHCHECK must be CMD [exec form]"
        mapfile -d '' -t health < <(json_array "${rest#CMD }")
        ;;
    CMD\ \[*) mapfile -d '' -t cmd < <(json_array "${line#CMD }") ;;
    *) fail "runtime stage: unsupported instruction: ${line}" ;;
    esac
done
[ "${#cmd[@]}" -gt 0 ] || fail "no CMD"
[ "${#health[@]}" -gt 0 ] || fail "no HEALTHCHECK"
[ "${user}" != root ] || fail "the image runs as root (no USER)"

# The container: its own network namespace, CMD as USER, then the health check.
container() {
    ip link set lo up
    local env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="${workdir}" LANG=C.UTF-8 "${envs[@]}")
    local uid gid
    uid="$(chroot "${root}" id -u "${user}")"
    gid="$(chroot "${root}" id -g "${user}")"
    in_container() {
        env -i "${env_args[@]}" "${chroot_bin}" --userspec="${uid}:${gid}" "${root}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "${workdir}" "$@"
    }
    # env, chroot and sh each exec the next: $! is the server's own process.
    env -i "${env_args[@]}" "${chroot_bin}" --userspec="${uid}:${gid}" "${root}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "${workdir}" "${cmd[@]}" >"${scratch}/container.log" 2>&1 &
    local pid=$!
    # Health checks as Docker runs them: every second here instead of every --interval, up
    # to the time Docker would wait before declaring the container unhealthy.
    local budget=$((health_start + health_retries * health_interval))
    [ "${budget}" -le 60 ] || budget=60
    local t0=$SECONDS ok=0
    while [ $((SECONDS - t0)) -lt "${budget}" ]; do
        if in_container "${health[@]}" 2>/dev/null; then
            ok=1
            break
        fi
        kill -0 "${pid}" 2>/dev/null || break
        sleep 1
    done
    if [ "${ok}" != 1 ]; then
        cat "${scratch}/container.log" >&2
        echo "docker-chroot: HEALTHCHECK did not pass" >&2
        return 1
    fi
    echo "==> docker-chroot: HEALTHCHECK passed after $((SECONDS - t0)) s"
    local running_uid
    running_uid="$(awk '/^Uid:/ { print $2 }' "/proc/${pid}/status")"
    echo "==> docker-chroot: CMD ($(tr '\0' ' ' <"/proc/${pid}/cmdline")) runs as uid ${running_uid} (${user})"
    [ "${running_uid}" != 0 ] || return 1
    local reply
    reply="$(curl -sf -X POST -H 'content-type: application/json' \
        -d '{"question":"quanto costa la carta d'"'"'identità"}' \
        http://127.0.0.1:8080/v1/agencies/comune-di-esempio/ask)"
    echo "==> docker-chroot: POST /ask -> ${reply:0:100}…"
    grep -q '"kind":"answer"' <<<"${reply}" || return 1
    kill -TERM "${pid}"
    local status=0
    wait "${pid}" || status=$?
    echo "==> docker-chroot: SIGTERM -> exit status ${status}"
    [ "${status}" = 0 ]
}
export -f container
export root user workdir scratch chroot_bin health_start health_retries health_interval
start=$SECONDS
# The arrays do not cross `export`: hand them over NUL-separated.
printf '%s\0' "${cmd[@]}" >"${scratch}/cmd"
printf '%s\0' "${health[@]}" >"${scratch}/health"
printf '%s\0' "${envs[@]}" >"${scratch}/envs"
unshare -n bash -c '
    set -euo pipefail
    mapfile -d "" -t cmd <"${scratch}/cmd"
    mapfile -d "" -t health <"${scratch}/health"
    mapfile -d "" -t envs <"${scratch}/envs"
    container
'
say "ok: the runtime stage's steps ran in a debootstrap chroot, the container served and stopped ($((SECONDS - start)) s)"

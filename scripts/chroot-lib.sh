# Sourced by scripts/release-check.sh and scripts/docker-chroot.sh: a clean Debian 12 system in
# a folder, made by debootstrap (variant minbase: the essential and required packages only,
# like the debian:bookworm-slim image; no compiler, no cargo, no node).
#
# The base system is made once and cached (${SPORTELLO_CHROOT_CACHE:-/var/cache/sportello}/
# bookworm-minbase, ≈ 200 MB, ≈ 1.5 min on a 2-core machine); each run works on a fresh copy
# of it. Needs root, debootstrap (apt-get install debootstrap) and a Debian mirror
# (SPORTELLO_DEBIAN_MIRROR, default http://deb.debian.org/debian).

chroot_cache="${SPORTELLO_CHROOT_CACHE:-/var/cache/sportello}"
chroot_base="${chroot_cache}/bookworm-minbase"
# chroot lives in /usr/sbin, outside the minimal PATH the commands run with.
chroot_bin="$(command -v chroot || echo /usr/sbin/chroot)"

# Makes sure the cached base system exists (idempotent; safe against concurrent runs).
chroot_ensure_base() {
    if [ "$(id -u)" != 0 ]; then
        echo "chroot: needs root (debootstrap and chroot)" >&2
        return 1
    fi
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "==> chroot: installing debootstrap"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    fi
    mkdir -p "${chroot_cache}"
    (
        flock 9
        if [ ! -f "${chroot_base}/.complete" ]; then
            local start=$SECONDS
            echo "==> chroot: debootstrap --variant=minbase bookworm (once, cached in ${chroot_base})"
            rm -rf "${chroot_base}.tmp"
            debootstrap --variant=minbase bookworm "${chroot_base}.tmp" \
                "${SPORTELLO_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"${chroot_cache}/debootstrap.log" 2>&1 || {
                tail -20 "${chroot_cache}/debootstrap.log" >&2
                exit 1
            }
            # No package cache: the copies stay small.
            rm -rf "${chroot_base}.tmp/var/cache/apt/archives/"*.deb
            touch "${chroot_base}.tmp/.complete"
            rm -rf "${chroot_base}"
            mv "${chroot_base}.tmp" "${chroot_base}"
            echo "==> chroot: base system made in $((SECONDS - start)) s"
        fi
    ) 9>"${chroot_cache}/.lock"
}

# Prints the path of a fresh copy of the base system under $1 (a scratch folder): an overlay
# mount over the cached base where the kernel allows it (instant; writes go to $1), else a copy.
# Give the scratch folder back with chroot_release.
chroot_fresh_copy() {
    local dest="$1/root"
    mkdir -p "${dest}" "$1/upper" "$1/work"
    if ! mount -t overlay overlay -o "lowerdir=${chroot_base},upperdir=$1/upper,workdir=$1/work" "${dest}" 2>/dev/null; then
        rmdir "${dest}"
        cp -a "${chroot_base}" "${dest}"
    fi
    rm -f "${dest}/.complete"
    echo "${dest}"
}

# Unmounts and deletes a scratch folder of chroot_fresh_copy.
chroot_release() {
    [ -n "$1" ] && [ -d "$1" ] || return 0
    if mountpoint -q "$1/root" 2>/dev/null; then
        umount "$1/root" || umount -l "$1/root"
    fi
    rm -rf "$1"
}

# Runs a command inside the chroot $1 with a minimal environment (Docker's default PATH, inside
# the chroot; nothing of the
# host's toolchains is visible), as user $2 (a name of the chroot's /etc/passwd, or root).
chroot_run() {
    local root="$1" user="$2"
    shift 2
    local spec=()
    if [ "${user}" != root ]; then
        spec=(--userspec="$(chroot "${root}" id -u "${user}"):$(chroot "${root}" id -g "${user}")")
    fi
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp LANG=C.UTF-8 ${CHROOT_ENV:-} \
        "${chroot_bin}" "${spec[@]}" "${root}" "$@"
}

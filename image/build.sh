#!/usr/bin/env bash
# `make image`: builds localhost/satveto:<version> (and :latest) from the Containerfile, unchanged.
#
# Base images.  The Containerfile starts from docker.io/library/debian:<release> and
# <release>-slim.  SATVETO_IMAGE_BASE says where they come from:
#   registry  pull them (newer ones when the registry has them): the production build;
#   local     never pull: use debian:<release>[-slim] as podman already holds them, making
#             them first when missing with mmdebstrap from Debian's package mirror (a minbase
#             root filesystem with the slim images' dpkg exclusions), imported under those
#             names and kept in podman's storage as the cache for later builds; remade when
#             older than SATVETO_BASE_MAX_AGE_DAYS (7), so security updates arrive weekly;
#   auto      (default) registry when it answers, local otherwise.
#
# Package indexes.  The build's RUN steps reach Debian and PyPI from inside the build
# container.  When this machine's pip is configured with a CA bundle (a TLS-inspecting proxy)
# or an http(s) index, the same settings are given to the build's pip: a pip.conf and the CA
# bundle in a directory bind-mounted over /root for the RUN steps only.  Nothing of them lands
# in the image (the smoke test checks), and the Containerfile does not know about them.
#
# Environment: SATVETO_IMAGE (default localhost/satveto:<version from pyproject.toml>),
# SATVETO_IMAGE_BASE, SATVETO_BASE_MAX_AGE_DAYS, SATVETO_BUILD_ISOLATION (default chroot:
# RUN steps need no OCI runtime; `oci` is podman's usual one), DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
image=${SATVETO_IMAGE:-localhost/satveto:$version}
release=$(sed -n 's/^ARG DEBIAN_RELEASE=\(.*\)$/\1/p' Containerfile | head -n 1)
mode=${SATVETO_IMAGE_BASE:-auto}
max_age_days=${SATVETO_BASE_MAX_AGE_DAYS:-7}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org}
bases=("docker.io/library/debian:$release" "docker.io/library/debian:$release-slim")
build_cache=localhost/satveto-build-cache:latest
work=build/image
mkdir -p "$work"

say() { echo "image: $*"; }

# Age in days of a base made here by mmdebstrap; empty when the image is absent or pulled.
local_base_age() {
  local created
  created=$(podman image inspect --format '{{index .Labels "org.satveto.local-base"}}' "$1" \
    2>/dev/null) || return 0
  [[ $created =~ ^[0-9]+$ ]] && echo $((($(date +%s) - created) / 86400))
  return 0
}

make_local_base() {
  # One builder at a time per machine (every checkout shares podman's storage); the second
  # waits and then finds the base made.
  local lock=/run/lock/satveto-image-base.lock
  [[ -w ${lock%/*} ]] || lock="$work/base.lock"
  exec 9>"$lock"
  flock 9
  local age fresh=yes
  for base in "${bases[@]}"; do
    age=$(local_base_age "$base")
    if ! podman image exists "$base"; then
      fresh=no
    elif [[ -n $age && $age -ge $max_age_days ]]; then
      fresh=no
    fi
  done
  if [[ $fresh == yes ]]; then
    say "base: ${bases[*]} (in podman's storage)"
    return
  fi
  say "base: making debian:$release with mmdebstrap from $mirror (no registry)"
  local rootfs="$work/debian-$release.tar" started=$SECONDS
  rm -f "$rootfs"
  # minbase + merged /usr (without the usrmerge package and its perl); the dpkg exclusions are
  # those of Debian's slim images, kept in the image so later packages follow them too; apt
  # keeps no package cache, as in Debian's images for containers.
  mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/groff/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='path-exclude=/usr/share/linda/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
    --customize-hook='printf "%s\n" "Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" \
      "APT::Keep-Downloaded-Packages \"false\";" "Acquire::Languages \"none\";" \
      >"$1/etc/apt/apt.conf.d/90container" && rm -f "$1"/var/cache/apt/*.bin' \
    "$release" "$rootfs" \
    "deb $mirror/debian $release main" \
    "deb $mirror/debian $release-updates main" \
    "deb $mirror/debian-security $release-security main"
  podman import --quiet --change 'CMD ["bash"]' \
    --change "LABEL org.satveto.local-base=$(date +%s)" "$rootfs" "${bases[1]}" >/dev/null
  podman tag "${bases[1]}" "${bases[0]}"
  rm -f "$rootfs"
  podman image prune --force >/dev/null  # the base it replaced, if any
  say "base: made in $((SECONDS - started)) s"
}

registry_answers() {
  timeout 60 podman pull --quiet "${bases[@]}" >/dev/null 2>&1
}

# pip settings of this machine that the build's pip needs too.
pip_setting() {
  local value=""
  if command -v pip3 >/dev/null; then
    value=$(pip3 config get "global.$1" 2>/dev/null) || value=""
  fi
  echo "${value:-}"
}

# The whole flow is one function, read by bash before it runs: editing this file during a
# build cannot change what the running build does.
main() {
  if [[ $(id -u) != 0 ]]; then
    echo "image: run as root (podman's system storage; mmdebstrap --mode=root)" >&2
    exit 1
  fi
  build_args=(--format docker --file Containerfile
    --isolation "${SATVETO_BUILD_ISOLATION:-chroot}" --layers)
  case $mode in
    registry) build_args+=(--pull=newer) ;;
    local) make_local_base; build_args+=(--pull=never) ;;
    auto)
      if registry_answers; then
        say "base: ${bases[*]} from the registry"
      else
        make_local_base
      fi
      build_args+=(--pull=never) ;;
    *) echo "SATVETO_IMAGE_BASE: expected registry, local or auto, got '$mode'" >&2; exit 2 ;;
  esac

  # pip reads ~/.config/pip/pip.conf; the RUN steps run as root with HOME=/root, which exists in
  # every base image, so a directory mounted there leaves no mount point behind in the image.
  ca_bundle=${PIP_CERT:-$(pip_setting cert)}
  index=${PIP_INDEX_URL:-$(pip_setting index-url)}
  home="$work/build-home"
  rm -rf "$home"
  mkdir -p "$home/.config/pip"
  settings=()
  if [[ -n $ca_bundle && -f $ca_bundle ]]; then
    cp "$ca_bundle" "$home/.config/pip/ca.crt"
    settings+=("cert = /root/.config/pip/ca.crt")
  fi
  [[ $index =~ ^https?:// ]] && settings+=("index-url = $index")
  if [[ ${#settings[@]} -gt 0 ]]; then
    printf '%s\n' "[global]" "${settings[@]}" >"$home/.config/pip/pip.conf"
    build_args+=(--volume "$(realpath "$home"):/root")
    say "pip in the build: this machine's ${settings[*]%% =*}"
  fi

  started=$SECONDS
  podman build "${build_args[@]}" --tag "$image" --tag localhost/satveto:latest .
  say "built $image in $((SECONDS - started)) s, $(podman image inspect --format '{{.Size}}' \
    "$image" | awk '{printf "%.0f MB", $1 / 1e6}')"
  # Each build with changed sources leaves the previous image and build stage (700 MB)
  # untagged.  The build stage just made is tagged (all layers cached: seconds) so that it
  # stays as the cache of the next build, then every untagged image goes.
  podman build "${build_args[@]}" --target build --tag "$build_cache" --quiet . >/dev/null
  podman image prune --force >/dev/null
  say "storage: $(podman images --quiet | sort -u | wc -l) images kept (base, image, build cache)"
}

main "$@"; exit

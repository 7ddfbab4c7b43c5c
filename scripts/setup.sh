#!/usr/bin/env bash
# Installs the Debian packages this project needs, only those missing.
# Idempotent: when everything is there it changes nothing and says so.
# Without root and with packages missing, it names them and stops.

set -euo pipefail

packages=(
    # building the module the way Debian builds nginx modules
    gcc make libc6-dev nginx nginx-dev libssl-dev libcjson-dev
    # the system's CA bundle, which vod_ssl_trusted_certificate defaults to
    ca-certificates
    # command-line tools (load client, emulator helpers) use libcurl
    libcurl4-openssl-dev
    # the tests: Test::Base for the Test::Nginx format (perl itself brings
    # the headers for the emulator's small XS part), curl for HTTP/2
    # requests, openssl to make a test certificate
    perl libtest-base-perl curl openssl
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} Debian packages are installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

echo "setup: done"

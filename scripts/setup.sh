#!/usr/bin/env bash
# Installs the Debian packages this project needs, only those missing, then
# the node packages of the tests (t/node, pinned by its package-lock.json)
# and of the upload page (examples/upload-page).  `setup.sh heavy` adds
# what make fuzz, make test-asan and make test-valgrind need; `setup.sh
# bench` what the benchmarks need (make -C bench events: wrk; make -C
# bench h2: h2load).
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
    # the browser test of the upload page (t/027): Debian's Chromium,
    # driven headless by playwright-core (npm, t/node)
    chromium
    # promtool, which checks vod_status' Prometheus format (t/029); it
    # comes with the Prometheus server, whose service is left stopped
    prometheus
)

# `setup.sh heavy` (make fuzz, test-asan, test-valgrind): clang with
# libFuzzer and its sanitizer runtimes, gcc's ASan runtime, valgrind
if [ "${1:-}" = heavy ]; then
    packages+=(clang libclang-rt-14-dev libasan8 valgrind)
fi

# `setup.sh bench`: wrk, the HTTP load generator with Lua scripting that
# drives the events benchmark (make -C bench events), and nghttp2's
# h2load, the client of the HTTP/2 benchmark (make -C bench h2)
if [ "${1:-}" = bench ]; then
    packages+=(wrk nghttp2-client)
fi

# `setup.sh deb` (make deb): debhelper and what dpkg-buildpackage takes for
# granted (build-essential), lintian to check the package
if [ "${1:-}" = deb ]; then
    packages+=(build-essential debhelper dpkg-dev lintian)
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

# node and npm run Tencent's official COS SDK against the emulator
# (t/105-emulator-sdk.t) and tus-js-client against nginx (t/023, the
# demo); any node >= 18 will do, Debian's when none is
# there (a node from elsewhere may bring its own npm)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all Debian packages are installed"
else
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "setup: run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi

    echo "setup: installing ${missing[*]}"

    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"

    # only promtool is wanted: the server Debian starts with the package
    # (under systemd) is stopped and disabled
    if [[ " ${missing[*]} " == *" prometheus "* ]] \
       && [ -d /run/systemd/system ]; then
        systemctl disable --now prometheus.service || true
    fi
fi

# the node packages, exactly as each package-lock.json pins them: the
# tests' (t/node) and the upload page's (tus-js-client, served to the
# browser); again only when a lock file changed since the last install
root="$(cd "$(dirname "$0")/.." && pwd)"
for node_dir in "$root/t/node" "$root/examples/upload-page"; do
    stamp="$node_dir/node_modules/.setup-lock-sha256"
    want=$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "setup: node packages in ${node_dir#"$root"/} are installed"
    else
        echo "setup: npm ci in ${node_dir#"$root"/}"
        (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund)
        echo "$want" > "$stamp"
    fi
done

echo "setup: done"

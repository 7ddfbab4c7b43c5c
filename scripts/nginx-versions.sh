#!/usr/bin/env bash
# The suite against nginx built from source, for each version given (default
# Debian 12's 1.22 and Debian 13's 1.26), with the module built in both ways
# `config` allows: as a dynamic module (--add-dynamic-module, loaded by
# load_module) and linked into nginx (--add-module). The sources are the
# upstream tarballs Debian ships (apt-get source; for 1.26 a deb-src entry
# for trixie is added under /etc/apt/sources.list.d/, which needs root);
# builds go to build/nginx-versions/. Each run prints prove's summary; the
# exit code is non-zero when any failed.
#
#   scripts/nginx-versions.sh [1.22 1.26 ...]
#   make test-nginx-versions [NGINX_VERSIONS='1.22 1.26'] [NGINX_VERSIONS_TESTS='t/010-upload.t ...']
#
# NGINX_VERSIONS_TESTS: the test files (default: every t/*.t but the Debian
# package's, which is about Debian's own nginx).

set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/nginx-versions"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.22 1.26)

# what the suite needs of nginx: the debug log (the tests read it; Debian
# builds nginx with it), TLS, HTTP/2, threads, auth_request, realip,
# secure_link; sub and dav (the runner's own tests use them)
flags=(--with-debug --with-compat --with-threads --with-http_ssl_module
       --with-http_v2_module --with-http_realip_module
       --with-http_auth_request_module --with-http_secure_link_module
       --with-http_stub_status_module --with-http_sub_module
       --with-http_dav_module)

mkdir -p "$out"

# the Debian suite whose source package has the version
suite_of() {
    case "$1" in
        1.22) echo bookworm ;;
        1.26) echo trixie ;;
        *) echo "nginx-versions: no Debian suite known for nginx $1" >&2
           return 1 ;;
    esac
}

fetch() {
    local v="$1" suite want
    suite=$(suite_of "$v")

    if [ "$suite" = trixie ] \
       && [ ! -e /etc/apt/sources.list.d/nginx-versions-trixie-src.sources ]
    then
        cat > /etc/apt/sources.list.d/nginx-versions-trixie-src.sources <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        apt-get update -q
    fi

    want=$(apt-cache showsrc nginx | sed -n 's/^Version: //p' \
           | grep "^$v\." | sort -V | tail -1)
    if [ -z "$want" ]; then
        echo "nginx-versions: no nginx $v source package (deb-src?)" >&2
        return 1
    fi

    # the upstream tarball is what counts: a Debian part that cannot be
    # fetched (a mirror that lags) does not stop it
    (cd "$out" && apt-get source -q --download-only "nginx=$want" || true)

    tarball=$(ls "$out"/nginx_"${want%%-*}".orig.tar.gz 2>/dev/null || true)
    if [ -z "$tarball" ]; then
        echo "nginx-versions: nginx $want's tarball did not come" >&2
        return 1
    fi

    rm -rf "$out/src-$v"
    mkdir -p "$out/src-$v"
    tar -xzf "$tarball" -C "$out/src-$v" --strip-components=1
    echo "nginx-versions: nginx ${want%%-*} (Debian $suite's $want)"
}

# build $v as $how (dynamic or static) in $out/$v-$how
build() {
    local v="$1" how="$2" dir="$out/$v-$how" add
    add=--add-dynamic-module
    [ "$how" = static ] && add=--add-module

    rm -rf "$dir"
    (cd "$out/src-$v" \
     && ./configure "${flags[@]}" --prefix="$dir/prefix" --builddir="$dir" \
            "$add=$root" > "$dir.configure.log" 2>&1 \
     && make -f "$dir/Makefile" -j"$(nproc)" > "$dir.make.log" 2>&1) || {
        echo "nginx-versions: nginx $v ($how) did not build:" >&2
        tail -20 "$dir.make.log" "$dir.configure.log" 2>/dev/null >&2
        return 1
    }
}

tests=()
if [ -n "${NGINX_VERSIONS_TESTS:-}" ]; then
    read -r -a tests <<< "$NGINX_VERSIONS_TESTS"
else
    for t in "$root"/t/*.t; do
        case "$t" in */031-deb.t) continue ;; esac
        tests+=("$t")
    done
fi

failed=()

for v in "${versions[@]}"; do
    fetch "$v"

    for how in dynamic static; do
        build "$v" "$how"

        dir="$out/$v-$how"
        modules=
        [ "$how" = dynamic ] && modules="$dir/ngx_http_vod_upload_module.so"

        echo "== nginx $v, the module $how: $("$dir/nginx" -v 2>&1)"
        if TEST_NGINX_BINARY="$dir/nginx" \
           TEST_NGINX_LOAD_MODULES="$modules" \
           TEST_NGINX_SERVROOT="$out/servroot-$v-$how" \
           prove -I "$root/t/lib" "${tests[@]}" > "$dir.prove.log" 2>&1
        then
            tail -2 "$dir.prove.log"
        else
            tail -25 "$dir.prove.log"
            failed+=("$v-$how")
        fi
    done
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "nginx-versions: failed: ${failed[*]} (build/nginx-versions/*.prove.log)"
    exit 1
fi

echo "nginx-versions: passed: ${versions[*]}, dynamic and static"

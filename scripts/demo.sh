#!/usr/bin/env bash
# The main job: start Debian's nginx with the module on loopback and show
# it answering.  Run through `make demo`, which installs and builds first.
#
# Until the relay to VOD exists, the upload location answers a PUT with
# 501 and anything else with 405; both answers are JSON.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX:-/usr/sbin/nginx}
module=$root/build/nginx/ngx_http_vod_upload_module.so
port=${DEMO_PORT:-8480}
prefix=$root/build/demo

rm -rf "$prefix"
mkdir -p "$prefix"/{conf,logs,tmp}

cat > "$prefix/conf/nginx.conf" <<CONF
load_module $module;

daemon off;
master_process off;
error_log logs/error.log info;
pid logs/nginx.pid;

events {
    worker_connections 64;
}

http {
    access_log logs/access.log;
    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;

    vod_secret_id     AKIDdemoEXAMPLE;
    vod_secret_key    demoSecretKeyEXAMPLE;

    server {
        listen 127.0.0.1:$port;

        location /upload/ {
            vod_upload;
        }

        location = /health {
            return 204;
        }
    }
}
CONF

echo "== nginx -t with the module loaded"
"$nginx" -t -p "$prefix" -c conf/nginx.conf

"$nginx" -p "$prefix" -c conf/nginx.conf &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
    kill -0 $pid 2>/dev/null || { echo "nginx did not start" >&2; exit 1; }
    sleep 0.05
done

echo
echo "== GET /upload/sample.mp4"
curl -s -i "http://127.0.0.1:$port/upload/sample.mp4"
echo
echo "== PUT /upload/sample.mp4 (1 MiB)"
head -c 1048576 /dev/urandom > "$prefix/sample.mp4"
curl -s -i -T "$prefix/sample.mp4" "http://127.0.0.1:$port/upload/sample.mp4"
echo
echo "== error log"
cat "$prefix/logs/error.log"

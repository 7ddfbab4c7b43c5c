#!/usr/bin/env bash
# The main job, run by `make demo` (which installs and builds first):
# the local VOD + COS emulator, Debian's nginx with the module, a generated
# sample uploaded end to end, the JSON answer printed, and the bytes that
# landed compared with the sample; then VOD's events: NewFileUpload pushed
# to nginx, which starts ProcessMedia, and ProcedureStateChanged with the
# transcoded outputs, in nginx's log.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX:-/usr/sbin/nginx}
module=$root/build/nginx/ngx_http_vod_upload_module.so
port=${DEMO_PORT:-8480}
prefix=$root/build/demo
secret_id=AKIDdemo0123456789abcdefghijklmnopqrs
secret_key=demoSecretKey0123456789abcdefghij
event_key=demoEventKey42

rm -rf "$prefix"
mkdir -p "$prefix"/{conf,logs,tmp}

pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

echo "== the VOD + COS emulator (t/emulator/vod-emulator)"
"$root/t/emulator/vod-emulator" --listen 127.0.0.1:0 --data "$prefix/emulator" \
    --secret-id "$secret_id" --secret-key "$secret_key" \
    --callback-url "http://127.0.0.1:$port/vod/events" \
    --callback-sign-key "$event_key" --task-delay-ms 500 \
    > "$prefix/emulator.out" 2> "$prefix/emulator.err" &
pids+=($!)

emulator=
for _ in $(seq 1 100); do
    emulator=$(sed -n 's/^vod-emulator: ready on //p' "$prefix/emulator.out")
    [ -n "$emulator" ] && break
    kill -0 "${pids[0]}" 2>/dev/null \
        || { cat "$prefix/emulator.err" >&2; exit 1; }
    sleep 0.05
done
[ -n "$emulator" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "listening on $emulator"

cat > "$prefix/conf/nginx.conf" <<CONF
load_module $module;

daemon off;
master_process off;
error_log logs/error.log info;
pid logs/nginx.pid;

events {
    worker_connections 256;
}

http {
    log_format vod '\$status file=\$vod_file_id parts=\$vod_upload_parts '
                   'bytes=\$vod_upload_bytes err=\$vod_upload_error '
                   '\$request_time s';
    access_log logs/access.log vod;
    log_format vod_events '\$status \$vod_event_type file=\$vod_event_file_id '
                          'task=\$vod_event_task_id';

    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;
    vod_upload_journal tmp/vod_upload;

    vod_secret_id     $secret_id;
    vod_secret_key    $secret_key;
    vod_api_endpoint  http://$emulator;    # instead of vod.tencentcloudapi.com
    vod_cos_endpoint  http://$emulator;    # instead of <bucket>.cos.<region>...

    server {
        listen 127.0.0.1:$port;

        location /upload/ {
            vod_upload;
            vod_upload_part_size        8m;
            vod_upload_parts_in_flight  4;
            vod_upload_source_context   "demo-\$msec";
            client_max_body_size        1g;
            client_body_buffer_size     1m;
        }

        # VOD's events (the emulator pushes them here, signed)
        location = /vod/events {
            vod_callback;
            vod_callback_sign_key   $event_key;
            vod_callback_transcode  100010 100020;
            vod_callback_pass       /app/vod-events;
            access_log              logs/events.log vod_events;
        }

        # the application would be behind this location
        location = /app/vod-events {
            internal;
            return 204;
        }

        # resumable uploads (tus 1.0): tus-js-client, Uppy, ...
        location /files/ {
            vod_upload;
            vod_upload_tus              on;
            vod_upload_tus_key_file     tus.key;
            vod_upload_part_size        8m;
            vod_upload_source_context   "demo-tus-\$vod_upload_meta_ref";
            client_max_body_size        1g;
        }

        location = /health {
            return 204;
        }
    }
}
CONF

# the secret that seals the upload URLs of resumable uploads
head -c 32 /dev/urandom | base64 > "$prefix/conf/tus.key"

echo
echo "== nginx -t with the module loaded"
"$nginx" -t -p "$prefix" -c conf/nginx.conf

"$nginx" -p "$prefix" -c conf/nginx.conf &
pids+=($!)

for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
    kill -0 "${pids[1]}" 2>/dev/null || { echo "nginx did not start" >&2; exit 1; }
    sleep 0.05
done

sample=$prefix/sample.mp4
head -c $((20 * 1024 * 1024)) /dev/urandom > "$sample"
sent=$(md5sum < "$sample" | cut -d' ' -f1)

echo
echo "== PUT /upload/sample.mp4 (20 MiB, MD5 $sent)"
answer=$(curl -sS -T "$sample" "http://127.0.0.1:$port/upload/sample.mp4")
echo "$answer"

media_url=$(printf '%s' "$answer" | sed -n 's/.*"MediaUrl":"\([^"]*\)".*/\1/p')
if [ -z "$media_url" ]; then
    echo "the upload failed" >&2
    exit 1
fi

landed=$(curl -sS "$media_url" | md5sum | cut -d' ' -f1)
echo
echo "== GET $media_url"
if [ "$landed" = "$sent" ]; then
    echo "MD5 $landed: the bytes that landed are the sample's"
else
    echo "MD5 $landed: not the sample's ($sent)" >&2
    exit 1
fi

echo
echo "== tus: the sample with tus-js-client, the connection cut at 12 MB, resumed"
# the first 8 MiB part and the 3.6 MB after it (a shorter part: COS takes
# parts from 1 MiB) are kept; tus-js-client asks (HEAD) and goes on
tus=$(node "$root/t/node/tus-client.js" "{\"endpoint\": \"http://127.0.0.1:$port/files/\",
    \"file\": \"$sample\", \"metadata\": {\"filename\": \"resumed.mp4\", \"ref\": \"42\"},
    \"stop_at\": 12000000, \"cut_when\": 8388608, \"expect_offset\": 12000000}")
echo "$tus"
tus_url=$(printf '%s\n' "$tus" | sed -n 's/^success [0-9]* [0-9]* //p')
if [ -z "$tus_url" ]; then
    echo "the resumable upload failed" >&2
    exit 1
fi
landed=$(curl -sS "$tus_url" | md5sum | cut -d' ' -f1)
if [ "$landed" = "$sent" ]; then
    echo "MD5 $landed: the bytes that landed are the sample's"
else
    echo "MD5 $landed: not the sample's ($sent)" >&2
    exit 1
fi

echo
echo "== GET /upload/sample.mp4 (not an upload)"
curl -sS "http://127.0.0.1:$port/upload/sample.mp4"

echo
echo "== what the emulator received"
curl -sS "http://$emulator/__emulator/state?md5=0" \
    | perl -MJSON::PP -e 'my $s = decode_json(join "", <STDIN>);
        print join(" ", map { $_->{op} } grep { $_->{op} ne "control" }
                        @{ $s->{requests} }), "\n"'

echo
echo "== VOD's events: NewFileUpload -> ProcessMedia -> ProcedureStateChanged"
# the emulator pushes them; the transcode finishes --task-delay-ms later
for _ in $(seq 1 200); do
    [ "$(grep -c 'vod event: Transcode Definition' "$prefix/logs/error.log")" -ge 2 ] \
        && break
    sleep 0.05
done
if [ "$(grep -c 'vod event: Transcode Definition' "$prefix/logs/error.log")" -lt 2 ]; then
    echo "the transcoding results did not come" >&2
    grep 'vod event' "$prefix/logs/error.log" >&2 || true
    exit 1
fi
grep 'vod event' "$prefix/logs/error.log" \
    | sed 's/ while handling a VOD event.*//; s/^[^*]*\*[0-9]* //'

echo
echo "== nginx's error log (info) and access log"
grep 'vod upload' "$prefix/logs/error.log" | sed 's/, client: .*//'
cat "$prefix/logs/access.log"

echo
echo "== the events' access log"
cat "$prefix/logs/events.log"

#!/usr/bin/env bash
# The main job, run by `make demo` (which installs and builds first):
# the local VOD + COS emulator, Debian's nginx with the module, a generated
# sample uploaded end to end, the JSON answer printed, and the bytes that
# landed compared with the sample; then VOD's events: NewFileUpload pushed
# to nginx, which starts ProcessMedia, and ProcedureStateChanged with the
# transcoded outputs, in nginx's log; a form upload with a cover; and
# the upload page (examples/upload-page) served from its own origin: when
# started from a terminal, the demo keeps serving it until Ctrl-C.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
nginx=${NGINX:-/usr/sbin/nginx}
module=$root/build/nginx/ngx_http_vod_upload_module.so
port=${DEMO_PORT:-8480}
page_port=${DEMO_PAGE_PORT:-$((port + 1))}
page_root=$root/examples/upload-page
# a directory of its own per port: two demos at once do not meet
prefix=$root/build/demo-$port
secret_id=AKIDdemo0123456789abcdefghijklmnopqrs
secret_key=demoSecretKey0123456789abcdefghij
event_key=demoEventKey42

rm -rf "$prefix"
mkdir -p "$prefix"/{conf,logs,tmp}

# what this run's nginx answers on /health, so that another server on
# the port is not taken for it
run_id=demo-$$-$RANDOM

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

echo
echo "== the upload page's application (examples/upload-page/events-app.js)"
node "$page_root/events-app.js" "unix:$prefix/app.sock" \
    > "$prefix/app.out" 2> "$prefix/app.err" &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q 'ready on' "$prefix/app.out" && break
    kill -0 "${pids[1]}" 2>/dev/null || { cat "$prefix/app.err" >&2; exit 1; }
    sleep 0.05
done
cat "$prefix/app.out"

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

        # PUT, and the POST of a browser's form (a cover, text fields, the
        # media); the upload page's origin may use it (CORS)
        location /upload/ {
            vod_upload;
            vod_upload_form             on;
            vod_upload_cors             http://127.0.0.1:$page_port;
            vod_upload_media_name       \$vod_upload_form_title;
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

        # the application: the upload page's shows the events to the page
        location = /app/vod-events {
            internal;
            proxy_pass http://unix:$prefix/app.sock:/vod-events;
        }

        # resumable uploads (tus 1.0): tus-js-client, Uppy, ...
        location /files/ {
            vod_upload;
            vod_upload_tus              on;
            vod_upload_tus_key_file     tus.key;
            vod_upload_cors             http://127.0.0.1:$page_port;
            vod_upload_media_name       \$vod_upload_meta_title;
            vod_upload_part_size        8m;
            vod_upload_source_context   "demo-tus-\$vod_upload_meta_ref";
            client_max_body_size        1g;
        }

        location = /health {
            return 200 "$run_id";
        }

        # the module's counters (docs/metrics.md)
        location = /vod-status {
            vod_status;
            allow 127.0.0.1;
            deny all;
        }
    }

    # the upload page, on an origin of its own
    server {
        listen 127.0.0.1:$page_port;
        root $page_root;
        types {
            text/html               html;
            text/css                css;
            application/javascript  js;
        }

        # where the page uploads to, and asks for the events
        location = /config.json {
            default_type application/json;
            return 200 '{"tus": "http://127.0.0.1:$port/files/",
                         "form": "http://127.0.0.1:$port/upload/",
                         "put": "http://127.0.0.1:$port/upload/",
                         "events": "/app/events"}';
        }

        # tus-js-client, as npm installed it
        location /tus-js-client/ {
            alias $page_root/node_modules/tus-js-client/dist/;
        }

        # the page's long polls; only these: the application's
        # /vod-events is for nginx alone (a page could forge events)
        location = /app/events {
            proxy_pass http://unix:$prefix/app.sock:/events;
        }

        location ~ ^/(node_modules|package|events-app) {
            return 404;
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
nginx_pid=$!

for _ in $(seq 1 100); do
    [ "$(curl -s "http://127.0.0.1:$port/health")" = "$run_id" ] && break
    kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx did not start" >&2; exit 1; }
    sleep 0.05
done
if [ "$(curl -s "http://127.0.0.1:$port/health")" != "$run_id" ]; then
    echo "nginx did not answer on port $port (is another server there?)" >&2
    exit 1
fi

sample=$prefix/sample.mp4
head -c $((20 * 1024 * 1024)) /dev/urandom > "$sample"
sent=$(md5sum < "$sample" | cut -d' ' -f1)

echo
echo "== PUT /upload/sample.mp4 (20 MiB, MD5 $sent)"
answer=$(curl -sS -T "$sample" "http://127.0.0.1:$port/upload/sample.mp4")
echo "$answer"

media_url=$(printf '%s' "$answer" | sed -n 's/.*"MediaUrl":"\([^"]*\)".*/\1/p')
file_id=$(printf '%s' "$answer" | sed -n 's/.*"FileId":"\([^"]*\)".*/\1/p')
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
echo "== a browser's form: POST /upload/ with a title, a cover, then the media"
cover=$prefix/poster.jpg
printf '\xff\xd8\xff\xe0 a poster (the demo does not draw one) \xff\xd9' > "$cover"
answer=$(curl -sS -F "title=Demo by form" -F "cover=@$cover;type=image/jpeg" \
              -F "media=@$sample;type=video/mp4" "http://127.0.0.1:$port/upload/")
echo "$answer"
cover_url=$(printf '%s' "$answer" | sed -n 's/.*"CoverUrl":"\([^"]*\)".*/\1/p')
if [ -z "$cover_url" ]; then
    echo "the form upload failed" >&2
    exit 1
fi
if cmp -s "$cover" <(curl -sS "$cover_url"); then
    echo "the cover at CoverUrl is the one sent"
else
    echo "the cover at CoverUrl is not the one sent" >&2
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
echo "== VOD's events of the PUT: NewFileUpload -> ProcessMedia -> ProcedureStateChanged"
# the emulator pushes them; the transcode finishes --task-delay-ms later
transcoded() {
    grep 'vod event: Transcode Definition' "$prefix/logs/error.log" \
        | grep -cF "/vod/$file_id/" || true
}
for _ in $(seq 1 200); do
    [ "$(transcoded)" -ge 2 ] && break
    sleep 0.05
done
if [ "$(transcoded)" -lt 2 ]; then
    echo "the transcoding results did not come" >&2
    grep 'vod event' "$prefix/logs/error.log" >&2 || true
    exit 1
fi
grep 'vod event' "$prefix/logs/error.log" | grep -F "$file_id" \
    | sed 's/ while handling a VOD event.*//; s/^[^*]*\*[0-9]* //'

echo
echo "== the same events as the page's application got them (vod_callback_pass)"
echo "GET http://127.0.0.1:$page_port/app/events?file_id=$file_id"
curl -sS "http://127.0.0.1:$page_port/app/events?file_id=$file_id" \
    | perl -MJSON::PP -e 'my $r = decode_json(join "", <STDIN>);
        print map { "$_->{type} FileId $_->{file_id}"
                    . ($_->{task_id} ? " TaskId $_->{task_id}" : "") . "\n" }
              @{ $r->{events} }'

echo
echo "== nginx's error log (info) and access log"
grep 'vod upload' "$prefix/logs/error.log" | sed 's/, client: .*//'
cat "$prefix/logs/access.log"

echo
echo "== the events' access log"
cat "$prefix/logs/events.log"

echo
echo "== the module's counters: GET http://127.0.0.1:$port/vod-status?format=prometheus (some)"
curl -sS "http://127.0.0.1:$port/vod-status?format=prometheus" \
    | grep -E '^vod_(uploads_total|upload_received_bytes_total|cos_sent_bytes_total|parts_retried_total|events_total|process_media_total\{result="ok"\})|^vod_(cos|api)_requests_total\{.*result="ok"\} [1-9]'

# from a terminal: the upload page, until Ctrl-C
if [ -t 0 ] && [ -t 1 ]; then
    echo
    echo "== the upload page: http://127.0.0.1:$page_port/"
    echo "drop a video on it (tus, a form with a cover, or a PUT); its events"
    echo "appear as the emulator transcodes. Ctrl-C stops the demo."
    wait "$nginx_pid" || true
fi

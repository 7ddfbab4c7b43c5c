# nginx -t and the vod_callback directives: every mistake is caught with
# the directive, the value and the place; good configurations start.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a complete vod_callback configuration starts and answers
--- http_config
vod_secret_id       AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE;
vod_secret_key      Gu5t9xGARNpq86cd98joQYCN3EXAMPLE;
vod_api_endpoint    http://127.0.0.1:9;
vod_sub_app_id      1500000001;
--- config
location = /vod/events {
    vod_callback;
    vod_callback_sign_key_file ../html/sign.key;
    vod_callback_transcode 100010 100020 100030 100040;
    vod_callback_pass /app/vod-events;
}
location /app/ {
    internal;
    return 204;
}
--- user_files
>>> sign.key
abc123
--- request
GET /vod/events
--- error_code: 405



=== TEST 2: only receiving needs no secrets and no endpoints
--- config
location = /cb {
    vod_callback;
}
--- request
POST /cb
{"EventType":"FileDeleted"}
--- error_code: 200
--- response_body
{"EventType":"FileDeleted"}



=== TEST 3: transcoding needs the secrets
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback" in \S+nginx\.conf:\d+ has no secret id: set "vod_secret_id"/



=== TEST 4: pulling needs the secrets too
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback" in \S+nginx\.conf:\d+ has no secret id/



=== TEST 5: a sign key of other characters than letters and digits
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc-123;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_sign_key" must be 1 to 32 letters and digits, as VOD's SignKey is in \S+nginx\.conf:\d+/



=== TEST 6: a sign key of 33 characters
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key 123456789012345678901234567890123;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_sign_key" must be 1 to 32 letters and digits/



=== TEST 7: a sign key file that does not exist
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key_file ../html/no-such.key;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*no-such\.key/



=== TEST 8: a transcoding template that is not a number
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 mp4-720p;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_transcode" "mp4-720p" is not a transcoding template id \(a positive integer such as 100010\) in \S+nginx\.conf:\d+/



=== TEST 9: 65 templates
--- http_config eval
"vod_secret_id AKIDEXAMPLE;\nvod_secret_key EXAMPLEKEY;\n"
--- config eval
"location = /cb {\n    vod_callback;\n    vod_callback_transcode "
. CORE::join(' ', 100001 .. 100065) . ";\n}\n"
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_transcode" directive takes at most 64 definitions/



=== TEST 10: both a transcode and a task flow
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
    vod_callback_procedure LongVideoPreset;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback" in \S+nginx\.conf:\d+ has both "vod_callback_transcode" and "vod_callback_procedure"/



=== TEST 11: vod_callback_pass to something that is not a URI
--- config
location = /cb {
    vod_callback;
    vod_callback_pass http://127.0.0.1:8080/events;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_pass" "http:\/\/127\.0\.0\.1:8080\/events" is not a URI of a location: it starts with "\/" and has no arguments/



=== TEST 12: vod_callback_pass with arguments
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app?from=vod;
}
--- must_die
--- error_log
is not a URI of a location



=== TEST 13: vod_callback_pull without vod_callback
--- config
location = /cb {
    vod_callback_pull on;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_pull" needs "vod_callback" in the same location/



=== TEST 14: two locations pulling
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
--- config
location = /cb1 {
    vod_callback;
    vod_callback_pull on;
}
location = /cb2 {
    vod_callback;
    vod_callback_pull on;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback_pull" in \S+nginx\.conf:\d+: events are already pulled by the location in \S+nginx\.conf:\d+, and only one location may pull them/



=== TEST 15: vod_upload and vod_callback in one location
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
vod_cos_endpoint http://127.0.0.1:9;
--- config
location /vod/ {
    vod_upload;
    vod_callback;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" and "vod_callback" in \S+nginx\.conf:\d+: a location is one or the other/



=== TEST 16: vod_callback twice
--- config
location = /cb {
    vod_callback;
    vod_callback;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback" directive is duplicate/



=== TEST 17: vod_callback is not inherited by a nested location
--- config
location /cb/ {
    vod_callback;

    location /cb/static/ {
        return 200 "static\n";
    }
}
--- request
GET /cb/static/x
--- error_code: 200
--- response_body
static



=== TEST 18: pulling from the default endpoint needs a resolver
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_callback" in \S+nginx\.conf:\d+ needs a "resolver" at run time to look up/

# nginx -t catches every configuration mistake with the directive, the
# value and the place; good configurations start.

use Test::Nginx::Socket;

repeat_each(1);
no_shuffle();

plan tests => repeat_each() * (blocks() * 2 + 1);

run_tests();

__DATA__

=== TEST 1: a complete vod_upload configuration starts and answers
--- http_config
vod_secret_id       AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE;
vod_secret_key_file ../html/vod.key;
vod_region          ap-chongqing;
vod_sub_app_id      1500000001;
vod_api_endpoint    http://127.0.0.1:9;
vod_cos_endpoint    https://127.0.0.1:9/;
vod_connect_timeout 1s;
--- config
location /upload/ {
    vod_upload;
    vod_upload_procedure        "LongVideoPreset";
    vod_upload_class_id         $arg_class;
    vod_upload_source_context   "order-$arg_order";
    vod_upload_session_context  abc;
    vod_upload_storage_region   ap-chongqing;
    vod_upload_media_name       "$arg_name";
    vod_upload_media_type       MP4;
    vod_upload_expire_time      2030-01-01T08:00:00+08:00;
    vod_upload_part_size        16m;
    vod_upload_parts_in_flight  8;
    vod_upload_part_tries       5;
    vod_upload_md5              on;
    vod_ssl_verify              off;
}
--- user_files
>>> vod.key
  Gu5t9xGARNpq86cd98joQYCN3EXAMPLE
--- request
GET /upload/a.mp4
--- error_code: 405
--- no_error_log
Gu5t9xGARNpq86cd98joQYCN3EXAMPLE



=== TEST 2: vod_upload without a secret id
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" in \S+nginx\.conf:\d+ has no secret id: set "vod_secret_id"/



=== TEST 3: vod_upload without a secret key
--- http_config
vod_secret_id AKIDEXAMPLE;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" in \S+nginx\.conf:\d+ has no secret key: set "vod_secret_key_file" \(or "vod_secret_key"\)/



=== TEST 4: a location inherits the secrets and endpoints of its server
--- config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
vod_cos_endpoint http://127.0.0.1:9;
location /upload/ {
    vod_upload;
}
--- request
GET /upload/a.mp4
--- error_code: 405
--- error_log
vod upload: method "GET" is not allowed



=== TEST 5: vod_upload only in a location
--- http_config
vod_upload;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" directive is not allowed here/



=== TEST 6: vod_upload twice
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
--- config
location /upload/ {
    vod_upload;
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" directive is duplicate/



=== TEST 7: the secret key file is missing
--- http_config
vod_secret_key_file ../html/no-such.key;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) "\S+html\/no-such\.key" failed \(2: No such file or directory\)/



=== TEST 8: the secret key file is empty
--- http_config
vod_secret_key_file ../html/vod.key;
--- user_files
>>> vod.key

--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*the secret key file "\S+html\/vod\.key" is empty/



=== TEST 9: the secret key file is too long
--- http_config
vod_secret_key_file ../html/vod.key;
--- user_files eval
">>> vod.key\n" . ("k" x 200)
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*the secret key file "\S+html\/vod\.key" is longer than 128 bytes/



=== TEST 10: a key with white space inside is refused and not logged
--- http_config
vod_secret_key "Gu5t9xGARNpq86cd98 joQYCN3EXAMPLE";
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_secret_key" holds a character that is not printable ASCII \(at offset 18\)/
--- no_error_log
joQYCN3EXAMPLE



=== TEST 11: the key set twice in one block
--- http_config
vod_secret_key EXAMPLEKEY;
vod_secret_key_file ../html/vod.key;
--- user_files
>>> vod.key
EXAMPLEKEY
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_secret_key_file" directive is duplicate \(the secret key is already set in this block\)/



=== TEST 12: a region that is not a region name
--- http_config
vod_region Ap-Guangzhou;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_region" "Ap-Guangzhou" is not a region name such as "ap-guangzhou"/



=== TEST 13: a sub-application id that is not a positive integer
--- http_config
vod_sub_app_id 12a;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_sub_app_id" "12a" is not a sub-application id \(a positive integer\)/



=== TEST 14: an API endpoint with another scheme
--- http_config
vod_api_endpoint ftp://127.0.0.1:21;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_api_endpoint" "ftp:\/\/127\.0\.0\.1:21" is not an endpoint: expected "http:\/\/host\[:port\]" or "https:\/\/host\[:port\]"/



=== TEST 15: an API endpoint with a path
--- http_config
vod_api_endpoint http://127.0.0.1:8080/api;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_api_endpoint" "http:\/\/127\.0\.0\.1:8080\/api" is not an endpoint/



=== TEST 16: a COS endpoint with user info
--- http_config
vod_cos_endpoint http://user@127.0.0.1:8080;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_cos_endpoint" "http:\/\/user\@127\.0\.0\.1:8080" is not an endpoint/



=== TEST 17: a media type VOD does not accept
--- http_config
vod_upload_media_type exe;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_media_type" "exe" is not a media type VOD accepts, such as "mp4" in \S+nginx\.conf:\d+/



=== TEST 18: an expire time that is not ISO 8601
--- http_config
vod_upload_expire_time 2030-02-30T00:00:00Z;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_expire_time" "2030-02-30T00:00:00Z" is not an ISO 8601 time/



=== TEST 19: a source context over 250 characters
--- http_config eval
"vod_upload_source_context " . ("x" x 251) . ";"
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_source_context" is 251 characters long, over the limit of 250/



=== TEST 20: a session context over 1000 characters
--- http_config eval
"vod_upload_session_context " . ("x" x 1001) . ";"
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_session_context" is 1001 characters long, over the limit of 1000/



=== TEST 21: a class id that is not an integer
--- http_config
vod_upload_class_id -1;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_class_id" "-1" is not a category id \(an integer\)/



=== TEST 22: a storage region that is not a region name
--- http_config
vod_upload_storage_region "ap chongqing";
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_storage_region" "ap chongqing" is not a region name/



=== TEST 23: an empty media name
--- http_config
vod_upload_media_name "";
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_media_name" is empty: expected a media name/



=== TEST 24: a part size below COS's minimum
--- http_config
vod_upload_part_size 1048575;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_part_size" "1048575" is not a part size between 1m and 5g/



=== TEST 25: a part size above COS's maximum
--- http_config
vod_upload_part_size 6g;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_part_size" "6g" is not a part size between 1m and 5g/



=== TEST 26: no parts in flight
--- http_config
vod_upload_parts_in_flight 0;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_parts_in_flight" "0" is not a number from 1 to 64/



=== TEST 27: too many part tries
--- http_config
vod_upload_part_tries 11;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_part_tries" "11" is not a number from 1 to 10/



=== TEST 28: a timeout that is not a time
--- http_config
vod_read_timeout 10parsecs;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_read_timeout" directive invalid value/



=== TEST 29: vod_ssl_verify takes on or off
--- http_config
vod_ssl_verify yes;
--- config
location /t {
    return 204;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "yes" in "vod_ssl_verify" directive, it must be "on" or "off"/



=== TEST 30: the default endpoints need a resolver
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload" in \S+nginx\.conf:\d+ needs a "resolver" at run time to look up vod\.tencentcloudapi\.com and the COS host names: set "resolver" or "vod_api_endpoint" and "vod_cos_endpoint"/



=== TEST 31: COS host names need a resolver even with an API endpoint
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*needs a "resolver" at run time to look up the COS host names that ApplyUpload answers: set "resolver" or "vod_cos_endpoint"/



=== TEST 32: with a resolver the defaults start
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
resolver 127.0.0.1 valid=30s;
--- config
location /upload/ {
    vod_upload;
}
--- request
GET /upload/a.mp4
--- error_code: 405
--- no_error_log
[emerg]



=== TEST 33: TLS verification needs a readable CA file
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint https://127.0.0.1:9;
vod_cos_endpoint https://127.0.0.1:9;
vod_ssl_trusted_certificate /nonexistent/ca.pem;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*SSL_CTX_load_verify_locations\("\/nonexistent\/ca\.pem"\) failed/



=== TEST 34: a location inside an upload location is not one, keeps its limit
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
vod_cos_endpoint http://127.0.0.1:9;
--- config
location /upload/ {
    vod_upload;
    client_max_body_size 10;

    location /upload/inner/ {
        return 200 "inner\n";
    }
}
--- request
PUT /upload/inner/a.mp4
this body is longer than ten bytes
--- error_code: 413
--- error_log
client intended to send too large body



=== TEST 35: vod_upload_max_part_size below vod_upload_part_size
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
vod_cos_endpoint http://127.0.0.1:9;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 16m;
    vod_upload_max_part_size 8m;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_max_part_size" 8388608 is smaller than "vod_upload_part_size" 16777216/



=== TEST 36: vod_upload_cover: an image of a type VOD does not take
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key secret;
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover /etc/hostname;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_cover" "\/etc\/hostname" is not an image of a type VOD takes as a cover: jpg, jpeg, png, gif, bmp, tiff or webp, by its extension/



=== TEST 37: vod_upload_cover: a file that is not there
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key secret;
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover /nonexistent/poster.png;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) "\/nonexistent\/poster.png" failed \(2: No such file or directory\)/



=== TEST 38: vod_upload_journal_sweep 0 would spin
--- http_config
vod_upload_journal_sweep 0;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_journal_sweep" directive must be more than 0/



=== TEST 39: vod_upload_form_cover_max_size over what a worker keeps in memory
--- http_config
vod_secret_id AKIDEXAMPLE;
vod_secret_key secret;
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_form_cover_max_size 65m;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_form_cover_max_size" "65m" is not a cover size between 1 and 64m/

# The upload location answers like an HTTP API: methods other than PUT
# get 405 with Allow and a JSON error, and each refusal is logged once.

use Test::Nginx::Socket;

repeat_each(2);
no_shuffle();

plan tests => repeat_each() * (blocks() * 4 - 1);

our $HttpConfig = <<'_EOC_';
vod_secret_id    AKIDEXAMPLE;
vod_secret_key   EXAMPLEKEY;
vod_api_endpoint http://127.0.0.1:9;
vod_cos_endpoint http://127.0.0.1:9;
_EOC_

run_tests();

__DATA__

=== TEST 1: GET is not an upload
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
}
--- request
GET /upload/holiday.mp4
--- error_code: 405
--- response_headers
Allow: PUT
Content-Type: application/json
--- response_body
{"error":{"code":"MethodNotAllowed","message":"method \"GET\" is not allowed, only PUT uploads media here"}}



=== TEST 2: POST is not an upload, and the refusal names the method
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
}
--- request
POST /upload/holiday.mp4
some body
--- error_code: 405
--- response_body_like: ^\{"error":\{"code":"MethodNotAllowed",
--- error_log
vod upload: method "POST" is not allowed, only PUT uploads media
--- no_error_log
[error]



=== TEST 3: HEAD gets the status and headers without a body
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
}
--- request
HEAD /upload/holiday.mp4
--- error_code: 405
--- response_headers
Allow: PUT
--- response_body

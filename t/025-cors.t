# CORS (vod_upload_cors): a page of another origin may upload.  Its
# preflight OPTIONS is answered; every answer to a listed origin, errors
# included, carries Access-Control-Allow-Origin and exposes what clients
# read; an origin not listed gets no CORS header.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Dir = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file("$Dir/tus.key",
    "a secret of the test, long enough\n");

our $Cors = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_cors https://app.example.com http://localhost:8080;
    vod_upload_part_size 1m;
}

location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_cors https://app.example.com;
}

location /any/ {
    vod_upload;
    vod_upload_cors *;
}
_EOC_

# behind auth_request, which refuses everything
our $Auth = <<'_EOC_';
location /upload/ {
    auth_request /auth;
    vod_upload;
    vod_upload_cors https://app.example.com;
}
location = /auth {
    internal;
    return 401;
}
_EOC_

our $Expose = 'Location, Upload-Offset, Upload-Length, Upload-Defer-Length, '
            . 'Upload-Expires, Upload-Metadata, Tus-Resumable, Tus-Version, '
            . 'Tus-Extension, Tus-Max-Size, X-VOD-File-Id, X-VOD-Media-Url';

our $Body = VodTest::bytes(1_500_000, 25);

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the preflight of a listed origin: 204 with the methods, the headers asked for, a max age
--- config eval: $::Cors
--- more_headers
Origin: https://app.example.com
Access-Control-Request-Method: PUT
Access-Control-Request-Headers: content-type, x-upload-token
--- request
OPTIONS /upload/a.mp4
--- error_code: 204
--- response_headers
Access-Control-Allow-Origin: https://app.example.com
Access-Control-Allow-Methods: PUT, POST, HEAD, PATCH, DELETE, OPTIONS
Access-Control-Allow-Headers: content-type, x-upload-token
Access-Control-Max-Age: 86400
Vary: Origin
--- emulator_ops:



=== TEST 2: the preflight of an origin not listed: no CORS header (the location's own answer, 405)
--- config eval: $::Cors
--- more_headers
Origin: https://evil.example.com
Access-Control-Request-Method: PUT
--- request
OPTIONS /upload/a.mp4
--- error_code: 405
--- response_headers
! Access-Control-Allow-Origin
! Access-Control-Allow-Methods



=== TEST 3: a PUT from a listed origin: the answer carries the origin and exposes the X-VOD headers
--- config eval: $::Cors
--- more_headers
Origin: http://localhost:8080
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- response_headers eval
"Access-Control-Allow-Origin: http://localhost:8080
Vary: Origin
Access-Control-Expose-Headers: $::Expose"
--- response_body_like: "FileId":"\d+"
--- landed_md5 eval: VodTest::md5(1_500_000, 25)



=== TEST 4: an error to a listed origin carries it too (so the page can show the JSON)
--- config eval: $::Cors
--- more_headers
Origin: https://app.example.com
--- request
GET /upload/a.mp4
--- error_code: 405
--- response_headers
Access-Control-Allow-Origin: https://app.example.com
--- response_body_like: "code":"MethodNotAllowed"



=== TEST 5: no Origin (not a browser's cross-origin request): no CORS header, but Vary: Origin for caches
--- config eval: $::Cors
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- response_headers
! Access-Control-Allow-Origin
Vary: Origin



=== TEST 6: tus: a creation's 201 to a listed origin, its Location exposed
--- config eval: $::Cors
--- more_headers
Origin: https://app.example.com
Tus-Resumable: 1.0.0
Upload-Length: 1500000
Upload-Metadata: filename bW92aWUubXA0
--- request
POST /files/
--- error_code: 201
--- response_headers eval
"Access-Control-Allow-Origin: https://app.example.com
Access-Control-Expose-Headers: $::Expose"
--- response_headers_like
Location: /files/[A-Za-z0-9_-]+
--- uploads_left: 1



=== TEST 7: tus: a preflight, not the tus OPTIONS
--- config eval: $::Cors
--- more_headers
Origin: https://app.example.com
Access-Control-Request-Method: PATCH
--- request
OPTIONS /files/x
--- error_code: 204
--- response_headers
Access-Control-Allow-Methods: PUT, POST, HEAD, PATCH, DELETE, OPTIONS
Access-Control-Allow-Headers: Content-Type, Tus-Resumable, Upload-Length, Upload-Defer-Length, Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, X-Requested-With
! Tus-Version



=== TEST 8: "*": any origin, echoed
--- config eval: $::Cors
--- more_headers
Origin: https://whoever.example.org
--- request eval
"PUT /any/a.mp4\n$::Body"
--- error_code: 200
--- response_headers
Access-Control-Allow-Origin: https://whoever.example.org



=== TEST 9: nginx -t: not an origin
--- config
location /upload/ {
    vod_upload;
    vod_upload_cors app.example.com/;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_cors" "app\.example\.com\/" is not an origin: scheme:\/\/host\[:port\]/



=== TEST 10: behind auth_request: the preflight is answered before the check (it carries no credentials), the PUT is checked
--- config eval: $::Auth
--- more_headers
Origin: https://app.example.com
Access-Control-Request-Method: PUT
Access-Control-Request-Headers: authorization
--- request
OPTIONS /upload/a.mp4
--- error_code: 204
--- response_headers
Access-Control-Allow-Origin: https://app.example.com
Access-Control-Allow-Headers: authorization
--- emulator_ops:



=== TEST 11: behind auth_request: the refused PUT of a listed origin carries the CORS headers (the page sees the 401)
--- config eval: $::Auth
--- more_headers
Origin: https://app.example.com
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 401
--- response_headers
Access-Control-Allow-Origin: https://app.example.com
Vary: Origin
--- emulator_ops:



=== TEST 12: behind auth_request: the preflight of an origin not listed is checked like any request
--- config eval: $::Auth
--- more_headers
Origin: https://evil.example.com
Access-Control-Request-Method: PUT
--- request
OPTIONS /upload/a.mp4
--- error_code: 401
--- response_headers
Access-Control-Allow-Origin:
--- emulator_ops:

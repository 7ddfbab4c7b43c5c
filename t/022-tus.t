# Resumable uploads, tus 1.0 (vod_upload_tus): the protocol as nginx
# serves it, request by request.  What needs an upload's URL (which the
# creation answers) runs as plain HTTP requests from t/node/tus-steps.js
# (--- node_client); tus-js-client itself drives t/023-tus-client.t.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use File::Temp ();
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# the secret that seals upload URLs
our $Dir = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file("$Dir/tus.key",
    "a secret of the test, long enough\n");
$ENV{TEST_NGINX_TUS_SHORT_KEY} = VodTest::write_file("$Dir/short.key",
                                                     "short\n");

# 3 MB of media, to PATCH from node
our $Media = VodTest::write_file("$Dir/media",
                                 VodTest::bytes(3_000_000, 22));
$ENV{TEST_NGINX_TUS_MEDIA} = $Media;

# 10 MB, for 2 MiB parts
our $Media10 = VodTest::write_file("$Dir/media10",
                                   VodTest::bytes(10_000_000, 25));
$ENV{TEST_NGINX_TUS_MEDIA10} = $Media10;

# a free port for an HTTP/2 server
$ENV{TEST_NGINX_H2_PORT} = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1)
        or die "a free port: $!";
    $s->sockport;
};

our $Tus = <<'_EOC_';
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 1m;
    vod_upload_source_context "tus-$vod_upload_meta_ref";
    client_max_body_size 100m;
}
_EOC_

our $Body = VodTest::bytes(2_500_000, 12);
our $Md5 = VodTest::md5(2_500_000, 12);

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: OPTIONS tells the version, the extensions and the largest upload
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- response_headers
Tus-Version: 1.0.0
Tus-Extension: creation,creation-with-upload,creation-defer-length,termination,expiration
Tus-Max-Size: 104857600
--- emulator_ops:



=== TEST 2: POST creates an upload: 201 with its URL; ApplyUpload with the metadata's name, type and keys
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 3000000
Upload-Metadata: filename bW92aWUubXA0,ref YWJj
--- request
POST /files/
--- error_code: 201
--- response_headers_like
Location: /files/[A-Za-z0-9_-]{300,}
Tus-Resumable: 1\.0\.0
Upload-Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT
--- response_body:
--- emulator_ops: ApplyUpload InitiateMultipartUpload
--- apply_params
MediaName: movie
MediaType: mp4
SourceContext: tus-abc
--- uploads_left: 1



=== TEST 3: a file name without an extension takes the type from filetype (video/quicktime is mov)
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Defer-Length: 1
Upload-Metadata: filename Y2xpcA==,filetype dmlkZW8vcXVpY2t0aW1l
--- request
POST /files/
--- error_code: 201
--- apply_params
MediaName: clip
MediaType: mov
--- uploads_left: 1



=== TEST 4: without Tus-Resumable: 412 with Tus-Version, nothing sent to VOD
--- config eval: $::Tus
--- more_headers
Upload-Length: 3000000
--- request
POST /files/
--- error_code: 412
--- response_headers
Tus-Version: 1.0.0
Tus-Resumable: 1.0.0
--- response_body
{"error":{"code":"UnsupportedVersion","message":"Tus-Resumable \"\" is not the protocol version served: 1.0.0"}}
--- emulator_ops:
--- error_log
vod upload: Tus-Resumable "" is not the protocol version served



=== TEST 5: another version: 412
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 0.2.2
Upload-Length: 3000000
--- request
POST /files/
--- error_code: 412
--- response_body_like: "code":"UnsupportedVersion"
--- emulator_ops:



=== TEST 6: neither Upload-Length nor Upload-Defer-Length: 400
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
--- request
POST /files/
--- error_code: 400
--- response_body
{"error":{"code":"InvalidUploadLength","message":"a new upload needs either Upload-Length or Upload-Defer-Length: 1"}}
--- emulator_ops:



=== TEST 7: both: 400
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 10
Upload-Defer-Length: 1
--- request
POST /files/
--- error_code: 400
--- response_body_like: "code":"InvalidUploadLength"
--- emulator_ops:



=== TEST 8: a negative length: 400
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: -5
--- request
POST /files/
--- error_code: 400
--- response_body
{"error":{"code":"InvalidUploadLength","message":"Upload-Length \"-5\" is not a number of bytes"}}
--- emulator_ops:



=== TEST 9: a length of 0: 400, VOD takes no empty media
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 0
--- request
POST /files/
--- error_code: 400
--- response_body_like: "code":"EmptyMedia"
--- emulator_ops:



=== TEST 10: a length over client_max_body_size: 413
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 104857601
--- request
POST /files/
--- error_code: 413
--- response_body
{"error":{"code":"EntityTooLarge","message":"an upload of 104857601 bytes is over the 104857600 bytes client_max_body_size allows"}}
--- emulator_ops:



=== TEST 11: metadata that is not base64: 400
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 100
Upload-Metadata: filename a.mp4
--- request
POST /files/
--- error_code: 400
--- response_body
{"error":{"code":"InvalidUploadMetadata","message":"an Upload-Metadata value is not base64"}}
--- emulator_ops:
--- error_log
vod upload: an Upload-Metadata value is not base64



=== TEST 12: creation-with-upload of all the bytes: 201, complete and committed
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 2500000
Upload-Metadata: filename bW92aWUubXA0
Content-Type: application/offset+octet-stream
--- request eval
"POST /files/\n$::Body"
--- error_code: 201
--- response_headers
Upload-Offset: 2500000
--- response_headers_like
X-VOD-File-Id: \d+
X-VOD-Media-Url: http://.*/movie\.mp4
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5



=== TEST 13: creation-with-upload of the first bytes: the parts they fill are stored, the rest dropped
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 5000000
Content-Type: application/offset+octet-stream
Upload-Metadata: filename bW92aWUubXA0
--- request eval
"POST /files/\n$::Body"
--- error_code: 201
--- response_headers
Upload-Offset: 2097152
! X-VOD-File-Id
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*2
--- uploads_left: 1



=== TEST 14: creation-with-upload in another type: 415
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 2500000
Content-Type: video/mp4
--- request eval
"POST /files/\n$::Body"
--- error_code: 415
--- response_body_like: "code":"UnsupportedMediaType"
--- emulator_ops:



=== TEST 15: HEAD of an upload URL this server did not seal: 404, nothing sent to COS
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
--- request
HEAD /files/AWqbFd492JRHdRQJ2uQ9ZtOrWXBkxflrKZ1lEkU5pXHHf8mTpez41Hx37fbBK2HWY
--- error_code: 404
--- response_headers
Tus-Resumable: 1.0.0
--- emulator_ops:
--- error_log
vod upload: the upload URL is not one this server sealed



=== TEST 16: PATCH of a made-up URL: 404
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Offset: 0
Content-Type: application/offset+octet-stream
--- request eval
"PATCH /files/not-a-token\n$::Body"
--- error_code: 404
--- response_body
{"error":{"code":"NoSuchUpload","message":"the upload URL is not one this server sealed (forged, altered, or its key is gone)"}}
--- emulator_ops:



=== TEST 17: another method: 405 with Allow
--- config eval: $::Tus
--- request
GET /files/
--- error_code: 405
--- response_headers
Allow: PUT, POST, HEAD, PATCH, DELETE, OPTIONS
--- response_body_like: "code":"MethodNotAllowed"



=== TEST 18: PUT still uploads in a tus location
--- config eval: $::Tus
--- request eval
"PUT /files/a.mp4\n$::Body"
--- error_code: 200
--- response_body_like: "FileId":"\d+"
--- landed_md5 eval: $::Md5



=== TEST 19: PATCH at another offset: 409; in another type: 415; past the length: 413; a small chunk that does not end the upload: 400
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "5", "Content-Type": "application/offset+octet-stream"}, "bytes": [5, 1100000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/octet-stream"}, "bytes": [0, 1100000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1000000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 500000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", "Upload-Length": "2000000"}, "bytes": [0, 10]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 409 OffsetMismatch
PATCH 415 UnsupportedMediaType
PATCH 413 UploadLengthExceeded
PATCH 400 ChunkTooSmall
PATCH 400 InvalidUploadLength
PATCH 204 Upload-Offset=3000000
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts*3 UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 20: PATCH in pieces of a part and more; HEAD tells the offset, and after the end the length; DELETE of a finished upload
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "Upload-Length", "Cache-Control", "Upload-Metadata"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "1048576", "Content-Type": "application/offset+octet-stream"}, "bytes": [1048576, 3000000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "Upload-Length"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "3000000", "Content-Type": "application/offset+octet-stream"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1100000], "show": ["Connection"]},
  {"method": "DELETE", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}}
]}
--- node_out
POST 201
HEAD 200 Upload-Offset=0 Upload-Length=3000000 Cache-Control=no-store Upload-Metadata=filename bW92aWUubXA0
PATCH 204 Upload-Offset=1048576
HEAD 200 Upload-Offset=1048576
PATCH 204 Upload-Offset=3000000
HEAD 200 Upload-Offset=3000000 Upload-Length=3000000
PATCH 204 Upload-Offset=3000000
PATCH 409 OffsetMismatch Connection=close
DELETE 204
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 21: DELETE aborts the multipart upload: 204; later requests 404
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "show": ["Upload-Offset"]},
  {"method": "DELETE", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "1048576", "Content-Type": "application/offset+octet-stream"}, "bytes": [1048576, 3000000]}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=1048576
DELETE 204
HEAD 404
PATCH 404 NoSuchUpload
--- landed_md5: none
--- error_log
vod upload: aborted the multipart upload



=== TEST 22: the deferred length, given by the last PATCH
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Defer-Length": "1", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2100000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "Upload-Defer-Length"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Upload-Length": "5000000", "Content-Type": "application/offset+octet-stream"}, "bytes": [2097152, 3000000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Upload-Length": "1000", "Content-Type": "application/offset+octet-stream"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Upload-Length": "3000000", "Content-Type": "application/offset+octet-stream"}, "bytes": [2097152, 3000000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "Upload-Length"]}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=2097152
HEAD 200 Upload-Offset=2097152 Upload-Defer-Length=1
PATCH 400 InvalidUploadLength
PATCH 400 InvalidUploadLength
PATCH 204 Upload-Offset=3000000
HEAD 200 Upload-Offset=3000000 Upload-Length=3000000
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 23: past its expiry an upload takes no more bytes (410, nothing goes to COS); it can still be terminated
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_tus_expires 1s;
    vod_upload_part_size 1m;
}
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "wait_expiry": true},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]},
  {"method": "DELETE", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}}
]}
--- node_out
POST 201
HEAD 410
PATCH 410 UploadExpired
DELETE 204
--- emulator_ops: ApplyUpload InitiateMultipartUpload AbortMultipartUpload
--- error_log
vod upload: the upload expired at



=== TEST 24: vod_upload_tus without a key file: nginx -t says what is missing
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_tus" needs "vod_upload_tus_key_file": the secret that seals the upload URLs/



=== TEST 25: a key file too short to be a secret
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_SHORT_KEY;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_tus_key_file" ".*short\.key": a key needs at least 16 bytes/



=== TEST 26: a second PATCH while one is under way in this nginx: 423
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "hold": 3000000},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"], "until": {"Upload-Offset": "1048576"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]}
]}
--- node_out
POST 201
PATCH held
HEAD 200 Upload-Offset=1048576
PATCH 423 UploadLocked
--- uploads_left: 1



=== TEST 27: HTTP/2: creation-with-upload of all the bytes
--- http2
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 2500000
Upload-Metadata: filename bW92aWUubXA0
Content-Type: application/offset+octet-stream
--- request eval
"POST /files/\n$::Body"
--- error_code: 201
--- response_headers
Upload-Offset: 2500000
--- response_headers_like
Location: /files/[A-Za-z0-9_-]{300,}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- no_error_log
[error]



=== TEST 28: HTTP/2: PATCH in two requests, HEAD, DELETE of the finished upload
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
    client_max_body_size 100m;

    location /files/ {
        vod_upload;
        vod_upload_tus on;
        vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
        vod_upload_part_size 1m;
    }
}
--- config
--- request
GET /
--- error_code: 200
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_H2_PORT", "h2": true, "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "1048576", "Content-Type": "application/offset+octet-stream"}, "bytes": [1048576, 3000000], "show": ["Upload-Offset"]},
  {"method": "DELETE", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=1048576
HEAD 200 Upload-Offset=1048576
PATCH 204 Upload-Offset=3000000
DELETE 204
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 29: ListParts a part a page: the offset of all the pages
--- config eval: $::Tus
--- emulator_config
list_page_max: 1
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2900000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Content-Type": "application/offset+octet-stream"}, "bytes": [2097152, 3000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=2097152
HEAD 200 Upload-Offset=2097152
PATCH 204 Upload-Offset=3000000
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts UploadPart*2 ListParts*4 UploadPart CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 30: a PATCH whose part COS keeps refusing: 502, the upload is kept; the client resumes it
--- config eval: $::Tus
--- emulator_faults eval
[{ op => 'UploadPart', part_number => 2, status => 503, code => 'SlowDown', count => 3 }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "1048576", "Content-Type": "application/offset+octet-stream"}, "bytes": [1048576, 3000000], "show": ["Upload-Offset", "X-VOD-File-Id"]}
]}
--- node_out
POST 201
PATCH 502 SlowDown
HEAD 200 Upload-Offset=1048576
/^PATCH 204 Upload-Offset=3000000 X-VOD-File-Id=\d+$/
--- landed_md5 eval: VodTest::md5(3_000_000, 22)
--- no_error_log
AbortMultipartUpload



=== TEST 31: a creation whose Initiate is refused: 502, nothing left
--- config eval: $::Tus
--- emulator_faults eval
[{ op => 'InitiateMultipartUpload', status => 403, code => 'AccessDenied' }]
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 3000000
Upload-Metadata: filename bW92aWUubXA0
--- request
POST /files/
--- error_code: 502
--- response_headers
Tus-Resumable: 1.0.0
! Location
--- response_body_like: "code":"AccessDenied"
--- emulator_ops: ApplyUpload InitiateMultipartUpload



=== TEST 32: a creation-with-upload whose client goes away: the upload is aborted (the client never had its URL)
--- config eval: $::Tus
--- raw_request eval
"POST /files/ HTTP/1.1\r
Host: localhost\r
Tus-Resumable: 1.0.0\r
Upload-Length: 3000000\r
Upload-Metadata: filename bW92aWUubXA0\r
Content-Type: application/offset+octet-stream\r
Content-Length: 3000000\r
\r
" . VodTest::bytes(2_500_000, 31)
--- timeout: 1
--- abort
--- ignore_response
--- emulator_wait
grep { $_->{op} eq 'AbortMultipartUpload' } @{ $s->{requests} }
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*2 AbortMultipartUpload



=== TEST 33: X-HTTP-Method-Override: a POST that is a PATCH, and one that is a DELETE; a plain POST to an upload URL: 405
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "POST", "path": "{url}", "headers": {"X-HTTP-Method-Override": "PATCH", "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "show": ["Upload-Offset"]},
  {"method": "POST", "path": "{url}", "headers": {"X-HTTP-Method-Override": "DELETE", "Tus-Resumable": "1.0.0"}},
  {"method": "POST", "path": "{url}", "headers": {"X-HTTP-Method-Override": "GET", "Tus-Resumable": "1.0.0"}},
  {"method": "POST", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000"}, "show": ["Allow"]}
]}
--- node_out
POST 201
POST 204 Upload-Offset=1048576
POST 204
POST 400 InvalidMethodOverride
POST 405 MethodNotAllowed Allow=HEAD, PATCH, DELETE
--- landed_md5: none



=== TEST 34: a path with an encoded line break: the Location carries it encoded, no header is added
--- config eval: $::Tus
--- more_headers
Tus-Resumable: 1.0.0
Upload-Length: 3000000
Upload-Metadata: filename bW92aWUubXA0
--- request
POST /files/x%0d%0aX-Injected:%20yes
--- error_code: 201
--- response_headers
! X-Injected
--- response_headers_like
Location: /files/x%0d%0aX-Injected:%20yes/[A-Za-z0-9_-]{300,}
--- uploads_left: 1



=== TEST 35: Complete of a resumed upload without an answer: its object is kept; the next request commits it
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 1m;
    vod_read_timeout 1s;
}
--- emulator_faults eval
[{ op => 'CompleteMultipartUpload', delay_ms => 2500 }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "X-VOD-File-Id"], "until": {"Upload-Offset": "3000000"}},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "X-VOD-File-Id"]}
]}
--- node_out
POST 201
PATCH 504 CosTimeout
/^HEAD 200 Upload-Offset=3000000 X-VOD-File-Id=\d+$/
HEAD 200 Upload-Offset=3000000 X-VOD-File-Id=undefined
--- landed_md5 eval: VodTest::md5(3_000_000, 22)
--- error_log
completed by an earlier request, committed now
committed before



=== TEST 36: a resumed upload's CommitUpload without an answer: 202 with what recognises the media; a HEAD settles it (commits, FileId)
--- config eval: $::Tus
--- emulator_faults eval
[{ op => 'CommitUpload', reset => 1, count => 3 }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0,ref YWJj"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset", "X-VOD-File-Id"]}
]}
--- node_out
POST 201
PATCH 202 CommitUnconfirmed Upload-Offset=3000000
/^HEAD 200 Upload-Offset=3000000 X-VOD-File-Id=\d+$/
--- landed_md5 eval: VodTest::md5(3_000_000, 22)
--- error_log eval
qr/CommitUpload: the outcome is not known .*MediaName "movie", SourceContext "tus-abc"/



=== TEST 37: PATCHes of 2 MiB into 8 MiB parts would need more than 10000 parts: refused before the plan breaks
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 1m;
    vod_upload_max_part_size 8m;
    client_max_body_size 0;
}
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "83869302784", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2097152], "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2097152], "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "4194304", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2097152]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "4194304", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 2500000]}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=2097152
PATCH 204 Upload-Offset=4194304
PATCH 400 ChunkTooSmall
PATCH 400 ChunkTooSmall
--- uploads_left: 1
--- error_log
would need more than the 10000 parts of a COS upload



=== TEST 38: a chunked PATCH that does not make a part: 400, not a loop
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 500000], "chunked": true}
]}
--- node_out
POST 201
PATCH 400 ChunkTooSmall
--- uploads_left: 1



=== TEST 39: ListParts answered 500 once: tried again
--- config eval: $::Tus
--- emulator_faults eval
[{ op => 'ListParts', status => 500, code => 'InternalError' }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 204 Upload-Offset=3000000
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts*2 UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(3_000_000, 22)



=== TEST 40: a PATCH whose part 2 COS keeps refusing leaves parts 3 to 5 behind it: part 2 is sent again whole (a shorter one would make them seem to follow it), and they count
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 2m;
    client_max_body_size 100m;
}
--- emulator_faults eval
[{ op => 'UploadPart', part_number => 2, status => 500, code => 'InternalError', count => 3 }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA10", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "10000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 10000000]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Content-Type": "application/offset+octet-stream"}, "bytes": [2097152, 3670016]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "2097152", "Content-Type": "application/offset+octet-stream"}, "bytes": [2097152, 5767168], "show": ["Upload-Offset"]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "8388608", "Content-Type": "application/offset+octet-stream"}, "bytes": [8388608, 10000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 502 InternalError
HEAD 200 Upload-Offset=2097152
PATCH 400 ChunkTooSmall
PATCH 204 Upload-Offset=4194304
HEAD 200 Upload-Offset=8388608
PATCH 204 Upload-Offset=10000000
--- landed_md5 eval: VodTest::md5(10_000_000, 25)



=== TEST 41: a resumed upload's CommitUpload refused for its session (another request may have committed it): 202, not a failure
--- config eval: $::Tus
--- emulator_faults eval
[{ op => 'CommitUpload', code => 'InvalidParameterValue.VodSessionKey', message => 'the session key is not valid' }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 202 CommitUnconfirmed Upload-Offset=3000000
--- error_log
CommitUpload: the outcome is not known



=== TEST 42: all parts stored, Complete refused: the last part is sent again, in pieces if the client likes
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 2m;
    client_max_body_size 100m;
}
--- emulator_faults eval
[{ op => 'CompleteMultipartUpload', status => 503, code => 'ServiceUnavailable' }]
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA10", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "5500000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 5500000]},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "4194304", "Content-Type": "application/offset+octet-stream"}, "bytes": [4194304, 5242880], "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "5242880", "Content-Type": "application/offset+octet-stream"}, "bytes": [5242880, 5500000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH 502 ServiceUnavailable
HEAD 200 Upload-Offset=4194304
PATCH 204 Upload-Offset=5242880
PATCH 204 Upload-Offset=5500000
--- landed_md5 eval: Digest::MD5::md5_hex(substr(VodTest::bytes(10_000_000, 25), 0, 5_500_000))

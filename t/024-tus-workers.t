# Resumable uploads with several workers: one PATCH of an upload at a
# time in the whole nginx (the locks are in shared memory), and the lock
# of a worker that died is free again.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Dir = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file("$Dir/tus.key",
    "a secret of the test, long enough\n");

our $Media = VodTest::write_file("$Dir/media",
                                 VodTest::bytes(3_000_000, 24));
$ENV{TEST_NGINX_TUS_MEDIA} = $Media;
$ENV{TEST_NGINX_PID_FILE} = $Test::Nginx::Util::PidFile;

our $Tus = <<'_EOC_';
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 1m;
    client_max_body_size 100m;
}
_EOC_

master_on();
workers(2);
repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a PATCH under way in one worker: another PATCH of the upload gets 423, whichever worker takes it
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "hold": 3000000},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "until": {"Upload-Offset": "1048576"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 3000000]}
]}
--- node_out
POST 201
PATCH held
HEAD 200
PATCH 423 UploadLocked
PATCH 423 UploadLocked
PATCH 423 UploadLocked
--- uploads_left: 1



=== TEST 2: the worker of a PATCH under way is killed: the upload's lock is free for the next PATCH
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-steps.js {"base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT", "file": "$TEST_NGINX_TUS_MEDIA", "steps": [
  {"method": "POST", "path": "/files/", "headers": {"Tus-Resumable": "1.0.0", "Upload-Length": "3000000", "Upload-Metadata": "filename bW92aWUubXA0"}},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, "bytes": [0, 1500000], "hold": 3000000},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "until": {"Upload-Offset": "1048576"}},
  {"kill_workers": "$TEST_NGINX_PID_FILE"},
  {"method": "HEAD", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0"}, "show": ["Upload-Offset"]},
  {"method": "PATCH", "path": "{url}", "headers": {"Tus-Resumable": "1.0.0", "Upload-Offset": "1048576", "Content-Type": "application/offset+octet-stream"}, "bytes": [1048576, 3000000], "show": ["Upload-Offset"]}
]}
--- node_out
POST 201
PATCH held
HEAD 200
killed the workers
HEAD 200 Upload-Offset=1048576
PATCH 204 Upload-Offset=3000000
--- landed_md5 eval: VodTest::md5(3_000_000, 24)
--- error_log eval
qr/\[alert\] .*worker process \d+ exited on signal 9/

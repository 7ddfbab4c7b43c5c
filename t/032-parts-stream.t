# A fast client's parts go out as they fill: once a part of the plan has
# filled within a second and the multipart upload is begun, the part
# being filled is sent to COS while its bytes come (its Content-Length is
# known), from the part's buffer, which keeps them for another try. A
# streamed part that fails before it is whole goes again, whole, once it
# is; one whose client goes away is cut, and the upload aborted. Slow
# clients' parts, and bodies of unknown length, go once they are whole.
# A client's pause in the middle of a part is scaled by VodTest's factor
# (nginx under valgrind is tens of times slower to begin the upload).

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Head = "PUT /upload/s.mp4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
          . "Content-Length: 4000000\r\n\r\n";
our $Body = VodTest::bytes(4_000_000, 321);

# the first 2.5 MB: parts 1 and 2, and half of part 3
our $Start = $Head . substr($Body, 0, 2_500_000);

our $Config = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
_EOC_

# curl's options from a file (--- curl_options is one argument): 4 MB/s
our $CurlRate = VodTest::write_file(
    File::Temp::tempdir(CLEANUP => 1) . "/curl-rate", "limit-rate = 4M\n");

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a fast client: the part being filled goes out as it fills, and every byte lands
The client sends 2.5 MB at once, then the rest a second later: part 3
goes out while it is being filled.
--- config eval: $::Config
--- raw_request eval
[$::Start, substr($::Body, 2_500_000)]
--- raw_request_middle_delay eval: 1 * $VodTest::Factor
--- error_code: 200
--- response_body_like: "Size":4000000\}
--- landed_md5 eval: VodTest::md5(4_000_000, 321)
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/vod upload: UploadPart 3 of 1048576 bytes stored/]
--- no_error_log eval
[qr/part 1 goes out as it fills/, '[warn]', '[error]']



=== TEST 2: HTTP/2: the parts go out as they fill too
curl sends 4 MB at 4 MB/s: each part of 1 MiB fills in a quarter of a
second, and COS keeps up.
--- http2
--- curl_options eval: "-K$::CurlRate"
--- config eval: $::Config
--- request eval
"PUT /upload/h2.mp4\n$::Body"
--- error_code: 200
--- landed_md5 eval: VodTest::md5(4_000_000, 321)
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/vod upload: UploadPart 4 of 854272 bytes stored/]
--- no_error_log
[warn]



=== TEST 3: a part that fails while it is sent as it fills goes again, whole, once it is
COS resets the connection after 64 KiB of part 3, while the client
pauses in the middle of that part.
--- config eval: $::Config
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, reset => 1,
                     reset_after_bytes => 65536);
--- raw_request eval
[$::Start, substr($::Body, 2_500_000)]
--- raw_request_middle_delay eval: 1 * $VodTest::Factor
--- error_code: 200
--- response_body_like: "Size":4000000\}
--- landed_md5 eval: VodTest::md5(4_000_000, 321)
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*5 CompleteMultipartUpload CommitUpload
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/\[warn\] .*vod upload: UploadPart 3, sent as it filled, failed \(no answer, 502\) before the part was whole, it goes whole once it is/,
 qr/vod upload: UploadPart 3 of 1048576 bytes stored/]



=== TEST 4: the client goes away while a part goes out as it fills: the part is cut, the upload aborted
--- config eval: $::Config
--- raw_request eval: $::Start
--- timeout: 1
--- abort
--- ignore_response
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload
--- landed_md5: none
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/vod call UploadPart: the stream stops/,
 qr/\[info\] .*vod upload: the client closed the connection during the upload after 2500000 bytes/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+"/]
--- no_error_log eval
['[error]', '[alert]', qr/UploadPart 3 of \d+ bytes stored/]



=== TEST 5: a body of unknown length: its parts go once they are whole
--- config eval: $::Config
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/chunked.mp4\n" . VodTest::chunked(VodTest::bytes(4_000_000, 324), 500_000)
--- error_code: 200
--- landed_md5 eval: VodTest::md5(4_000_000, 324)
--- no_error_log
goes out as it fills



=== TEST 6: a slow client: its parts go once they are whole
250,000 bytes every 0.35 s: a part of 1 MiB takes 1.4 s.
--- config eval: $::Config
--- raw_request eval
my @chunks = map { substr($::Body, $_ * 250_000, 250_000) } 0 .. 9;
$chunks[0] = "PUT /upload/slow.mp4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
             . "Content-Length: 2500000\r\n\r\n" . $chunks[0];
\@chunks
--- raw_request_middle_delay: 0.35
--- timeout: 10
--- error_code: 200
--- landed_md5 eval: Digest::MD5::md5_hex(substr($::Body, 0, 2_500_000))
--- no_error_log
goes out as it fills



=== TEST 7: a client's pause is client_body_timeout's to judge, not vod_send_timeout's
The client pauses 2 s in the middle of part 3, which goes out as it
fills; vod_send_timeout is 1s, client_body_timeout 60s.
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_send_timeout 1s;
}
--- raw_request eval
[$::Start, substr($::Body, 2_500_000)]
--- raw_request_middle_delay eval: 2 * $VodTest::Factor
--- timeout: 10
--- error_code: 200
--- landed_md5 eval: VodTest::md5(4_000_000, 321)
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- error_log eval
qr/vod upload: part 3 goes out as it fills, 1048576 bytes/
--- no_error_log
[warn]
[error]



=== TEST 8: the client goes away during a stream to an upstream of two servers: no other server is tried, none is marked failed
--- http_config
upstream cos_two {
    server 127.0.0.1:$TEST_NGINX_VOD_PORT;
    server 127.0.0.1:$TEST_NGINX_VOD_PORT;
}
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_cos_endpoint http://cos_two;
}
--- raw_request eval: $::Start
--- timeout: 1
--- abort
--- ignore_response
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload
--- landed_md5: none
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/vod call UploadPart: the stream stops/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+"/]
--- no_error_log
[warn]
[error]

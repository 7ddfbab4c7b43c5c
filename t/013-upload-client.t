# The client's side: a client that goes away or stalls, a chunked body
# over client_max_body_size, and backpressure: while every part buffer is
# taken nginx stops reading the client, and client_body_timeout does not
# fire meanwhile.  A started multipart upload is always aborted.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# nginx with a master process, as in production: a graceful stop waits
# for the upload that is still aborting after its client went away (a
# single-process nginx exits at once)
master_on();

our $Head = "PUT /upload/a.mp4 HTTP/1.1\r\nHost: localhost\r\n"
          . "Content-Length: 5000000\r\n\r\n";

# a free port for an HTTP/2 server, and a client that sends the end of its
# body while nginx does not read: run beside the block's request, once
# nginx is up (a grandchild: the runner reaps its own children)
$ENV{TEST_NGINX_H2_PORT} = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1)
        or die "a free port: $!";
    $s->sockport;
};
our $H2Out = File::Temp::tempdir(CLEANUP => 1) . "/h2-put.out";

sub h2_paused_put {
    unlink $H2Out;
    VodTest::detach(sub {
        exec('node', "$FindBin::Bin/node/h2-paused-put.js",
             $ENV{TEST_NGINX_H2_PORT}, $H2Out)
            or die "node: $!";
    }, after_start => 1);
}

sub h2_result {
    open my $fh, '<', $H2Out or return '';
    local $/;
    return <$fh>;
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the client goes away mid-upload: 499, the upload is aborted
Part 3 was going out as it filled (a fast client): it is cut.
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- raw_request eval
$::Head . VodTest::bytes(2_500_000, 31)
--- timeout: 1
--- abort
--- ignore_response
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload
--- landed_md5: none
--- error_log eval
[qr/\[info\] .*vod upload: the client closed the connection during the upload after 2500000 bytes/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+"/]
--- access_log eval
qr/"PUT \/upload\/a\.mp4 HTTP\/1\.1" 499 /



=== TEST 2: a client that stops sending: 408 after client_body_timeout
Part 3 was going out as it filled (a fast client): it is cut.
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    client_body_timeout 500ms;
}
--- raw_request eval
$::Head . VodTest::bytes(2_500_000, 32)
--- timeout: 5
--- error_code: 408
--- response_body_like: ^\{"error":\{"code":"RequestTimeout","message":"the client sent no data for client_body_timeout"\}\}$
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload
--- landed_md5: none



=== TEST 3: a chunked body over client_max_body_size: 413, aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    client_max_body_size 2m;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/big.mp4\n" . VodTest::chunked(VodTest::bytes(3_000_000, 33), 100_000)
--- error_code: 413
--- response_body_like: "code":"EntityTooLarge","message":"the body is larger than client_max_body_size"
--- landed_md5: none
--- error_log
vod upload: the body is larger than client_max_body_size (2097152 bytes)



=== TEST 4: backpressure: reading pauses while the parts are under way
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
    client_body_timeout 300ms;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', count => 0, delay_ms => 600);
--- request eval
"PUT /upload/slow.mp4\n" . VodTest::bytes(4_000_000, 34)
--- timeout: 10
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(4_000_000, 34)
--- error_log
vod upload: pause reading, 1 part(s) under way
vod upload: resume reading
--- no_error_log
[error]
client timed out



=== TEST 5: a body of unknown length that ends early is not stored
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- raw_request eval
"PUT /upload/a.mp4 HTTP/1.1\r\nHost: localhost\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", 2_200_000) . VodTest::bytes(1_500_000, 35)
--- timeout: 1
--- abort
--- ignore_response
--- landed_md5: none
--- error_log
vod upload: the client closed the connection during the upload



=== TEST 6: a Content-Length over client_max_body_size: 413 in JSON
--- config
location /upload/ {
    vod_upload;
    client_max_body_size 1k;
}
--- request eval
"PUT /upload/big.mp4\n" . VodTest::bytes(5000, 36)
--- error_code: 413
--- response_body
{"error":{"code":"EntityTooLarge","message":"a body of 5000 bytes is over the 1024 bytes client_max_body_size allows"}}
--- emulator_ops:
--- no_error_log
client intended to send too large body



=== TEST 7: an HTTP/2 body of unknown length cancelled while a part is under way: 499, aborted, nothing committed
nginx takes the end of the stream for the end of such a body: the module
must see the client's error before it reads on. curl gives up after 1 s
(before the runner's timeout), while part 1 is held; the abort follows
once part 1 is answered.
--- http2
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, delay_ms => 2000);
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/h2.mp4\n" . VodTest::bytes(6_000_000, 37)
--- timeout: 3
--- curl_options: -m1
--- curl_error: (28) Operation timed out
--- ignore_response
--- emulator_wait: grep { $_->{op} eq 'AbortMultipartUpload' } @{ $s->{requests} }
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart AbortMultipartUpload
--- landed_md5: none
--- error_log
vod upload: the client closed the connection during the upload



=== TEST 8: a Content-Length that would need parts over vod_upload_max_part_size: 413 before anything is sent
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    client_max_body_size 0;
}
--- raw_request eval
"PUT /upload/huge.mp4 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000000000\r\n\r\n" . VodTest::bytes(100_000, 38)
--- error_code: 413
--- response_body
{"error":{"code":"EntityTooLarge","message":"a body of 200000000000 bytes needs more than 10000 parts of 1048576 bytes (vod_upload_max_part_size)"}}
--- emulator_ops:
--- error_log
vod upload: a body of 200000000000 bytes needs more than 10000 parts



=== TEST 9: with vod_upload_max_part_size, parts may grow for it
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_max_part_size 32m;
    client_max_body_size 0;
}
--- raw_request eval
"PUT /upload/huge.mp4 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200000000000\r\n\r\n" . VodTest::bytes(100_000, 39)
--- timeout: 1
--- abort
--- ignore_response
--- emulator_ops: ApplyUpload InitiateMultipartUpload AbortMultipartUpload
--- landed_md5: none



=== TEST 10: malformed chunked framing: 400 InvalidBody, said at info, aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- raw_request eval
"PUT /upload/a.mp4 HTTP/1.1\r\nHost: localhost\r\n"
. "Transfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", 1_200_000) . VodTest::bytes(1_200_000, 37) . "\r\n"
. "zz\r\nnot a chunk\r\n0\r\n\r\n"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"InvalidBody","message":"the body is malformed \(invalid chunked encoding\)"\}\}$
--- landed_md5: none
--- error_log eval
qr/\[info\] .*vod upload: the body is malformed \(invalid chunked encoding\) after \d+ bytes/



=== TEST 11: HTTP/2: the last DATA frames arrive while reading is paused and the part takes longer than client_body_timeout: 200, not 408
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_H2_PORT http2;
    client_max_body_size 30m;

    location /upload/ {
        vod_upload;
        vod_upload_part_size 1m;
        vod_upload_parts_in_flight 1;
        client_body_timeout 1s;
    }
}
--- config
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, delay_ms => 3000);
main::h2_paused_put();
--- request
GET /
--- error_code: 200
--- emulator_wait
main::h2_result() =~ /^\d/
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- response_body_like: It works
--- no_error_log
client sent no data for client_body_timeout

# Every fault the emulator can inject: what is retried and succeeds, what
# fails with 502/504 and the remote code, and that a failed multipart
# upload is aborted: no multipart upload is ever left open (checked after
# every block by VodTest).

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# three parts of 1 MiB or less
our $Parts = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 2;
}
_EOC_

our $Body = VodTest::bytes(2_500_000, 12);
our $Md5 = VodTest::md5(2_500_000, 12);

# a server that accepts connections and never answers: the kernel
# completes the handshakes, nobody reads
our $Silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 64,
                                    Proto => 'tcp')
    or die "a silent server: $!";
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;

# a slow client: the head and 2.1 MB, then 20 KB every 200 ms
our @Trickle = ("PUT /upload/a.mp4\n" . VodTest::bytes(2_100_000, 31),
                map { { value => VodTest::bytes(20_000, 31 + $_),
                        delay_before => 0.2 } } 1 .. 20);

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a part that fails once with 500 is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2, status => 500);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- error_log eval
qr/\[warn\] .*vod upload: UploadPart 2 failed \(status 500\), trying again in \d+ ms \(try 2 of 2\)/



=== TEST 2: a part that keeps failing: 502 with COS's code, upload aborted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2, count => 0,
                     status => 503, code => 'SlowDown');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: ^\{"error":\{"code":"SlowDown","message":"UploadPart 2: [^"]+","request_id":"[^"]+"\}\}$
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 AbortMultipartUpload
--- landed_md5: none
--- error_log eval
[qr/\[error\] .*vod upload: UploadPart 2 failed: COS answered 503 SlowDown/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+"/]



=== TEST 3: a 4xx other than RequestTimeout is not tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, status => 403,
                     code => 'AccessDenied');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"AccessDenied"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload
--- no_error_log
trying again



=== TEST 4: RequestTimeout is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, status => 400,
                     code => 'RequestTimeout');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5



=== TEST 5: a connection reset in the middle of a part is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, reset => 1,
                     reset_after_bytes => 65536);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- landed_md5 eval: $::Md5
--- error_log eval
qr/vod upload: UploadPart 1 failed \(no answer, 502\), trying again/



=== TEST 6: a part stored with another CRC-64 is sent again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2,
                     wrong_crc64 => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- error_log eval
qr/\[warn\] .*vod upload: UploadPart 2: COS stored CRC-64 \d+, \d+ was sent/



=== TEST 7: a CRC-64 that is always wrong: 502 CRC64Mismatch, aborted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2, count => 0,
                     wrong_crc64 => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"CRC64Mismatch","message":"UploadPart 2: COS did not store what was sent \(CRC64Mismatch\) in 2 tries"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 AbortMultipartUpload



=== TEST 8: with vod_upload_md5 on, a wrong ETag sends the part again
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_md5 on;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, wrong_etag => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- error_log eval
qr/\[warn\] .*vod upload: UploadPart 3: COS answered the ETag "[0-9a-f]{32}", the MD5 sent is [0-9a-f]{32}/



=== TEST 9: with vod_upload_md5 off, a wrong ETag fails only at Complete
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, wrong_etag => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InvalidPart"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload AbortMultipartUpload
--- landed_md5: none



=== TEST 10: a part that times out every time: 504, aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 2;
    vod_read_timeout 300ms;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, count => 0,
                     delay_ms => 1500);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 504
--- response_body_like: "code":"CosTimeout","message":"UploadPart 1: no answer from COS \(timed out\)"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 AbortMultipartUpload
--- error_log eval
qr/upstream timed out/



=== TEST 11: Initiate fails once with 500 and is tried again; what the 500 may have made is looked for
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'InitiateMultipartUpload', status => 500);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload*2 UploadPart*3 CompleteMultipartUpload CommitUpload ListMultipartUploads
--- landed_md5 eval: $::Md5



=== TEST 12: Initiate refused: 502, nothing to abort
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'InitiateMultipartUpload', status => 403,
                     code => 'AccessDenied');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"AccessDenied"
--- emulator_ops: ApplyUpload InitiateMultipartUpload
--- landed_md5: none



=== TEST 13: Complete answers 200 and then an <Error>: 502, aborted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CompleteMultipartUpload',
                     complete_200_error => 1, code => 'InternalError',
                     delay_ms => 300);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: ^\{"error":\{"code":"InternalError","message":"CompleteMultipartUpload: [^"]*"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload AbortMultipartUpload
--- landed_md5: none



=== TEST 14: Complete streams white space before its result
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CompleteMultipartUpload',
                     stream_whitespace => 1, delay_ms => 300);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- landed_md5 eval: $::Md5



=== TEST 15: Complete fails with 500: 502, aborted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CompleteMultipartUpload', status => 500);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InternalError"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload AbortMultipartUpload
--- landed_md5: none



=== TEST 16: the object's CRC-64 after Complete is not the one sent: 502, the object deleted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CompleteMultipartUpload', wrong_crc64 => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"CRC64Mismatch","message":"COS stored the object with CRC-64
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload DeleteObject
--- landed_md5: none
--- error_log eval
[qr/\[error\] .*vod upload: CompleteMultipartUpload of "[^"]+": COS stored the object with CRC-64 "\d+", \d+ was sent: deleting it/,
 qr/\[info\] .*vod upload: deleted the uncommitted object \S+ \(status 204\)/]



=== TEST 17: one PUT Object that fails once is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'PutObject', status => 500);
--- request eval
"PUT /upload/small.mp4\n" . VodTest::bytes(50_000, 17)
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject*2 CommitUpload
--- landed_md5 eval: VodTest::md5(50_000, 17)



=== TEST 18: one PUT Object refused: 502, nothing to abort
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'PutObject', status => 403,
                     code => 'SignatureDoesNotMatch');
--- request eval
"PUT /upload/small.mp4\n" . VodTest::bytes(50_000, 18)
--- error_code: 502
--- response_body_like: "code":"SignatureDoesNotMatch","message":"PutObject 1: 
--- emulator_ops: ApplyUpload PutObject



=== TEST 19: an ApplyUpload API error: 502 with VOD's code, no retry, no body read
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', code => 'RequestLimitExceeded',
                     message => 'too many requests');
--- more_headers
Expect: 100-continue
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: ^\{"error":\{"code":"RequestLimitExceeded","message":"ApplyUpload: too many requests","request_id":"[^"]+"\}\}$
--- emulator_ops: ApplyUpload
--- error_log eval
qr/\[error\] .*vod upload: ApplyUpload failed: VOD answered RequestLimitExceeded: "too many requests" \(request id "[^"]+"\)/
--- no_error_log
send 100 Continue



=== TEST 20: ApplyUpload answered 502 once is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', status => 502,
                     code => 'InternalError');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload*2 InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5



=== TEST 21: ApplyUpload's connection reset three times: 502
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', count => 0, reset => 1);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"VodApiUnavailable","message":"ApplyUpload: no answer from the VOD API \(connection failed\) after 3 tries"
--- emulator_ops: ApplyUpload*3



=== TEST 22: ApplyUpload times out three times: 504
--- config
location /upload/ {
    vod_upload;
    vod_read_timeout 200ms;
}
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', count => 0, delay_ms => 1000);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 504
--- response_body_like: "code":"VodApiTimeout"
--- emulator_ops: ApplyUpload*3



=== TEST 23: a CommitUpload API error: 502 with VOD's code, the object deleted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CommitUpload',
                     code => 'InvalidParameterValue.VodSessionKey');
--- request eval
"PUT /upload/small.mp4\n" . VodTest::bytes(50_000, 23)
--- error_code: 502
--- response_body_like: "code":"InvalidParameterValue.VodSessionKey"
--- emulator_ops: ApplyUpload PutObject CommitUpload DeleteObject
--- landed_md5: none



=== TEST 24: CommitUpload's connection reset once is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CommitUpload', reset => 1);
--- request eval
"PUT /upload/small.mp4\n" . VodTest::bytes(50_000, 24)
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject CommitUpload*2
--- response_body_like: "FileId":"\d+"



=== TEST 25: a clock ten minutes off: VOD refuses the signature
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(clock_skew_seconds => 600);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"AuthFailure.SignatureExpire"
--- emulator_ops: ApplyUpload



=== TEST 26: temporary credentials that expired before the upload
--- config eval: $::Parts
--- init
$VodTest::Emu->config(cert_lifetime => 0);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"CredentialsExpired"
--- emulator_ops: ApplyUpload
--- error_log eval
qr/vod upload: InitiateMultipartUpload: the temporary credentials of ApplyUpload expired \d+ s ago|vod InitiateMultipartUpload: the temporary credentials of ApplyUpload expired/



=== TEST 27: an ApplyUpload answer that would send the body elsewhere: 502
--- config eval: $::Parts
--- init
$VodTest::Emu->config(answer_bucket => 'evil.example.com:8080/x#');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InvalidApplyUploadAnswer"
--- emulator_ops: ApplyUpload
--- error_log eval
qr/\[error\] .*vod upload: ApplyUpload answered the bucket "evil\.example\.com:8080\/x#" in the region "ap-guangzhou": not a valid COS host name/



=== TEST 28: an ApplyUpload answer with a relative storage path: 502
--- config eval: $::Parts
--- init
$VodTest::Emu->config(answer_media_path => 'relative/a.mp4');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InvalidApplyUploadAnswer"
--- emulator_ops: ApplyUpload
--- error_log
not an absolute object key



=== TEST 29: an ApplyUpload answer whose token would add a header: 502
--- config eval: $::Parts
--- init
$VodTest::Emu->config(answer_token => "tok\r\nX-Injected: from-the-answer");
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InvalidVodAnswer","message":"ApplyUpload: the VOD API.s answer is not valid: Response.TempCertificate.Token holds control characters"
--- emulator_ops: ApplyUpload
--- landed_md5: none



=== TEST 30: ApplyUpload fails before the body is read: the body is not taken for a request
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', code => 'InvalidParameterValue.MediaType');
--- raw_request eval
my $smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
"PUT /upload/a.mp4 HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
. length($smuggled) . "\r\n\r\n$smuggled"
--- error_code: 502
--- response_headers
Connection: close
--- response_body_like: ^\{"error":\{"code":"InvalidParameterValue.MediaType",.*\}\}$
--- emulator_ops: ApplyUpload
--- no_error_log
smuggled



=== TEST 31: an API answer with neither length nor chunks ends with its connection
--- config eval: $::Parts
--- init
$VodTest::Emu->fault([{ op => 'ApplyUpload', no_length => 1 },
                      { op => 'CommitUpload', no_length => 1 }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- no_error_log
[warn]
[error]



=== TEST 32: a POST that timed out is not sent to the next server by nginx
--- http_config
upstream vod_api {
    server 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    server 127.0.0.1:$TEST_NGINX_VOD_PORT;
}
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_api_endpoint http://vod_api;
    vod_read_timeout 500ms;
}
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- error_log eval
[qr/\[error\] .*upstream timed out .* while reading response header from upstream/,
 qr/\[warn\] .*vod upload: ApplyUpload failed \(no answer, 504\), trying again in \d+ ms/]



=== TEST 33: a failure while the client still sends: nginx reads the rest until the client has the answer
client_body_timeout must not run on while nothing reads the body: it would
make the lingering close after the answer reset the connection at once,
with the client still sending (lingering reads are what keeps it open).
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 2;
    client_body_timeout 1s;
}
--- init
$VodTest::Emu->fault([
    { op => 'UploadPart', part_number => 1, delay_ms => 2500 },
    { op => 'UploadPart', part_number => 2, status => 403,
      code => 'AccessDenied' },
]);
--- more_headers
Content-Length: 2600000
--- request eval
[[@::Trickle]]
--- error_code: 502
--- response_body_like: ^\{"error":\{"code":"AccessDenied",
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*2 AbortMultipartUpload
--- landed_md5: none
--- error_log
lingering read: 



=== TEST 34: log_subrequest on: every call is logged, the upload's own line intact
--- http_config
log_format up '$request_method $request_uri $status $vod_upload_bytes';
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    log_subrequest on;
    access_log logs/access.log up;
}
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- access_log
PUT /upload/a.mp4 200 2500000
--- landed_md5 eval: $::Md5

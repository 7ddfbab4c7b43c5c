# Nothing is left behind, and no client is told "failed" for media that
# VOD committed: a CommitUpload whose outcome cannot be known, aborts and
# deletes that are tried again, the object of a failed upload deleted, the
# upload of an Initiate whose answer was lost found and aborted.  Every
# block also checks (VodTest) that no multipart upload is left open.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Parts = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 3;
}
_EOC_

our $Body = VodTest::bytes(2_500_000, 18);
our $Md5 = VodTest::md5(2_500_000, 18);

# nginx with malloc() and anonymous mmap() failing for one size
# (t/tools/failmalloc.c, made by make): the second part's buffer of
# TEST 13 (a mapping); nginx only.  Under
# valgrind (make test-valgrind) valgrind's malloc() replaces every other,
# so no malloc() can be made to fail: TEST 13 is skipped there, saying so.
$ENV{TEST_NGINX_LD_PRELOAD} = "$FindBin::Bin/../build/tools/failmalloc.so";
$ENV{VOD_TEST_FAIL_MALLOC_SIZE} = 1_234_567;

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: CommitUpload answered after vod_read_timeout, then "already used": 202 CommitUnconfirmed, the media kept
--- config
location /upload/ {
    vod_upload;
    vod_read_timeout 300ms;
    vod_upload_source_context "order-18";
}
--- init
$VodTest::Emu->fault(op => 'CommitUpload', delay_ms => 1000);
--- request eval
"PUT /upload/clip.mp4\n" . VodTest::bytes(50_000, 1)
--- error_code: 202
--- response_body_like: ^\{"error":\{"code":"CommitUnconfirmed","message":"the media was uploaded and CommitUpload sent, but whether VOD committed it is not known \(a try whose answer was lost, then VOD answered InvalidParameterValue.VodSessionKey\): do not upload it again; its NewFileUpload event tells","request_id":"[^"]+"\},"MediaName":"clip","SourceContext":"order-18","StorageBucket":"[a-z0-9]+-\d+","MediaStoragePath":"/[^"]+/clip.mp4","Size":50000\}$
--- emulator_ops: ApplyUpload PutObject CommitUpload*2
--- landed_md5 eval: VodTest::md5(50_000, 1)
--- emulator_wait
@{ $s->{media} } == 1 && $s->{sessions}[0]{committed}
--- error_log eval
qr/\[error\] .*vod upload: CommitUpload: the outcome is not known \(a try whose answer was lost, then VOD answered InvalidParameterValue.VodSessionKey\): VOD may have committed the media of 50000 bytes stored at \S+\/clip.mp4 \(MediaName "clip", SourceContext "order-18"\)/
--- no_error_log
DeleteObject



=== TEST 2: CommitUpload that never answers in time: 202, nothing deleted
--- config
location /upload/ {
    vod_upload;
    vod_read_timeout 200ms;
}
--- init
$VodTest::Emu->fault(op => 'CommitUpload', count => 0, delay_ms => 600);
--- request eval
"PUT /upload/clip.mp4\n" . VodTest::bytes(50_000, 2)
--- error_code: 202
--- response_body_like: "code":"CommitUnconfirmed","message":"[^"]+\(no answer after 3 tries\)
--- emulator_ops: ApplyUpload PutObject CommitUpload*3
--- landed_md5 eval: VodTest::md5(50_000, 2)



=== TEST 3: a CommitUpload reset before an answer, then refused: still not a failure
--- config eval: $::Parts
--- init
$VodTest::Emu->fault([{ op => 'CommitUpload', delay_ms => 50, reset => 1 },
                      { op => 'CommitUpload', nth => 2,
                        code => 'InternalError', message => 'busy' }]);
--- request eval
"PUT /upload/clip.mp4\n" . VodTest::bytes(50_000, 3)
--- error_code: 202
--- response_body_like: "code":"CommitUnconfirmed","message":"[^"]+then VOD answered InternalError
--- emulator_ops: ApplyUpload PutObject CommitUpload*2



=== TEST 4: a CommitUpload refused at the first try is a failure: 502, the object deleted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CommitUpload',
                     code => 'InvalidParameterValue.VodSessionKey',
                     message => 'no');
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"InvalidParameterValue.VodSessionKey"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload DeleteObject
--- landed_md5: none



=== TEST 5: AbortMultipartUpload answered 503 SlowDown twice is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault([{ op => 'UploadPart', part_number => 3, status => 403,
                        code => 'AccessDenied' },
                      { op => 'AbortMultipartUpload', count => 2,
                        status => 503, code => 'SlowDown' }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"AccessDenied"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload*3
--- landed_md5: none
--- error_log eval
[qr/\[warn\] .*vod upload: AbortMultipartUpload failed \(status 503\), trying again in \d+ ms \(try 2 of 3\)/,
 qr/\[warn\] .*vod upload: AbortMultipartUpload failed \(status 503\), trying again in \d+ ms \(try 3 of 3\)/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+" of \S+ \(status 204\)/]



=== TEST 6: AbortMultipartUpload whose connection is reset is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault([{ op => 'UploadPart', part_number => 3, status => 403,
                        code => 'AccessDenied' },
                      { op => 'AbortMultipartUpload', reset => 1 }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload*2
--- error_log eval
qr/\[warn\] .*vod upload: AbortMultipartUpload failed \(no answer, 502\), trying again/



=== TEST 7: AbortMultipartUpload that timed out and was done: the next try's 404 ends it
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_read_timeout 300ms;
}
--- init
$VodTest::Emu->fault([{ op => 'UploadPart', part_number => 3, status => 403,
                        code => 'AccessDenied' },
                      { op => 'AbortMultipartUpload', delay_ms => 1000 }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload*2
--- error_log eval
qr/\[info\] .*vod upload: no multipart upload "[^"]+" of \S+ to abort \(completed or aborted before\)/



=== TEST 8: one PUT Object whose CRC-64 is always wrong: 502, the object deleted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'PutObject', count => 0, wrong_crc64 => 1);
--- request eval
"PUT /upload/small.mp4\n" . VodTest::bytes(50_000, 8)
--- error_code: 502
--- response_body_like: "code":"CRC64Mismatch"
--- emulator_ops: ApplyUpload PutObject*3 DeleteObject
--- landed_md5: none
--- error_log eval
qr/\[info\] .*vod upload: deleted the uncommitted object \S+\/small.mp4 \(status 204\)/



=== TEST 9: DeleteObject answered 500 once is tried again
--- config eval: $::Parts
--- init
$VodTest::Emu->fault([{ op => 'CompleteMultipartUpload', wrong_crc64 => 1 },
                      { op => 'DeleteObject', status => 500 }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"CRC64Mismatch"
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload DeleteObject*2
--- landed_md5: none
--- error_log eval
qr/\[warn\] .*vod upload: DeleteObject failed \(status 500\), trying again in \d+ ms \(try 2 of 3\)/



=== TEST 10: Initiates answered after vod_read_timeout: their uploads are found (a page at a time) and aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 3;
    vod_read_timeout 300ms;
}
--- emulator_config
list_page_max: 1
--- init
$VodTest::Emu->fault(op => 'InitiateMultipartUpload', count => 2,
                     delay_ms => 1000);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 200
--- response_body_like: "FileId":"\d+"
--- emulator_ops: ApplyUpload InitiateMultipartUpload*3 UploadPart*3 CompleteMultipartUpload CommitUpload ListMultipartUploads*2 AbortMultipartUpload*2
--- landed_md5 eval: $::Md5
--- error_log eval
[qr/\[warn\] .*vod upload: found the multipart upload "[^"]+" of an Initiate whose answer was lost/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+" of \S+ \(status 204\)/]



=== TEST 11: an Initiate whose answer was lost, then a failure: the current upload and the lost one aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 3;
    vod_read_timeout 300ms;
}
--- init
$VodTest::Emu->fault([{ op => 'InitiateMultipartUpload', delay_ms => 1000 },
                      { op => 'UploadPart', part_number => 3, status => 403,
                        code => 'AccessDenied' }]);
--- request eval
"PUT /upload/a.mp4\n$::Body"
--- error_code: 502
--- response_body_like: "code":"AccessDenied"
--- emulator_ops: ApplyUpload InitiateMultipartUpload*2 UploadPart*3 AbortMultipartUpload ListMultipartUploads AbortMultipartUpload
--- landed_md5: none



=== TEST 12: a CommitUpload answered InternalError at its first try: not known, not a failure, nothing deleted
--- config eval: $::Parts
--- init
$VodTest::Emu->fault(op => 'CommitUpload', code => 'InternalError',
                     message => 'try later');
--- request eval
"PUT /upload/clip.mp4\n" . VodTest::bytes(50_000, 12)
--- error_code: 202
--- response_body_like: "code":"CommitUnconfirmed","message":"[^"]+\(VOD answered InternalError, which does not say it was refused\)
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(50_000, 12)



=== TEST 13: a part buffer that cannot be allocated: 500 InternalError, the upload aborted
--- skip_eval: 4: $ENV{TEST_NGINX_USE_VALGRIND}
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1300000;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, delay_ms => 1500);
--- more_headers
Content-Length: 2534567
--- request eval
[["PUT /upload/a.mp4\n" . VodTest::bytes(1_300_000, 13),
  { value => VodTest::bytes(1_234_567, 14), delay_before => 0.5 }]]
--- error_code: 500
--- response_body_like: ^\{"error":\{"code":"InternalError","message":"the upload failed \(see the error log\)"\}\}$
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart AbortMultipartUpload
--- landed_md5: none
--- error_log eval
[qr/\[emerg\] .*mmap\(1234567\) failed/,
 qr/\[info\] .*vod upload: aborted the multipart upload/]

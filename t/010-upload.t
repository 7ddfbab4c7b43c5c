# Uploads that succeed: one PUT Object for a small body, a multipart
# upload for a larger one, with Content-Length, chunked and HTTP/2 bodies,
# with a cover (vod_upload_cover) and what becomes of it when they fail.
# What landed in the emulator is compared byte for byte (MD5) with what
# was sent, and the answer carries what CommitUpload returned.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# a cover image for vod_upload_cover
use Digest::MD5 ();
use File::Temp ();
our $CoverDir = File::Temp::tempdir(CLEANUP => 1);
our $Cover = VodTest::bytes(30_000, 77);
our $CoverMd5 = Digest::MD5::md5_hex($Cover);
{
    open my $fh, '>', "$CoverDir/poster.JPG" or die "poster: $!";
    print $fh $Cover;
}
$ENV{TEST_NGINX_COVER} = "$CoverDir/poster.JPG";

# the object stored at the session's CoverStoragePath, with these bytes
sub cover_landed {
    my $s = shift;
    my ($session) = @{ $s->{sessions} } or return 0;
    my $path = $session->{cover_path} // return 0;
    return grep { "/$_->{key}" eq $path && $_->{md5} eq $CoverMd5 }
           @{ $s->{objects} };
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a small body goes as one PUT Object
--- config
location /upload/ {
    vod_upload;
}
--- request eval
"PUT /upload/holiday.mp4\n" . VodTest::bytes(100_000, 1)
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"FileId":"\d+","MediaUrl":"http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/holiday\.mp4","CoverUrl":"","RequestId":"[-0-9a-f]+","Size":100000\}$/
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(100_000, 1)
--- error_log eval
qr/\[info\] .*vod upload: FileId "\d+", 100000 bytes in 1 part, \d+\.\d{3} s/
--- no_error_log
[error]
[warn]



=== TEST 2: a body over the part size goes as a multipart upload
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/clip.mp4\n" . VodTest::bytes(3_500_000, 2)
--- error_code: 200
--- response_body_like: "Size":3500000\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(3_500_000, 2)
--- error_log eval
qr/vod upload: FileId "\d+", 3500000 bytes in 4 parts/
--- no_error_log
[error]
[warn]



=== TEST 3: a chunked body of unknown length, several parts
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/chunked.mov\n" . VodTest::chunked(VodTest::bytes(2_500_000, 3), 300_000)
--- error_code: 200
--- response_body_like: "Size":2500000\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(2_500_000, 3)
--- no_error_log
[error]



=== TEST 4: a chunked body that fits in one part goes as one PUT Object
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
my $b = VodTest::bytes(5000, 4);
"PUT /upload/small.mp4\n" . sprintf("%x\r\n", length $b) . $b . "\r\n0\r\n\r\n"
--- error_code: 200
--- response_body_like: "Size":5000\}
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(5000, 4)



=== TEST 5: an HTTP/2 body
--- http2
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/h2.mp4\n" . VodTest::bytes(2_200_000, 5)
--- error_code: 200
--- response_body_like: "Size":2200000\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(2_200_000, 5)
--- no_error_log
[error]



=== TEST 6: the variables, for log_format
--- http_config
log_format vod '$status $vod_file_id $vod_upload_parts $vod_upload_bytes '
               'req:$vod_request_id err:$vod_upload_error '
               'url:$vod_media_url';
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    access_log logs/access.log vod;
}
--- request eval
"PUT /upload/logged.mp4\n" . VodTest::bytes(1_500_000, 6)
--- error_code: 200
--- access_log eval
qr/^200 \d+ 2 1500000 req:[-0-9a-f]{36} err:- url:http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/logged\.mp4$/
--- landed_md5 eval: VodTest::md5(1_500_000, 6)



=== TEST 7: Expect: 100-continue is answered once the upload is applied
The runner checks the first response, the interim 100 Continue; the final
one follows it, as the body.
--- config
location /upload/ {
    vod_upload;
}
--- more_headers
Expect: 100-continue
--- request eval
"PUT /upload/expect.mp4\n" . VodTest::bytes(20_000, 7)
--- error_code: 100
--- response_body_like: ^HTTP/1\.1 200 OK\r\n.*\r\n\r\n\{"FileId":"\d+",.*"Size":20000\}$
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(20_000, 7)



=== TEST 8: parts go out several at a time and land in order
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 2;
}
--- request eval
"PUT /upload/ordered.mp4\n" . VodTest::bytes(6_291_457, 8)
--- error_code: 200
--- response_body_like: "Size":6291457\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*7 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(6_291_457, 8)
--- error_log eval
qr/6291457 bytes in 7 parts/



=== TEST 9: an "if" in the upload location: the upload is the same
--- config
location /upload/ {
    vod_upload;

    if ($arg_from) {
        set $from $arg_from;
    }
}
--- request eval
"PUT /upload/if.mp4?from=x\n" . VodTest::bytes(100_000, 10)
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(100_000, 10)
--- no_error_log
[alert]



=== TEST 10: vod_upload_cover: the cover is put before CommitUpload, CoverUrl answered
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover $TEST_NGINX_COVER;
}
--- request eval
"PUT /upload/with-cover.mp4\n" . VodTest::bytes(40_000, 20)
--- error_code: 200
--- response_body_like: "CoverUrl":"http://127\.0\.0\.1:\d+/vod/\d+/[^"]+"
--- apply_params
CoverType: jpg
--- emulator_ops: ApplyUpload PutObject*2 CommitUpload
--- emulator_wait
main::cover_landed($s) && $s->{media}[0]{CoverUrl}



=== TEST 11: a cover put answered 500 once is tried again
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover $TEST_NGINX_COVER;
}
--- init
$VodTest::Emu->fault(op => 'PutObject', nth => 2, status => 500);
--- request eval
"PUT /upload/with-cover.mp4\n" . VodTest::bytes(40_000, 21)
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject*3 CommitUpload
--- emulator_wait
main::cover_landed($s)
--- error_log eval
qr/\[warn\] .*vod upload: PutObject \(cover\) failed \(status 500\), trying again in \d+ ms \(try 2 of 3\)/



=== TEST 12: a cover COS refuses: 502, the media object deleted, nothing committed
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover $TEST_NGINX_COVER;
}
--- init
$VodTest::Emu->fault(op => 'PutObject', nth => 2, status => 403,
                     code => 'AccessDenied');
--- request eval
"PUT /upload/with-cover.mp4\n" . VodTest::bytes(40_000, 22)
--- error_code: 502
--- response_body_like: "code":"AccessDenied","message":"PutObject \(cover\): 
--- emulator_ops: ApplyUpload PutObject*2 DeleteObject
--- landed_md5: none



=== TEST 13: a multipart upload with a cover: the cover after Complete, before CommitUpload
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_cover $TEST_NGINX_COVER;
}
--- request eval
"PUT /upload/big-with-cover.mp4\n" . VodTest::bytes(2_500_000, 23)
--- error_code: 200
--- response_body_like: "CoverUrl":"http://
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload PutObject CommitUpload
--- emulator_wait
main::cover_landed($s)



=== TEST 14: a CommitUpload refused after the cover was put: the media and the cover deleted
--- config
location /upload/ {
    vod_upload;
    vod_upload_cover $TEST_NGINX_COVER;
}
--- init
$VodTest::Emu->fault(op => 'CommitUpload',
                     code => 'InvalidParameterValue.VodSessionKey');
--- request eval
"PUT /upload/with-cover.mp4\n" . VodTest::bytes(40_000, 24)
--- error_code: 502
--- emulator_ops: ApplyUpload PutObject*2 CommitUpload DeleteObject*2
--- landed_md5: none
--- error_log eval
qr/\[info\] .*vod upload: deleted the uncommitted object \S+\/cover\.jpg \(status 204\)/

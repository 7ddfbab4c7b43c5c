# The worker's memory for part buffers (vod_upload_buffers_max) and the
# bytes read straight into them: the budget is never exceeded (every
# step of it is logged at debug, and no log line shows more taken than
# the budget), uploads that find no memory wait their turn and land
# whole, a slow upload's parts end early, a part tried again is sent from
# its buffer, and nginx reads HTTP/1.1 (Content-Length, chunked), HTTP/2
# and a form's bodies into the part being filled.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Out = File::Temp::tempdir(CLEANUP => 1);

# a number of bytes taken over 2 MiB (2097152), as the debug log writes it
our $Over2m = qr/vod buffers: .*, (?:\d{8,}|[3-9]\d{6}|2[1-9]\d{5}|209[89]\d{3}|2097[2-9]\d{2}|20971[6-9]\d|209715[3-9]) of 2097152 taken/;

# A second upload beside the block's request, once nginx is up; its
# answer goes to $Out/answer-SEED.
sub background_put {
    my ($path, $n, $seed) = @_;
    my $file = VodTest::write_file("$Out/body-$seed", VodTest::bytes($n, $seed));

    unlink "$Out/answer-$seed";

    VodTest::detach(sub {
        exec('curl', '-s', '-o', "$Out/answer-$seed", '-T', $file,
             "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}$path")
            or die "curl: $!";
    }, after_start => 1);
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: nginx -t: a part that cannot fit in vod_upload_buffers_max
--- http_config
vod_upload_buffers_max 4m;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*a part of 8388608 bytes \("vod_upload_part_size"\) does not fit in "vod_upload_buffers_max" 4194304, in the location of "vod_upload" in \S+nginx\.conf:\d+/



=== TEST 2: nginx -t: parts that may grow past it, with vod_upload_max_part_size
--- http_config
vod_upload_buffers_max 16m;
--- config
location /upload/ {
    vod_upload;
    vod_upload_max_part_size 32m;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*a part of 33554432 bytes \("vod_upload_max_part_size"\) does not fit in "vod_upload_buffers_max" 16777216/



=== TEST 3: nginx -t: a budget under 1m, and one that is no size
--- http_config
vod_upload_buffers_max 512k;
--- config
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_buffers_max" "512k" is not a size of 1m or more/



=== TEST 4: vod_upload_buffers_max only at the http level
--- config
vod_upload_buffers_max 64m;
location /upload/ {
    vod_upload;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_upload_buffers_max" directive is not allowed here/



=== TEST 5: two uploads and memory for two parts: they wait their turn, never more is taken, both land whole
Parts are held 300 ms by COS; each upload could buffer 5 parts of 1 MiB,
the worker has memory for 2.
--- http_config
vod_upload_buffers_max 2m;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 4;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', count => 0, delay_ms => 300);
main::background_put('/upload/b.mp4', 3_500_000, 52);
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(3_500_000, 51)
--- timeout: 15
--- error_code: 200
--- response_body_like: ^\{"FileId":"\d+"
--- emulator_wait
@{ $s->{media} } == 2 && !grep { !$_->{committed} } @{ $s->{sessions} }
--- landed_md5 eval
VodTest::md5(3_500_000, 51) . ' ' . VodTest::md5(3_500_000, 52)
--- error_log eval
[qr/vod buffers: wait for 1048576 bytes, 2097152 of 2097152 taken/,
 qr/vod buffers: 1048576 bytes for one that waited/,
 qr/vod upload: part \d waits for memory/]
--- no_error_log eval
[$::Over2m, qr/\[error\]/, qr/client timed out/]



=== TEST 6: a slow client: its parts end after a second of its bytes, though the plan was one PUT Object
3.6 MB: 1.2 MB at once, 1.2 MB after 1.2 s, the rest after 1.2 s more.
Part 1 ends at 2 MiB (its first MiB came at once, and there was memory for
one more), part 2 at 1 MiB (it took over a second), part 3 is the rest.
--- config
location /upload/ {
    vod_upload;
}
--- more_headers
Content-Length: 3600000
--- request eval
[["PUT /upload/slow.mp4\n" . substr(VodTest::bytes(3_600_000, 61), 0, 1_200_000),
  { value => substr(VodTest::bytes(3_600_000, 61), 1_200_000, 1_200_000), delay_before => 1.2 },
  { value => substr(VodTest::bytes(3_600_000, 61), 2_400_000), delay_before => 1.2 }]]
--- timeout: 10
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(3_600_000, 61)
--- error_log
vod upload: part 1 ends at 2097152 bytes (the bytes come slowly)
vod upload: part 2 ends at 1048576 bytes (the bytes come slowly)



=== TEST 7: a part that fails is sent again from its buffer, which then holds the next part
Memory for one part: part 2 waits until part 1, answered 500 once, is
stored; its buffer's memory then goes to part 2.
--- http_config
vod_upload_buffers_max 1m;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, status => 500);
--- request eval
"PUT /upload/retry.mp4\n" . VodTest::bytes(2_500_000, 71)
--- timeout: 10
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(2_500_000, 71)
--- error_log eval
[qr/\[warn\] .*vod upload: UploadPart 1 failed \(status 500\), trying again/,
 qr/vod upload: part 2 waits for memory/,
 qr/vod buffers: gave back 1048576 bytes, 0 of 1048576 taken/]



=== TEST 8: HTTP/1.1 with a Content-Length: the body is read into the part buffers
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/cl.mp4\n" . VodTest::bytes(3_000_000, 81)
--- error_code: 200
--- landed_md5 eval: VodTest::md5(3_000_000, 81)
--- error_log eval
[qr/vod body: read into \S+, \d+ bytes/,
 qr/vod body: 3000000 bytes, [1-9]\d{5,} of them read in place/]



=== TEST 9: a fast client: once a part fills within a second, the part buffers are in huge pages, and the bytes land whole
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 2m;
}
--- request eval
"PUT /upload/fast.mp4\n" . VodTest::bytes(16_000_000, 85)
--- error_code: 200
--- response_body_like: "Size":16000000\}
--- landed_md5 eval: VodTest::md5(16_000_000, 85)
--- error_log eval
[qr/vod upload: part 1's buffer, 2097152 bytes(?!, in huge pages)/,
 qr/vod upload: part [2-8]'s buffer, 2097152 bytes, in huge pages/]



=== TEST 10: HTTP/1.1 chunked: the chunks' bytes are read into the part buffers
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/chunked.mp4\n" . VodTest::chunked(VodTest::bytes(3_000_000, 91), 65536)
--- error_code: 200
--- landed_md5 eval: VodTest::md5(3_000_000, 91)
--- error_log eval
[qr/vod body: read into \S+, \d+ bytes/,
 qr/vod body: 3000000 bytes, [1-9]\d{5,} of them read in place/]



=== TEST 11: HTTP/2: DATA frames are copied into the part buffers, not nginx's, and the window is the part's room
nginx's own body buffer is 64k here (http2_body_preread_size): the stream
is granted what the part has room for.
--- http2
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/h2.mp4\n" . VodTest::bytes(3_000_000, 101)
--- error_code: 200
--- landed_md5 eval: VodTest::md5(3_000_000, 101)
--- error_log eval
[qr/vod body: read into \S+, \d{6,} bytes/,
 qr/vod body: 3000000 bytes, [1-9]\d{5,} of them read in place/]



=== TEST 12: a form: the media's bytes are read into the part buffers, past what the parser holds
The media's bytes have CRs, some followed by LF and "-": partial
delimiters the parser holds, then gives as media.
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_part_size 1m;
}
--- more_headers
Content-Type: multipart/form-data; boundary=XyZ28
--- request eval
my $media = VodTest::bytes(3_000_000, 111);
substr($media, $_ * 100_003, 4) = "\r\n--" for 1 .. 25;
"POST /upload/\n"
. "--XyZ28\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n"
. "--XyZ28\r\nContent-Disposition: form-data; name=\"media\"; filename=\"f.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
. $media . "\r\n--XyZ28--\r\n"
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval
my $media = VodTest::bytes(3_000_000, 111);
substr($media, $_ * 100_003, 4) = "\r\n--" for 1 .. 25;
Digest::MD5::md5_hex($media)
--- error_log eval
[qr/vod body: read into \S+, \d+ bytes/,
 qr/vod body: \d+ bytes, [1-9]\d{5,} of them read in place/]



=== TEST 13: a chunked body with nothing to bound it: its part never ends early, however slowly it comes
nginx counts a chunked body's bytes into its Content-Length as they come:
that is no bound.
--- config
location /upload/ {
    vod_upload;
    client_max_body_size 0;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
my $b = VodTest::bytes(3_600_000, 121);
my @c = map { VodTest::chunk(substr $b, $_ * 1_200_000, 1_200_000) } 0 .. 2;
[["PUT /upload/chunked-slow.mp4\n" . $c[0],
  { value => $c[1], delay_before => 1.2 },
  { value => $c[2] . "0\r\n\r\n", delay_before => 1.2 }]]
--- timeout: 10
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject CommitUpload
--- landed_md5 eval: VodTest::md5(3_600_000, 121)
--- no_error_log
ends at

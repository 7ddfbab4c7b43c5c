# A 1 GiB upload, as a PUT, as a resumable (tus) creation-with-upload and
# as the media of a browser's form (multipart/form-data, with a cover):
# it lands byte for byte, and the worker's memory stays
# within part_size x (parts_in_flight + 1) plus a small constant, because
# the body streams through reused part buffers (nothing is buffered whole
# or written to a temporary file).  The peak RSS (VmHWM) of the nginx
# process is read from /proc once the answer is in.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# Under valgrind (TEST_NGINX_USE_VALGRIND) nginx runs some 30 times
# slower: 1 GiB would take most of an hour per block.  64 MiB there: 8
# parts of 8 MiB through 5 part buffers, so buffers are still reused
# while parts are in flight, which is what is checked for memory errors.
our $MiB = $ENV{TEST_NGINX_USE_VALGRIND} ? 64 : 1024;

# $MiB blocks of 1 MiB, each different (it starts with its number), so
# that parts landing out of order would change the MD5
our $Block = VodTest::bytes(1 << 20, 14);
our $Body = join '', map { pack('N', $_) . substr($Block, 4) } 0 .. $MiB - 1;
our $Md5 = Digest::MD5::md5_hex($Body);
our $Size = length $Body;
our $Parts = $Size / (8 << 20);
our $Done = qr/vod upload: FileId "\d+", $Size bytes in $Parts parts/;
Test::More::diag("TEST_NGINX_USE_VALGRIND: $MiB MiB uploads instead of 1 GiB")
    if $MiB != 1024;

# the same GiB as a form's "media", a cover before it
our $B = '----WebKitFormBoundaryLarge';
our $Cover = "\xff\xd8\xff\xe0 a cover \xff\xd9";
our $Form = "--$B\r\nContent-Disposition: form-data; name=\"cover\"; "
    . "filename=\"poster.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n$Cover\r\n"
    . "--$B\r\nContent-Disposition: form-data; name=\"media\"; "
    . "filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n$Body\r\n"
    . "--$B--\r\n";

# the secret that seals tus upload URLs
our $Dir = File::Temp::tempdir(CLEANUP => 1);
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file("$Dir/tus.key",
    "a secret of the test, long enough\n");

# the same GiB as a file, for tus-js-client
$ENV{TEST_NGINX_BIG_FILE} = VodTest::write_file("$Dir/big.mp4", $Body);

# 8 MiB parts, 4 in flight: 40 MiB of part buffers, 16 MB for the rest
our $RssMax = (8 * 5 + 16) * 1024 * 1024;

# Under make test-asan (TEST_NGINX_SANITIZER=asan) the worker's RSS also
# holds ASan's runtime, its shadow memory (an eighth of what is touched),
# the redzones and the quarantine of freed memory: the bound is scaled by
# TEST_NGINX_RSS_FACTOR, which make test-asan sets from a measurement
# (docs/testing.md, "Sanitizers").  The memory must still not grow with
# the size of the upload: 1 GiB through 40 MiB of buffers.
our $RssFactor = $ENV{TEST_NGINX_RSS_FACTOR} || 1;
$RssMax *= $RssFactor;

add_response_body_check(sub {
    my ($block) = @_;

    # valgrind's memcheck runs nginx on its synthetic CPU: the process's
    # RSS is valgrind's (its own heap, the shadow of every byte, the
    # translated code), not nginx's, so there is no bound to check; the
    # TAP says so
    if ($ENV{TEST_NGINX_USE_VALGRIND}) {
        SKIP: {
            skip $block->name . " - peak worker RSS: not measurable under "
                 . "valgrind (the RSS is valgrind's own memory)", 1;
        }
        return;
    }

    my $pid = do {
        open my $fh, '<', $Test::Nginx::Util::PidFile or die "pid file: $!";
        local $/;
        <$fh> + 0;
    };
    open my $fh, '<', "/proc/$pid/status" or die "/proc/$pid/status: $!";
    my ($hwm) = map { /^VmHWM:\s+(\d+) kB/ ? $1 * 1024 : () } <$fh>;

    ok $hwm && $hwm <= $RssMax,
       $block->name . sprintf(' - peak worker RSS %.1f MB <= %.1f MB%s',
                              $hwm / 1e6, $RssMax / 1e6,
                              $RssFactor == 1 ? ''
                              : " (the bound x$RssFactor: "
                                . ($ENV{TEST_NGINX_SANITIZER} // 'scaled')
                                . ')');
});

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: 1 GiB with 8 MiB parts, 4 in flight, in bounded memory
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 8m;
    vod_upload_parts_in_flight 4;
    client_max_body_size 0;
}
--- request eval
"PUT /upload/big.mp4\n$::Body"
--- timeout: 120
--- log_level: info
--- error_code: 200
--- response_body_like eval
qr/"Size":$::Size\}/
--- landed_md5 eval: $::Md5
--- error_log eval
$::Done
--- no_error_log
[error]
a client request body is buffered to a temporary file



=== TEST 2: 1 GiB in a tus creation-with-upload, in bounded memory
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 8m;
    vod_upload_parts_in_flight 4;
    client_max_body_size 0;
}
--- more_headers eval
"Tus-Resumable: 1.0.0
Upload-Length: $::Size
Upload-Metadata: filename YmlnLm1wNA==
Content-Type: application/offset+octet-stream"
--- request eval
"POST /files/\n$::Body"
--- timeout: 120
--- log_level: info
--- error_code: 201
--- response_headers eval
"Upload-Offset: $::Size"
--- response_headers_like
X-VOD-File-Id: \d+
--- landed_md5 eval: $::Md5
--- error_log eval
$::Done
--- no_error_log
[error]
a client request body is buffered to a temporary file



=== TEST 3: 1 GiB by tus-js-client (one PATCH), in bounded memory
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 8m;
    vod_upload_parts_in_flight 4;
    client_max_body_size 0;
}
--- request
OPTIONS /files/
--- timeout: 120
--- log_level: info
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_BIG_FILE", "metadata": {"filename": "big.mp4"}}
--- node_out eval
"created /files/
/^success $::Size \\d+ \\S+\/big\\.mp4\$/"
--- landed_md5 eval: $::Md5
--- no_error_log
[error]
a client request body is buffered to a temporary file



=== TEST 4: 1 GiB as a form's media, a cover before it, in bounded memory
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_part_size 8m;
    vod_upload_parts_in_flight 4;
    client_max_body_size 0;
}
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n$::Form"
--- timeout: 120
--- log_level: info
--- error_code: 200
--- response_body_like eval
qr/"CoverUrl":"http[^"]+".*"Size":$::Size\}/
--- landed_md5 eval: $::Md5 . ' ' . Digest::MD5::md5_hex($::Cover)
--- error_log eval
$::Done
--- no_error_log
[error]
a client request body is buffered to a temporary file

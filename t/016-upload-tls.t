# https endpoints: certificates are verified by default.  A TLS server in
# the same nginx, with a certificate made here for "localhost", stands in
# front of the emulator: with that certificate trusted the upload works;
# with the system's CA bundle (the default) it fails with 502; with
# vod_ssl_verify off it works.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Dir = File::Temp::tempdir('vod-tls-XXXXXX', TMPDIR => 1, CLEANUP => 1);

system("openssl req -x509 -newkey rsa:2048 -nodes -days 2"
       . " -keyout $Dir/key.pem -out $Dir/cert.pem -subj /CN=localhost"
       . " -addext subjectAltName=DNS:localhost 2>/dev/null") == 0
    or die "openssl req failed: $?\n";

$ENV{TEST_NGINX_TLS_DIR} = $Dir;

# the TLS server: the Host header the module sends goes through
our $HttpConfig = <<'_EOC_';
    vod_secret_id       $TEST_NGINX_VOD_SECRET_ID;
    vod_secret_key      $TEST_NGINX_VOD_SECRET_KEY;
    vod_api_endpoint    https://localhost:$TEST_NGINX_RAND_PORT_1;
    vod_cos_endpoint    https://localhost:$TEST_NGINX_RAND_PORT_1;
    vod_upload_journal  $TEST_NGINX_SERVER_ROOT/vod_journal_temp;

    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1 ssl;
        ssl_certificate      $TEST_NGINX_TLS_DIR/cert.pem;
        ssl_certificate_key  $TEST_NGINX_TLS_DIR/key.pem;

        location / {
            proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT;
            proxy_set_header Host $host;
            proxy_request_buffering off;
            client_max_body_size 0;
        }
    }
_EOC_

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the endpoint's certificate trusted: the upload goes over TLS
--- no_vod_config
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/cert.pem;
}
--- request eval
"PUT /upload/tls.mp4\n" . VodTest::bytes(1_500_000, 161)
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*2 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(1_500_000, 161)
--- no_error_log
[error]



=== TEST 2: verification on (the default) and an untrusted certificate
--- no_vod_config
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/tls.mp4
bytes
--- error_code: 502
--- response_body_like: "code":"VodApiUnavailable"
--- emulator_ops:
--- error_log
upstream SSL certificate verify error



=== TEST 3: vod_ssl_verify off: the upload goes through
--- no_vod_config
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
    vod_ssl_verify off;
}
--- request
PUT /upload/tls.mp4
some bytes
--- error_code: 200
--- emulator_ops: ApplyUpload PutObject CommitUpload



=== TEST 4: a fast client's part sent as it fills over TLS: its last bytes go out at once, not held for a full TLS record
The client sends 2.5 MB at once, then the rest a second later: part 3
goes out as it fills. With a TLS record held back, COS would wait for
its end until vod_send_timeout (5s here), and the part would be sent again.
--- no_vod_config
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_send_timeout 5s;
    vod_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/cert.pem;
}
--- raw_request eval
my $body = VodTest::bytes(4_000_000, 162);
["PUT /upload/tls.mp4 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
 . "Content-Length: 4000000\r\n\r\n" . substr($body, 0, 2_500_000),
 substr($body, 2_500_000)]
--- raw_request_middle_delay eval: 1 * $VodTest::Factor
--- timeout: 15
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*4 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(4_000_000, 162)
--- error_log eval
[qr/vod upload: part 3 goes out as it fills, 1048576 bytes/,
 qr/vod upload: UploadPart 3 of 1048576 bytes stored/]
--- no_error_log
[warn]
[error]

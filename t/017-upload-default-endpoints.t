# The default endpoints, as in production: no vod_api_endpoint or
# vod_cos_endpoint, so nginx's resolver looks up vod.tencentcloudapi.com
# and the COS host ApplyUpload names, and the calls go over TLS to port
# 443, with SNI and certificate verification.  Here a small DNS server
# answers 127.0.0.1 for every name, and a TLS server on 127.0.0.1:443 in
# the same nginx, with a certificate for those names, stands in front of
# the emulator.  (Port 443: the tests run as root, as CI does.)

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use Test::More;
use Test::Nginx::Socket 'no_plan';
use VodTest;
use VodEmulator::Dns;

VodTest::setup();

our $Dns = VodEmulator::Dns->start;
$ENV{TEST_NGINX_DNS_PORT} = $Dns->port;

our $Dir = File::Temp::tempdir('vod-tls-XXXXXX', TMPDIR => 1, CLEANUP => 1);

system("openssl req -x509 -newkey rsa:2048 -nodes -days 2"
       . " -keyout $Dir/key.pem -out $Dir/cert.pem -subj /CN=vod-test"
       . " -addext subjectAltName=DNS:vod.tencentcloudapi.com,"
       . "DNS:*.cos.ap-guangzhou.myqcloud.com 2>/dev/null") == 0
    or die "openssl req failed: $?\n";

$ENV{TEST_NGINX_TLS_DIR} = $Dir;

# "--- dns_asked": the names nginx's resolver asked for, in order, once
add_test_cleanup_handler(sub {
    my $block = shift;
    my $want = $block->dns_asked // return;
    my %seen;
    my @names = grep { !$seen{$_}++ } $Dns->names;
    $want =~ s/^\s+|\s+$//g;
    is "@names", $want, $block->name . ' - the resolver looked up the hosts';
});

our $HttpConfig = <<'_EOC_';
    vod_secret_id                $TEST_NGINX_VOD_SECRET_ID;
    vod_secret_key               $TEST_NGINX_VOD_SECRET_KEY;
    vod_ssl_trusted_certificate  $TEST_NGINX_TLS_DIR/cert.pem;
    resolver                     127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;

    server {
        listen 127.0.0.1:443 ssl;
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

$Dns->stop;

__DATA__

=== TEST 1: ApplyUpload and the parts find their hosts through the resolver
--- no_vod_config
--- http_config eval: $::HttpConfig
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/default.mp4\n" . VodTest::bytes(1_500_000, 171)
--- error_code: 200
--- response_body_like: "Size":1500000\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*2 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(1_500_000, 171)
--- dns_asked: vod.tencentcloudapi.com vodemuapguangzhou-1250000000.cos.ap-guangzhou.myqcloud.com
--- no_error_log
[error]



=== TEST 2: a certificate that names other hosts is refused
--- no_vod_config
--- http_config eval
my $c = $::HttpConfig;
$c =~ s/vod_ssl_trusted_certificate\s+\S+;/vod_ssl_trusted_certificate $::Dir\/other.pem;/;
system("openssl req -x509 -newkey rsa:2048 -nodes -days 2"
       . " -keyout $::Dir/other.key -out $::Dir/other.pem -subj /CN=other"
       . " 2>/dev/null") == 0 or die "openssl: $?";
$c
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/default.mp4
bytes
--- error_code: 502
--- response_body_like: "code":"VodApiUnavailable"
--- emulator_ops:
--- error_log
upstream SSL certificate verify error

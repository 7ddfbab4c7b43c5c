# The VOD emulator (t/emulator) behind nginx, in the Test::Nginx format:
# how a .t file starts it in its Perl preamble, hands its port to
# nginx.conf as $TEST_NGINX_VOD_PORT, switches faults from --- init and
# checks afterwards what the emulator received. Stock nginx proxies here;
# the module's own files do the same with vod_api_endpoint and
# vod_cos_endpoint (docs/emulator.md).

use FindBin ();
use lib "$FindBin::Bin/lib", "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket;
use VodEmulator::Control;

our $Emu = VodEmulator::Control->start;
$Emu->export_env;           # TEST_NGINX_VOD_PORT, _SECRET_ID, _SECRET_KEY...

# a clean emulator for every block
add_block_preprocessor(sub { $Emu->reset });

# "--- emulator_saw: Op1 Op2": the operations the emulator received
add_test_cleanup_handler(sub {
    my $block = shift;
    my $want = $block->emulator_saw // return;
    my @ops = map { $_->{op} } grep { $_->{op} ne 'control' }
              @{ $Emu->state->{requests} };
    is "@ops", $want, $block->name . ' - the emulator saw it';
});

plan tests => blocks() * 3;

no_shuffle();
run_tests();

$Emu->stop;

__DATA__

=== TEST 1: an API request through nginx gets the real envelope
--- config
    location = /api {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/;
        proxy_set_header Host vod.tencentcloudapi.com;
    }
--- request
POST /api
{}
--- more_headers
X-TC-Action: ApplyUpload
Content-Type: application/json
--- error_code: 200
--- response_body_like: "Code":"MissingParameter"
--- emulator_saw: ApplyUpload



=== TEST 2: a COS request through nginx, routed by its Host
--- config
    location /cos/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/;
        proxy_set_header Host nobucket-1250000000.cos.ap-guangzhou.myqcloud.com;
    }
--- request
PUT /cos/a.mp4
hello
--- error_code: 404
--- response_body_like: <Code>NoSuchBucket</Code>
--- emulator_saw: PutObject



=== TEST 3: a fault switched on from --- init
--- init
$main::Emu->fault(op => 'ApplyUpload', code => 'RequestLimitExceeded');
--- config
    location = /api {
        proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/;
        proxy_set_header Host vod.tencentcloudapi.com;
    }
--- request
POST /api
{}
--- more_headers
X-TC-Action: ApplyUpload
--- error_code: 200
--- response_body_like: "Code":"RequestLimitExceeded"
--- emulator_saw: ApplyUpload

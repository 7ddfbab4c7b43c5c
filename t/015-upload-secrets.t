# No secret reaches a log: after uploads that succeed and fail, the
# debug-level error log holds none of the API secret key, the temporary
# credentials' token, and no Authorization value or signature that the
# emulator received.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# after VodTest's own checks: everything secret the emulator saw
add_test_cleanup_handler(sub {
    my $block = shift;
    my $name = $block->name;
    my $state = $VodTest::Emu->state('md5=0');

    my %secrets = (api_secret_key => $ENV{TEST_NGINX_VOD_SECRET_KEY});
    my $n = 0;

    for my $req (@{ $state->{requests} }) {
        my $h = $req->{headers} or next;

        if (my $auth = $h->{authorization}) {
            $secrets{"authorization $n"} = $auth;
            $secrets{"signature $n"} = $1
                if $auth =~ /(?:q-signature=|Signature=)([0-9a-f]{40,64})/;
        }

        $secrets{"token $n"} = $h->{'x-cos-security-token'}
            if $h->{'x-cos-security-token'};
        $n++;
    }

    ok keys %secrets >= 3, "$name - the emulator saw signed requests";

    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die "error.log: $!";
    my $log = do { local $/; <$fh> };

    ok length $log > 10_000, "$name - the error log is at debug level";

    my @found = grep { index($log, $secrets{$_}) >= 0 } sort keys %secrets;
    is "@found", '', "$name - no secret is in the error log";

    unlike $log, qr/q-sign-algorithm|TC3-HMAC-SHA256 Credential/,
           "$name - no Authorization value is in the error log";
});

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a multipart upload that succeeds
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(2_500_000, 151)
--- error_code: 200
--- landed_md5 eval: VodTest::md5(2_500_000, 151)



=== TEST 2: a multipart upload that fails and is aborted
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
$VodTest::Emu->fault(op => 'UploadPart', part_number => 3, status => 403,
                     code => 'AccessDenied');
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(2_500_000, 152)
--- error_code: 502
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 AbortMultipartUpload



=== TEST 3: an ApplyUpload refused for its signature
--- config
location /upload/ {
    vod_upload;
}
--- init
$VodTest::Emu->fault(clock_skew_seconds => 900);
--- request
PUT /upload/a.mp4
bytes
--- error_code: 502
--- response_body_like: "code":"AuthFailure.SignatureExpire"

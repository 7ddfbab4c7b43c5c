# The runner must be able to fail: run fixture files (kept out of the t/*.t
# glob) in a child perl and read their TAP. Stock nginx only.

use strict;
use warnings;

use File::Temp qw(tempdir);
use FindBin ();
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);

my $dir = tempdir(CLEANUP => 1);
chdir "$FindBin::Bin/.." or die "chdir: $!";    # the fixtures' names start t/

sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp', Listen => 1) or die $!;
    return $sock->sockport;
}

# runs a fixture with its own port and server root; returns its exit code,
# stdout (the TAP) and stderr
sub run_fixture {
    my $file = shift;
    local %ENV = %ENV;
    delete $ENV{$_} for grep { /^TEST_NGINX_/ && $_ ne 'TEST_NGINX_BINARY' }
                        keys %ENV;
    $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";
    $ENV{TEST_NGINX_SERVER_PORT} = free_port();

    my $cmd = "'$^X' -It/lib $file 2>'$dir/stderr'";
    my $out = `$cmd`;
    my $rc = $? >> 8;
    open my $in, '<', "$dir/stderr" or die $!;
    my $err = do { local $/; <$in> };
    return ($rc, $out, $err);
}

my ($rc, $out, $err) = run_fixture('t/runner-selftest/fail.t.txt');

isnt $rc, 0, 'a failing file exits non-zero';

my $name = 't/runner-selftest/fail.t.txt TEST';
my %expected_failures = (
    'wrong status' =>
        qr/\Q$name\E 1: wrong status - status code ok$/,
    'wrong body' =>
        qr/\Q$name\E 2: wrong body - response_body - response is expected/,
    'missing error_log line' =>
        qr/\Q$name\E 3: .* - pattern "this line is not in the log" should match a line in error.log/,
    'unexpected no_error_log line' =>
        qr/\Q$name\E 4: .* - pattern "\[error\]" should not match any line in error.log but matches line ".*No such file or directory/,
    'timeout without abort' =>
        qr/ERROR: client socket timed out - \Q$name\E 5: timeout without abort$/,
    'nginx not starting' =>
        qr/\Q$name\E 6: nginx does not start - nginx failed to start: it exited with exit code 1$/,
    'must_die, nginx starting' =>
        qr/\Q$name\E 7: must_die, but nginx starts - die as expected$/,
    'wrong header' =>
        qr/\Q$name\E 8: wrong header - header X-Foo ok$/,
    'response_body_like not matching' =>
        qr/\Q$name\E 9: .* - response_body_like - response is expected/,
    'curl failing without curl_error' =>
        qr/\Q$name\E 10: .* - command "curl .*" generates stderr output: curl: \(92\)/,
    'a UBSan report in error.log' =>
        qr/\Q$name\E 12: .* - sanitizer report in error\.log: .*runtime error: signed integer overflow/,
    'an ASan report on stderr' =>
        qr/\Q$name\E 13: .* - sanitizer report in nginx\.stderr: ==4242==ERROR: AddressSanitizer: heap-use-after-free/,
    'a valgrind report' =>
        qr/\Q$name\E 14: .* - valgrind reported in valgrind\.4243\.log: ==4243== Invalid read of size 1/,
);

my @not_ok = $out =~ /^not ok \d+ - (.*)$/mg;
for my $what (sort keys %expected_failures) {
    my $re = $expected_failures{$what};
    ok scalar(grep { /$re/ } @not_ok), "fails on: $what";
}
is scalar @not_ok, scalar keys %expected_failures, 'no other failure'
    or diag join "\n", @not_ok;

like $out, qr/^ok \d+ - \Q$name\E 11: control, passes - response_body/m,
    'the control block passes';
like $err, qr/nginx: \[emerg\] unknown directive "no_such_directive"/,
    "nginx's stderr is shown when it cannot start";

my $t0 = time;
($rc, $out, $err) = run_fixture('t/runner-selftest/plan.t.txt');
my $elapsed = time - $t0;

is $rc, 0, 'the "tests => N" form with 20 passing blocks exits 0'
    or diag $out, $err;
like $out, qr/^1\.\.60$/m, 'the plan from the import line';
is scalar(() = $out =~ /^ok /mg), 60, 'all 60 tests ran and passed';
cmp_ok $elapsed, '<', 10, 'no per-block linger';
diag sprintf "20 blocks in %.2f s", $elapsed;

done_testing();

# vod_status: the module's counters after a known sequence of uploads
# (good ones, a client mistake, COS faults that are retried and one that
# fails the upload), summed over two workers and kept across a reload;
# Prometheus' text format checked by the real promtool; JSON; the list of
# uploads in flight; events; what vod_status refuses.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use File::Temp ();
use HTTP::Tiny ();
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';
use Time::HiRes ();
use VodTest;

VodTest::setup();

master_on();
workers(2);

# a request to nginx from --- init: the status it was answered
sub req {
    my ($method, $path, $body, %headers) = @_;
    my $res = HTTP::Tiny->new(timeout => 30 * $VodTest::Factor)->request(
        $method, "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}$path",
        { content => $body // '', headers => \%headers });
    return $res->{status};
}

sub expect {
    my ($want, $method, $path, $body, %headers) = @_;
    my $got = req($method, $path, $body, %headers);
    die "$method $path: $got, not $want\n" unless $got == $want;
}

# HUP, and back once the old workers are gone and two new ones run
sub reload {
    my $master = VodTest::master_pid();
    my %old = map { $_ => 1 } VodTest::workers_of($master);
    kill 'HUP', $master or die "HUP $master: $!";
    my $deadline = Time::HiRes::time() + 20 * $VodTest::Factor;
    while (Time::HiRes::time() < $deadline) {
        my @now = VodTest::workers_of($master);
        return if @now == 2 && !grep { $old{$_} } @now;
        Time::HiRes::sleep(0.05);
    }
    die "the workers did not change after HUP\n";
}

our $Config = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
    vod_upload_part_tries 2;
}

location /small/ {
    vod_upload;
    client_max_body_size 1m;
}

location = /status {
    vod_status;
}
_EOC_

# the Prometheus text, asked until it matches (what is counted after the
# answer to the client: a search for what a failed Initiate may have made)
sub wait_status {
    my ($re) = @_;
    my $deadline = Time::HiRes::time() + 20 * $VodTest::Factor;
    until (HTTP::Tiny->new->get("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}"
               . "/status?format=prometheus")->{content} =~ $re)
    {
        die "vod_status never matched $re\n"
            if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# the worker that relays an upload (as ?uploads names it) killed; back
# once the master has started another
sub kill_uploading_worker {
    my $json = HTTP::Tiny->new->get("http://127.0.0.1:"
        . "$ENV{TEST_NGINX_SERVER_PORT}/status?uploads")->{content};
    my ($pid) = $json =~ /"worker":(\d+)/ or die "no upload listed: $json\n";
    my $master = VodTest::master_pid();
    kill 'KILL', $pid or die "kill $pid: $!";
    my $deadline = Time::HiRes::time() + 20 * $VodTest::Factor;
    until (2 == grep { $_ != $pid } VodTest::workers_of($master)) {
        die "no worker in place of $pid\n" if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# a pushed event, signed
our $Key = 'abc123';
sub signed {
    my ($json, $t) = @_;
    my $sign = Digest::MD5::md5_hex("$Key$t");
    $json =~ s/\}$/,"Sign":"$sign","T":$t}/;
    return $json;
}
our $Deleted = '{"EventType":"FileDeleted","FileDeleteEvent":{"FileIdSet":["5285890784246869930"]}}';

# the secret that seals tus upload URLs
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file(
    File::Temp::tempdir(CLEANUP => 1) . '/tus.key',
    "a secret of the test, long enough\n");

# for slow_client(): its status request in a log of its own
our $Slow = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
location = /status {
    vod_status;
    access_log $TEST_NGINX_SERVER_ROOT/logs/status.log;
}
_EOC_

# a client that sends the head and 300,000 of 2,000,000 bytes, waits for
# the status to have been asked (the block's request, in its access log),
# and goes
sub slow_client {
    VodTest::detach(sub {
        my $s = IO::Socket::INET->new(
            PeerAddr => "127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}")
            or die "connect: $!";
        print $s "PUT /upload/slow.mp4 HTTP/1.1\r\nHost: localhost\r\n"
                 . "Content-Length: 2000000\r\n\r\n"
                 . VodTest::bytes(300_000, 9);
        my $log = "$Test::Nginx::Util::ServRoot/logs/status.log";
        my $deadline = Time::HiRes::time() + 30 * $VodTest::Factor;
        Time::HiRes::sleep(0.02)
            until -s $log || Time::HiRes::time() > $deadline;
        close $s;
    }, after_start => 1);
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the counters after a known sequence, over two workers and a reload; promtool passes
--- config eval: $::Config
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', status => 502,
                     code => 'InternalError');
main::expect(200, PUT => '/upload/a.mp4', VodTest::bytes(100_000, 1));
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2, status => 500);
main::expect(200, PUT => '/upload/b.mp4', VodTest::bytes(2_500_000, 2));
main::expect(413, PUT => '/small/c.mp4', VodTest::bytes(2_000_000, 3));
$VodTest::Emu->fault(op => 'UploadPart', part_number => 2, count => 0,
                     status => 503, code => 'SlowDown');
main::expect(502, PUT => '/upload/d.mp4', VodTest::bytes(2_500_000, 4));
$VodTest::Emu->clear_faults;
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1,
                     wrong_crc64 => 1);
main::expect(200, PUT => '/upload/f.mp4', VodTest::bytes(1_500_000, 5));
$VodTest::Emu->fault(op => 'ApplyUpload', code => 'RequestLimitExceeded',
                     message => 'too many requests');
main::expect(502, PUT => '/upload/e.mp4', VodTest::bytes(2_500_000, 6),
             Expect => '100-continue');
main::reload();
--- request
GET /status?format=prometheus
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- metrics
vod_uploads_total{protocol="put",status="200"} 3
vod_uploads_total{protocol="put",status="413"} 1
vod_uploads_total{protocol="put",status="502"} 2
vod_uploads_in_flight 0
vod_upload_received_bytes_total 6600000
vod_cos_sent_bytes_total 9745728
vod_cos_requests_total{operation="PutObject",result="ok"} 1
vod_cos_requests_total{operation="InitiateMultipartUpload",result="ok"} 3
vod_cos_requests_total{operation="UploadPart",result="ok"} 7
vod_cos_requests_total{operation="UploadPart",result="retried"} 3
vod_cos_requests_total{operation="UploadPart",result="failed"} 1
vod_cos_requests_total{operation="UploadPart",result="timeout"} 0
vod_cos_requests_total{operation="CompleteMultipartUpload",result="ok"} 2
vod_cos_requests_total{operation="AbortMultipartUpload",result="ok"} 1
vod_cos_request_duration_seconds_count{operation="UploadPart"} 11
vod_cos_request_duration_seconds_bucket{operation="UploadPart",le="+Inf"} 11
vod_api_requests_total{action="ApplyUpload",result="ok"} 4
vod_api_requests_total{action="ApplyUpload",result="retried"} 1
vod_api_requests_total{action="ApplyUpload",result="failed"} 1
vod_api_requests_total{action="CommitUpload",result="ok"} 3
vod_api_request_duration_seconds_count{action="ApplyUpload"} 6
vod_parts_retried_total 3
vod_multipart_aborted_total 1
vod_crc_mismatch_total 1
--- promtool
--- landed_md5 eval: CORE::join ' ', VodTest::md5(100_000, 1), VodTest::md5(2_500_000, 2), VodTest::md5(1_500_000, 5)
--- no_error_log
[alert]
[crit]



=== TEST 2: JSON by default: the same counters, by protocol: PUT, tus (creation with upload), form
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
}

location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
}

location = /status {
    vod_status;
}
--- init
main::expect(200, PUT => '/upload/a.mp4', VodTest::bytes(1000, 1));
main::expect(201, POST => '/files/', VodTest::bytes(2000, 2),
             'Tus-Resumable' => '1.0.0', 'Upload-Length' => 2000,
             'Upload-Metadata' => 'filename Yi5tcDQ=',
             'Content-Type' => 'application/offset+octet-stream');
main::expect(200, POST => '/upload/',
             VodTest::form(VodTest::form_file('media', 'c.mp4', 'video/mp4',
                                               VodTest::bytes(3000, 3))),
             'Content-Type' => "multipart/form-data; boundary=$VodTest::Boundary");
main::expect(400, POST => '/upload/', VodTest::form(),
             'Content-Type' => "multipart/form-data; boundary=$VodTest::Boundary");
main::expect(200, HEAD => '/status');
--- request
GET /status
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like eval
qr/^\{"uploads":\{"in_flight":0,"received_bytes":6000,"total":\{"put":\{"200":1\},"tus":\{"201":1\},"form":\{"200":1,"400":1\}\}\},"cos":\{"sent_bytes":6000,"parts_retried":0,"multipart_aborted":0,"crc_mismatch":0,"requests":\{"InitiateMultipartUpload":\{"ok":1,"retried":0,"failed":0,"timeout":0,"duration":\{"count":1,"sum":\d+\.\d{3},"buckets":\{"0\.005":\d,.*"\+Inf":1\}\}\},"UploadPart":\{"ok":1,.*"PutObject":\{"ok":2,.*"CompleteMultipartUpload":\{"ok":1,.*\},"api":\{"requests":\{"ApplyUpload":\{"ok":3,.*"CommitUpload":\{"ok":3,.*\},"events":\{"total":\{\},"pulled":0,"confirmed":0,"process_media":\{"ok":0,"retried":0,"failed":0,"timeout":0\}\}\}\n\z/s
--- landed_md5 eval: CORE::join ' ', map { VodTest::md5($_ * 1000, $_) } 1 .. 3



=== TEST 3: Prometheus' scrape gets its format (Accept: text/plain among others)
--- config eval: $::Config
--- more_headers
Accept: application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2
--- request
GET /status
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like: ^# HELP vod_uploads_total Upload requests
--- metrics
vod_uploads_in_flight 0
vod_cos_requests_total{operation="ListParts",result="ok"} 0
vod_api_requests_total{action="PullEvents",result="failed"} 0
vod_process_media_total{result="ok"} 0
--- promtool



=== TEST 4: ?uploads lists the uploads in flight: id, protocol, worker, bytes received, length, parts, age
--- config eval: $::Slow
--- init
main::slow_client();
$VodTest::Emu->wait_for(sub { grep { ($_->{op} // '') eq 'ApplyUpload' }
                              @{ $_[0]{requests} } }, 10 * $VodTest::Factor)
    or die "no ApplyUpload\n";
--- request
GET /status?uploads
--- error_code: 200
--- response_body_like eval
qr/"uploads":\{"in_flight":1,.*\},"uploads_in_flight":\[\{"id":"[0-9a-f]{32}","protocol":"put","worker":\d+,"received":\d+,"length":2000000,"parts_done":0,"age":\d+\.\d{3}\}\]\}\n\z/s
--- emulator_ops: ApplyUpload InitiateMultipartUpload AbortMultipartUpload
--- emulator_wait
grep { ($_->{op} // '') eq 'AbortMultipartUpload' } @{ $s->{requests} }



=== TEST 5: events: accepted, refused by their signature, not events at all
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}

location = /status {
    vod_status;
}
--- init
main::expect(200, POST => '/cb', main::signed($::Deleted, int(time) + 600),
             'Content-Type' => 'application/json');
main::expect(200, POST => '/cb', main::signed($::Deleted, int(time) + 600),
             'Content-Type' => 'application/json');
main::expect(403, POST => '/cb', main::signed($::Deleted, int(time) - 10),
             'Content-Type' => 'application/json');
main::expect(403, POST => '/cb', $::Deleted =~ s/FileDeleted/Surprise/r,
             'Content-Type' => 'application/json');
main::expect(400, POST => '/cb', '{"no":"event"',
             'Content-Type' => 'application/json');
main::expect(405, GET => '/cb');
--- request
GET /status?format=prometheus
--- error_code: 200
--- metrics
vod_events_total{type="FileDeleted",result="accepted"} 2
vod_events_total{type="FileDeleted",result="refused"} 1
vod_events_total{type="other",result="refused"} 1
vod_events_total{type="unknown",result="invalid"} 1
vod_events_pulled_total 0
--- promtool



=== TEST 6: pulled events: NewFileUpload starts ProcessMedia, both events handed on and confirmed
--- emulator_config
task_delay_ms: 100
--- config
location /upload/ {
    vod_upload;
}
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_transcode 100010 100020;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
location = /status {
    vod_status;
}
--- init
main::expect(200, PUT => '/upload/holiday.mp4', VodTest::bytes(50_000, 1));
main::wait_status(qr/^vod_events_confirmed_total 2$/m);
--- request
GET /status?format=prometheus
--- error_code: 200
--- metrics
vod_uploads_total{protocol="put",status="200"} 1
vod_events_pulled_total 2
vod_events_confirmed_total 2
vod_events_total{type="NewFileUpload",result="handed_on"} 1
vod_events_total{type="ProcedureStateChanged",result="handed_on"} 1
vod_process_media_total{result="ok"} 1
vod_api_requests_total{action="ProcessMedia",result="ok"} 1
vod_api_requests_total{action="ConfirmEvents",result="ok"} 2
vod_api_requests_total{action="PullEvents",result="failed"} 0
--- promtool
--- emulator_events
NewFileUpload confirmed
ProcedureStateChanged confirmed



=== TEST 7: timeouts: ApplyUpload that never answers is tried three times, the last a timeout; an UploadPart too
--- config
location /upload/ {
    vod_upload;
    vod_read_timeout 200ms;
    vod_upload_part_size 1m;
    vod_upload_part_tries 2;
}
location = /status {
    vod_status;
}
--- init
$VodTest::Emu->fault(op => 'ApplyUpload', count => 0, delay_ms => 1000);
main::expect(504, PUT => '/upload/a.mp4', VodTest::bytes(10_000, 1));
$VodTest::Emu->clear_faults;
$VodTest::Emu->fault(op => 'UploadPart', part_number => 1, count => 0,
                     delay_ms => 1000);
main::expect(504, PUT => '/upload/b.mp4', VodTest::bytes(1_500_000, 2));
--- request
GET /status?format=prometheus
--- error_code: 200
--- metrics
vod_uploads_total{protocol="put",status="504"} 2
vod_api_requests_total{action="ApplyUpload",result="retried"} 2
vod_api_requests_total{action="ApplyUpload",result="timeout"} 1
vod_api_requests_total{action="ApplyUpload",result="ok"} 1
vod_api_request_duration_seconds_count{action="ApplyUpload"} 4
vod_api_request_duration_seconds_bucket{action="ApplyUpload",le="+Inf"} 4
vod_cos_requests_total{operation="UploadPart",result="retried"} 1
vod_cos_requests_total{operation="UploadPart",result="timeout"} 1
vod_cos_requests_total{operation="UploadPart",result="ok"} 1
vod_cos_requests_total{operation="AbortMultipartUpload",result="ok"} 1
vod_multipart_aborted_total 1
--- emulator_wait
grep { ($_->{op} // '') eq 'AbortMultipartUpload' } @{ $s->{requests} }



=== TEST 8: an upload answered by an error_page is counted; an Initiate that fails once is retried, then ok
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
location /denied/ {
    vod_upload;
    deny all;
    error_page 403 @denied;
}
location @denied {
    return 403 "denied\n";
}
location = /status {
    vod_status;
}
--- init
main::expect(403, PUT => '/denied/a.mp4', VodTest::bytes(1000, 1));
$VodTest::Emu->fault(op => 'InitiateMultipartUpload', status => 500);
main::expect(200, PUT => '/upload/b.mp4', VodTest::bytes(1_500_000, 2));
main::wait_status(qr/^vod_cos_requests_total\{operation="ListMultipartUploads",result="ok"\} 1$/m);
--- request
GET /status?format=prometheus
--- error_code: 200
--- metrics
vod_uploads_total{protocol="put",status="403"} 1
vod_uploads_total{protocol="put",status="200"} 1
vod_cos_requests_total{operation="InitiateMultipartUpload",result="retried"} 1
vod_cos_requests_total{operation="InitiateMultipartUpload",result="ok"} 1
vod_cos_requests_total{operation="InitiateMultipartUpload",result="failed"} 0
vod_cos_requests_total{operation="ListMultipartUploads",result="ok"} 1
--- landed_md5 eval: VodTest::md5(1_500_000, 2)



=== TEST 9: a worker killed with an upload in flight leaves nothing in flight; the sweep aborts its upload
--- http_config
vod_upload_journal_sweep 200ms;
--- config eval: $::Slow
--- init
main::slow_client();
$VodTest::Emu->wait_for(sub { @{ $_[0]{uploads} } }, 10 * $VodTest::Factor)
    or die "no multipart upload\n";
main::kill_uploading_worker();
--- request
GET /status?uploads
--- error_code: 200
--- response_body_like eval
qr/^\{"uploads":\{"in_flight":0,.*"uploads_in_flight":\[\]\}\n\z/s
--- emulator_wait
!@{ $s->{uploads} }
    && grep { ($_->{op} // '') eq 'AbortMultipartUpload' } @{ $s->{requests} }
--- error_log eval
qr/worker process \d+ exited on signal 9/



=== TEST 10: vod_status answers GET and HEAD only: 405 with Allow
--- config eval: $::Config
--- request
POST /status
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
{"error":{"code":"MethodNotAllowed","message":"vod_status answers GET and HEAD"}}
--- error_log
vod status: vod_status answers GET and HEAD



=== TEST 11: a format it does not know: 400
--- config eval: $::Config
--- request
GET /status?format=xml
--- error_code: 400
--- response_body
{"error":{"code":"InvalidParameter","message":"the format is \"json\" or \"prometheus\""}}



=== TEST 12: nginx -t: vod_status is a location of its own
--- config
location /upload/ {
    vod_upload;
    vod_status;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_status" and "vod_upload" in \S+nginx\.conf:\d+: a location is one or the other/



=== TEST 13: nginx -t: vod_status_zone is 128k or more
--- http_config
vod_status_zone 64k;
--- config
location = /status {
    vod_status;
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"vod_status_zone" .*a size between 128k and 1g/

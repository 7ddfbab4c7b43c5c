# The event receiver, pulled events (vod_callback_pull): worker 0 long-polls
# PullEvents, handles each event like a pushed one, and confirms with
# ConfirmEvents only the events it handed on; it backs off when VOD
# fails, and stops pulling on reload and quit.  nginx runs with a master
# process and two workers, as in production.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

master_on();
workers(2);

sub slurp_log {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return '';
    local $/;
    return <$fh>;
}

# the last PullEvents the emulator received, if it is still waiting for
# events
sub pull_waiting {
    my $s = shift;
    my ($last) = grep { ($_->{op} // '') eq 'PullEvents' }
                 reverse @{ $s->{requests} };
    return $last && !defined $last->{status} ? $last : undef;
}

# reload while a PullEvents waits; then an event must be pulled and
# confirmed by the new worker 0
our $Reloaded;
sub reload_then_pull {
    my $s = shift;

    if (!$Reloaded) {
        return 0 unless pull_waiting($s);
        my $master = VodTest::master_pid();
        kill 'HUP', $master or die "HUP $master: $!";
        $Reloaded = 1;
        return 0;
    }

    my $log = slurp_log();
    my $starts = () = $log =~ /vod events: pulling events from VOD/g;
    return 0 unless $starts >= 2
                    && $log =~ /vod events: the worker is going away/;

    $VodTest::Emu->inject_event({ EventType => 'FileDeleted',
        FileDeleteEvent => { FileIdSet => ['5285890784246869930'] } })
        unless @{ $s->{events} };

    return 1 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} };
}

# one event pulled and confirmed, then a second one whose hand-over the
# pass location delays (limit_req): the round is stuck on it
our $Stuck;
sub stuck_round {
    my $s = shift;
    my @ev = @{ $s->{events} };

    if (!$Stuck) {
        return 0 unless @ev == 1 && $ev[0]{pull_state} eq 'confirmed';
        $VodTest::Emu->inject_event({ EventType => 'FileDeleted',
            FileDeleteEvent => { FileIdSet => ['2'] } });
        $Stuck = 1;
        return 0;
    }

    return slurp_log() =~ /delaying request/;
}

# The workers are told to quit, as a graceful stop or a reload tells them;
# the master starts new ones, so that nginx still runs when the runner
# checks the log (upstream's does so before it stops nginx).
sub quit_workers {
    my $master = VodTest::master_pid();
    my @workers = VodTest::workers_of($master);
    @workers or die "no worker process of nginx $master\n";
    kill 'QUIT', @workers;
}

# quit while PullEvents waits: the worker drops that PullEvents at once
# (it would be answered after VOD's long poll), having logged why
our $QuitPull;
sub quit_while_pulling {
    my $s = shift;

    if (!$QuitPull) {
        my $pull = pull_waiting($s) or return 0;
        $QuitPull = $pull->{seq};
        quit_workers();
        return 0;
    }

    my ($pull) = grep { $_->{seq} == $QuitPull } @{ $s->{requests} };
    return ($pull->{status} // '') =~ /^(?:aborted|reset)$/;
}

# quit while a round is stuck: the worker leaves after its grace time, and
# the new worker 0 pulls again (the old one has logged why by then)
our $QuitStuck;
sub quit_while_stuck {
    my $s = shift;

    if (!defined $QuitStuck) {
        return 0 unless stuck_round($s);
        $QuitStuck = $s->{requests}[-1]{seq} // 0;
        quit_workers();
        return 0;
    }

    return grep { ($_->{op} // '') eq 'PullEvents' && $_->{seq} > $QuitStuck }
                @{ $s->{requests} };
}

# a PullEvents has waited longer than vod_read_timeout; then an event
our $Waited;
sub long_poll_then_event {
    my $s = shift;

    if (!$Waited) {
        my ($last) = grep { ($_->{op} // '') eq 'PullEvents' }
                     reverse @{ $s->{requests} };
        return 0 unless $last && !defined $last->{status}
                        && $s->{now} - $last->{time} >= 2;
        $VodTest::Emu->inject_event({ EventType => 'FileDeleted',
            FileDeleteEvent => { FileIdSet => ['3'] } });
        $Waited = 1;
        return 0;
    }

    return 1 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} };
}

# a PullEvents answer written as VOD may write it, served by nginx itself
# (vod_api_endpoint): the first event has an ErrCode out of range, which
# cJSON would print as null; the second odd spacing and numbers
our $Overflow = '{"EventHandle":"h1","EventType":"ProcedureStateChanged","ProcedureStateChangeEvent":{"TaskId":"t1","Status":"FINISH","ErrCode":1e999,"FileId":"1"}}';
our $Spaced = '{ "EventHandle" : "h2", "EventType":"FileDeleted",  "FileDeleteEvent":{"FileIdSet":["2"]}, "Size":1.50, "N":[1E2, 12345678901234567890, -0] }';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: upload -> NewFileUpload -> ProcessMedia -> ProcedureStateChanged, pulled and confirmed
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
--- request eval
"PUT /upload/holiday.mp4\n" . VodTest::bytes(50_000, 1)
--- error_code: 200
--- emulator_wait
2 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} }
--- emulator_events
NewFileUpload confirmed
ProcedureStateChanged confirmed
--- emulator_tasks: 1
--- app_events
NewFileUpload * *
ProcedureStateChanged * *
--- error_log eval
[
qr/\[notice\] .*vod events: pulling events from VOD for the vod_callback location in \S+nginx\.conf:\d+/,
qr/\[info\] .*vod event: NewFileUpload FileId "\d+", MediaUrl "http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/holiday\.mp4", SourceContext "" while handling a pulled VOD event, events pulled from VOD/,
qr/vod event: ProcessMedia for FileId "\d+" started, TaskId "1250000000-procedurev2-/,
qr/vod event: Transcode Definition 100010 SUCCESS, ErrCode 0, Output.Url "http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/v\.f100010\.mp4"/,
qr/vod event: Transcode Definition 100020 SUCCESS, ErrCode 0, Output.Url/,
qr/\[info\] .*vod events: 1 event\(s\) confirmed/,
]
--- no_error_log
[error]
[warn]
[alert]



=== TEST 2: only worker 0 pulls; the application gets the handle and variables
--- emulator_inject eval
[{ EventType => 'FileDeleted', FileDeleteEvent => { FileIdSet => ['1'] } }]
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_set_header X-Type $vod_event_type;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait
1 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} }
    and $s->{app}[0]{headers}{'x-vod-event-handle'} =~ /^EventHandle\w+$/
    and $s->{app}[0]{headers}{'x-type'} eq 'FileDeleted'
--- app_events
FileDeleted - -
--- grep_error_log: vod events: pulling events from VOD
--- grep_error_log_out
vod events: pulling events from VOD
--- no_error_log
[error]



=== TEST 3: a batch: the event the application refuses is not confirmed, the others are
--- emulator_inject eval
[map { { EventType => 'FileDeleted', FileDeleteEvent => { FileIdSet => ["$_"] } } } 1 .. 3]
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_pass /app;
}
location = /app {
    internal;
    if ($http_x_vod_event_handle = "") {
        return 400;
    }
    if ($request_body ~ '"FileIdSet":\["2"\]') {
        return 503;
    }
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait
2 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} }
--- emulator_events
FileDeleted confirmed
FileDeleted inflight
FileDeleted confirmed
--- api_params
ConfirmEvents EventHandles: /^\["EventHandle\w+","EventHandle\w+"\]$/
--- app_events
FileDeleted - -
FileDeleted - -
--- error_log eval
[
qr/\[error\] .*vod event: "\/app" answered the FileDeleted event with status 503, event FileDeleted while handling a pulled VOD event/,
qr/\[error\] .*vod events: the FileDeleted event is not confirmed, VOD will deliver it again/,
qr/\[info\] .*vod events: 2 event\(s\) confirmed/,
]



=== TEST 4: the application down: nothing is confirmed
--- emulator_config
app_status: 503
--- config
location /upload/ {
    vod_upload;
}
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(10_000, 4)
--- error_code: 200
--- emulator_wait
my ($app) = grep { $_->{path} eq '/__emulator/app' } @{ $s->{requests} };
$app && grep { ($_->{op} // '') eq 'PullEvents' && $_->{seq} > $app->{seq} }
            @{ $s->{requests} };
--- emulator_events
NewFileUpload inflight
--- api_params
ConfirmEvents EventHandles: (none)
--- app_events
NewFileUpload * -
--- error_log
"/app" answered the NewFileUpload event with status 503
vod events: the NewFileUpload event is not confirmed, VOD will deliver it again



=== TEST 5: an event not confirmed comes again; it is handled, its transcode not started twice
--- emulator_config
app_status: 503
confirm_timeout_ms: 300
--- config
location /upload/ {
    vod_upload;
}
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_transcode 100010;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(10_000, 5)
--- error_code: 200
--- emulator_wait
$VodTest::Emu->config(app_status => undef) if @{ $s->{app} } == 1;
my ($ev) = grep { $_->{type} eq 'NewFileUpload' } @{ $s->{events} };
$ev && $ev->{pull_state} eq 'confirmed'
--- emulator_tasks: 1
--- error_log
vod event: ProcessMedia for FileId
was already started (a second delivery)
vod events: 1 event(s) confirmed



=== TEST 6: PullEvents failing: tried again after 1 s, then 2 s
--- emulator_faults eval
[
    { op => 'PullEvents', nth => 1, status => 502, code => 'InternalError' },
    { op => 'PullEvents', nth => 2, code => 'InternalError',
      message => 'try later' },
]
--- emulator_inject eval
[{ EventType => 'FileDeleted', FileDeleteEvent => { FileIdSet => ['1'] } }]
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait
1 == grep { $_->{pull_state} eq 'confirmed' } @{ $s->{events} }
--- error_log eval
[
qr/\[error\] .*vod events: PullEvents failed \(status 502\), trying again in 1000 ms/,
qr/\[error\] .*vod events: PullEvents failed: InternalError: try later, trying again in 2000 ms/,
qr/vod events: 1 event\(s\) confirmed/,
]



=== TEST 7: quit while PullEvents waits: the worker stops pulling at once
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait: main::quit_while_pulling($s)
--- error_log
vod events: the worker is going away, pulling stops
--- no_error_log
[error]
[alert]



=== TEST 8: reload while PullEvents waits: the old worker stops, the new one pulls
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait: main::reload_then_pull($s)
--- emulator_events
FileDeleted confirmed
--- no_error_log
[error]
[alert]



=== TEST 9: quit while a hand-over is stuck: the worker leaves the event to VOD after a grace time
--- http_config
limit_req_zone $vod_event_type zone=events:1m rate=1r/m;
--- emulator_inject eval
[{ EventType => 'FileDeleted', FileDeleteEvent => { FileIdSet => ['1'] } }]
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_callback_pass /app;
}
location = /app {
    internal;
    limit_req zone=events burst=5;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait: main::quit_while_stuck($s)
--- emulator_events
FileDeleted confirmed
FileDeleted inflight
--- error_log
vod events: the worker is going away, the events under way are left for VOD to deliver again
--- no_error_log
[alert]



=== TEST 10: a vod_read_timeout shorter than VOD's long poll: PullEvents still waits for it
--- config
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_read_timeout 1s;
}
location = /t {
    return 204;
}
--- request
GET /t
--- error_code: 204
--- emulator_wait: main::long_poll_then_event($s)
--- emulator_events
FileDeleted confirmed
--- no_error_log
[error]



=== TEST 11: pulled events are taken as VOD wrote them: 1e999 refused as when pushed, the rest handed on byte for byte
--- config eval
<<"_EOC_";
location = /cb {
    vod_callback;
    vod_callback_pull on;
    vod_api_endpoint http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:\$TEST_NGINX_VOD_PORT/__emulator/app;
}
location = / {
    default_type application/json;
    if (\$http_x_tc_action = ConfirmEvents) {
        return 200 '{"Response":{"RequestId":"c"}}';
    }
    return 200 '{"Response":{"RequestId":"p","EventSet":[$main::Overflow, $main::Spaced]}}';
}
location = /t {
    return 204;
}
_EOC_
--- request
GET /t
--- error_code: 204
--- emulator_wait
$s->{app}[0] && !grep { $_->{headers}{'x-vod-event-type'} ne 'FileDeleted' } @{ $s->{app} }
--- app_body eval: $main::Spaced
--- error_log eval
[
qr/\[info\] .*vod event: ProcedureStateChangeEvent\.ErrCode is not an integer, event ProcedureStateChanged while handling a pulled VOD event/,
qr/\[error\] .*vod events: the ProcedureStateChanged event is not confirmed, VOD will deliver it again/,
qr/\[info\] .*vod events: 1 event\(s\) confirmed/,
]
--- no_error_log
[alert]

# The VOD emulator (t/emulator), part 4: events. NewFileUpload after
# CommitUpload and ProcedureStateChanged after a Procedure or ProcessMedia,
# pushed to a callback listener of the test (with Sign and T) and queued
# for PullEvents / ConfirmEvents.

use strict;
use warnings;
use utf8;

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 qw(md5_hex);
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use Test::More;
use Time::HiRes qw(time);

use VodEmulator::Control;
use VodEmulator::Listener;

my $JSON = JSON::PP->new->utf8->canonical;
my $listener = VodEmulator::Listener->new;
my $emu = VodEmulator::Control->start(
    callback_url      => $listener->url('/vod/callback'),
    callback_sign_key => 'abc123',
    task_delay_ms     => 50,
    pull_wait_ms      => 300,
    confirm_timeout_ms => 400,
);

sub upload {
    my (%params) = @_;
    my $a = $emu->apply_upload(%params);
    $emu->cos(PUT => $a, body => "bytes of $a->{MediaStoragePath}");
    return ($a, $emu->commit_upload($a, exists $params{SubAppId}
                                        ? (SubAppId => $params{SubAppId})
                                        : ()));
}

sub pushed {
    my (%o) = @_;
    my $req = $listener->next(timeout => 5, %o) or return;
    $req->{json} = eval { $JSON->decode($req->{body}) };
    return $req;
}

subtest 'NewFileUpload is pushed, signed' => sub {
    my ($a, $c) = upload(MediaName => '视频 one', SourceContext => 'ref-42',
                         ClassId => 3);
    my $req = pushed();
    ok $req, 'a POST arrived';
    is $req->{method}, 'POST', 'POST';
    is $req->{target}, '/vod/callback', 'to the callback path';
    is $req->{headers}{'content-type'}, 'application/json', 'JSON';
    my $ev = $req->{json};
    is $ev->{EventType}, 'NewFileUpload', 'EventType NewFileUpload';
    my $fu = $ev->{FileUploadEvent};
    is $fu->{FileId}, $c->{FileId}, 'FileId of the commit';
    my $info = $fu->{MediaBasicInfo};
    is $info->{SourceInfo}{SourceType}, 'ServerUpload', 'SourceType';
    is $info->{SourceInfo}{SourceContext}, 'ref-42', 'SourceContext';
    is $info->{Name}, '视频 one', 'Name';
    is $info->{Type}, 'mp4', 'Type';
    is $info->{MediaUrl}, $c->{MediaUrl}, 'MediaUrl';
    is $info->{ClassId}, 3, 'ClassId';
    is $info->{Vid}, $c->{FileId}, 'Vid';
    is $info->{ExpireTime}, '9999-12-31T23:59:59Z', 'ExpireTime';
    like $info->{CreateTime}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
        'CreateTime';
    is_deeply $info->{TagSet}, [], 'TagSet';
    is $fu->{ProcedureTaskId}, '', 'no ProcedureTaskId without Procedure';
    ok !exists $ev->{EventHandle}, 'no EventHandle in a push';
    like $ev->{T}, qr/^\d+$/, 'T';
    ok $ev->{T} > time + 500 && $ev->{T} <= time + 601, 'T is now + 600';
    is $ev->{Sign}, md5_hex("abc123$ev->{T}"), 'Sign = MD5(key . T)';

    my $e = $emu->wait_for(sub {
        my ($x) = grep { $_->{type} eq 'NewFileUpload'
                         && ($_->{push}{state} // '') eq 'done' }
                  @{ $_[0]{events} };
        $x;
    });
    is $e->{push}{status}, 200, 'the state records the delivery: 200';
    is $e->{push}{sign}, $ev->{Sign}, 'and its Sign';
};

subtest 'a Procedure: ProcedureTaskId, then ProcedureStateChanged' => sub {
    my ($a, $c) = upload(MediaName => 'flow', Procedure => 'MyFlow',
                         SessionContext => 'session-7');
    my $req = pushed();
    my $fu = $req->{json}{FileUploadEvent};
    like $fu->{ProcedureTaskId}, qr/procedure/, 'NewFileUpload has a '
        . 'ProcedureTaskId';
    $req = pushed();
    my $ev = $req->{json};
    is $ev->{EventType}, 'ProcedureStateChanged', 'then ProcedureStateChanged';
    my $p = $ev->{ProcedureStateChangeEvent};
    is $p->{TaskId}, $fu->{ProcedureTaskId}, 'the same TaskId';
    is $p->{Status}, 'FINISH', 'FINISH';
    is $p->{ErrCode}, 0, 'ErrCode 0';
    is $p->{FileId}, $c->{FileId}, 'FileId';
    is $p->{SessionContext}, 'session-7', 'SessionContext comes back';
    my @defs = map { $_->{TranscodeTask}{Input}{Definition} }
               @{ $p->{MediaProcessResultSet} };
    is "@defs", '100010 100020', 'the default flow\'s transcodes';
    is $ev->{Sign}, md5_hex("abc123$ev->{T}"), 'signed';
};

subtest 'ProcessMedia: one Transcode result per definition, served' => sub {
    my ($a, $c) = upload(MediaName => 'pm');
    pushed();
    my ($r) = $emu->api(ProcessMedia => {
        FileId => $c->{FileId}, SubAppId => 0,
        MediaProcessTask => { TranscodeTaskSet => [
            { Definition => 100010 }, { Definition => 100020 },
            { Definition => 100230 } ] },
        SessionContext => 'pm-ctx' });
    ok $r->{TaskId}, 'a TaskId';
    my $req = pushed();
    my $p = $req->{json}{ProcedureStateChangeEvent};
    is $p->{TaskId}, $r->{TaskId}, 'ProcedureStateChanged for that task';
    is $p->{Status}, 'FINISH', 'FINISH';
    is $p->{SessionContext}, 'pm-ctx', 'SessionContext';
    my @res = @{ $p->{MediaProcessResultSet} };
    is scalar @res, 3, 'three results';
    my $body = "bytes of $a->{MediaStoragePath}";
    for my $x (@res) {
        my $t = $x->{TranscodeTask};
        my $d = $t->{Input}{Definition};
        is $x->{Type}, 'Transcode', "$d: Type Transcode";
        is $t->{Status}, 'SUCCESS', "$d: SUCCESS";
        is $t->{ErrCode}, 0, "$d: ErrCode 0";
        like $t->{Output}{Url}, qr{/vod/$c->{FileId}/v\.f$d\.(mp4|m3u8)$},
            "$d: Output.Url";
        is $t->{Output}{Md5}, md5_hex($body), "$d: Output.Md5";
        my $g = $emu->get_url($t->{Output}{Url});
        is $g->{status}, 200, "$d: the output URL is served";
        is $g->{body}, $body, "$d: with the source bytes";
    }
};

subtest 'ProcessMediaByProcedure: a task flow, SessionId de-duplicates' => sub {
    my ($a, $c) = upload(MediaName => 'byproc');
    pushed();
    my ($r) = $emu->api(ProcessMediaByProcedure => { FileId => $c->{FileId},
        ProcedureName => 'AnyFlow', SessionId => 'proc-once',
        SessionContext => 'ctx-9' });
    like $r->{TaskId}, qr/procedure/, 'a TaskId';
    my $ev = pushed()->{json}{ProcedureStateChangeEvent};
    is $ev->{TaskId}, $r->{TaskId}, 'ProcedureStateChanged for that task';
    is $ev->{SessionContext}, 'ctx-9', 'with the session context';
    is join(' ', map { $_->{TranscodeTask}{Input}{Definition} }
                 @{ $ev->{MediaProcessResultSet} }),
       '100010 100020', 'the default flow transcodes twice';
    ($r) = $emu->api(ProcessMediaByProcedure => { FileId => $c->{FileId},
        ProcedureName => 'AnyFlow', SessionId => 'proc-once' });
    is $r->{Error}{Code}, 'InvalidParameterValue.SessionId',
       'the same SessionId again is refused';
    ($r) = $emu->api(ProcessMediaByProcedure => { FileId => $c->{FileId} });
    is $r->{Error}{Code}, 'MissingParameter', 'ProcedureName is required';
};

subtest 'TasksNotifyMode Change and None' => sub {
    my ($a, $c) = upload(MediaName => 'modes');
    pushed();
    my $task = { TranscodeTaskSet => [ { Definition => 100030 } ] };
    my ($r) = $emu->api(ProcessMedia => { FileId => $c->{FileId},
        MediaProcessTask => $task, TasksNotifyMode => 'Change' });
    my @st = map { pushed()->{json}{ProcedureStateChangeEvent}{Status} }
             1, 2;
    is "@st", 'PROCESSING FINISH', 'Change: PROCESSING then FINISH';
    ($r) = $emu->api(ProcessMedia => { FileId => $c->{FileId},
        MediaProcessTask => $task, TasksNotifyMode => 'None' });
    my $done = $emu->wait_for(sub {
        my ($t) = grep { $_->{TaskId} eq $r->{TaskId} } @{ $_[0]{tasks} };
        $t && $t->{Status} eq 'FINISH';
    });
    ok $done, 'None: the task finishes';
    my @ev = grep { ($_->{task_id} // '') eq $r->{TaskId} }
             @{ $emu->state->{events} };
    is scalar @ev, 0, 'None: no event';
};

subtest 'Sign and T as query parameters' => sub {
    $emu->config(callback_sign_in => 'query');
    upload(MediaName => 'query');
    my $req = pushed();
    my ($sign, $t) = $req->{target} =~ /[?&]Sign=(\w+)&T=(\d+)$/;
    ok $sign, "in the query: $req->{target}";
    is $sign, md5_hex("abc123$t"), 'Sign = MD5(key . T)';
    ok !exists $req->{json}{Sign}, 'not in the body';
    $emu->config(callback_sign_in => 'both', callback_sign_key => undef);
    upload(MediaName => 'unsigned');
    $req = pushed();
    is $req->{target}, '/vod/callback', 'no key: no Sign';
    ok !exists $req->{json}{Sign}, 'anywhere';
    $emu->config(callback_sign_key => 'abc123', callback_sign_in => 'body');
};

subtest 'deliveries that fail are recorded' => sub {
    $emu->reset;
    upload(MediaName => 'five hundred');
    pushed(status => 500);
    my $e = $emu->wait_for(sub {
        my ($x) = grep { ($_->{push}{state} // '') eq 'done' }
                  @{ $_[0]{events} };
        $x;
    });
    is $e->{push}{status}, 500, 'a 500 answer';

    my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Listen => 1);
    my $port = $dead->sockport;
    close $dead;
    $emu->config(callback_url => "http://127.0.0.1:$port/x");
    upload(MediaName => 'nobody');
    $e = $emu->wait_for(sub {
        my ($x) = grep { ($_->{push}{state} // '') eq 'done'
                         && $_->{push}{error} } @{ $_[0]{events} };
        $x;
    });
    like $e->{push}{error}, qr/connect/, "nobody listening: $e->{push}{error}";
    ok !defined $e->{push}{status}, 'no status';
    $emu->config(callback_url => $listener->url('/vod/callback'));
};

subtest 'PullEvents and ConfirmEvents' => sub {
    $emu->reset;
    $emu->config(callback_url => undef);
    my ($r, $raw) = (undef, undef);
    my $t = time;
    ($r) = $emu->api(PullEvents => {});
    ok time - $t >= 0.29, 'nothing queued: a long poll of --pull-wait-ms';
    is_deeply $r->{EventSet}, [], 'then an empty EventSet';

    my ($a, $c) = upload(MediaName => 'pull', Procedure => 'F');
    my $st = $emu->wait_for(sub { @{ $_[0]{events} } == 2 });
    ok $st, 'two events queued';
    ($r) = $emu->api(PullEvents => {});
    my @set = @{ $r->{EventSet} };
    is scalar @set, 2, 'PullEvents hands out both';
    is $set[0]{EventType}, 'NewFileUpload', 'NewFileUpload first';
    is $set[0]{FileUploadEvent}{FileId}, $c->{FileId}, 'with its content';
    is $set[1]{EventType}, 'ProcedureStateChanged', 'then the procedure';
    like $set[0]{EventHandle}, qr/^\w+$/, 'each with an EventHandle';
    ok exists $set[0]{ProcedureStateChangeEvent}, 'other members are null';

    ($r) = $emu->api(ConfirmEvents => { EventHandles => [
        $set[0]{EventHandle} ] });
    ok !$r->{Error}, 'ConfirmEvents of the first';
    ($r) = $emu->api(ConfirmEvents => { EventHandles => ['nosuch'] });
    is $r->{Error}{Code}, 'InvalidParameterValue', 'an unknown handle';
    ($r) = $emu->api(ConfirmEvents => { EventHandles => [ ('h') x 17 ] });
    is $r->{Error}{Code}, 'InvalidParameterValue', '17 handles';

    # the second is not confirmed: it comes back after the timeout, to a
    # long poll waiting for it
    $emu->config(pull_wait_ms => 3000);
    $t = time;
    ($r) = $emu->api(PullEvents => {});
    my @again = @{ $r->{EventSet} };
    is scalar @again, 1, 'the unconfirmed event comes again';
    is $again[0]{EventType}, 'ProcedureStateChanged', 'the procedure';
    isnt $again[0]{EventHandle}, $set[1]{EventHandle}, 'with a new handle';
    ok time - $t < 1, 'to the waiting PullEvents, after the timeout';
    $emu->config(pull_wait_ms => 300);
    ($r) = $emu->api(ConfirmEvents => { EventHandles => [
        $set[1]{EventHandle} ] });
    is $r->{Error}{Code}, 'InvalidParameterValue', 'the old handle expired';
    ($r) = $emu->api(ConfirmEvents => { EventHandles => [
        $again[0]{EventHandle} ] });
    ok !$r->{Error}, 'the new one confirms';
    ($r) = $emu->api(PullEvents => {});
    is_deeply $r->{EventSet}, [], 'nothing left';
    my @states = map { $_->{pull_state} } @{ $emu->state->{events} };
    is "@states", 'confirmed confirmed', 'the state shows them confirmed';
};

subtest 'a long poll is answered by the next event' => sub {
    $emu->reset;
    $emu->config(pull_wait_ms => 5000);
    my $a = $emu->apply_upload(MediaName => 'longpoll');
    $emu->cos(PUT => $a, body => 'x');
    my $body = '{}';
    my $h = $emu->tc3_headers(action => 'PullEvents', body => $body);
    my $s = IO::Socket::INET->new(PeerAddr => $emu->address) or die $!;
    print $s "POST / HTTP/1.1\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @$h)
        . "Content-Length: 2\r\n\r\n$body";
    my $waiting = $emu->wait_for(sub {
        grep { $_->{op} eq 'PullEvents' } @{ $_[0]{requests} };
    });
    ok $waiting, 'PullEvents is waiting';
    my $t = time;
    $emu->commit_upload($a);
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($buf !~ /\}\}\s*$/ && $sel->can_read(5)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    ok time - $t < 2, 'answered at once';
    like $buf, qr/"EventType":"NewFileUpload"/, 'with the NewFileUpload';
    $emu->config(pull_wait_ms => 300);
};

subtest 'SubAppId keeps events apart; injected events' => sub {
    $emu->reset;
    my ($a, $c) = upload(MediaName => 'sub', SubAppId => 1500000001);
    $emu->wait_for(sub { @{ $_[0]{events} } });
    my ($r) = $emu->api(PullEvents => {});
    is_deeply $r->{EventSet}, [], 'none for the main application';
    ($r) = $emu->api(PullEvents => { SubAppId => 1500000001 });
    is scalar @{ $r->{EventSet} }, 1, 'one for SubAppId 1500000001';

    $emu->config(callback_url => $listener->url('/vod/callback'));
    $emu->inject_event({ EventType => 'FileDeleted',
                         FileDeleteEvent => { FileIdSet => ['1'] } });
    my $req = pushed();
    is $req->{json}{EventType}, 'FileDeleted', 'an injected event is pushed';
    is_deeply $req->{json}{FileDeleteEvent}, { FileIdSet => ['1'] },
        'as given';
    ($r) = $emu->api(PullEvents => {});
    is $r->{EventSet}[0]{EventType}, 'FileDeleted', 'and can be pulled';
};

subtest 'a media file made for a test: ProcessMedia knows its FileId' => sub {
    $emu->reset;
    $emu->config(callback_url => undef);
    my ($r) = $emu->api(ProcessMedia => { FileId => '5285890784273533167',
        MediaProcessTask => { TranscodeTaskSet => [ { Definition => 100010 } ] } });
    is $r->{Error}{Code}, 'ResourceNotFound.FileNotExist', 'unknown at first';
    my $m = $emu->control(POST => 'media', { FileId => '5285890784273533167' });
    is $m->{FileId}, '5285890784273533167', 'made';
    ($r) = $emu->api(ProcessMedia => { FileId => '5285890784273533167',
        MediaProcessTask => { TranscodeTaskSet => [ { Definition => 100010 } ] } });
    like $r->{TaskId}, qr/procedurev2/, 'then ProcessMedia starts a task';
    ok $emu->wait_for(sub { grep { $_->{type} eq 'ProcedureStateChanged' }
                            @{ $_[0]{events} } }),
       'which finishes with ProcedureStateChanged';
    ok !eval { $emu->control(POST => 'media', { FileId => 'abc' }) },
       'a FileId is digits';
};

subtest 'the application endpoint records what it is sent' => sub {
    $emu->reset;
    my $c = $emu->client;
    my $r = $c->request(method => 'POST', target => '/__emulator/app',
        headers => [ [ 'X-VOD-Event-Type', 'FileDeleted' ] ],
        body => 'not even JSON');
    is $r->{status}, 200, 'answered 200';
    $emu->config(app_status => 503);
    $r = $c->request(method => 'PUT', target => '/__emulator/app', body => 'x');
    is $r->{status}, 503, 'then app_status';
    my $app = $emu->state->{app};
    is scalar @$app, 2, 'both recorded';
    is $app->[0]{body}, 'not even JSON', 'the body as sent';
    is $app->[0]{headers}{'x-vod-event-type'}, 'FileDeleted', 'the headers';
    is $app->[1]{method}, 'PUT', 'the method';
    ok !eval { $emu->config(app_status => 99) }, 'app_status is 200..599';
    $emu->config(app_status => undef);
    $emu->reset;
    is scalar @{ $emu->state->{app} }, 0, 'reset forgets them';
};

is $emu->stop, 0, 'stopped';

done_testing;

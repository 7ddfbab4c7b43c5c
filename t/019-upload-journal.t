# The journal: a worker stopped before it could abort its multipart
# upload (killed, a fast shutdown, worker_shutdown_timeout) leaves a
# record, and worker 0's sweep aborts the upload.  Records that are not
# records, or whose credentials expired, are said once and removed;
# records of live uploads are left alone.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

# a nginx with a master process: a worker that dies is started again
master_on();
workers(1);

our $Journal = "$ENV{TEST_NGINX_SERVER_ROOT}/vod_journal_temp";

# a worker token whose lock nobody holds (ngx_http_vod_upload_journal.h)
our $Gone = '00000000deadbeef';

# the record a worker writes (ngx_vod_journal.h)
sub record {
    my ($name, %f) = @_;
    mkdir $Journal;
    # written whole, then named: nginx may be sweeping already
    open my $fh, '>', "$Journal/.writing" or die "$Journal/.writing: $!";
    print $fh "vod-upload-journal 1\n",
        map { "$_ $f{$_}\n" }
        grep { exists $f{$_} }
        qw(host key upload_id secret_id secret_key token expires);
    close $fh;
    rename "$Journal/.writing", "$Journal/$name" or die "$name: $!";
}

# an open multipart upload in the emulator, and its record
sub left_behind {
    my ($name) = @_;
    my $emu = $VodTest::Emu;
    my ($apply) = $emu->api(ApplyUpload => { MediaType => 'mp4',
                                             MediaName => 'left' });
    my $id = $emu->initiate($apply);
    my $cert = $apply->{TempCertificate};
    record($name,
        host => "$apply->{StorageBucket}.cos.$apply->{StorageRegion}"
                . ".myqcloud.com",
        key => $apply->{MediaStoragePath}, upload_id => $id,
        secret_id => $cert->{SecretId}, secret_key => $cert->{SecretKey},
        token => $cert->{Token}, expires => $cert->{ExpiredTime});
}


# beside the block's request: a client sends the head of a PUT and half
# of its body, and once the multipart upload is open in the emulator,
# $signal goes to nginx's worker (or HUP to its master); the client waits
# on.  The block's own request is a plain one, so that --- emulator_wait
# runs while nginx does.
sub upload_then {
    my ($signal) = @_;

    VodTest::detach(sub { upload_and_signal($signal) });
}

sub upload_and_signal {
    my ($signal) = @_;

    my $deadline = time + 10;
    my ($sock, $master);

    while (time < $deadline) {
        if (!$sock && -s $Test::Nginx::Util::PidFile) {
            open my $fh, '<', $Test::Nginx::Util::PidFile or next;
            $master = <$fh> + 0;
            $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $Test::Nginx::Util::ServerPort);
            if ($sock) {
                print $sock "PUT /upload/a.mp4 HTTP/1.1\r\nHost: localhost\r\n"
                    . "Content-Length: 5000000\r\n\r\n"
                    . VodTest::bytes(2_500_000, 51);
            }
        }

        my $s = $sock && eval { $VodTest::Emu->state('requests=0&md5=0') };
        if ($s && @{ $s->{uploads} }) {
            if ($signal eq 'HUP') {
                kill 'HUP', $master;
            } else {
                kill $signal, VodTest::workers_of($master);
            }
            last;
        }

        select undef, undef, undef, 0.05;
    }

    # the client stays until nginx lets it go
    if ($sock) {
        $sock->blocking(1);
        my $buf;
        1 while time < $deadline && sysread $sock, $buf, 4096;
    }
}

sub aborted {
    my $s = shift;
    return !@{ $s->{uploads} } && no_records()
           && grep { ($_->{op} // '') eq 'AbortMultipartUpload' }
                   @{ $s->{requests} };
}

# another nginx sharing the journal, in a pid namespace of its own (a
# second container), sweeping every 20 ms for a few seconds
our $Side = File::Temp::tempdir(CLEANUP => 1);
our $SidePort = do {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1)
        or die "a free port: $!";
    $sock->sockport;
};

sub sidecar {
    mkdir "$Side/logs";
    mkdir $Journal;
    open my $fh, '>', "$Side/nginx.conf" or die "$Side/nginx.conf: $!";
    print $fh <<"_EOC_";
load_module $ENV{TEST_NGINX_LOAD_MODULES};
error_log $Side/logs/error.log info;
pid $Side/logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $Side/body_temp;
    vod_secret_id $ENV{TEST_NGINX_VOD_SECRET_ID};
    vod_secret_key $ENV{TEST_NGINX_VOD_SECRET_KEY};
    vod_api_endpoint http://127.0.0.1:$ENV{TEST_NGINX_VOD_PORT};
    vod_cos_endpoint http://127.0.0.1:$ENV{TEST_NGINX_VOD_PORT};
    vod_upload_journal $Journal;
    vod_upload_journal_sweep 20ms;
    server {
        listen 127.0.0.1:$SidePort;
        location /upload/ { vod_upload; }
    }
}
_EOC_
    close $fh;

    VodTest::detach(sub {
        exec('timeout', '3', 'unshare', '--pid', '--fork', '--kill-child',
             $ENV{TEST_NGINX_BINARY} // 'nginx', '-p', "$Side/",
             '-c', "$Side/nginx.conf", '-g', 'daemon off; master_process off;')
            or die "unshare: $!";
    });
}

sub sidecar_swept {
    open my $fh, '<', "$Side/logs/error.log" or return 0;
    local $/;
    return <$fh> =~ /vod upload: a worker that is gone left/;
}

sub no_records {
    my @records = glob "$Journal/*.rec";    # a list: a scalar glob iterates
    return !@records;
}

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a record left by a worker that is gone (no lock): its upload is aborted at start
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
}
--- init
main::left_behind("$main::Gone-7-0.rec");
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
!@{ $s->{uploads} } && main::no_records()
--- error_log eval
[qr/\[warn\] .*vod upload: a worker that is gone left the multipart upload "[^"]+" of \S+\/left.mp4 \(journal record "[^"]+-7-0.rec"\): aborting it while sweeping the upload journal, vod_upload_journal/,
 qr/\[info\] .*vod upload: aborted the multipart upload "[^"]+" of \S+\/left.mp4 \(status 204\)/]



=== TEST 2: an orphan record (its request was terminated) is swept though its worker lives
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
}
--- init
main::left_behind("orphan-1-2-3.rec");
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
!@{ $s->{uploads} } && main::no_records()
--- error_log eval
qr/vod upload: aborted the multipart upload "[^"]+" of \S+\/left.mp4 \(status 204\)/



=== TEST 3: a record whose credentials expired: said once, removed
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
}
--- init
main::record("$main::Gone-8-0.rec", host => 'b-1250000000.cos.ap-guangzhou.myqcloud.com',
             key => '/x/y.mp4', upload_id => 'gone', secret_id => 'AKIDx',
             secret_key => 'k', token => 't', expires => 1000);
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
main::no_records()
--- emulator_ops: 
--- error_log eval
qr/\[error\] .*vod upload: the multipart upload "gone" of b-1250000000.cos.ap-guangzhou.myqcloud.com\/x\/y.mp4 \(journal record "[^"]+-8-0.rec"\) is left behind: its temporary credentials expired/



=== TEST 4: a file that is not a record: said once, removed
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
}
--- init
main::record("orphan-junk.rec", host => 'h');
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
main::no_records()
--- error_log eval
qr/\[error\] .*vod upload: the journal record "[^"]+orphan-junk.rec" is a required name is missing or empty: deleted/



=== TEST 5: a worker killed during an upload: the next worker 0 aborts its upload
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
main::upload_then('KILL');
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
main::aborted($s)
--- landed_md5: none
--- error_log eval
[qr/worker process \d+ exited on signal 9/,
 qr/\[warn\] .*vod upload: a worker that is gone left the multipart upload "[^"]*" of \S+\/a.mp4/]



=== TEST 6: worker_shutdown_timeout cuts an upload off on a reload: the sweep aborts it
--- main_config
worker_shutdown_timeout 300ms;
--- http_config
vod_upload_journal_sweep 200ms;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
main::upload_then('HUP');
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
main::aborted($s)
--- landed_md5: none
--- error_log eval
qr/\[warn\] .*vod upload: a worker that is gone left the multipart upload "[^"]*" of \S+\/a.mp4 \(journal record "[^"]*orphan-/



=== TEST 7: the records of live uploads are left alone
--- http_config
vod_upload_journal_sweep 20ms;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- more_headers
Content-Length: 2500000
--- request eval
[["PUT /upload/a.mp4\n" . VodTest::bytes(1_500_000, 53),
  { value => VodTest::bytes(500_000, 54), delay_before => 0.3 },
  { value => VodTest::bytes(500_000, 55), delay_before => 0.3 }]]
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- emulator_wait
main::no_records()
--- no_error_log
a worker that is gone



=== TEST 8: a lock file left by a worker that is gone does not keep its record: swept, the lock file removed
--- http_config
vod_upload_journal_sweep 200ms;
--- config
location /upload/ {
    vod_upload;
}
--- init
main::left_behind("$main::Gone-9-0.rec");
open my $fh, '>', "$main::Journal/$main::Gone.lock" or die "lock: $!";
close $fh;
--- request
GET /upload/
--- error_code: 405
--- emulator_wait
!@{ $s->{uploads} } && main::no_records() && !-e "$main::Journal/$main::Gone.lock"



=== TEST 9: an abort answered 404 for an upload never completed: listed still, aborted again; its record stays for the sweep
COS's 404 to the abort of the upload's own multipart upload, which it
never completed, is not taken on one answer: ListMultipartUploads shows
it, it is aborted again, and the journal's record stays until the sweep
finds it gone. The upload fails once its multipart upload is open: COS
refuses part 2.
--- http_config
vod_upload_journal_sweep 1s;
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
$VodTest::Emu->fault([{ op => 'UploadPart', part_number => 2, status => 403,
                        code => 'AccessDenied' },
                      { op => 'AbortMultipartUpload', status => 404,
                        code => 'NoSuchUpload' }]);
--- request eval
"PUT /upload/a.mp4\n" . VodTest::bytes(2_500_000, 191)
--- error_code: 502
--- emulator_wait
!@{ $s->{uploads} } && main::no_records()
--- landed_md5: none
--- error_log eval
[qr/\[info\] .*vod upload: COS answered 404 to the abort of the multipart upload "[^"]+" of \S+\/a.mp4, never completed: its journal record stays for the sweep/,
 qr/\[warn\] .*vod upload: the multipart upload "[^"]+" is still listed after COS answered 404 to its abort: aborting it again/,
 qr/vod upload: aborted the multipart upload "[^"]+" of \S+\/a.mp4 \(status 204\)/,
 qr/vod upload: no multipart upload "[^"]+" of \S+\/a.mp4 to abort \(completed or aborted before\)/]



=== TEST 10: another nginx sharing the journal from another pid namespace leaves this one's live uploads alone
--- config
location /upload/ {
    vod_upload;
    vod_upload_part_size 1m;
}
--- init
main::sidecar();
--- more_headers
Content-Length: 2500000
--- request eval
[["PUT /upload/a.mp4\n" . VodTest::bytes(1_500_000, 91),
  { value => VodTest::bytes(500_000, 92), delay_before => 0.4 },
  { value => VodTest::bytes(500_000, 93), delay_before => 0.4 }]]
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- emulator_wait
main::no_records() && -s "$main::Side/logs/error.log"
--- no_error_log
a worker that is gone

#!/usr/bin/perl
# The soak (make soak): many uploads through Debian's nginx (a master and
# 2 workers) with the module, to the emulator, under random faults, and
# the invariants checked against the emulator's state.
#
#   perl t/soak/soak.pl        (after make; or make soak)
#
# Environment:
#   SOAK_SEED         the seed (default: the time); printed, so that a run
#                     can be repeated
#   SOAK_UPLOADS      how many uploads (default 1000)
#   SOAK_CONCURRENCY  uploads at once (default 8)
#   SOAK_ROUND        replay only this round of the seed (its faults,
#                     uploads and signal; timing differs)
#   SOAK_DIR          where nginx, the emulator and the logs live
#                     (default build/soak; emptied first)
#   SOAK_VERBOSE      1: a line per upload
#   SOAK_NGINX, SOAK_MODULE  the nginx binary and the module
#
# The run goes in rounds: a round sets 0 to 3 faults (and sometimes a
# clock skew) in the emulator, starts up to SOAK_CONCURRENCY uploads at
# once (PUT, tus, form; Content-Length, chunked, HTTP/2, Expect; some cut
# off by their client), sometimes sends HUP, QUIT or TERM to nginx's
# master while they run (QUIT and TERM: nginx is started again), waits for
# every client, clears the faults, waits until no multipart upload is
# open in the emulator (the journal's sweep, every 2 s; then a restart of
# nginx, whose worker 0 sweeps at start), checks each upload against the
# emulator's state, and resets the emulator. Every upload has its own
# SourceContext (X-Soak-Id, or the tus metadata key "soak").
#
# Invariants (each failure prints a reproduction):
#   - a 200 (tus: the final 204, or a HEAD that finds the upload complete)
#     was committed exactly once, with the MD5 and size that were sent
#     (or not at all, answered without a FileId, when an injected
#     InvalidParameterValue.VodSessionKey told the module that VOD no
#     longer knows the session: "committed before", docs/resumable.md);
#   - nothing was committed for an upload answered with an error or cut
#     off by its client (202 CommitUnconfirmed: at most once, counted
#     apart; no answer because nginx was stopped: likewise);
#   - no multipart upload is left open after the sweep;
#   - no worker crashed ("exited on signal", "[alert]" in the error log);
#   - no answer came later than the configured timeouts allow (a bound
#     from the size and the faults that hit the upload).
# Exits 1 if one failed.

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/../emulator/lib";

use Cwd ();
use Digest::MD5 ();
use File::Path ();
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use MIME::Base64 ();
use POSIX qw(WNOHANG);
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);

use VodEmulator::Control;

$| = 1;
$SIG{PIPE} = 'IGNORE';

my $ROOT = Cwd::abs_path("$FindBin::Bin/../..");
my $SEED = $ENV{SOAK_SEED} // (time() % 1000000);
my $UPLOADS = $ENV{SOAK_UPLOADS} // 1000;
my $CONC = $ENV{SOAK_CONCURRENCY} // 8;
my $ONLY_ROUND = $ENV{SOAK_ROUND};
my $DIR = $ENV{SOAK_DIR} // "$ROOT/build/soak";
my $VERBOSE = $ENV{SOAK_VERBOSE};
my $NGINX = $ENV{SOAK_NGINX} // '/usr/sbin/nginx';
# nginx takes NGINX from its environment as sockets it inherits
delete $ENV{NGINX};
my $MODULE = $ENV{SOAK_MODULE}
             // "$ROOT/build/nginx/ngx_http_vod_upload_module.so";
my $MIB = 1024 * 1024;
my $MAX_SIZE = 20 * $MIB;
my $POOL_SIZE = 48 * $MIB;

# nginx's timeouts (the bound on answers is computed from them)
my %T = (connect => 1, send => 2, read => 1.5, client_body => 10);
my $PART_TRIES = 3;

my $Json = JSON::PP->new->canonical(1);

die "no module at $MODULE: run make first\n" unless -f $MODULE;

File::Path::remove_tree($DIR);
File::Path::make_path("$DIR/logs", "$DIR/emu", "$DIR/tmp", "$DIR/clients");

print "soak: SOAK_SEED=$SEED SOAK_UPLOADS=$UPLOADS SOAK_CONCURRENCY=$CONC"
    . (defined $ONLY_ROUND ? " SOAK_ROUND=$ONLY_ROUND" : '') . "\n";

# ---- the bytes: a pool made from the seed, each upload a slice of it ----

my $POOL_FILE = "$DIR/pool.bin";
{
    my $key = Digest::MD5::md5_hex("soak $SEED");
    system("openssl enc -aes-128-ctr -nosalt -K $key -iv 0 -in /dev/zero"
           . " 2>/dev/null | head -c $POOL_SIZE > $POOL_FILE") == 0
        or die "openssl: $?\n";
    die "pool: short\n" unless -s $POOL_FILE == $POOL_SIZE;
}
my $POOL = do { local $/; open my $fh, '<:raw', $POOL_FILE or die; <$fh> };

# ---- the emulator ----

my $Emu = VodEmulator::Control->start(data => "$DIR/emu",
    max_requests => 100000, log => "$DIR/logs/emulator.log");

# ---- nginx ----

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0',
                                  ReuseAddr => 1) or die "listen: $!";
    return $s->sockport;
}

my $PORT = free_port();
my $H2PORT = free_port();
{
    open my $fh, '>', "$DIR/tus.key" or die;
    print $fh "soak-tus-key-$SEED-0123456789abcdef\n";
}

my $user = $> == 0 ? 'user root;' : '';
my $conf = <<"_EOC_";
$user
worker_processes 2;
master_process on;
daemon off;
pid $DIR/logs/nginx.pid;
error_log $DIR/logs/error.log info;
load_module $MODULE;

events { worker_connections 1024; }

http {
    log_format soak '\$time_iso8601 \$msec \$status \$request_time '
                    '\$request_method \$server_port \$request_length '
                    'soak=\$http_x_soak_id\$vod_upload_meta_soak';
    access_log $DIR/logs/access.log soak;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;

    vod_secret_id       ${\ $Emu->secret_id };
    vod_secret_key      ${\ $Emu->secret_key };
    vod_api_endpoint    http://127.0.0.1:${\ $Emu->port };
    vod_cos_endpoint    http://127.0.0.1:${\ $Emu->port };
    vod_upload_journal  $DIR/journal;
    vod_upload_journal_sweep 2s;

    vod_connect_timeout ${\ ($T{connect} * 1000) }ms;
    vod_send_timeout    ${\ ($T{send} * 1000) }ms;
    vod_read_timeout    ${\ ($T{read} * 1000) }ms;
    client_body_timeout $T{client_body}s;
    client_max_body_size 64m;

    vod_upload_part_size 1m;
    vod_upload_part_tries $PART_TRIES;

    server {
        listen 127.0.0.1:$PORT;
        listen 127.0.0.1:$H2PORT http2;

        location /upload/ {
            vod_upload;
            vod_upload_form on;
            vod_upload_source_context \$http_x_soak_id;
        }

        location /files/ {
            vod_upload;
            vod_upload_tus on;
            vod_upload_tus_key_file $DIR/tus.key;
            vod_upload_source_context "\$http_x_soak_id\$vod_upload_meta_soak";
        }
    }
}
_EOC_
{
    open my $fh, '>', "$DIR/nginx.conf" or die;
    print $fh $conf;
}
system($NGINX, '-t', '-q', '-p', $DIR, '-c', "$DIR/nginx.conf",
       '-e', "$DIR/logs/error.log") == 0 or die "nginx -t failed\n";

my $Master;
my %Reaped;     # children of ours reaped while waiting for others

sub start_nginx {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDERR, '>>', "$DIR/logs/nginx.stderr";
        exec $NGINX, '-p', $DIR, '-c', "$DIR/nginx.conf",
             '-e', "$DIR/logs/error.log" or die "exec: $!";
    }
    $Master = $pid;
    my $deadline = time + 15;
    while (time < $deadline) {
        my @w = workers();
        if (@w >= 2 && IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT")
            && IO::Socket::INET->new(PeerAddr => "127.0.0.1:$H2PORT")) {
            return;
        }
        die "nginx exited at start: see $DIR/logs/error.log\n"
            if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    die "nginx did not start in 15 s\n";
}

sub workers {
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S (\d+)/ or next;
        push @pids, $pid if $Master && $ppid == $Master;
    }
    return @pids;
}

# QUIT or TERM to the master, wait for it (deadline), returns the seconds
# it took or undef (then it was killed)
sub stop_nginx {
    my ($sig, $timeout) = @_;
    return 0 unless $Master;
    my @w = workers();
    kill $sig, $Master;
    my $t0 = time;
    my $deadline = $t0 + $timeout;
    while (1) {
        my $r = waitpid $Master, WNOHANG;
        last if $r == $Master || $r < 0;
        if (time > $deadline) {
            kill 'KILL', $Master, @w;
            waitpid $Master, 0;
            undef $Master;
            return undef;
        }
        sleep 0.02;
    }
    undef $Master;
    # workers of a master that is gone: wait for them to leave too
    my $d2 = time + 5;
    while (grep { kill 0, $_ } @w) {
        last if time > $d2;
        sleep 0.02;
    }
    return time - $t0;
}

# ---- randomness: one stream per round, from the seed ----

sub rnd  { rand() }
sub pick { $_[int rand @_] }
sub wpick {                      # [weight, value] ...
    my $sum = 0;
    $sum += $_->[0] for @_;
    my $x = rand $sum;
    for (@_) {
        return $_->[1] if ($x -= $_->[0]) < 0;
    }
    return $_[-1][1];
}

my @COS_OPS = qw(PutObject InitiateMultipartUpload UploadPart
                 CompleteMultipartUpload AbortMultipartUpload ListParts
                 ListMultipartUploads HeadObject DeleteObject);
my @API_OPS = qw(ApplyUpload CommitUpload);
my %HASH_OPS = map { $_ => 1 } qw(PutObject UploadPart CompleteMultipartUpload);
my %BODY_OPS = map { $_ => 1 } qw(PutObject UploadPart CompleteMultipartUpload
                                  ApplyUpload CommitUpload);

sub gen_fault {
    my $op = wpick([3, 'ApplyUpload'], [4, 'CommitUpload'], [2, 'PutObject'],
                   [3, 'InitiateMultipartUpload'], [5, 'UploadPart'],
                   [4, 'CompleteMultipartUpload'],
                   [3, 'AbortMultipartUpload'], [2, 'ListParts'],
                   [1, 'ListMultipartUploads'], [2, 'HeadObject'],
                   [1, 'DeleteObject']);
    my $api = grep { $_ eq $op } @API_OPS;
    my @actions = ([5, 'error'], [3, 'reset'], [3, 'delay'], [1, 'no_length']);
    push @actions, [3, 'complete_200_error'], [3, 'stream_whitespace']
        if $op eq 'CompleteMultipartUpload';
    push @actions, [2, 'wrong_etag'], [3, 'wrong_crc64'] if $HASH_OPS{$op};
    my $action = wpick(@actions);
    my %f = (op => $op, nth => 1 + int rand 5,
             count => wpick([12, 1], [5, 2], [2, 3], [1, 0]));
    $f{count} = 1 if !$f{count} && $action eq 'delay' && rnd() < 0.7;
    $f{part_number} = 1 + int rand 6
        if $op eq 'UploadPart' && rnd() < 0.3;
    my $label;
    if ($action eq 'error') {
        if ($api) {
            my $e = pick([200, 'InternalError'], [200, 'RequestLimitExceeded'],
                         [200, 'FailedOperation'],
                         [200, 'InvalidParameterValue.VodSessionKey'],
                         [200, 'AuthFailure.SignatureExpire'],
                         [502, 'InternalError'], [500, 'InternalError']);
            @f{qw(status code)} = @$e;
            $label = "error $e->[0] $e->[1]";
        } else {
            my $e = pick([500, 'InternalError'], [503, 'SlowDown'],
                         [403, 'AccessDenied'], [404, 'NoSuchUpload'],
                         [400, 'InvalidArgument'], [408, 'RequestTimeout']);
            @f{qw(status code)} = @$e;
            $label = "error $e->[0] $e->[1]";
        }
        $f{delay_ms} = pick(100, 500, 1200) if rnd() < 0.15;
    } elsif ($action eq 'reset') {
        $f{reset} = JSON::PP::true;
        $f{reset_after_bytes} = int rand($op eq 'UploadPart' || $op eq 'PutObject'
                                         ? $MIB : 200)
            if $BODY_OPS{$op} && rnd() < 0.6;
        $label = 'reset' . ($f{reset_after_bytes} ? ' after bytes' : '');
    } elsif ($action eq 'delay') {
        $f{delay_ms} = pick(200, 700, 1200, 2500);
        $label = 'delay ' . ($f{delay_ms} > $T{read} * 1000 ? 'over' : 'under')
               . ' read timeout';
    } elsif ($action eq 'no_length') {
        $f{no_length} = JSON::PP::true;
        $label = 'no_length';
    } else {
        $f{$action} = JSON::PP::true;
        $f{delay_ms} = pick(100, 600, 1200) if $action =~ /complete|stream/;
        if ($action eq 'complete_200_error') {
            $f{code} = pick('InternalError', 'SlowDown');
        }
        $label = $action;
    }
    if ($action ne 'no_length' && $action ne 'delay' && rnd() < 0.1) {
        $f{no_length} = JSON::PP::true;
        $label .= ' +no_length';
    }
    return (\%f, "$op: $label");
}

# sizes: 0, 1, at part boundaries and +-1, anything up to 20 MiB
sub gen_size {
    return wpick(
        [2, 0], [3, 1], [2, 2],
        [12, do { my $k = 1 + int rand 6; $k * $MIB + pick(-1, 0, 1) }],
        [3, do { my $k = 1 + int rand 20; $k * $MIB + pick(-1, 0, 1) }],
        [3, 20 * $MIB], [2, 20 * $MIB - 1],
        [10, int rand 2 * $MIB],
        [10, 1 + int rand $MAX_SIZE]);
}

sub gen_upload {
    my ($round, $k) = @_;
    my %u = (id => sprintf('s%s-r%03d-%d', $SEED, $round, $k),
             round => $round);
    $u{frontend} = wpick([45, 'put'], [30, 'tus'], [25, 'form']);
    $u{size} = gen_size();
    $u{size} = 1 + int rand 3 * $MIB if $u{frontend} eq 'tus' && !$u{size}
                                        && rnd() < 0.7;
    $u{offset} = int rand($POOL_SIZE - $u{size});
    if ($u{frontend} eq 'tus') {
        $u{transport} = wpick([4, 'h1'], [2, 'h1-chunked'], [3, 'node']);
        # PATCH sizes: whole, or chunks of at least 1 MiB
        $u{chunk} = wpick([3, 0], [2, $MIB], [2, 2 * $MIB],
                          [2, $MIB + int rand 3 * $MIB]);
        $u{deferred} = rnd() < 0.25 ? 1 : 0;
        # tus-js-client waits for ever on a stream whose length is a
        # multiple of its chunk size (docs/resumable.md)
        $u{deferred} = 0 if $u{transport} eq 'node' && $u{deferred}
            && (!$u{chunk} || $u{size} % $u{chunk} == 0);
        $u{with_create} = $u{transport} ne 'node' && rnd() < 0.3 ? 1 : 0;
        # a creation of deferred length cannot end the upload (no
        # Upload-Length beside Upload-Defer-Length)
        $u{with_create} = 0 if $u{deferred};
    } else {
        $u{transport} = wpick([4, 'h1'], [2, 'h1-chunked'], [2, 'h1-expect'],
                              [3, 'h2'], [1, 'h2-nolength']);
        $u{cover} = rnd() < 0.3 ? 1 + int rand 20000 : 0
            if $u{frontend} eq 'form';
        # curl reads a form's file whole before it sends: over HTTP/2 a
        # form has a length and is not cut off
        $u{transport} = 'h2' if $u{frontend} eq 'form'
                                && $u{transport} eq 'h2-nolength';
    }
    # cut off by the client midway (tus: then resumed)
    $u{abort_at} = 1 + int rand($u{size} - 1)
        if $u{size} > 2 && rnd() < 0.08;
    $u{abort_at} = undef if $u{transport} eq 'node'
        || $u{frontend} eq 'form' && $u{transport} =~ /^h2/;
    $u{deferred} = 0 if !$u{size};
    return \%u;
}

sub gen_round {
    my ($round, $n) = @_;
    srand($SEED * 7919 + $round);
    my (@faults, @labels);
    my $nf = wpick([1, 0], [3, 1], [4, 2], [3, 3]);
    for (1 .. $nf) {
        my ($f, $l) = gen_fault();
        push @faults, $f;
        push @labels, $l;
    }
    my $skew = rnd() < 0.07 ? pick(-900, -400, -200, 200, 400, 900) : 0;
    my $signal = wpick([88, undef], [6, 'HUP'], [3, 'QUIT'], [3, 'TERM']);
    my $signal_at = 0.1 + rnd() * 1.5;
    my @ups = map { gen_upload($round, $_) } 1 .. $n;
    return { round => $round, faults => \@faults, labels => \@labels,
             skew => $skew, signal => $signal, signal_at => $signal_at,
             uploads => \@ups };
}

# ---- the clients (each a child process; the result as JSON in a file) ----

sub connect_nginx {
    my ($port, $deadline) = @_;
    while (1) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Timeout => 5);
        return $s if $s;
        return undef if time > $deadline;
        sleep 0.05;       # refused: nginx is being started again
    }
}

# one HTTP/1.1 request; %o: port, method, target, headers [[k, v]...],
# body (a string ref), chunked (1), expect (1), abort_at (bytes of body)
# returns { status, headers, body, error, sent, elapsed, aborted }
sub http1 {
    my (%o) = @_;
    my $r = { sent => 0 };
    my $s = connect_nginx($o{port}, time + 60)
        or return { %$r, error => 'connect failed' };
    my $t0 = time;
    my $len = defined $o{body} ? length ${ $o{body} } : 0;
    my @h = @{ $o{headers} // [] };
    push @h, [ 'Host', '127.0.0.1' ];
    if (defined $o{body}) {
        push @h, $o{chunked} ? [ 'Transfer-Encoding', 'chunked' ]
                             : [ 'Content-Length', $len ];
        push @h, [ 'Expect', '100-continue' ] if $o{expect};
    }
    my $head = "$o{method} $o{target} HTTP/1.1\r\n"
             . join('', map { "$_->[0]: $_->[1]\r\n" } @h) . "\r\n";
    my $in = '';
    my $sel = IO::Select->new($s);
    my $write = sub {
        my ($data) = @_;
        my $off = 0;
        while ($off < length $data) {
            my $n = syswrite $s, $data, 65536, $off;
            return 0 unless defined $n && $n > 0;
            $off += $n;
        }
        return 1;
    };
    my $answered = sub {       # an answer (early) may be there already
        return $sel->can_read(0);
    };
    my $ok = $write->($head);
    if ($ok && defined $o{body} && $o{expect}) {
        # wait for 100 Continue or a final answer
        if ($sel->can_read(5)) {
            my $n = sysread $s, $in, 65536, length $in;
            if ($n && $in =~ s{^HTTP/1\.1 100[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n}{}) {
                # go on
            } else {
                $ok = 0;        # a final answer: read it below
            }
        }
    }
    my $aborted = 0;
    if ($ok && defined $o{body}) {
        my $stop = defined $o{abort_at} ? $o{abort_at} : $len;
        my $pos = 0;
        while ($pos < $stop) {
            last if $answered->();      # an early answer
            my $n = $o{chunked} ? 1 + int rand 262144 : 262144;
            $n = $stop - $pos if $n > $stop - $pos;
            my $piece = substr ${ $o{body} }, $pos, $n;
            $piece = sprintf("%x\r\n", $n) . $piece . "\r\n" if $o{chunked};
            $write->($piece) or last;
            $pos += $n;
        }
        $r->{sent} = $pos;
        if (defined $o{abort_at} && $pos >= $stop) {
            $aborted = 1;
        } elsif ($pos >= $len && $o{chunked}) {
            $write->("0\r\n\r\n");
        }
    }
    $r->{body_done} = time;
    if ($aborted) {
        # an answer already there counts (an early error)
        if (!$answered->()) {
            setsockopt $s, SOL_SOCKET, SO_LINGER, pack('II', 1, 0)
                if rand() < 0.5;
            close $s;
            return { %$r, aborted => 1, elapsed => time - $t0 };
        }
    }
    # the answer (a 100 Continue that came late is skipped)
    while (1) {
        while ($in !~ /\r\n\r\n/) {
            my $n = sysread $s, $in, 65536, length $in;
            if (!$n) {
                return { %$r, error => length $in ? 'truncated head'
                                  : 'closed without an answer'
                                    . (defined $n ? '' : " ($!)"),
                         elapsed => time - $t0, aborted => $aborted };
            }
        }
        last unless $in =~ s{^HTTP/1\.1 1\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n}{};
    }
    $r->{answered} = time;
    $in =~ s/^(.*?)\r\n\r\n//s;
    my ($status_line, @lines) = split /\r\n/, $1;
    ($r->{status}) = $status_line =~ m{^HTTP/1\.[01] (\d{3})};
    $r->{headers} = { map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } @lines };
    my $body = $in;
    if ($o{method} ne 'HEAD' && $r->{status} != 204 && $r->{status} != 304) {
        if (defined(my $cl = $r->{headers}{'content-length'})) {
            while (length $body < $cl) {
                my $n = sysread $s, $body, 65536, length $body;
                last unless $n;
            }
        } elsif (($r->{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
            my $raw = $body;
            $body = '';
            while (1) {
                if ($raw =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
                    my $n = hex $1;
                    last if $n == 0;
                    while (length $raw < $n + 2) {
                        sysread($s, $raw, 65536, length $raw) or last;
                    }
                    $body .= substr $raw, 0, $n, '';
                    $raw =~ s/^\r\n//;
                    next;
                }
                sysread($s, $raw, 65536, length $raw) or last;
            }
        } else {
            1 while sysread $s, $body, 65536, length $body;
        }
    }
    close $s;
    $r->{body} = $body;
    $r->{elapsed} = time - $t0;
    $r->{aborted} = $aborted;
    return $r;
}

# HTTP/2 with curl (prior knowledge): PUT or form; abort by killing curl
# after abort_at bytes of its standard input
sub http2 {
    my ($u, $bytes) = @_;
    my $file = "$DIR/clients/$u->{id}.bin";
    my $out = "$DIR/clients/$u->{id}.out";
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '-o', $out,
               '-w', '%{http_code}', '-H', "X-Soak-Id: $u->{id}",
               '-m', '170', '-H', 'Expect:');
    my $url = "http://127.0.0.1:$H2PORT/upload/clip.mp4";
    my $stdin = !!($u->{transport} eq 'h2-nolength' || $u->{abort_at});
    if ($u->{frontend} eq 'form') {
        # curl builds the form; from standard input the media has no
        # length (curl then sends the form chunked: over HTTP/2 no length)
        if ($u->{cover}) {
            my $c = "$DIR/clients/$u->{id}.jpg";
            VodTest_write($c, substr($POOL, 0, $u->{cover}));
            push @cmd, '-F', "cover=\@$c;filename=cover.jpg;type=image/jpeg";
        }
        push @cmd, '-F', 'title=soak';
        if ($stdin) {
            push @cmd, '-F', 'media=@-;filename=clip.mp4;type=video/mp4';
        } else {
            VodTest_write($file, $$bytes);
            push @cmd, '-F', "media=\@$file;filename=clip.mp4;type=video/mp4";
        }
        push @cmd, $url =~ s{clip\.mp4$}{}r;
    } else {
        if ($stdin) {
            push @cmd, '-T', '-';
        } else {
            VodTest_write($file, $$bytes);
            push @cmd, '-T', $file;
        }
        push @cmd, $url;
    }
    my $t0 = time;
    my $r = {};
    my $deadline = time + 60;
    my ($rc, $code, $err);
    while (1) {
        $t0 = time;
        pipe my $rd, my $wr or die;
        my $pid = fork // die;
        if (!$pid) {
            open STDIN, '<&', $rd or die;
            close $wr;
            open STDOUT, '>', "$out.code" or die;
            open STDERR, '>', "$out.err" or die;
            exec @cmd or die;
        }
        close $rd;
        my $cut = 0;
        my $exited;
        if ($stdin) {
            my $stop = $u->{abort_at} // length $$bytes;
            my $pos = 0;
            while ($pos < $stop) {
                my $n = $stop - $pos < 65536 ? $stop - $pos : 65536;
                syswrite($wr, $$bytes, $n, $pos) or last;
                $pos += $n;
            }
            $r->{sent} = $pos;
            if ($u->{abort_at} && $pos >= $stop) {
                # the bytes went into curl's pipe: once curl read them
                # (and had a moment to send them), cut it off, unless it
                # ended by itself (an early answer); nginx may hold the
                # body back (its part buffers full): then cut it anyway
                my $d = time + 10;
                while (time < $d && !curl_read($pid, $stop)) {
                    if (waitpid($pid, WNOHANG) == $pid) {
                        $exited = $?;
                        last;
                    }
                    sleep 0.02;
                }
                if (!defined $exited) {
                    sleep 0.1;
                    $cut = kill 'KILL', $pid;
                }
            }
        }
        close $wr;
        if (defined $exited) {
            $? = $exited;
        } else {
            waitpid $pid, 0;
        }
        my $killed = $? & 127;
        $rc = $? >> 8;
        $code = do { local $/; open my $fh, '<', "$out.code"; <$fh> } // '';
        $err = do { local $/; open my $fh, '<', "$out.err"; <$fh> } // '';
        if ($cut && $killed) {
            unlink $file, $out, "$out.code", "$out.err";
            return { %$r, aborted => 1, elapsed => time - $t0 };
        }
        # 7: refused (nginx is being started again): nothing was sent
        last unless $rc == 7 && time < $deadline;
        sleep 0.05;
    }
    $r->{elapsed} = time - $t0;
    unlink $file, "$out.code", "$out.err";
    if ($rc == 92 && $code eq '000' || $rc == 18) {
        # curl 7.88 takes the RST_STREAM (NO_ERROR) that nginx sends
        # after an answer given before the whole body was read (an early
        # error: RFC 9113 8.1) for an error, and drops the answer or its
        # body (exit 92, or 18 "transfer closed with N bytes remaining"),
        # although nginx sent HEADERS, DATA with END_STREAM, then the
        # RST_STREAM (seen in its debug log): an error answer whose
        # status is not known
        unlink $out;
        return { %$r, status => 'h2-early', h2_early => 1,
                 error => "curl exit $rc (an early answer, then RST_STREAM)" };
    }
    if ($rc || $code !~ /^[1-9]\d\d$/) {
        chomp $err;
        unlink $out;
        return { %$r, error => "curl exit $rc: $err" };
    }
    $r->{status} = $code;
    $r->{body} = do { local $/; open my $fh, '<', $out; <$fh> } // '';
    unlink $out;
    return $r;
}

# curl read n bytes (rchar of /proc/PID/io: its standard input, and a
# few bytes of files at start; send() to a socket is not counted)
sub curl_read {
    my ($pid, $n) = @_;
    open my $fh, '<', "/proc/$pid/io" or return 1;
    local $/;
    my $io = <$fh>;
    my ($r) = $io =~ /^rchar:\s*(\d+)/m;
    return ($r // 0) >= $n;
}

sub VodTest_write {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh;
}

sub json_of {
    my $b = shift // return undef;
    return eval { JSON::PP->new->decode($b) };
}

sub run_put_or_form {
    my ($u) = @_;
    my $bytes = substr $POOL, $u->{offset}, $u->{size};
    return http2($u, \$bytes) if $u->{transport} =~ /^h2/;

    my %o = (port => $PORT, method => 'PUT', target => '/upload/clip.mp4',
             headers => [ [ 'X-Soak-Id', $u->{id} ] ],
             chunked => $u->{transport} eq 'h1-chunked',
             expect => $u->{transport} eq 'h1-expect',
             abort_at => $u->{abort_at});
    if ($u->{frontend} eq 'form') {
        my $b = "soakboundary$u->{id}";
        my $pre = "--$b\r\nContent-Disposition: form-data; name=\"title\"\r\n"
                . "\r\nsoak\r\n";
        $pre .= "--$b\r\nContent-Disposition: form-data; name=\"cover\"; "
              . "filename=\"cover.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
              . substr($POOL, 0, $u->{cover}) . "\r\n" if $u->{cover};
        $pre .= "--$b\r\nContent-Disposition: form-data; name=\"media\"; "
              . "filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n";
        $bytes = $pre . $bytes . "\r\n--$b--\r\n";
        $o{abort_at} += length $pre if defined $o{abort_at};
        $o{method} = 'POST';
        $o{target} = '/upload/';
        push @{ $o{headers} },
            [ 'Content-Type', "multipart/form-data; boundary=$b" ];
    }
    $o{body} = \$bytes;
    return http1(%o);
}

# tus in plain HTTP/1.1 requests: create (maybe with the first bytes),
# PATCH in chunks, after a failure HEAD and go on from the offset the
# server holds; give up after too many failures and DELETE the upload
sub run_tus {
    my ($u) = @_;
    my $bytes = substr $POOL, $u->{offset}, $u->{size};
    my $len = $u->{size};
    my $r = { requests => [], sent => 0 };
    my $meta = 'filename ' . MIME::Base64::encode_base64('clip.mp4', '')
             . ',soak ' . MIME::Base64::encode_base64($u->{id}, '');
    my @tus = ([ 'Tus-Resumable', '1.0.0' ]);
    my $log = sub {
        my ($what, $x) = @_;
        push @{ $r->{requests} }, { what => $what, status => $x->{status},
            error => $x->{error}, elapsed => $x->{elapsed},
            sent => $x->{sent}, aborted => $x->{aborted},
            code => (json_of($x->{body}) // {})->{error}{code} };
    };
    my $failures = 0;
    my $abort_at = $u->{abort_at};
    my $chunk = sub {
        my ($off) = @_;
        my $n = $u->{chunk} || $len - $off;
        $n = $len - $off if $n > $len - $off;
        $n = $len - $off if $len - $off - $n < $MIB && $len - $off - $n > 0
                            && $u->{chunk} && $n < $MIB;
        return $n;
    };

    # creation
    my %c = (port => $PORT, method => 'POST', target => '/files/',
             headers => [ @tus, [ 'Upload-Metadata', $meta ],
                          $u->{deferred} ? [ 'Upload-Defer-Length', 1 ]
                                         : [ 'Upload-Length', $len ] ]);
    my $first = 0;
    if ($u->{with_create} && $len) {
        $first = $chunk->(0);
        my $piece = substr $bytes, 0, $first;
        $c{body} = \$piece;
        push @{ $c{headers} }, [ 'Content-Type',
                                 'application/offset+octet-stream' ];
        push @{ $c{headers} }, [ 'Upload-Length', $len ]
            if $u->{deferred} && $first == $len;
    }
    my $x;
    for my $try (1 .. 4) {
        $x = http1(%c);
        $log->('create', $x);
        last if ($x->{status} // 0) == 201 || ($x->{status} // 500) < 500
                && ($x->{status} // 0) != 423;
        sleep 0.2;
    }
    if (($x->{status} // 0) != 201) {
        return { %$r, outcome => 'error', status => $x->{status},
                 code => $r->{requests}[-1]{code}, error => $x->{error} };
    }
    my $url = $x->{headers}{location};
    $url =~ s{^https?://[^/]+}{};
    $r->{url} = $url;
    my $offset = $x->{headers}{'upload-offset'} // 0;
    my $final;
    # creation with all the bytes: complete at once
    $final = $x if $len && $offset == $len;

    my $head = sub {
        for my $try (1 .. 6) {
            my $h = http1(port => $PORT, method => 'HEAD', target => $url,
                          headers => [ @tus ]);
            $log->('head', $h);
            return $h if ($h->{status} // 0) == 200
                         || ($h->{status} // 0) == 404
                         || ($h->{status} // 0) == 410;
            sleep 0.2;
        }
        return undef;
    };

    while (1) {
        last if $final;
        my $n = $chunk->($offset);
        my $piece = substr $bytes, $offset, $n;
        my @h = (@tus, [ 'Upload-Offset', $offset ],
                 [ 'Content-Type', 'application/offset+octet-stream' ]);
        push @h, [ 'Upload-Length', $len ]
            if $u->{deferred} && $offset + $n == $len;
        my %p = (port => $PORT, method => 'PATCH', target => $url,
                 headers => \@h, body => \$piece,
                 chunked => $u->{transport} eq 'h1-chunked');
        if (defined $abort_at && $abort_at > $offset
            && $abort_at < $offset + $n) {
            $p{abort_at} = $abort_at - $offset;
            undef $abort_at;
        }
        my $y = http1(%p);
        $log->('patch', $y);
        my $st = $y->{status} // 0;
        if ($st == 204 || $st == 202) {
            $offset = $y->{headers}{'upload-offset'} // $offset;
            if ($offset == $len || $st == 202) {
                $final = $y;
                last;
            }
            next;
        }
        $failures++ unless $y->{aborted} || $st == 423;
        last if $failures > 6;
        sleep 0.1 if $failures;
        my $h = $head->();
        if (!$h || $h->{status} != 200) {
            $failures = 99;
            last;
        }
        $offset = $h->{headers}{'upload-offset'};
        # complete: the whole length stored and known (an upload of
        # deferred length whose last PATCH failed after its bytes were
        # stored answers Upload-Defer-Length: 1 until a PATCH gives the
        # length, here with no bytes left)
        if ($offset == $len && $len > 0
            && defined $h->{headers}{'upload-length'}) {
            $final = $h;
            $r->{by_head} = 1;
            last;
        }
    }

    if ($final) {
        my $st = $final->{status};
        $r->{file_id} = $final->{headers}{'x-vod-file-id'};
        if ($st == 202) {
            # settle it as docs/resumable.md says: a HEAD commits
            my $h = $head->();
            $r->{settled_file_id} = $h && $h->{headers}{'x-vod-file-id'};
            $r->{settle_status} = $h && $h->{status};
            $r->{settle_offset} = $h && $h->{headers}{'upload-offset'};
            return { %$r, outcome => 'unconfirmed', status => 202,
                     code => 'CommitUnconfirmed' };
        }
        return { %$r, outcome => 'ok', status => $st };
    }

    # give up: terminate the upload, tried again until it is gone
    my $last = $r->{requests}[-1];
    for my $try (1 .. 30) {
        my $d = http1(port => $PORT, method => 'DELETE', target => $url,
                      headers => [ @tus ]);
        $log->('delete', $d);
        last if ($d->{status} // 0) == 204 || ($d->{status} // 0) == 404;
        sleep 0.2;
    }
    return { %$r, outcome => 'error', status => $last->{status},
             code => $last->{code}, error => $last->{error} };
}

sub run_tus_node {
    my ($u) = @_;
    my $arg = $Json->encode({
        endpoint => "http://127.0.0.1:$PORT/files/", file => $POOL_FILE,
        start => $u->{offset}, length => $u->{size},
        metadata => { filename => 'clip.mp4', soak => $u->{id} },
        $u->{chunk} ? (chunk_size => $u->{chunk}) : (),
        deferred => $u->{deferred} ? JSON::PP::true : JSON::PP::false });
    my $t0 = time;
    open my $out, '-|', 'node', "$FindBin::Bin/tus-js.js", $arg
        or return { outcome => 'error', error => "node: $!" };
    my @lines = <$out>;
    close $out;
    chomp @lines;
    my $r = { node => \@lines, elapsed => time - $t0 };
    if (($lines[0] // '') =~ /^success (\d+) (\S+) (\S+) (\d+)/) {
        $r->{abandoned} = $1 if "@lines" =~ /abandoned (\d+)/;
        return { %$r, outcome => $1 == 202 ? 'unconfirmed' : 'ok',
                 status => $1, file_id => $3 eq '-' ? undef : $3,
                 last_ms => $4 };
    }
    $r->{abandoned} = $1 if "@lines" =~ /abandoned (\d+)/;
    my ($what) = ($lines[0] // 'error none') =~ /^error (\S+)/;
    return { %$r, outcome => 'error', status => $what =~ /^\d{3}$/ ? $what
             : undef, error => $lines[0] };
}

sub run_client {
    my ($u) = @_;
    my $t0 = time;
    my $r;
    if ($u->{frontend} eq 'tus') {
        $r = $u->{transport} eq 'node' ? run_tus_node($u) : run_tus($u);
    } else {
        $r = run_put_or_form($u);
        my $j = json_of($r->{body});
        $r->{code} = $j && ref $j eq 'HASH' && $j->{error}
                     ? $j->{error}{code} : undef;
        $r->{file_id} = $j && ref $j eq 'HASH' ? $j->{FileId} : undef;
        $r->{answer_size} = $j && ref $j eq 'HASH' ? $j->{Size} : undef;
        $r->{outcome} = $r->{aborted} && !$r->{status} ? 'aborted'
                      : !$r->{status} ? 'noanswer'
                      : $r->{status} eq 'h2-early' ? 'error'
                      : $r->{status} == 200 ? 'ok'
                      : $r->{status} == 202 ? 'unconfirmed' : 'error';
        delete $r->{body} if ($r->{outcome} eq 'ok') || length($r->{body} // '') > 2000;
    }
    $r->{md5} = Digest::MD5::md5_hex(substr $POOL, $u->{offset}, $u->{size});
    $r->{total} = time - $t0;
    return $r;
}

# ---- a round ----

my (%Count, @Failures, %ByFe, %ByTr, %ByFault, %Outcome, %Codes, %Fired);
my $Round = 0;
my $Done = 0;
my $LogOffset = 0;
my $Start = time;

sub fail {
    my ($u, $what, $round) = @_;
    my $repro = $u
        ? "SOAK_SEED=$SEED SOAK_ROUND=$u->{round} upload $u->{id}: $u->{frontend}/"
          . "$u->{transport}, size $u->{size}"
          . (defined $u->{abort_at} ? ", cut at $u->{abort_at}" : '')
          . ($u->{chunk} ? ", chunks $u->{chunk}" : '')
          . ($u->{deferred} ? ', deferred length' : '')
          . ($u->{cover} ? ", cover $u->{cover}" : '')
        : "SOAK_SEED=$SEED SOAK_ROUND=$round->{round}";
    my $faults = join '; ', @{ $round->{labels} };
    my $line = "FAIL: $what\n  reproduce: $repro\n  round's faults: "
             . ($faults || 'none')
             . ($round->{skew} ? ", clock skew $round->{skew} s" : '')
             . ($round->{signal} ? ", $round->{signal} at "
                . sprintf('%.2f s', $round->{signal_at}) : '') . "\n"
             . ($u && $u->{fired} ? "  faults that hit it: "
                . (join('; ', @{ $u->{fired} }) || 'none') . "\n" : '')
             . ($u && $u->{result} ? "  client: " . $Json->encode(
                 { map { $_ => $_ eq 'url' ? substr($u->{result}{$_}, 0, 40)
                                . '...' : $u->{result}{$_} }
                   grep { $_ ne 'md5' } keys %{ $u->{result} } }) . "\n"
                 : '');
    push @Failures, $line;
    print $line;
}

sub run_round {
    my ($round) = @_;
    my $n = @{ $round->{uploads} };
    $Emu->clear_faults;
    my $set = $Emu->fault({ faults => $round->{faults},
                            clock_skew_seconds => $round->{skew} });
    my %label_of;
    for my $k (0 .. $#{ $set->{faults} }) {
        $label_of{ $set->{faults}[$k]{id} } = $round->{labels}[$k];
    }

    my %kids;
    for my $u (@{ $round->{uploads} }) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            srand($SEED + $u->{round} * 1000 + $$);
            local $SIG{ALRM} = sub { die "client timeout\n" };
            alarm 180;
            my $r = eval { run_client($u) }
                    // { outcome => 'noanswer', error => "client: $@" };
            alarm 0;
            open my $fh, '>', "$DIR/clients/$u->{id}.json" or die;
            print $fh $Json->encode($r);
            close $fh;
            POSIX::_exit(0);
        }
        $kids{$pid} = $u;
    }

    my $t0 = time;
    my $signalled;
    my $restarted;
    while (%kids) {
        for my $pid (keys %kids) {
            if (waitpid($pid, WNOHANG) == $pid) {
                delete $kids{$pid};
            }
        }
        if ($round->{signal} && !$signalled && time - $t0 >= $round->{signal_at}
            && %kids) {
            $signalled = time - $t0;
            my $sig = $round->{signal};
            if ($sig eq 'HUP') {
                kill 'HUP', $Master;
            } else {
                my $took = stop_nginx($sig, 90);
                if (!defined $took) {
                    fail(undef, "nginx did not exit within 90 s of $sig",
                         $round);
                }
                start_nginx();
                $restarted = 1;
            }
        }
        sleep 0.02 if %kids;
    }
    $round->{signalled} = $signalled;
    $Emu->clear_faults;
    $Emu->skew(0);

    # nothing left open: the sweep (every 2 s), else a restart (worker 0
    # sweeps at start)
    my $open = sub { scalar @{ $_[0]{uploads} } };
    my $left = !$Emu->wait_for(sub { !$open->($_[0]) }, 20);
    if ($left) {
        my $before = $Emu->state('md5=0');
        stop_nginx('QUIT', 60);
        start_nginx();
        $left = !$Emu->wait_for(sub { !$open->($_[0]) }, 20);
        if (!$left) {
            # not a failure: said in the report
            $Count{swept_by_restart} += @{ $before->{uploads} };
            print "  (round $round->{round}: "
                . scalar(@{ $before->{uploads} }) . " multipart upload(s)"
                . " open 20 s after the round, aborted after a restart)\n";
        }
    }

    my $s = $Emu->state('md5=1');
    check_round($round, $s, \%label_of);
    if ($left) {
        my %sess = map { ($_->{bucket} . $_->{media_path}) => $_ }
                   @{ $s->{sessions} };
        for my $up (@{ $s->{uploads} }) {
            my $ss = $sess{"$up->{bucket}/$up->{key}"};
            my $id = $ss ? $ss->{source_context} : '?';
            my ($u) = grep { $_->{id} eq ($id // '') } @{ $round->{uploads} };
            fail($u, "multipart upload $up->{upload_id} of $up->{key} ("
                 . ($id // '?') . ") still open after the sweep and a"
                 . " restart", $round);
            $Count{left_open}++;
        }
    }
    check_log($round);
    $Emu->reset;
}

# the emulator's requests of this round, by upload
sub check_round {
    my ($round, $s, $label_of) = @_;
    my %by_sc;
    for my $m (@{ $s->{media} }) {
        push @{ $by_sc{ $m->{SourceContext} // '' } }, $m;
    }
    my %sess_by_key;     # bucket/key and session key -> source context
    for my $ss (@{ $s->{sessions} }) {
        my $sc = $ss->{source_context} // '';
        $sess_by_key{ $ss->{bucket} . $ss->{media_path} } = $sc;
        $sess_by_key{ $ss->{bucket} . $ss->{cover_path} } = $sc
            if defined $ss->{cover_path};
        $sess_by_key{ $ss->{vod_session_key} } = $sc;
    }
    my %fired;
    # uploads whose CommitUpload got an injected "the session is gone"
    my %gone;
    for my $q (@{ $s->{requests} }) {
        next unless $q->{fault};
        my $sc;
        if (($q->{op} // '') eq 'ApplyUpload') {
            $sc = $q->{params}{SourceContext};
        } elsif (($q->{op} // '') eq 'CommitUpload') {
            $sc = $sess_by_key{ $q->{params}{VodSessionKey} // '' };
        } elsif (($q->{host} // '') =~ /^([^.]+)\.cos\./) {
            my $path = $q->{path} // '';
            $path =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
            $sc = $sess_by_key{ $1 . $path };
            if (!defined $sc && ($q->{query} // '') =~ /prefix=([^&]*)/) {
                (my $p = $1) =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
                $sc = $sess_by_key{ "$1/" . $p } // $sess_by_key{ $1 . $p };
            }
        }
        my $label = $label_of->{ $q->{fault}{id} } // "fault $q->{fault}{id}";
        push @{ $fired{ $sc // '?' } }, $label;
        $gone{ $sc // '?' }++
            if ($q->{op} // '') eq 'CommitUpload'
               && ($q->{error_code} // '') eq 'InvalidParameterValue.VodSessionKey';
        # a request reset by a fault is not parsed: an API request's
        # parameters are then unknown
        $Fired{$label}{ defined $sc ? 'upload' : 'unknown' }++;
    }
    $Count{faults_fired} += @{ $fired{$_} } for keys %fired;
    $Count{faults_fired_unattributed} += @{ $fired{'?'} // [] };

    for my $u (@{ $round->{uploads} }) {
        my $file = "$DIR/clients/$u->{id}.json";
        my $r = -f $file ? do { local $/; open my $fh, '<', $file; $Json->decode(<$fh>) }
                         : { outcome => 'noanswer', error => 'client died' };
        unlink $file;
        $u->{result} = $r;
        my @f = @{ $fired{ $u->{id} } // [] };
        my %seen;
        $u->{fired} = [ grep { !$seen{$_}++ } @f ];
        my $media = $by_sc{ $u->{id} } // [];
        my $committed = @$media;
        my $o = $r->{outcome};
        my $stopped = $round->{signalled}
                      && ($round->{signal} eq 'TERM' || $round->{signal} eq 'QUIT');
        # curl's exit 18 or 92 over HTTP/2 is an early answer's quirk when
        # nginx ran on; with nginx stopped it may be a 200 cut off
        $o = $r->{outcome} = 'noanswer' if $r->{h2_early} && $stopped;
        $Done++;
        $Count{uploads}++;

        my $fe = $u->{frontend};
        my $tr = $u->{transport};
        my $cls = $o eq 'noanswer' && $stopped ? 'noanswer (nginx stopped)' : $o;
        $Outcome{$cls}++;
        $ByFe{$fe}{$cls}++;
        $ByTr{"$fe/$tr"}{$cls}++;
        $ByFault{$_}{$cls}++ for @{ $u->{fired} };
        $ByFault{'(none hit it)'}{$cls}++ unless @{ $u->{fired} };
        $ByFault{"clock skew $round->{skew}"}{$cls}++ if $round->{skew};
        $ByFault{"signal $round->{signal}"}{$cls}++ if $round->{signalled};
        $ByFault{'client cut off'}{$cls}++ if defined $u->{abort_at};
        $Codes{ ($r->{status} // '-') . ' ' . ($r->{code} // '') }++;

        printf "  %s %s/%s %d %s %s %s %.1f s committed %d%s\n", $u->{id}, $fe, $tr,
            $u->{size}, $o, $r->{status} // '-', $r->{code} // '', $r->{total} // -1,
            $committed, @{ $u->{fired} } ? ' [' . join('; ', @{ $u->{fired} }) . ']' : ''
            if $VERBOSE;

        # VOD said (injected) that it no longer knows the upload's
        # session: a tus request of an upload that was completed then
        # answers "committed before", with no FileId (docs/resumable.md),
        # although nothing was committed. Not the module's doing
        my $gone = $gone{ $u->{id} } && !$committed;

        my $md5_ok = !grep { ($_->{md5} // '') ne $r->{md5}
                             || ($_->{size} // -1) != $u->{size} } @$media;
        if ($o eq 'ok') {
            if ($gone && !length($r->{file_id} // '')) {
                $Count{session_gone}++;
            } elsif ($committed != 1) {
                fail($u, "answered $r->{status}, committed $committed times", $round);
                $Count{ok_not_once}++;
            } elsif (!$md5_ok) {
                fail($u, "answered $r->{status}, but the media is $media->[0]{size}"
                     . " bytes, MD5 $media->[0]{md5} (sent $u->{size}, $r->{md5})",
                     $round);
                $Count{ok_not_exact}++;
            } elsif (defined $r->{file_id} && length $r->{file_id}
                     && $r->{file_id} ne $media->[0]{FileId}) {
                fail($u, "answered FileId $r->{file_id}, committed"
                     . " $media->[0]{FileId}", $round);
                $Count{ok_wrong_file_id}++;
            } else {
                $Count{ok_exact_once}++;
            }
        } elsif ($o eq 'unconfirmed' || $o eq 'noanswer' && $stopped) {
            $Count{$o eq 'unconfirmed' ? 'unconfirmed' : 'noanswer_stopped'}++;
            $Count{($o eq 'unconfirmed' ? 'unconfirmed' : 'noanswer_stopped')
                   . "_committed"}++ if $committed;
            if ($committed > 1 || !$md5_ok) {
                fail($u, "$o: committed $committed times"
                     . ($md5_ok ? '' : ', other bytes'), $round);
                $Count{unconfirmed_bad}++;
            } elsif ($gone && !length($r->{settled_file_id} // '')) {
                $Count{session_gone}++;
            } elsif (!$committed && ($r->{settle_status} // 0) == 200
                     && ($r->{settle_offset} // -1) == $u->{size}) {
                # docs/resumable.md: a HEAD after a 202 commits the media
                fail($u, "202, then a HEAD answered the whole length, but"
                     . " nothing was committed", $round);
                $Count{unconfirmed_bad}++;
            }
        } elsif ($o eq 'noanswer') {
            fail($u, "no answer (" . ($r->{error} // '?') . "), nginx was"
                 . " not stopped; committed $committed", $round);
            $Count{noanswer}++;
        } else {     # error, aborted
            $Count{$o}++;
            if ($committed) {
                fail($u, "$o (" . ($r->{status} // '-') . ' '
                     . ($r->{code} // $r->{error} // '') . ") but committed"
                     . " $committed times", $round);
                $Count{error_committed}++;
            }
        }

        # late answers: a bound from the size and the faults that hit the
        # upload (each may cost a timeout and a retry's backoff); for tus
        # by plain requests each request's, else the whole upload's
        my $slack = 0;
        for (@{ $fired{ $u->{id} } // [] }) {
            $slack += /over read timeout|no_length/ ? $T{read} + 0.6
                    : /delay|stream_whitespace|complete_200_error/ ? 1.8
                    : 0.6;
        }
        $slack += 60 if $round->{signalled} && $round->{signal} ne 'HUP';
        my @timed = $fe eq 'tus' && $tr ne 'node'
            ? map { [ $_->{elapsed} // 0, $_->{sent} // 0, $_->{what} ] }
              @{ $r->{requests} // [] }
            : ([ $r->{total} // 999, $u->{size}, 'upload' ]);
        for my $t (@timed) {
            my $bound = 4 + $t->[1] / (2 * $MIB) + $slack;
            $bound = 3 * $bound + 10 if $tr eq 'node';   # retries, sleeps
            $Count{max_seconds} = $t->[0]
                if $t->[0] > ($Count{max_seconds} // 0);
            if ($t->[0] > $bound) {
                fail($u, sprintf('%s answered after %.1f s, bound %.1f s',
                                 $t->[2], $t->[0], $bound), $round);
                $Count{late}++;
                last;
            }
        }
    }
}

sub check_log {
    my ($round) = @_;
    open my $fh, '<', "$DIR/logs/error.log" or return;
    seek $fh, $LogOffset, 0;
    while (my $line = <$fh>) {
        if ($line =~ /exited on signal|\[alert\]/) {
            $Count{crash_or_alert}++;
            fail(undef, "error log: $line", $round);
        }
    }
    $LogOffset = tell $fh;
}

# ---- the run ----

start_nginx();
my $rounds = 0;
while ($Done < $UPLOADS) {
    $Round++;
    my $n = $UPLOADS - $Done < $CONC ? $UPLOADS - $Done : $CONC;
    my $round = gen_round($Round, $n);
    if (defined $ONLY_ROUND) {
        if ($Round != $ONLY_ROUND) {
            $Done += $n;
            next;
        }
    }
    printf "round %d: %d uploads, faults: %s%s%s  [%d/%d, %.0f s]\n",
        $Round, $n, join('; ', @{ $round->{labels} }) || 'none',
        $round->{skew} ? ", skew $round->{skew}" : '',
        $round->{signal} ? sprintf(', %s at %.2f s', $round->{signal},
                                   $round->{signal_at}) : '',
        $Done, $UPLOADS, time - $Start;
    run_round($round);
    $rounds++;
    last if defined $ONLY_ROUND;
}

# the end: a restart (worker 0 sweeps at start), then nothing open, no
# crash in the log
stop_nginx('QUIT', 60);
start_nginx();
my $left = !$Emu->wait_for(sub { !@{ $_[0]{uploads} } }, 20);
my $final_state = $Emu->state('md5=0');
if ($left) {
    $Count{left_open} += @{ $final_state->{uploads} };
    fail(undef, scalar(@{ $final_state->{uploads} })
         . ' multipart upload(s) open at the end', { round => 'end',
         labels => [] });
}
stop_nginx('QUIT', 60);
check_log({ round => 'end', labels => [] });
$Emu->stop;

# ---- the report ----

my $took = time - $Start;
print "\n== soak: SOAK_SEED=$SEED, $Count{uploads} uploads in $rounds rounds,"
    . sprintf(" %.0f s\n", $took);

sub table {
    my ($title, $h) = @_;
    my @cls = ('ok', 'unconfirmed', 'error', 'aborted',
               'noanswer (nginx stopped)', 'noanswer');
    print "\n$title\n";
    printf "  %-48s %6s %6s %6s %6s %8s %6s\n", '', 'ok', '202', 'error',
        'cut', 'stopped', 'none';
    for my $k (sort keys %$h) {
        printf "  %-48s %6d %6d %6d %6d %8d %6d\n", $k,
            map { $h->{$k}{$_} // 0 } @cls;
    }
}
table('by front-end:', \%ByFe);
table('by front-end/transport:', \%ByTr);
table('by fault (uploads a fault hit; round-wide conditions):', \%ByFault);
print "\nfaults fired (requests hit; of them not matched to an upload,"
    . " e.g. API requests refused unread):\n";
printf "  %-56s %5d %5d\n", $_, ($Fired{$_}{upload} // 0) + ($Fired{$_}{unknown} // 0),
    $Fired{$_}{unknown} // 0 for sort keys %Fired;
print "\nanswers (status code):\n";
printf "  %-50s %d\n", $_, $Codes{$_} for sort keys %Codes;

my @inv = (
    [ '200/final 204 byte-exact and committed exactly once', $Count{ok_exact_once} // 0 ],
    [ '200/final 204 not committed exactly once', $Count{ok_not_once} // 0, 1 ],
    [ '200/final 204 with other bytes', $Count{ok_not_exact} // 0, 1 ],
    [ '200 with a FileId other than committed', $Count{ok_wrong_file_id} // 0, 1 ],
    [ 'errors (nothing committed)', $Count{error} // 0 ],
    [ 'cut off by the client (nothing committed)', $Count{aborted} // 0 ],
    [ 'errors or cut off, but committed', $Count{error_committed} // 0, 1 ],
    [ '202 CommitUnconfirmed (of them committed)',
      ($Count{unconfirmed} // 0) . ' (' . ($Count{unconfirmed_committed} // 0) . ')' ],
    [ 'no answer, nginx stopped (of them committed)',
      ($Count{noanswer_stopped} // 0) . ' (' . ($Count{noanswer_stopped_committed} // 0) . ')' ],
    [ '202 / stopped committed twice or other bytes', $Count{unconfirmed_bad} // 0, 1 ],
    [ 'session gone (injected VodSessionKey), not committed',
      $Count{session_gone} // 0 ],
    [ 'no answer, nginx running', $Count{noanswer} // 0, 1 ],
    [ 'multipart uploads left open after the sweep', $Count{left_open} // 0, 1 ],
    [ '  (open 20 s after a round, aborted after a restart)', $Count{swept_by_restart} // 0 ],
    [ 'worker crashes / [alert] lines', $Count{crash_or_alert} // 0, 1 ],
    [ 'answers later than the timeouts allow', $Count{late} // 0, 1 ],
    [ 'slowest upload (s)', sprintf '%.1f', $Count{max_seconds} // 0 ],
    [ 'faults fired (not matched to an upload)',
      ($Count{faults_fired} // 0) . ' (' . ($Count{faults_fired_unattributed} // 0) . ')' ],
);
print "\ninvariants:\n";
printf "  %-56s %s%s\n", $_->[0], $_->[1], $_->[2] && $_->[1] ? '   <- FAIL' : ''
    for @inv;

if (@Failures) {
    print "\n" . scalar(@Failures) . " failure(s):\n", @Failures;
    print "\nsoak: FAILED (logs in $DIR/logs)\n";
    exit 1;
}
print "\nsoak: PASSED\n";
exit 0;

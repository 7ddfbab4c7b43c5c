package VodEmulator::Server;

# The emulator: one process, one event loop, one listening address for
# everything. A request goes, by path and Host, to
#   /__emulator/...                 the control endpoint (Admin)
#   Host vod.tencentcloudapi.com    the VOD API (Api)
#   Host <b>.cos.<r>.myqcloud.com   COS (Cos)
#   /vod/...                        the URLs the emulator hands out
# Faults are looked up once the operation is known; answers go out through
# finish(), which logs them and applies delays.

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use IO::Socket::INET ();
use Time::HiRes ();

use VodEmulator::Admin;
use VodEmulator::Api;
use VodEmulator::Cos;
use VodEmulator::Events;
use VodEmulator::Faults;
use VodEmulator::Http;
use VodEmulator::Loop;
use VodEmulator::Media;
use VodEmulator::Store;
use VodEmulator::Util qw(http_date);

use constant API_HOST => 'vod.tencentcloudapi.com';

our %DEFAULTS = (
    listen           => '127.0.0.1:0',
    app_id           => 1250000000,
    callback_sign_in => 'body',
    callback_timeout => 10,
    cert_lifetime    => 3600,
    storage_region   => 'ap-guangzhou',
    task_delay_ms    => 200,
    pull_wait        => 5,
    confirm_timeout  => 30,
    procedure_defs   => [ 100010, 100020 ],
    templates        => [ @VodEmulator::Api::TEMPLATES ],
    max_requests     => 10000,
);

sub new {
    my ($class, %cfg) = @_;
    my $self = bless { cfg => { %DEFAULTS, %cfg }, skew => 0, requests => [],
                       req_seq => 0, conn_seq => 0, conns => {} }, $class;
    my $cfg = $self->{cfg};
    for (qw(data secret_id secret_key)) {
        die "vod-emulator: --" . ($_ =~ s/_/-/gr) . " is required\n"
            unless defined $cfg->{$_} && length $cfg->{$_};
    }
    $self->{loop} = VodEmulator::Loop->new;
    $self->listen_on($cfg->{listen});
    $cfg->{media_base_url} //= 'http://' . $self->address;
    $cfg->{media_base_url} =~ s{/+$}{};

    $self->{store} = VodEmulator::Store->new($cfg->{data});
    $self->{faults} = VodEmulator::Faults->new;
    $self->{events} = VodEmulator::Events->new($self);
    $self->{vod} = VodEmulator::Media->new($self);
    $self->{api} = VodEmulator::Api->new($self);
    $self->{cos} = VodEmulator::Cos->new($self);
    $self->{admin} = VodEmulator::Admin->new($self);
    if (defined $cfg->{log_file}) {
        open $self->{log_fh}, '>>', $cfg->{log_file}
            or die "vod-emulator: $cfg->{log_file}: $!\n";
        $self->{log_fh}->autoflush(1);
    }
    return $self;
}

sub listen_on {
    my ($self, $listen) = @_;
    my ($host, $port) = $listen =~ /^([^:]+):(\d+)$/
        or die "vod-emulator: --listen wants HOST:PORT, not $listen\n";
    my $sock = IO::Socket::INET->new(
        LocalAddr => $host, LocalPort => $port, Listen => 1024,
        ReuseAddr => 1, Proto => 'tcp',
    ) or die "vod-emulator: cannot listen on $listen: $@\n";
    $sock->blocking(0);
    $self->{listener} = $sock;
    my $addr = $sock->sockhost;
    $addr = '127.0.0.1' if $addr eq '0.0.0.0';
    $self->{address} = "$addr:" . $sock->sockport;
    $self->{loop}->watch_read($sock, sub { $self->accept_all });
}

sub address { $_[0]{address} }

# the emulator's clock: real time plus the skew set for tests
sub now { Time::HiRes::time() + $_[0]{skew} }

sub public_config {
    my ($self) = @_;
    my $c = $self->{cfg};
    return {
        app_id              => $c->{app_id},
        secret_id           => $c->{secret_id},
        callback_url        => $c->{callback_url},
        callback_sign_key   => $c->{callback_sign_key},
        callback_sign_in    => $c->{callback_sign_in},
        cert_lifetime       => $c->{cert_lifetime},
        storage_region      => $c->{storage_region},
        media_base_url      => $c->{media_base_url},
        task_delay_ms       => $c->{task_delay_ms},
        pull_wait_ms        => int($c->{pull_wait} * 1000),
        confirm_timeout_ms  => int($c->{confirm_timeout} * 1000),
        callback_timeout_ms => int($c->{callback_timeout} * 1000),
        app_status          => $c->{app_status},
        list_page_max       => $c->{list_page_max},
        data                => $c->{data},
    };
}

sub log_line {
    my ($self, $line) = @_;
    my $fh = $self->{log_fh} // ($self->{cfg}{verbose} ? \*STDERR : undef)
        or return;
    my @t = gmtime;
    printf $fh "%02d:%02d:%02d %s\n", @t[2, 1, 0], $line;
}

sub run {
    my ($self) = @_;
    local $SIG{PIPE} = 'IGNORE';
    local $SIG{TERM} = local $SIG{INT} = sub {
        $self->{stopping} = 1;
        $self->{loop}->stop;
    };
    $| = 1;
    $self->watch_parent($self->{cfg}{parent}) if $self->{cfg}{parent};
    print "vod-emulator: ready on $self->{address}\n";
    $self->{loop}->run;
    $self->shutdown;
    return 0;
}

# --parent PID: stop when that process is gone (a test killed hard)
sub watch_parent {
    my ($self, $pid) = @_;
    my $check;
    $check = sub {
        if (!kill 0, $pid) {
            $self->log_line("parent $pid is gone: stopping");
            $self->{stopping} = 1;
            return $self->{loop}->stop;
        }
        $self->{loop}->timer(1, $check);
    };
    $self->{loop}->timer(1, $check);
}

sub shutdown {
    my ($self) = @_;
    $self->{loop}->forget($self->{listener});
    close $self->{listener};
    $_->close('emulator stopping') for values %{ $self->{conns} };
}

# everything but the configuration is forgotten
sub reset {
    my ($self) = @_;
    $self->{events}->reset;
    $self->{vod}->reset;
    $self->{store}->reset;
    $self->{faults}->clear;
    $self->{skew} = 0;
    $self->{requests} = [];
    $self->{app} = [];
}


# ---- connections ----

sub accept_all {
    my ($self) = @_;
    while (1) {
        my $fh = $self->{listener}->accept;
        if (!$fh) {
            return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR || !$!;
            $self->log_line("accept: $!");
            return;
        }
        my $id = ++$self->{conn_seq};
        $self->{conns}{$id} = VodEmulator::Http->new(
            loop => $self->{loop}, fh => $fh, app => $self, id => $id,
            peer => $fh->peerhost . ':' . $fh->peerport);
    }
}

sub on_close {
    my ($self, $conn, $req, $why) = @_;
    delete $self->{conns}{ $conn->{id} };
    if ($req && $req->{log} && !$req->{finished}) {
        $req->{log}{status} = $conn->{was_reset} ? 'reset' : 'aborted';
        $req->{log}{error} = $why;
        $req->{log}{body_bytes} = $req->{body_bytes};
        $self->log_line("#$req->{log}{seq} $req->{log}{op} $why");
    }
    $self->{events}->drop_waiter($req) if $req;
}

sub on_bad_request {
    my ($self, $conn, $status, $why) = @_;
    $self->log_line("conn $conn->{id}: $status $why");
    push @{ $self->{requests} }, { seq => ++$self->{req_seq},
        conn => $conn->{id}, status => $status, error => $why,
        time => $self->now };
}

sub on_headers {
    my ($self, $conn, $req) = @_;
    my $h = $req->{headers};
    my $log = $req->{log} = {
        seq            => ++$self->{req_seq},
        conn           => $conn->{id},
        conn_request   => $req->{seq},
        time           => $self->now,
        method         => $req->{method},
        host           => $h->{host},
        path           => $req->{path},
        query          => $req->{query},
        headers        => { %$h },
        content_length => $req->{content_length},
        chunked        => $req->{chunked} ? JSON::PP::true : JSON::PP::false,
    };
    $req->{started} = Time::HiRes::time();
    my $list = $self->{requests};
    push @$list, $log;
    splice @$list, 0, @$list - $self->{cfg}{max_requests}
        if @$list > $self->{cfg}{max_requests};

    my ($comp, $r) = eval { $self->route($req) };
    if (!$comp) {
        my $err = $@;
        return { body => 'discard',
                 done => sub { $self->finish($req,
                     $self->internal_error($req, $err)); undef } };
    }
    $log->{op} = $r->{op} // $log->{op} // '-';
    my $plan;
    if ($r->{op} && (my $f = $self->{faults}->take($r->{op},
                                                   { part_number => $r->{part_number} }))) {
        $req->{fault} = $f;
        $log->{fault} = { id => $f->{id}, action => $f->{action} };
        $plan = $self->fault_plan($comp, $req, $f);
    }
    $plan //= $r->{prepare} ? eval { $r->{prepare}->() } : $r;
    if (!$plan) {
        my $err = $@;
        $plan = { body => 'discard',
                  done => sub { $self->internal_error($req, $err) } };
    }
    my $inner = $plan->{done};
    $plan->{done} = sub {
        $log->{body_bytes} = $req->{body_bytes};
        my $resp = eval { $inner ? $inner->($req) : undef };
        $resp = $self->internal_error($req, $@) if $@;
        $self->finish($req, $resp) if $resp;
        return undef;
    };
    return $plan;
}

# a bug of the emulator: 500 with the message, never a dead emulator
sub internal_error {
    my ($self, $req, $err) = @_;
    warn "vod-emulator: internal error: $err";
    return { status => 500, headers => [ [ 'Content-Type', 'text/plain' ] ],
             body => "vod-emulator internal error: $err",
             error_code => 'EmulatorBug', close => 1 };
}

# (component, route) for a request
sub route {
    my ($self, $req) = @_;
    my $path = $req->{path};
    if ($path =~ m{^/__emulator(?:/|$)}) {
        $req->{log}{op} = 'control';
        return ($self->{admin}, $self->{admin}->route($req));
    }
    my $host = lc($req->{headers}{host} // '');
    $host =~ s/:\d+$//;
    if ($host eq API_HOST) {
        $req->{log}{op} = $req->{headers}{'x-tc-action'} // '-';
        return ($self->{api}, $self->{api}->route($req));
    }
    if (VodEmulator::Cos::parse_host($host)) {
        return ($self->{cos}, $self->{cos}->route($req));
    }
    if ($path =~ m{^/vod/}) {
        return ($self, $self->route_media($req));
    }
    return ($self, { op => undef, done => sub {
        { status => 404, headers => [ [ 'Content-Type', 'text/plain' ] ],
          body => "vod-emulator: no such host or path: $host $path\n" }
    } });
}

sub fault_plan {
    my ($self, $comp, $req, $f) = @_;
    if ($f->{action} eq 'reset') {
        my $conn = $req->{conn};
        return { body => 'discard', reset_after => $f->{reset_after_bytes}
                 // 0, done => sub { $conn->reset('fault: reset'); undef } };
    }
    if ($f->{action} eq 'error') {
        if ($comp == $self->{api}) {
            # not carried out, but its parameters are in the request log
            # (what a refused CommitUpload was for: its VodSessionKey)
            return { body => 'buffer', max => VodEmulator::Api::MAX_BODY,
                     done => sub {
                         $comp->fault_params($req);
                         $comp->fault_answer($req, $f);
                     } };
        }
        return { body => 'discard',
                 done => sub { $comp->fault_answer($req, $f) } };
    }
    return undef;
}

sub fault_answer {
    my ($self, $req, $f) = @_;
    return { status => $f->{status} // 500,
             headers => [ [ 'Content-Type', 'text/plain' ] ],
             body => ($f->{message} // 'injected by the emulator') . "\n",
             error_code => $f->{code} };
}

sub route_media {
    my ($self, $req) = @_;
    return { op => 'GetMedia', prepare => sub { {
        body => 'discard',
        done => sub {
            return { status => 405, headers => [ [ 'Allow', 'GET, HEAD' ] ],
                     body => '' }
                unless $req->{method} eq 'GET' || $req->{method} eq 'HEAD';
            my $what = $self->{vod}->served($req->{path});
            my $obj = $what && $self->{store}->get_object($what->{bucket},
                                                          $what->{key});
            return { status => 404,
                     headers => [ [ 'Content-Type', 'text/plain' ] ],
                     body => "no media at $req->{path}\n" } unless $obj;
            return $self->{cos}->serve_object($req, $obj, [],
                content_type => $what->{content_type}, plain => 1);
        },
    } } };
}

# send $resp for $req (once), after the fault's delay if any
sub finish {
    my ($self, $req, $resp) = @_;
    return if $req->{finished}++;
    my $conn = $req->{conn};
    push @{ $resp->{headers} }, [ 'Date', http_date($self->now) ];
    my $log = $req->{log};
    $log->{status} = $resp->{status} // 200;
    $log->{error_code} = $resp->{error_code} if defined $resp->{error_code};
    my $f = $req->{fault};
    $resp->{no_length} = 1 if $f && $f->{no_length};
    my $delay = $f && !$req->{no_fault_delay} ? $f->{delay_ms} : undef;
    $log->{ms} = int((Time::HiRes::time() - $req->{started}) * 1000
                     + ($delay // 0));
    $self->log_line(sprintf '#%d conn %d %s %s%s %s -> %s%s', $log->{seq},
        $conn->{id}, $log->{op}, $req->{method}, $log->{host}
        ? " $log->{host}" : '', $req->{target}, $log->{status},
        defined $log->{error_code} ? " $log->{error_code}" : '');
    if ($delay) {
        $conn->timer($delay / 1000, sub { $conn->respond($req, $resp) });
    } else {
        $conn->respond($req, $resp);
    }
}


# ---- what Api and Cos ask for ----

sub new_session    { my $s = shift; $s->{vod}->new_session(@_) }
sub commit_session { my $s = shift; $s->{vod}->commit_session(@_) }
sub start_task     { my $s = shift; $s->{vod}->start_task(@_) }

sub bucket_exists {
    my ($self, $bucket, $region) = @_;
    my $r = $self->{buckets}{ $bucket // '' };
    return defined $r && $r eq ($region // '');
}

sub new_upload_id {
    my ($self) = @_;
    return int($self->now) . VodEmulator::Util::random_hex(64);
}

1;

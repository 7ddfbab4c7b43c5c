package VodEmulator::Http;

# One server-side HTTP/1.1 connection on the event loop: keep-alive,
# pipelining, Content-Length and chunked request bodies streamed to a sink
# as they arrive, Expect: 100-continue, responses from memory, from files
# (streamed in slices) or in timed chunks, and connection resets.
#
# The application object gives, per request, a plan from on_headers:
#   body        'buffer' (into $req->{body}, up to max bytes, then
#               $req->{too_large}), 'sink' (->write, ->finish, ->abort) or
#               'discard' (the default)
#   reset_after reset the connection once that many body bytes arrived
#   done        called with $req when the body is complete
# and answers with $conn->respond($req, $resp) when it wishes.

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Socket qw(SOL_SOCKET SO_LINGER IPPROTO_TCP TCP_NODELAY);

use constant READ_SIZE  => 1 << 20;
use constant WRITE_SIZE => 1 << 20;
use constant MAX_HEAD   => 64 * 1024;

my %REASON = (
    100 => 'Continue', 200 => 'OK', 204 => 'No Content',
    206 => 'Partial Content', 400 => 'Bad Request', 403 => 'Forbidden',
    404 => 'Not Found', 405 => 'Method Not Allowed', 409 => 'Conflict',
    411 => 'Length Required', 413 => 'Payload Too Large',
    416 => 'Range Not Satisfiable', 429 => 'Too Many Requests',
    431 => 'Request Header Fields Too Large',
    500 => 'Internal Server Error', 501 => 'Not Implemented',
    502 => 'Bad Gateway', 503 => 'Service Unavailable',
    504 => 'Gateway Timeout',
);

sub new {
    my ($class, %a) = @_;
    my $self = bless {
        loop   => $a{loop},
        fh     => $a{fh},
        app    => $a{app},
        id     => $a{id},
        peer   => $a{peer},
        rbuf   => '',
        state  => 'head',
        wbuf   => '',
        woff   => 0,
        timers => {},
        nreq   => 0,
    }, $class;
    $a{fh}->blocking(0);
    setsockopt($a{fh}, IPPROTO_TCP, TCP_NODELAY, 1);
    $self->{loop}->watch_read($a{fh}, sub { $self->on_readable });
    return $self;
}

sub closed { $_[0]{closed} }

# a timer that dies with the connection
sub timer {
    my ($self, $seconds, $cb) = @_;
    my $id;
    $id = $self->{loop}->timer($seconds, sub {
        delete $self->{timers}{$id};
        $cb->() unless $self->{closed};
    });
    $self->{timers}{$id} = 1;
    return $id;
}


# ---- reading ----

sub on_readable {
    my ($self) = @_;
    my $n = sysread($self->{fh}, $self->{rbuf}, READ_SIZE,
                    length $self->{rbuf});
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        return $self->close("read error: $!");
    }
    if ($n == 0) {
        my $quiet = $self->{state} eq 'head' && $self->{rbuf} !~ /\S/;
        return $self->close($quiet ? undef : 'client closed mid-request');
    }
    $self->process;
}

sub process {
    my ($self) = @_;
    while (!$self->{closed}) {
        my $state = $self->{state};
        if ($state eq 'head') {
            return unless $self->parse_head;
        } elsif ($state eq 'body') {
            return unless $self->read_body;
        } else {
            # waiting for the answer: hold pipelined bytes, but not forever
            if (length $self->{rbuf} > READ_SIZE && !$self->{paused}) {
                $self->{loop}->unwatch_read($self->{fh});
                $self->{paused} = 1;
            }
            return;
        }
    }
}

sub parse_head {
    my ($self) = @_;
    $self->{rbuf} =~ s/^(?:\r\n)+//;
    my $end = index $self->{rbuf}, "\r\n\r\n";
    if ($end < 0) {
        $self->bad_request(431, 'request head too large')
            if length $self->{rbuf} > MAX_HEAD;
        return 0;
    }
    my $head = substr $self->{rbuf}, 0, $end + 4, '';
    my @lines = split /\r\n/, $head;
    my $line = shift @lines;
    my ($method, $target, $major, $minor) =
        $line =~ m{^([A-Z]+) (\S+) HTTP/(\d)\.(\d)$}
        or return $self->bad_request(400, "bad request line: $line");

    my (%h, @raw);
    for my $l (@lines) {
        my ($name, $value) = $l =~ /^([!#\$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/
            or return $self->bad_request(400, "bad header line: $l");
        push @raw, [ $name, $value ];
        my $k = lc $name;
        $h{$k} = exists $h{$k} ? "$h{$k}, $value" : $value;
    }

    # the absolute form (what a client sends through a proxy): a server
    # accepts it, and its authority replaces the Host header (RFC 9112
    # 3.2.2, 7.2)
    my $origin = $target;
    if ($target =~ m{^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$}s) {
        my ($scheme, $authority, $rest) = (lc $1, $2, $3);
        return $self->bad_request(400, "absolute target: $target")
            if $scheme !~ /^https?$/ || $authority !~ /^[^\s@]+$/
            || $rest =~ /#/;
        $h{host} = $authority;
        $origin = $rest =~ m{^/} ? $rest : "/$rest";
    }

    my ($path, $query) = split /\?/, $origin, 2;
    my $req = {
        conn      => $self,
        seq       => ++$self->{nreq},
        method    => $method,
        target    => $target,
        path      => $path,
        query     => $query // '',
        version   => "$major.$minor",
        headers   => \%h,
        raw_headers => \@raw,
        body_bytes => 0,
    };
    my $conn = lc($h{connection} // '');
    $req->{keep_alive} = "$major.$minor" eq '1.1'
        ? $conn !~ /\bclose\b/ : $conn =~ /\bkeep-alive\b/;

    return $self->bad_request(400, 'no Host header')
        if "$major.$minor" eq '1.1' && !defined $h{host};

    if (defined(my $te = $h{'transfer-encoding'})) {
        return $self->bad_request(501, "transfer-encoding $te")
            unless lc $te eq 'chunked';
        $req->{chunked} = 1;
        $self->{cstate} = 'size';
    } elsif (defined(my $cl = $h{'content-length'})) {
        return $self->bad_request(400, "bad content-length $cl")
            unless $cl =~ /^\d{1,15}$/;
        $req->{content_length} = $cl + 0;
    }
    $self->{left} = $req->{content_length} // 0;

    $self->{req} = $req;
    $self->{plan} = $self->{app}->on_headers($self, $req) || {};
    return 0 if $self->{closed};

    my $plan = $self->{plan};
    $plan->{body} //= 'discard';
    $req->{body} = '' if $plan->{body} eq 'buffer';
    if (defined $plan->{reset_after} && $plan->{reset_after} <= 0) {
        $self->reset('fault: reset before the body');
        return 0;
    }

    if ($req->{chunked} || $self->{left} > 0) {
        $self->send_continue if lc($h{expect} // '') eq '100-continue';
        $self->{state} = 'body';
    } else {
        $self->body_done;
    }
    return 1;
}

sub send_continue {
    my ($self) = @_;
    # nothing else is being written before the request is complete
    syswrite $self->{fh}, "HTTP/1.1 100 Continue\r\n\r\n";
}

sub read_body {
    my ($self) = @_;
    my $req = $self->{req};
    return $self->read_chunked if $req->{chunked};

    my $have = length $self->{rbuf};
    return 0 unless $have;
    my $take = $self->{left} < $have ? $self->{left} : $have;
    my $piece;
    if ($take == $have) {
        $piece = $self->{rbuf};
        $self->{rbuf} = '';
    } else {
        $piece = substr $self->{rbuf}, 0, $take, '';
    }
    $self->{left} -= $take;
    $self->feed($piece);
    return 0 if $self->{closed};
    $self->body_done if $self->{left} == 0;
    return 1;
}

sub read_chunked {
    my ($self) = @_;
    while (1) {
        my $cs = $self->{cstate};
        if ($cs eq 'size' || $cs eq 'trailer') {
            my $i = index $self->{rbuf}, "\r\n";
            if ($i < 0) {
                return $self->bad_request(400, 'chunk line too long')
                    if length $self->{rbuf} > 4096;
                return 0;
            }
            my $line = substr $self->{rbuf}, 0, $i + 2, '';
            if ($cs eq 'trailer') {
                next unless $line eq "\r\n";
                $self->body_done;
                return 1;
            }
            my ($hex) = $line =~ /^([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r]*)?\r\n$/
                or return $self->bad_request(400, 'bad chunk size');
            my $size = hex $hex;
            if ($size == 0) {
                $self->{cstate} = 'trailer';
            } else {
                $self->{left} = $size;
                $self->{cstate} = 'data';
            }
        } elsif ($cs eq 'data') {
            my $have = length $self->{rbuf};
            return 0 unless $have;
            my $take = $self->{left} < $have ? $self->{left} : $have;
            my $piece = substr $self->{rbuf}, 0, $take, '';
            $self->{left} -= $take;
            $self->{cstate} = 'crlf' if $self->{left} == 0;
            $self->feed($piece);
            return 0 if $self->{closed};
        } else {
            return 0 if length $self->{rbuf} < 2;
            return $self->bad_request(400, 'no CRLF after chunk data')
                unless substr($self->{rbuf}, 0, 2, '') eq "\r\n";
            $self->{cstate} = 'size';
        }
    }
}

sub feed {
    my ($self, $piece) = @_;
    my $req = $self->{req};
    my $plan = $self->{plan};
    my $after = $plan->{reset_after};
    if (defined $after && $req->{body_bytes} + length($piece) >= $after) {
        $req->{body_bytes} = $after;
        return $self->reset("fault: reset after $after body bytes");
    }
    $req->{body_bytes} += length $piece;

    if ($plan->{body} eq 'sink') {
        $plan->{sink}->write($piece);
    } elsif ($plan->{body} eq 'buffer' && !$req->{too_large}) {
        if (length($req->{body}) + length($piece) > ($plan->{max} // 1 << 20)) {
            $req->{too_large} = 1;
            $req->{body} = '';
        } else {
            $req->{body} .= $piece;
        }
    }
}

sub body_done {
    my ($self) = @_;
    my $req = $self->{req};
    $self->{state} = 'wait';
    $req->{body_complete} = 1;
    $self->{plan}{sink}->finish if $self->{plan}{body} eq 'sink';
    my $done = $self->{plan}{done};
    my $resp = $done ? $done->($req) : { status => 404 };
    $self->respond($req, $resp) if $resp && !$self->{closed};
}

sub bad_request {
    my ($self, $status, $why) = @_;
    $self->{app}->on_bad_request($self, $status, $why)
        if $self->{app}->can('on_bad_request');
    $self->{req} = { conn => $self, keep_alive => 0, method => 'GET' };
    $self->{state} = 'wait';
    $self->respond($self->{req}, {
        status  => $status,
        headers => [ [ 'Content-Type', 'text/plain' ] ],
        body    => "$why\n",
        close   => 1,
    });
    return 0;
}


# ---- writing ----

# $resp: status, headers [[name, value]...], and one of
#   body      a string
#   segments  [[file, offset, length]...]: streamed from files
#   chunks    [[delay_seconds, data]...]: sent chunked, each after its delay
# head_only (HEAD: the length of the body, no body), close
sub respond {
    my ($self, $req, $resp) = @_;
    return if $self->{closed} || !$self->{req} || $self->{req} != $req
        || $self->{state} eq 'write';
    my $status = $resp->{status} // 200;
    my @h = @{ $resp->{headers} // [] };
    my $close = $resp->{close} || !$req->{keep_alive} || $self->{app}{stopping};

    $self->{segments} = [];
    $self->{chunks} = undef;
    if ($resp->{chunks}) {
        # HTTP/1.0 has no chunked encoding: the close ends the body
        $self->{raw_chunks} = ($req->{version} // '1.1') ne '1.1';
        if ($self->{raw_chunks}) {
            $close = 1;
        } else {
            push @h, [ 'Transfer-Encoding', 'chunked' ];
        }
        $self->{chunks} = [ @{ $resp->{chunks} } ] unless $resp->{head_only};
    } else {
        my $len = 0;
        if ($resp->{segments}) {
            $len += $_->[2] for @{ $resp->{segments} };
            $self->{segments} = [ @{ $resp->{segments} } ]
                unless $resp->{head_only};
        } else {
            $len = length($resp->{body} // '');
        }
        if ($resp->{no_length}) {
            $close = 1;
        } else {
            push @h, [ 'Content-Length', $resp->{length} // $len ]
                unless $status == 204 || $status == 304;
        }
    }
    push @h, [ 'Connection', $close ? 'close' : 'keep-alive' ];

    my $head = "HTTP/1.1 $status " . ($REASON{$status} // 'Unknown') . "\r\n"
             . join('', map { "$_->[0]: $_->[1]\r\n" } @h) . "\r\n";
    $self->{wbuf} = $head;
    $self->{wbuf} .= $resp->{body}
        if defined $resp->{body} && !$resp->{head_only} && !$resp->{chunks};
    $self->{woff} = 0;
    $self->{close_after} = $close;
    $self->{state} = 'write';
    $self->{resp} = $resp;
    $self->next_chunk if $self->{chunks};
    $self->try_write;
}

sub next_chunk {
    my ($self) = @_;
    my $c = shift @{ $self->{chunks} };
    if (!$c) {
        $self->{chunks} = undef;
        $self->append("0\r\n\r\n") unless $self->{raw_chunks};
        return;
    }
    my ($delay, $data) = @$c;
    my $send = sub {
        if (length $data) {
            $self->append($self->{raw_chunks} ? $data
                : sprintf("%x\r\n", length $data) . "$data\r\n");
        }
        $self->next_chunk;
    };
    if ($delay && $delay > 0) {
        $self->{chunk_wait} = 1;
        $self->timer($delay, sub {
            $self->{chunk_wait} = 0;
            $send->();
            $self->try_write;
        });
    } else {
        $send->();
    }
}

sub append {
    my ($self, $data) = @_;
    if ($self->{woff} >= length $self->{wbuf}) {
        $self->{wbuf} = $data;
        $self->{woff} = 0;
    } else {
        $self->{wbuf} .= $data;
    }
}

sub refill {
    my ($self) = @_;
    while (my $seg = $self->{segments}[0]) {
        my ($file, $off, $len) = @$seg;
        if ($len <= 0) {
            shift @{ $self->{segments} };
            CORE::close($self->{seg_fh}) if $self->{seg_fh};
            $self->{seg_fh} = undef;
            next;
        }
        if (!$self->{seg_fh}) {
            open my $fh, '<:raw', $file
                or return $self->close("cannot open $file: $!");
            sysseek $fh, $off, 0;
            $self->{seg_fh} = $fh;
        }
        my $want = $len < WRITE_SIZE ? $len : WRITE_SIZE;
        my $data;
        my $n = sysread $self->{seg_fh}, $data, $want;
        return $self->close("short read from $file") unless $n;
        $seg->[1] += $n;
        $seg->[2] -= $n;
        $self->{wbuf} = $data;
        $self->{woff} = 0;
        return 1;
    }
    return 0;
}

sub try_write {
    my ($self) = @_;
    while (!$self->{closed}) {
        if ($self->{woff} >= length $self->{wbuf}) {
            $self->{wbuf} = '';
            $self->{woff} = 0;
            next if $self->refill;
            return if $self->{closed};
            if ($self->{chunks} || $self->{chunk_wait}) {
                $self->{loop}->unwatch_write($self->{fh});
                return;
            }
            return $self->response_done;
        }
        my $n = syswrite $self->{fh}, $self->{wbuf},
            length($self->{wbuf}) - $self->{woff}, $self->{woff};
        if (!defined $n) {
            if ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR) {
                $self->{loop}->watch_write($self->{fh},
                                           sub { $self->try_write });
                return;
            }
            return $self->close("write error: $!");
        }
        $self->{woff} += $n;
    }
}

sub response_done {
    my ($self) = @_;
    $self->{loop}->unwatch_write($self->{fh});
    my $req = $self->{req};
    $self->{app}->on_sent($self, $req) if $self->{app}->can('on_sent');
    return $self->close if $self->{close_after};
    $self->{state} = 'head';
    $self->{req} = $self->{plan} = $self->{resp} = undef;
    if ($self->{paused}) {
        $self->{paused} = 0;
        $self->{loop}->watch_read($self->{fh}, sub { $self->on_readable });
    }
    $self->timer(0, sub { $self->process }) if length $self->{rbuf};
}


# ---- closing ----

sub reset {
    my ($self, $why) = @_;
    setsockopt $self->{fh}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0);
    $self->{was_reset} = 1;
    $self->close($why);
}

sub close {
    my ($self, $why) = @_;
    return if $self->{closed};
    $self->{closed} = 1;
    $self->{loop}->cancel($_) for keys %{ $self->{timers} };
    $self->{timers} = {};
    my $plan = $self->{plan};
    my $req = $self->{req};
    if ($plan && $plan->{sink} && $req && !$req->{body_complete}) {
        $plan->{sink}->abort;
    }
    CORE::close($self->{seg_fh}) if $self->{seg_fh};
    $self->{loop}->forget($self->{fh});
    CORE::close($self->{fh});
    $self->{app}->on_close($self, $req, $why)
        if $self->{app}->can('on_close');
    $self->{req} = $self->{plan} = undef;
}

1;

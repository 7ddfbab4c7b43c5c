package VodEmulator::Client;

# A small blocking HTTP/1.1 client for tests: any Host header, raw
# control of headers and body (Content-Length or chunked), optional
# keep-alive, a deadline on every read. Connection errors come back as
# { error => ... }, never as a die.

use strict;
use warnings;

use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes ();

sub new {
    my ($class, %a) = @_;
    return bless { host => $a{host} // '127.0.0.1', port => $a{port},
                   timeout => $a{timeout} // 10,
                   keep_alive => $a{keep_alive} // 0 }, $class;
}

sub close {
    my ($self) = @_;
    CORE::close($self->{sock}) if $self->{sock};
    $self->{sock} = undef;
}

sub connect {
    my ($self) = @_;
    return $self->{sock} if $self->{sock};
    $self->{sock} = IO::Socket::INET->new(PeerAddr => $self->{host},
        PeerPort => $self->{port}, Proto => 'tcp',
        Timeout => $self->{timeout});
    $self->{connects}++ if $self->{sock};
    return $self->{sock};
}

# request(method => 'PUT', target => '/a?b', headers => [[k, v]...],
#         body => $bytes | chunks => [$c1, $c2...], head => 1 (HEAD-like:
#         no body expected))
sub request {
    my ($self, %r) = @_;
    my $sock = $self->connect
        or return { error => "connect $self->{host}:$self->{port}: $!" };
    my @h = @{ $r{headers} // [] };
    my %have = map { lc $_->[0] => 1 } @h;
    push @h, [ 'Host', "$self->{host}:$self->{port}" ] unless $have{host};
    if ($r{chunks}) {
        push @h, [ 'Transfer-Encoding', 'chunked' ]
            unless $have{'transfer-encoding'};
    } elsif (defined $r{body} && !$have{'content-length'}) {
        push @h, [ 'Content-Length', length $r{body} ];
    }
    push @h, [ 'Connection', $self->{keep_alive} ? 'keep-alive' : 'close' ]
        unless $have{connection};
    my $out = "$r{method} $r{target} HTTP/1.1\r\n"
            . join('', map { "$_->[0]: $_->[1]\r\n" } @h) . "\r\n";
    if ($r{chunks}) {
        $out .= sprintf("%x\r\n%s\r\n", length $_, $_)
            for grep { length } @{ $r{chunks} };
        $out .= "0\r\n\r\n";
    } elsif (defined $r{body}) {
        $out .= $r{body};
    }
    my $err = $self->write_all($out);
    return $self->fail($err) if $err;
    my $resp = $self->read_response($r{method} eq 'HEAD' || $r{head});
    $self->close if $resp->{error} || !$self->{keep_alive}
        || lc($resp->{headers}{connection} // '') eq 'close';
    return $resp;
}

sub fail {
    my ($self, $err) = @_;
    $self->close;
    return { error => $err };
}

sub write_all {
    my ($self, $data) = @_;
    my $off = 0;
    local $SIG{PIPE} = 'IGNORE';
    while ($off < length $data) {
        my $n = syswrite $self->{sock}, $data, length($data) - $off, $off;
        return "write: $!" unless defined $n;
        $off += $n;
    }
    return;
}

sub fill {
    my ($self, $buf, $deadline) = @_;
    my $sel = IO::Select->new($self->{sock});
    my $left = $deadline - Time::HiRes::time();
    return 'timeout' if $left <= 0 || !$sel->can_read($left);
    my $n = sysread $self->{sock}, $$buf, 1 << 20, length $$buf;
    return "read: $!" unless defined $n;
    return 'eof' if $n == 0;
    return;
}

sub read_response {
    my ($self, $no_body) = @_;
    my $deadline = Time::HiRes::time() + $self->{timeout};
    my $buf = $self->{rest} // '';
    $self->{rest} = '';
    my ($status, $reason, %h, @list);
    while (1) {
        my $end = index $buf, "\r\n\r\n";
        if ($end < 0) {
            my $e = $self->fill(\$buf, $deadline);
            return { error => $e eq 'eof' && $buf eq ''
                     ? 'connection closed' : $e, partial => $buf } if $e;
            next;
        }
        my $head = substr $buf, 0, $end + 4, '';
        my @lines = split /\r\n/, $head;
        ($status, $reason) = shift(@lines) =~ m{^HTTP/\d\.\d (\d{3}) ?(.*)$}
            or return { error => 'bad status line' };
        next if $status == 100;
        for (@lines) {
            my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
            push @list, [ $k, $v ];
            $h{ lc $k } = exists $h{ lc $k } ? "$h{lc $k}, $v" : $v;
        }
        last;
    }
    my $resp = { status => $status + 0, reason => $reason, headers => \%h,
                 header_list => \@list, body => '' };
    return $resp if $no_body || $status == 204 || $status == 304;

    if (lc($h{'transfer-encoding'} // '') eq 'chunked') {
        my $body = '';
        while (1) {
            my $i = index $buf, "\r\n";
            if ($i < 0) {
                my $e = $self->fill(\$buf, $deadline);
                return { %$resp, error => $e, body => $body } if $e;
                next;
            }
            my $size = hex substr($buf, 0, $i);
            if (length($buf) < $i + 2 + $size + 2) {
                my $e = $self->fill(\$buf, $deadline);
                return { %$resp, error => $e, body => $body } if $e;
                next;
            }
            $body .= substr $buf, $i + 2, $size;
            substr $buf, 0, $i + 2 + $size + 2, '';
            last if $size == 0;
        }
        $resp->{body} = $body;
    } elsif (defined(my $len = $h{'content-length'})) {
        while (length $buf < $len) {
            my $e = $self->fill(\$buf, $deadline);
            return { %$resp, error => $e, body => $buf } if $e;
        }
        $resp->{body} = substr $buf, 0, $len, '';
    } else {
        while (1) {
            my $e = $self->fill(\$buf, $deadline);
            last if $e && $e eq 'eof';
            return { %$resp, error => $e, body => $buf } if $e;
        }
        $resp->{body} = $buf;
        $buf = '';
    }
    $self->{rest} = $buf;
    return $resp;
}

1;

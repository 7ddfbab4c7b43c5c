package VodEmulator::Push;

# A non-blocking HTTP/1.1 POST on the event loop, for the event callbacks:
# connect, send, read the answer to the end, report (status, error).
# http:// only; one connection per POST (Connection: close).

use strict;
use warnings;

use Errno qw(EAGAIN EINPROGRESS EINTR EWOULDBLOCK);
use IO::Handle ();
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR inet_aton
              pack_sockaddr_in);

# post(loop => $loop, url => $url, body => $bytes, headers => [[k, v]...],
#      timeout => seconds, done => sub { my ($status, $error, $body) })
sub post {
    my ($class, %a) = @_;
    my $self = bless { %a, rbuf => '' }, $class;
    my ($host, $port, $path) = $a{url} =~ m{^http://([^/:?#]+)(?::(\d+))?([^#]*)$}
        or return $self->finish(undef, "not an http:// URL: $a{url}");
    $path = "/$path" unless $path =~ m{^/};
    my $addr = inet_aton($host)
        or return $self->finish(undef, "cannot resolve $host");
    socket(my $fh, PF_INET, SOCK_STREAM, 0)
        or return $self->finish(undef, "socket: $!");
    $fh->blocking(0);
    $self->{fh} = $fh;
    my $hostport = defined $port ? "$host:$port" : $host;
    $self->{wbuf} = "POST $path HTTP/1.1\r\nHost: $hostport\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @{ $a{headers} // [] })
        . 'Content-Length: ' . length($a{body}) . "\r\n"
        . "Connection: close\r\n\r\n$a{body}";
    if (!connect($fh, pack_sockaddr_in($port // 80, $addr))
        && $! != EINPROGRESS && $! != EWOULDBLOCK) {
        return $self->finish(undef, "connect: $!");
    }
    $self->{timer} = $a{loop}->timer($a{timeout} // 10,
        sub { $self->finish(undef, 'timeout') });
    $a{loop}->watch_write($fh, sub { $self->on_writable });
    return $self;
}

sub on_writable {
    my ($self) = @_;
    if (!$self->{connected}) {
        my $err = unpack 'i', getsockopt($self->{fh}, SOL_SOCKET, SO_ERROR);
        if ($err) {
            local $! = $err;
            return $self->finish(undef, "connect: $!");
        }
        $self->{connected} = 1;
    }
    my $n = syswrite $self->{fh}, $self->{wbuf};
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        return $self->finish(undef, "write: $!");
    }
    substr $self->{wbuf}, 0, $n, '';
    return if length $self->{wbuf};
    $self->{loop}->unwatch_write($self->{fh});
    $self->{loop}->watch_read($self->{fh}, sub { $self->on_readable });
}

sub on_readable {
    my ($self) = @_;
    my $n = sysread $self->{fh}, $self->{rbuf}, 65536, length $self->{rbuf};
    if (!defined $n) {
        return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        return $self->finish(undef, "read: $!");
    }
    my ($status) = $self->{rbuf} =~ m{^HTTP/\d\.\d (\d{3})};
    my $end = index $self->{rbuf}, "\r\n\r\n";
    if ($n == 0) {
        return $self->finish(undef, 'connection closed without an answer')
            unless defined $status;
        return $self->finish($status, undef,
            $end >= 0 ? substr($self->{rbuf}, $end + 4) : '');
    }
    return unless defined $status && $end >= 0;
    my $head = substr $self->{rbuf}, 0, $end;
    my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
    return unless defined $len;
    return if length($self->{rbuf}) - $end - 4 < $len;
    $self->finish($status, undef, substr($self->{rbuf}, $end + 4, $len));
}

# reports once, never from inside post() itself (always from the loop)
sub finish {
    my ($self, $status, $error, $body) = @_;
    return $self if $self->{finished}++;
    my $loop = $self->{loop};
    $loop->cancel($self->{timer});
    if ($self->{fh}) {
        $loop->forget($self->{fh});
        close $self->{fh};
    }
    $loop->timer(0, sub { $self->{done}->($status, $error, $body) });
    return $self;
}

1;

package VodEmulator::Listener;

# A callback receiver for tests: listens on 127.0.0.1:<free port> and,
# when asked, accepts one request, answers it and returns it. Blocking,
# with a deadline: the emulator's pushes wait in the socket until then.
#
#   my $l = VodEmulator::Listener->new;
#   $emu->config(callback_url => $l->url);
#   my $req = $l->next(status => 200, timeout => 5);   # or undef
#   $req->{method}, $req->{target}, $req->{headers}{...}, $req->{body}

use strict;
use warnings;

use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes ();

sub new {
    my ($class) = @_;
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => 0, Listen => 64, ReuseAddr => 1, Proto => 'tcp')
        or die "listen: $@";
    return bless { sock => $sock, port => $sock->sockport }, $class;
}

sub port { $_[0]{port} }
sub url  { "http://127.0.0.1:$_[0]{port}" . ($_[1] // '/callback') }

sub next {
    my ($self, %o) = @_;
    my $deadline = Time::HiRes::time() + ($o{timeout} // 5);
    my $sel = IO::Select->new($self->{sock});
    my $left = $deadline - Time::HiRes::time();
    return undef unless $left > 0 && $sel->can_read($left);
    my $c = $self->{sock}->accept or return undef;
    my $buf = '';
    my $csel = IO::Select->new($c);
    my ($head, $len);
    while (1) {
        $left = $deadline - Time::HiRes::time();
        return undef unless $left > 0 && $csel->can_read($left);
        sysread($c, $buf, 65536, length $buf) or last;
        my $end = index $buf, "\r\n\r\n";
        next if $end < 0;
        $head //= substr $buf, 0, $end;
        ($len) = $head =~ /^content-length:\s*(\d+)/mi;
        last if length($buf) - $end - 4 >= ($len // 0);
    }
    my $end = index $buf, "\r\n\r\n";
    return undef if $end < 0;
    my @lines = split /\r\n/, substr($buf, 0, $end);
    my ($method, $target) = split / /, shift @lines;
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } @lines;
    my $status = $o{status} // 200;
    my $body = $o{body} // "ok\n";
    syswrite $c, "HTTP/1.1 $status X\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n$body";
    close $c;
    return { method => $method, target => $target, headers => \%h,
             body => substr($buf, $end + 4) };
}

1;

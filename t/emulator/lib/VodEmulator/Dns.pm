package VodEmulator::Dns;

# A minimal DNS server for tests: every A query is answered with one
# address (127.0.0.1 by default), every other type with no answer; it
# remembers the names asked.  Enough for nginx's resolver to find
# vod.tencentcloudapi.com and <bucket>.cos.<region>.myqcloud.com on this
# machine.
#
#   my $dns = VodEmulator::Dns->start;     # a child process
#   $dns->port;  $dns->names;  $dns->stop;

use strict;
use warnings;

use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes ();

sub start {
    my ($class, %o) = @_;
    my $addr = $o{address} // '127.0.0.1';

    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'udp')
        or die "dns: cannot bind: $!\n";
    my $port = $sock->sockport;

    pipe my $names_r, my $names_w or die "dns: pipe: $!\n";

    my $pid = fork // die "dns: fork: $!\n";

    if ($pid == 0) {
        close $names_r;
        $names_w->autoflush(1);
        serve($sock, $addr, $names_w, getppid());
        POSIX::_exit(0);
    }

    close $sock;
    close $names_w;
    $names_r->blocking(0);

    return bless { pid => $pid, port => $port, names_r => $names_r,
                   names => [] }, $class;
}

sub port { $_[0]{port} }

# the names asked so far, in order
sub names {
    my ($self) = @_;
    while (defined(my $line = readline $self->{names_r})) {
        chomp $line;
        push @{ $self->{names} }, $line;
    }
    return @{ $self->{names} };
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'TERM', $pid;
    waitpid $pid, 0;
}

sub DESTROY {
    local ($?, $!, $@);
    $_[0]->stop;
}

sub serve {
    my ($sock, $addr, $out, $parent) = @_;
    my $ip = pack 'C4', split /\./, $addr;

    $SIG{TERM} = sub { POSIX::_exit(0) };

    while (1) {
        my $rin = '';
        vec($rin, fileno $sock, 1) = 1;
        my $n = select(my $rout = $rin, undef, undef, 1);

        POSIX::_exit(0) if getppid() != $parent;
        next unless $n && $n > 0;

        my $from = $sock->recv(my $q, 512) // next;
        next if length $q < 12;

        my ($id, $flags, $qd) = unpack 'n n n', $q;
        my ($name, $end) = read_name($q, 12) or next;
        my ($type, $class) = unpack 'n n', substr($q, $end, 4);
        my $question = substr $q, 12, $end + 4 - 12;

        print {$out} "$name\n";

        my $answers = ($type == 1) ? 1 : 0;
        my $reply = pack('n n n n n n', $id, 0x8180, 1, $answers, 0, 0)
                    . $question;

        # the answer's name: a pointer to the question's (offset 12)
        $reply .= pack('n n n N n', 0xc00c, 1, 1, 30, 4) . $ip if $answers;

        $sock->send($reply, 0, $from);
    }
}

sub read_name {
    my ($q, $pos) = @_;
    my @labels;

    while ($pos < length $q) {
        my $len = ord substr $q, $pos, 1;
        $pos++;
        return (join('.', @labels), $pos) if $len == 0;
        return if $len > 63;
        push @labels, substr $q, $pos, $len;
        $pos += $len;
    }

    return;
}

1;

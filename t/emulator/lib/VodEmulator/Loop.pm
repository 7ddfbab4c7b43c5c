package VodEmulator::Loop;

# A small select() event loop: read and write watchers on file handles and
# one-shot timers. Nothing in the emulator blocks it: bodies stream through
# it, delays and long polls are timers.

use strict;
use warnings;

use Time::HiRes ();

sub new {
    my ($class) = @_;
    return bless {
        readers => {},     # fileno => [fh, cb]
        writers => {},
        timers  => {},     # id => [when, cb]
        next_id => 1,
        stop    => 0,
    }, $class;
}

sub watch_read {
    my ($self, $fh, $cb) = @_;
    $self->{readers}{ fileno $fh } = [ $fh, $cb ];
}

sub watch_write {
    my ($self, $fh, $cb) = @_;
    $self->{writers}{ fileno $fh } = [ $fh, $cb ];
}

sub unwatch_read {
    my ($self, $fh) = @_;
    my $fd = fileno $fh;
    delete $self->{readers}{$fd} if defined $fd;
}

sub unwatch_write {
    my ($self, $fh) = @_;
    my $fd = fileno $fh;
    delete $self->{writers}{$fd} if defined $fd;
}

# forget a handle entirely (call before close: fileno is gone afterwards)
sub forget {
    my ($self, $fh) = @_;
    $self->unwatch_read($fh);
    $self->unwatch_write($fh);
}

# run $cb once after $seconds; returns an id for cancel
sub timer {
    my ($self, $seconds, $cb) = @_;
    my $id = $self->{next_id}++;
    $self->{timers}{$id} = [ Time::HiRes::time() + $seconds, $cb ];
    return $id;
}

sub cancel {
    my ($self, $id) = @_;
    delete $self->{timers}{$id} if defined $id;
}

sub stop { $_[0]{stop} = 1 }

sub run {
    my ($self) = @_;
    $self->once until $self->{stop};
}

sub once {
    my ($self) = @_;
    my ($rin, $win) = ('', '');
    vec($rin, $_, 1) = 1 for keys %{ $self->{readers} };
    vec($win, $_, 1) = 1 for keys %{ $self->{writers} };

    my $timeout = $self->next_timeout;
    my ($rout, $wout);
    my $n = select($rout = $rin, $wout = $win, undef, $timeout);
    if ($n < 0) {
        return if $!{EINTR};
        die "vod-emulator: select: $!\n";
    }

    $self->run_timers;
    return if $n <= 0;

    for my $fd (keys %{ $self->{readers} }) {
        next unless vec($rout, $fd, 1);
        my $w = $self->{readers}{$fd} or next;
        guard($w->[1]);
    }
    for my $fd (keys %{ $self->{writers} }) {
        next unless vec($wout, $fd, 1);
        my $w = $self->{writers}{$fd} or next;
        guard($w->[1]);
    }
}

sub next_timeout {
    my ($self) = @_;
    my $min;
    for my $t (values %{ $self->{timers} }) {
        $min = $t->[0] if !defined $min || $t->[0] < $min;
    }
    return 1 unless defined $min;
    my $left = $min - Time::HiRes::time();
    return $left < 0 ? 0 : $left > 1 ? 1 : $left;
}

# a bug in one callback must not stop the emulator: report and go on
sub guard {
    my ($cb) = @_;
    eval { $cb->(); 1 } or warn "vod-emulator: internal error: $@";
}

sub run_timers {
    my ($self) = @_;
    my $now = Time::HiRes::time();
    my @due = sort { $self->{timers}{$a}[0] <=> $self->{timers}{$b}[0] }
              grep { $self->{timers}{$_}[0] <= $now } keys %{ $self->{timers} };
    for my $id (@due) {
        my $t = delete $self->{timers}{$id} or next;
        guard($t->[1]);
    }
}

1;

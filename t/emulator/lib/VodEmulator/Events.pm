package VodEmulator::Events;

# Event notifications, both ways VOD offers them:
#   push  each event POSTed (JSON, without EventHandle) to --callback-url,
#         one at a time in order, at most once; with --callback-sign-key it
#         carries Sign and T (spec section 6)
#   pull  the same events queued for PullEvents (long poll) with an
#         EventHandle; ConfirmEvents removes them; an event not confirmed
#         in time is handed out again, with a new handle

use strict;
use warnings;

use Time::HiRes ();

use VodEmulator::Push;
use VodEmulator::Sign qw(callback_sign);
use VodEmulator::Util qw(json_encode random_hex);

use constant MAX_PULL => 16;

sub new {
    my ($class, $srv) = @_;
    my $self = bless { srv => $srv, seq => 0 }, $class;
    $self->reset;
    return $self;
}

sub reset {
    my ($self) = @_;
    $self->{list} = [];
    $self->{by_handle} = {};
    my $waiting = $self->{waiters} // [];
    $self->{waiters} = [];
    for my $w (@$waiting) {            # answered now, with nothing
        $self->{srv}{loop}->cancel($w->{timer});
        $w->{cb}->();
    }
    $self->{queue} = [];
}

sub list { $_[0]{list} }

# $content: the event's own member, e.g. { FileUploadEvent => {...} }
sub emit {
    my ($self, $type, $content, %meta) = @_;
    my $ev = {
        seq        => ++$self->{seq},
        type       => $type,
        content    => { EventType => $type, %$content },
        sub_app_id => $meta{sub_app_id} // 0,
        file_id    => $meta{file_id},
        task_id    => $meta{task_id},
        created    => $self->{srv}->now,
        pull_state => 'ready',
        pulls      => 0,
    };
    push @{ $self->{list} }, $ev;
    if (defined $self->{srv}{cfg}{callback_url}) {
        $ev->{push} = { state => 'queued' };
        push @{ $self->{queue} }, $ev;
        $self->next_push unless $self->{pushing};
    }
    $self->wake;
    return $ev;
}


# ---- push ----

sub next_push {
    my ($self) = @_;
    my $ev = shift @{ $self->{queue} } or return;
    my $cfg = $self->{srv}{cfg};
    my %body = %{ $ev->{content} };
    my $url = $cfg->{callback_url};
    my $push = $ev->{push};
    if (defined(my $key = $cfg->{callback_sign_key})) {
        my $t = int($self->{srv}->now) + 600;
        my $sign = callback_sign($key, $t);
        my $in = $cfg->{callback_sign_in};
        if ($in eq 'body' || $in eq 'both') {
            $body{Sign} = $sign;
            $body{T} = "$t";
        }
        if ($in eq 'query' || $in eq 'both') {
            $url .= (index($url, '?') >= 0 ? '&' : '?') . "Sign=$sign&T=$t";
        }
        @$push{qw(sign t)} = ($sign, $t);
    }
    @$push{qw(state url)} = ('sending', $url);
    $self->{pushing} = 1;
    my $started = Time::HiRes::time();
    VodEmulator::Push->post(
        loop    => $self->{srv}{loop},
        url     => $url,
        body    => json_encode(\%body),
        headers => [ [ 'Content-Type', 'application/json' ],
                     [ 'User-Agent', 'vod-emulator' ] ],
        timeout => $cfg->{callback_timeout},
        done    => sub {
            my ($status, $error) = @_;
            $push->{state} = 'done';
            $push->{status} = defined $status ? $status + 0 : undef;
            $push->{error} = $error;
            $push->{ms} = int((Time::HiRes::time() - $started) * 1000);
            $self->{srv}->log_line("push $ev->{type} -> $url: "
                . ($status // "failed ($error)"));
            $self->{pushing} = 0;
            $self->next_push;
        },
    );
}


# ---- pull ----

sub matches {
    my ($ev, $sub, $t) = @_;
    return 0 unless $ev->{sub_app_id} == $sub;
    return 1 if $ev->{pull_state} eq 'ready';
    return $ev->{pull_state} eq 'inflight' && $ev->{deadline} <= $t;
}

# up to 16 events to hand out now (each gets a new handle)
sub take_ready {
    my ($self, $sub) = @_;
    my $t = Time::HiRes::time();
    my @ev = grep { matches($_, $sub, $t) } @{ $self->{list} };
    splice @ev, MAX_PULL if @ev > MAX_PULL;
    my $wait = $self->{srv}{cfg}{confirm_timeout};
    for my $ev (@ev) {
        delete $self->{by_handle}{ $ev->{handle} } if $ev->{handle};
        $ev->{handle} = 'EventHandle' . random_hex(24);
        $ev->{pull_state} = 'inflight';
        $ev->{deadline} = $t + $wait;
        $ev->{pulls}++;
        $self->{by_handle}{ $ev->{handle} } = $ev;
    }
    $self->{srv}{loop}->timer($wait + 0.01, sub { $self->wake }) if @ev;
    return @ev;
}

# a PullEvents that found nothing: answered by the next event or, after
# --pull-wait, with an empty EventSet
sub wait_for {
    my ($self, $sub, $req, $cb) = @_;
    my $w = { sub => $sub, req => $req, cb => $cb };
    $w->{timer} = $self->{srv}{loop}->timer($self->{srv}{cfg}{pull_wait},
        sub {
            $self->drop_waiter($req);
            $cb->();
        });
    push @{ $self->{waiters} }, $w;
}

sub drop_waiter {
    my ($self, $req) = @_;
    my @keep;
    for my $w (@{ $self->{waiters} }) {
        if ($w->{req} == $req) {
            $self->{srv}{loop}->cancel($w->{timer});
        } else {
            push @keep, $w;
        }
    }
    $self->{waiters} = \@keep;
}

sub wake {
    my ($self) = @_;
    for my $w (@{ $self->{waiters} }) {
        my @ev = $self->take_ready($w->{sub}) or next;
        $self->drop_waiter($w->{req});
        $w->{cb}->(@ev);
    }
}

sub can_confirm {
    my ($self, $handle) = @_;
    my $ev = $self->{by_handle}{$handle};
    return $ev && $ev->{pull_state} eq 'inflight'
        && $ev->{deadline} > Time::HiRes::time();
}

sub confirm {
    my ($self, $handle) = @_;
    my $ev = delete $self->{by_handle}{$handle} or return;
    $ev->{pull_state} = 'confirmed';
}

# for the inspection endpoint
sub summary {
    my ($self) = @_;
    return [ map {
        {
            seq        => $_->{seq},
            type       => $_->{type},
            file_id    => $_->{file_id},
            task_id    => $_->{task_id},
            sub_app_id => $_->{sub_app_id},
            created    => $_->{created},
            push       => $_->{push},
            pull_state => $_->{pull_state},
            pulls      => $_->{pulls},
            handle     => $_->{handle},
            content    => $_->{content},
        }
    } @{ $self->{list} } ];
}

1;

package VodEmulator::Admin;

# The control endpoint for tests, on any Host, paths /__emulator/...:
#   GET    /__emulator/health          {"ok":true,...}
#   GET    /__emulator/state           everything, as JSON (?md5=0: do not
#                                      hash multipart objects; ?requests=0)
#   POST   /__emulator/reset           forget everything, faults included
#   GET    /__emulator/faults          the faults and their hits
#   POST   /__emulator/faults          add faults: an object, an array, or
#                                      {"faults":[...],"clock_skew_seconds":N}
#   DELETE /__emulator/faults          remove every fault
#   POST   /__emulator/clock           {"skew_seconds":N}
#   POST   /__emulator/config          change settings at run time
#   POST   /__emulator/event           queue and push an event as given
#   POST   /__emulator/media           a media file, known by its FileId
#                                      (for events written by hand)
#   ANY    /__emulator/app             an application backend for tests:
#                                      recorded, answered app_status

use strict;
use warnings;

use VodEmulator::Util qw(json_encode json_decode);

my %CONFIG = map { $_ => 1 } qw(callback_url callback_sign_key
    callback_sign_in cert_lifetime task_delay_ms pull_wait_ms
    confirm_timeout_ms callback_timeout_ms answer_bucket answer_media_path
    answer_token app_status list_page_max);

sub new {
    my ($class, $srv) = @_;
    return bless { srv => $srv }, $class;
}

sub route {
    my ($self, $req) = @_;
    return {
        op   => undef,
        body => 'buffer',
        max  => 4 * 1024 * 1024,
        done => sub { $self->handle($req) },
    };
}

sub json {
    my ($self, $status, $data) = @_;
    return {
        status  => $status,
        headers => [ [ 'Content-Type', 'application/json' ] ],
        body    => json_encode(chars($data)) . "\n",
    };
}

sub fail {
    my ($self, $status, $message) = @_;
    chomp $message;
    return $self->json($status, { error => $message });
}

sub handle {
    my ($self, $req) = @_;
    my ($what) = $req->{path} =~ m{^/__emulator/([a-z]+)/?$}
        or return $self->fail(404, "no such control path $req->{path}");
    my $m = $req->{method};
    return $self->app($req) if $what eq 'app';
    my $body;
    if ($m eq 'POST') {
        return $self->fail(413, 'body too large') if $req->{too_large};
        $body = length $req->{body} ? json_decode($req->{body}) : {};
        return $self->fail(400, 'the body is not JSON') unless defined $body;
    }
    my $sub = $self->can(lc($m) . "_$what")
        or return $self->fail(405, "$m /__emulator/$what is not supported");
    return $self->$sub($req, $body);
}

sub get_health {
    my ($self) = @_;
    my $srv = $self->{srv};
    return $self->json(200, { ok => JSON::PP::true, address => $srv->address,
                              pid => $$ });
}

sub post_reset {
    my ($self) = @_;
    $self->{srv}->reset;
    return $self->json(200, { ok => JSON::PP::true });
}

sub get_faults {
    my ($self) = @_;
    my $srv = $self->{srv};
    return $self->json(200, { faults => $srv->{faults}->list,
                              clock_skew_seconds => $srv->{skew} });
}

sub post_faults {
    my ($self, $req, $body) = @_;
    my $srv = $self->{srv};
    my @specs;
    if (ref $body eq 'ARRAY') {
        @specs = @$body;
    } elsif (ref $body eq 'HASH' && !exists $body->{op}) {
        @specs = @{ $body->{faults} // [] };
        if (exists $body->{clock_skew_seconds}) {
            my $s = $body->{clock_skew_seconds};
            return $self->fail(400, 'clock_skew_seconds must be an integer')
                unless defined $s && $s =~ /^-?\d+$/;
            $srv->{skew} = $s + 0;
        }
        my %known = (faults => 1, clock_skew_seconds => 1);
        for (keys %$body) {
            return $self->fail(400, "unknown key '$_'") unless $known{$_};
        }
    } else {
        @specs = ($body);
    }
    my @added;
    for my $spec (@specs) {
        my $f = eval { $srv->{faults}->add($spec) };
        return $self->fail(400, $@) unless $f;
        push @added, $f;
    }
    return $self->json(200, { added => \@added,
                              faults => $srv->{faults}->list,
                              clock_skew_seconds => $srv->{skew} });
}

sub delete_faults {
    my ($self) = @_;
    $self->{srv}{faults}->clear;
    return $self->json(200, { faults => [] });
}

sub post_clock {
    my ($self, $req, $body) = @_;
    my $s = ref $body eq 'HASH' ? $body->{skew_seconds} : undef;
    return $self->fail(400, 'give {"skew_seconds": N}')
        unless defined $s && $s =~ /^-?\d+$/;
    $self->{srv}{skew} = $s + 0;
    return $self->json(200, { clock_skew_seconds => $s + 0,
                              now => int $self->{srv}->now });
}

sub post_config {
    my ($self, $req, $body) = @_;
    my $cfg = $self->{srv}{cfg};
    return $self->fail(400, 'give a JSON object') unless ref $body eq 'HASH';
    for my $k (sort keys %$body) {
        return $self->fail(400, "'$k' cannot be changed at run time (one "
            . 'of: ' . join(' ', sort keys %CONFIG) . ')') unless $CONFIG{$k};
    }
    my %new = %$body;
    return $self->fail(400, 'callback_sign_in is body, query or both')
        if defined $new{callback_sign_in}
        && $new{callback_sign_in} !~ /^(?:body|query|both)$/;
    return $self->fail(400, 'callback_url is http://... or null')
        if defined $new{callback_url} && $new{callback_url} !~ m{^http://};
    return $self->fail(400, 'callback_sign_key: letters and digits, at '
                       . 'most 32, or null')
        if defined $new{callback_sign_key}
        && $new{callback_sign_key} !~ /^[A-Za-z0-9]{1,32}$/;
    for my $k (grep { /_ms$|^cert_lifetime$/ } keys %new) {
        return $self->fail(400, "$k must be a non-negative integer")
            unless defined $new{$k} && $new{$k} =~ /^\d+$/;
    }
    return $self->fail(400, 'list_page_max is 1..1000 or null')
        if defined $new{list_page_max} && ($new{list_page_max} !~ /^\d{1,4}$/
        || $new{list_page_max} < 1 || $new{list_page_max} > 1000);
    $cfg->{callback_url} = $new{callback_url} if exists $new{callback_url};
    $cfg->{callback_sign_key} = $new{callback_sign_key}
        if exists $new{callback_sign_key};
    $cfg->{callback_sign_in} = $new{callback_sign_in}
        if defined $new{callback_sign_in};
    $cfg->{cert_lifetime} = $new{cert_lifetime} + 0
        if defined $new{cert_lifetime};

    # for tests of hostile answers: ApplyUpload answers these verbatim
    for my $k (qw(answer_bucket answer_media_path answer_token)) {
        $cfg->{$k} = $new{$k} if exists $new{$k};
    }
    $cfg->{task_delay_ms} = $new{task_delay_ms} + 0
        if defined $new{task_delay_ms};
    return $self->fail(400, 'app_status is 200..599 or null')
        if defined $new{app_status}
        && ($new{app_status} !~ /^\d{3}$/ || $new{app_status} < 200);
    $cfg->{app_status} = $new{app_status} if exists $new{app_status};

    # ListParts and ListMultipartUploads pages of at most this many entries
    # (COS: 1000), so that tests page cheaply; null: back to 1000
    $cfg->{list_page_max} = defined $new{list_page_max}
        ? $new{list_page_max} + 0 : undef if exists $new{list_page_max};
    $cfg->{pull_wait} = $new{pull_wait_ms} / 1000
        if defined $new{pull_wait_ms};
    $cfg->{confirm_timeout} = $new{confirm_timeout_ms} / 1000
        if defined $new{confirm_timeout_ms};
    $cfg->{callback_timeout} = $new{callback_timeout_ms} / 1000
        if defined $new{callback_timeout_ms};
    return $self->json(200, { config => $self->{srv}->public_config });
}

sub post_event {
    my ($self, $req, $body) = @_;
    return $self->fail(400, 'give an event: {"EventType": "...", ...}')
        unless ref $body eq 'HASH' && defined $body->{EventType}
        && !ref $body->{EventType};
    my %content = %$body;
    my $type = delete $content{EventType};
    my $sub = delete $content{SubAppId} // 0;
    my $ev = $self->{srv}{events}->emit($type, \%content,
                                        sub_app_id => $sub);
    return $self->json(200, { seq => $ev->{seq} });
}

# a media file with no bytes, for events written by hand (the examples of
# the documentation): ProcessMedia accepts its FileId
sub post_media {
    my ($self, $req, $body) = @_;
    my $srv = $self->{srv};
    return $self->fail(400, 'give {"FileId": "<digits>", "Name": "...", '
                       . '"Type": "mp4", "SubAppId": N}')
        unless ref $body eq 'HASH' && defined $body->{FileId}
        && $body->{FileId} =~ /^\d{1,32}$/;
    my $id = $body->{FileId};
    my $type = $body->{Type} // 'mp4';
    my $name = $body->{Name} // $id;
    $srv->{media}{$id} = {
        FileId          => $id,
        MediaUrl        => $srv->{cfg}{media_base_url} . "/vod/$id/$name.$type",
        CoverUrl        => '',
        Name            => $name,
        Type            => $type,
        StorageRegion   => $srv->{cfg}{storage_region},
        ClassId         => 0,
        SourceContext   => $body->{SourceContext} // '',
        SessionContext  => '',
        Procedure       => undef,
        ProcedureTaskId => '',
        ExpireTime      => '9999-12-31T23:59:59Z',
        CreateTime      => VodEmulator::Util::iso8601($srv->now),
        sub_app_id      => $body->{SubAppId},
        bucket          => undef,
        key             => undef,
        size            => 0,
        crc64           => 0,
        session_key     => undef,
    };
    return $self->json(200, { FileId => $id });
}

# the application a vod_callback_pass location hands events to: any
# method, any body; the request is kept in the state's "app" list
sub app {
    my ($self, $req) = @_;
    my $srv = $self->{srv};
    my %h = %{ $req->{headers} };
    push @{ $srv->{app} }, {
        method  => $req->{method},
        target  => $req->{target},
        headers => \%h,
        body    => $req->{too_large} ? undef : $req->{body},
    };
    my $status = $srv->{cfg}{app_status} // 200;
    return $self->json($status, { ok => $status < 300 ? JSON::PP::true
                                                      : JSON::PP::false });
}

sub get_state {
    my ($self, $req) = @_;
    my $srv = $self->{srv};
    my %q = map { split /=/, $_, 2 } grep { /=/ } split /&/, $req->{query};
    my $md5 = ($q{md5} // 1) ne '0';
    my $store = $srv->{store};

    my @objects = map {
        {
            bucket       => $_->{bucket},
            key          => $_->{key},
            size         => $_->{size},
            md5          => $md5 ? $store->object_md5($_) : $_->{md5},
            crc64        => "$_->{crc64}",
            etag         => $_->{etag},
            parts        => $_->{parts},
            content_type => $_->{content_type},
            mtime        => $_->{mtime},
        }
    } sort { $a->{bucket} cmp $b->{bucket} || $a->{key} cmp $b->{key} }
      $store->objects;

    my @uploads = map {
        my $u = $_;
        {
            bucket    => $u->{bucket},
            key       => $u->{key},
            upload_id => $u->{id},
            initiated => $u->{initiated},
            parts     => [ map {
                my $p = $u->{parts}{$_};
                { number => $p->{number}, size => $p->{size},
                  md5 => $p->{md5}, crc64 => "$p->{crc64}",
                  etag => $p->{etag} }
            } sort { $a <=> $b } keys %{ $u->{parts} } ],
        }
    } sort { $a->{initiated} <=> $b->{initiated} } $store->uploads;

    my @sessions = map {
        my $s = $_;
        {
            vod_session_key => $s->{key},
            bucket          => $s->{bucket},
            region          => $s->{region},
            media_path      => $s->{media_path},
            cover_path      => $s->{cover_path},
            media_type      => $s->{media_type},
            cover_type      => $s->{cover_type},
            media_name      => $s->{media_name},
            procedure       => $s->{procedure},
            class_id        => $s->{class_id},
            source_context  => $s->{source_context},
            session_context => $s->{session_context},
            expire_time     => $s->{expire_time},
            sub_app_id      => $s->{sub_app_id},
            committed       => $s->{committed} ? JSON::PP::true
                                               : JSON::PP::false,
            file_id         => $s->{file_id},
            secret_id       => $s->{cert}{secret_id},
            expired_time    => $s->{cert}{expired_time},
            created         => $s->{created},
        }
    } sort { $a->{created} <=> $b->{created} } values %{ $srv->{sessions} };

    my @media = map {
        my %m = %$_;
        my $obj = defined $m{bucket} ? $store->get_object($m{bucket}, $m{key})
                                     : undef;
        $m{md5} = $md5 && $obj ? $store->object_md5($obj) : undef;
        $m{crc64} = "$m{crc64}";
        $m{SubAppId} = delete $m{sub_app_id};
        \%m;
    } sort { $a->{FileId} cmp $b->{FileId} } values %{ $srv->{media} };

    return $self->json(200, {
        address            => $srv->address,
        now                => int $srv->now,
        clock_skew_seconds => $srv->{skew},
        config             => $srv->public_config,
        objects            => \@objects,
        uploads            => \@uploads,
        sessions           => \@sessions,
        media              => \@media,
        tasks              => $srv->{tasks},
        events             => $srv->{events}->summary,
        faults             => $srv->{faults}->list,
        app                => $srv->{app} // [],
        requests           => ($q{requests} // 1) ne '0'
                              ? $srv->{requests} : [],
    });
}

# byte strings (keys, header values) to characters, for JSON
sub chars {
    my ($v) = @_;
    if (ref $v eq 'HASH') {
        return { map { $_ => chars($v->{$_}) } keys %$v };
    }
    if (ref $v eq 'ARRAY') {
        return [ map { chars($_) } @$v ];
    }
    if (defined $v && !ref $v && !utf8::is_utf8($v) && $v =~ /[\x80-\xff]/) {
        my $c = $v;
        utf8::decode($c);
        return $c;
    }
    return $v;
}

1;

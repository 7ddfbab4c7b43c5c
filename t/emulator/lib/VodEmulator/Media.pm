package VodEmulator::Media;

# VOD's side of the emulator: upload sessions and their temporary
# credentials, the buckets they name, committed media with the URLs the
# emulator serves (MediaUrl, CoverUrl, transcode outputs), and the tasks
# (a Procedure after CommitUpload, ProcessMedia) that end in
# ProcedureStateChanged events.

use strict;
use warnings;

use VodEmulator::Sign qw(cos_urlencode uri_decode);
use VodEmulator::Util qw(random_hex random_chars iso8601);

my %CONTENT_TYPE = (
    mp4 => 'video/mp4', m4v => 'video/mp4', mov => 'video/quicktime',
    webm => 'video/webm', mkv => 'video/x-matroska', flv => 'video/x-flv',
    ts => 'video/mp2t', m3u8 => 'application/vnd.apple.mpegurl',
    mp3 => 'audio/mpeg', m4a => 'audio/mp4', aac => 'audio/aac',
    wav => 'audio/wav', flac => 'audio/flac', ogg => 'audio/ogg',
    jpg => 'image/jpeg', jpeg => 'image/jpeg', png => 'image/png',
    gif => 'image/gif', bmp => 'image/bmp', tiff => 'image/tiff',
    webp => 'image/webp',
);

# the preset transcoding templates: [width, height, container]
my %TEMPLATE = (
    10     => [ 320, 240, 'mp4' ],  20 => [ 640, 480, 'mp4' ],
    30     => [ 1280, 720, 'mp4' ], 40 => [ 1920, 1080, 'mp4' ],
    100010 => [ 640, 360, 'mp4' ],  100020 => [ 960, 540, 'mp4' ],
    100030 => [ 1280, 720, 'mp4' ], 100040 => [ 1920, 1080, 'mp4' ],
    100210 => [ 640, 360, 'm3u8' ], 100220 => [ 960, 540, 'm3u8' ],
    100230 => [ 1280, 720, 'm3u8' ], 100240 => [ 1920, 1080, 'm3u8' ],
);

sub new {
    my ($class, $srv) = @_;
    # FileIds: 19 digits, never the same twice in one run (resets too)
    my $self = bless { srv => $srv, file_seq => 0,
                       file_base => 5285890780000000000
                                    + int(rand 1e9) * 1000 }, $class;
    $self->reset;
    return $self;
}

sub reset {
    my ($self) = @_;
    my $srv = $self->{srv};
    $srv->{loop}->cancel($_) for keys %{ $self->{timers} // {} };
    $self->{timers} = {};
    $srv->{sessions} = {};        # VodSessionKey => session
    $srv->{certs} = {};           # temporary SecretId => certificate
    $srv->{buckets} = {};         # bucket => region
    $srv->{media} = {};           # FileId => media
    $srv->{tasks} = [];
    $srv->{task_sessions} = {};   # ProcessMedia SessionId => TaskId
    $self->{served} = {};         # decoded URL path => what it serves
}

sub content_type { $CONTENT_TYPE{ lc($_[1] // '') } }


# ---- sessions ----

sub bucket_for {
    my ($self, $region) = @_;
    my $forced = $self->{srv}{cfg}{answer_bucket};
    return $forced if defined $forced;
    (my $compact = $region) =~ s/-//g;
    my $bucket = "vodemu$compact-$self->{srv}{cfg}{app_id}";
    $self->{srv}{buckets}{$bucket} = $region;
    return $bucket;
}

# a name usable as the last piece of a key: no / and no control characters
sub clean_name {
    my ($name) = @_;
    $name = random_chars(12) unless defined $name && length $name;
    $name =~ s{[/\x00-\x1f\x7f]}{_}g;
    utf8::encode($name);
    return $name;
}

sub new_session {
    my ($self, %s) = @_;
    my $srv = $self->{srv};
    my $cfg = $srv->{cfg};
    my $dir = random_hex(8) . 'vodemu' . random_hex(6);
    my $name = clean_name($s{media_name});
    my $session = {
        %s,
        key        => random_chars(120, join '', 'A' .. 'Z', 'a' .. 'z',
                                   0 .. 9, '+/='),
        bucket     => $self->bucket_for($s{storage_region}),
        region     => $s{storage_region},
        name       => $name,
        media_path => $cfg->{answer_media_path} // $s{media_path}
                      // "/$dir/$name.$s{media_type}",
        cover_path => $s{cover_type} ? "/$dir/cover.$s{cover_type}" : undef,
        created    => $srv->now,
    };
    my $cert = {
        secret_id    => 'AKID' . random_chars(32),
        secret_key   => random_chars(32),
        token        => random_chars(200, join '', 'A' .. 'Z', 'a' .. 'z',
                                     0 .. 9, '_-'),
        expired_time => int($srv->now) + $cfg->{cert_lifetime},
        session      => $session,
    };
    $session->{cert} = $cert;
    $srv->{sessions}{ $session->{key} } = $session;
    $srv->{certs}{ $cert->{secret_id} } = $cert;
    return $session;
}


# ---- served URLs ----

# the URL of $path (bytes, "/vod/..."), which will serve $what:
# { bucket, key, content_type }
sub serve {
    my ($self, $path, $what) = @_;
    $self->{served}{$path} = $what;
    (my $enc = cos_urlencode($path)) =~ s/%2F/\//g;
    return $self->{srv}{cfg}{media_base_url} . $enc;
}

sub served {
    my ($self, $raw_path) = @_;
    return $self->{served}{ uri_decode($raw_path) };
}


# ---- CommitUpload ----

sub commit_session {
    my ($self, $session, $media_obj, $cover_obj) = @_;
    my $srv = $self->{srv};
    my $file_id = $self->{file_base} + ++$self->{file_seq};
    $file_id = "$file_id";
    my $name = $session->{name};
    my $type = $session->{media_type};
    my $media_url = $self->serve("/vod/$file_id/$name.$type", {
        bucket => $session->{bucket}, key => substr($session->{media_path}, 1),
        content_type => $self->content_type($type) });
    my $cover_url = '';
    if ($cover_obj) {
        $cover_url = $self->serve("/vod/$file_id/cover.$session->{cover_type}",
            { bucket => $session->{bucket},
              key => substr($session->{cover_path}, 1),
              content_type => $self->content_type($session->{cover_type}) });
    }
    my $display = $name;
    utf8::decode($display);

    my $now = $srv->now;
    my $m = {
        FileId          => $file_id,
        MediaUrl        => $media_url,
        CoverUrl        => $cover_url,
        Name            => $display,
        Type            => $type,
        StorageRegion   => $session->{region},
        ClassId         => $session->{class_id} + 0,
        SourceContext   => $session->{source_context},
        SessionContext  => $session->{session_context},
        Procedure       => $session->{procedure},
        ProcedureTaskId => '',
        ExpireTime      => $session->{expire_time} // '9999-12-31T23:59:59Z',
        CreateTime      => iso8601($now),
        sub_app_id      => $session->{sub_app_id},
        bucket          => $session->{bucket},
        key             => substr($session->{media_path}, 1),
        size            => $media_obj->{size},
        crc64           => $media_obj->{crc64},
        session_key     => $session->{key},
    };
    $srv->{media}{$file_id} = $m;
    $session->{committed} = 1;
    $session->{file_id} = $file_id;

    my $defs;
    if (defined $session->{procedure}) {
        my $p = $srv->{cfg}{procedures};
        $defs = $p && $p->{ $session->{procedure} }
            ? $p->{ $session->{procedure} } : $srv->{cfg}{procedure_defs};
        $m->{ProcedureTaskId} = $self->task_id;
    }
    $srv->{events}->emit(NewFileUpload => {
        FileUploadEvent => {
            FileId                 => $file_id,
            MediaBasicInfo         => $self->basic_info($m),
            ProcedureTaskId        => $m->{ProcedureTaskId},
            ReviewAudioVideoTaskId => '',
        },
    }, sub_app_id => $m->{sub_app_id}, file_id => $file_id);

    $self->start_task($m, $defs, task_id => $m->{ProcedureTaskId},
        session_context => $m->{SessionContext}, notify_mode => 'Finish',
        procedure => $m->{Procedure}) if $defs;
    return $m;
}

sub basic_info {
    my ($self, $m) = @_;
    my $class = $m->{ClassId} ? "class-$m->{ClassId}" : "\x{5176}\x{4ed6}";
    return {
        Name         => $m->{Name},
        Description  => '',
        CreateTime   => $m->{CreateTime},
        UpdateTime   => $m->{CreateTime},
        ExpireTime   => $m->{ExpireTime},
        ClassId      => $m->{ClassId},
        ClassName    => $class,
        ClassPath    => $class,
        CoverUrl     => $m->{CoverUrl},
        Type         => $m->{Type},
        MediaUrl     => $m->{MediaUrl},
        TagSet       => [],
        StorageRegion => $m->{StorageRegion},
        SourceInfo   => {
            SourceType    => 'ServerUpload',
            SourceContext => $m->{SourceContext},
        },
        Vid          => $m->{FileId},
    };
}


# ---- tasks ----

sub task_id {
    my ($self) = @_;
    return "$self->{srv}{cfg}{app_id}-procedurev2-" . random_hex(32) . 't0';
}

# runs the transcodes of @$defs on $m: ProcedureStateChanged after
# --task-delay-ms (PROCESSING first with TasksNotifyMode Change, nothing
# with None)
sub start_task {
    my ($self, $m, $defs, %o) = @_;
    my $srv = $self->{srv};
    my $task = {
        TaskId          => $o{task_id} // $self->task_id,
        FileId          => $m->{FileId},
        Definitions     => [ @$defs ],
        Status          => 'WAITING',
        SessionContext  => $o{session_context} // '',
        SessionId       => $o{session_id} // '',
        TasksNotifyMode => $o{notify_mode} // 'Finish',
        TasksPriority   => $o{priority} // 0,
        Procedure       => $o{procedure},
    };
    push @{ $srv->{tasks} }, $task;
    $srv->{task_sessions}{ $task->{SessionId} } = $task->{TaskId}
        if length $task->{SessionId};
    my $delay = $srv->{cfg}{task_delay_ms} / 1000;
    if ($task->{TasksNotifyMode} eq 'Change') {
        $self->later($delay / 2, sub { $self->task_event($m, $task,
                                                        'PROCESSING') });
    }
    $self->later($delay, sub { $self->task_event($m, $task, 'FINISH') });
    return $task->{TaskId};
}

sub later {
    my ($self, $seconds, $cb) = @_;
    my $id;
    $id = $self->{srv}{loop}->timer($seconds, sub {
        delete $self->{timers}{$id};
        $cb->();
    });
    $self->{timers}{$id} = 1;
}

sub task_event {
    my ($self, $m, $task, $status) = @_;
    my $srv = $self->{srv};
    $task->{Status} = $status;
    my $obj = defined $m->{bucket}
              ? $srv->{store}->get_object($m->{bucket}, $m->{key}) : undef;
    my $size = $obj ? $obj->{size} : 0;
    my $md5 = $obj ? $srv->{store}->object_md5($obj) : '';
    my @results;
    for my $d (@{ $task->{Definitions} }) {
        my ($w, $h, $ext) = @{ $TEMPLATE{$d} // [ 640, 360, 'mp4' ] };
        my %t = (Status => $status eq 'FINISH' ? 'SUCCESS' : 'PROCESSING',
                 ErrCode => 0, Message => $status eq 'FINISH' ? 'SUCCESS'
                 : '', Input => { Definition => $d + 0 });
        if ($status eq 'FINISH') {
            my $url = $self->serve("/vod/$m->{FileId}/v.f$d.$ext", {
                bucket => $m->{bucket}, key => $m->{key},
                content_type => $self->content_type($ext) });
            $t{Output} = {
                Url        => $url,
                Size       => $size,
                Container  => $ext eq 'm3u8' ? 'hls,applehttp'
                                             : 'mov,mp4,m4a,3gp,3g2,mj2',
                Height     => $h,
                Width      => $w,
                Bitrate    => 0,
                Md5        => $md5,
                Duration   => 0,
                Definition => 0,
            };
            push @{ $task->{Outputs} }, $url;
        }
        push @results, { Type => 'Transcode', TranscodeTask => \%t };
    }
    return if $task->{TasksNotifyMode} eq 'None';
    $srv->{events}->emit(ProcedureStateChanged => {
        ProcedureStateChangeEvent => {
            TaskId                => $task->{TaskId},
            Status                => $status,
            ErrCode               => 0,
            Message               => '',
            FileId                => $m->{FileId},
            FileName              => $m->{Name},
            FileUrl               => $m->{MediaUrl},
            MetaData              => { Duration => 0, Size => $size,
                                       Width => 0, Height => 0 },
            MediaProcessResultSet => \@results,
            SessionContext        => $task->{SessionContext},
            SessionId             => $task->{SessionId},
            TasksPriority         => $task->{TasksPriority},
            TasksNotifyMode       => $task->{TasksNotifyMode},
        },
    }, sub_app_id => $m->{sub_app_id}, file_id => $m->{FileId},
       task_id => $task->{TaskId});
}

1;

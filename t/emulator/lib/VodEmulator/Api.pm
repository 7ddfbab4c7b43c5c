package VodEmulator::Api;

# The VOD API 3.0 (vod.tencentcloudapi.com, Version 2018-07-17): the TC3
# check of every request, then ApplyUpload, CommitUpload, ProcessMedia,
# PullEvents and ConfirmEvents. Answers are HTTP 200 with the real
# envelope, errors included.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256_hex);

use VodEmulator::Sign qw(parse_tc3_authorization tc3_canonical_request
                         tc3_string_to_sign tc3_signing_key utc_date);
use VodEmulator::Util qw(json_encode json_decode json_is_int json_is_string
                         uuid iso8601 parse_iso8601);

use constant SERVICE     => 'vod';
use constant API_VERSION => '2018-07-17';
use constant MAX_BODY    => 10 * 1024 * 1024;
use constant MAX_SKEW    => 300;

# the message of InvalidParameterValue.VodSessionKey, as the error code
# table of the API documentation words it
use constant VOD_SESSION_INVALID => 'Incorrect parameter value: VOD session.';

our @MEDIA_TYPES = qw(wmv rm mov mpeg mp4 3gp flv avi rmvb ts asf mpg webm
                      mkv m3u8 wm asx ram mpe vob dat mp4v m4v f4v mxf qt
                      ogg mp3 m4a flac wav ra aac amr);
our @COVER_TYPES = qw(jpg jpeg png gif bmp tiff webp);
our @TEMPLATES = qw(10 20 30 40 100010 100020 100030 100040
                    100210 100220 100230 100240);
my %MEDIA_TYPE = map { $_ => 1 } @MEDIA_TYPES;
my %COVER_TYPE = map { $_ => 1 } @COVER_TYPES;

my %PARAMS = (
    ApplyUpload   => [qw(MediaType MediaName CoverType Procedure ExpireTime
                         StorageRegion ClassId SourceContext SessionContext
                         ExtInfo SubAppId MediaStoragePath)],
    CommitUpload  => [qw(VodSessionKey SubAppId ExtInfo)],
    ProcessMedia  => [qw(FileId SubAppId MediaProcessTask AiContentReviewTask
                         AiAnalysisTask AiRecognitionTask TasksPriority
                         TasksNotifyMode SessionContext SessionId ExtInfo)],
    ProcessMediaByProcedure => [qw(FileId SubAppId ProcedureName
                         TasksPriority TasksNotifyMode SessionContext
                         SessionId ExtInfo)],
    PullEvents    => [qw(SubAppId ExtInfo)],
    ConfirmEvents => [qw(EventHandles SubAppId ExtInfo)],
);

my %TASK_SETS = map { $_ => 1 } qw(TranscodeTaskSet AnimatedGraphicTaskSet
    SnapshotByTimeOffsetTaskSet SampleSnapshotTaskSet ImageSpriteTaskSet
    CoverBySnapshotTaskSet AdaptiveDynamicStreamingTaskSet);

sub new {
    my ($class, $srv) = @_;
    return bless { srv => $srv }, $class;
}

sub known_action { exists $PARAMS{ $_[1] } }


# ---- the envelope ----

sub answer {
    my ($self, $fields, %o) = @_;
    my $body = json_encode({ Response => { %$fields, RequestId => uuid() } });
    return {
        status     => $o{status} // 200,
        headers    => [ [ 'Content-Type', 'application/json' ] ],
        body       => $body,
        error_code => $o{error_code},
    };
}

sub error {
    my ($self, $code, $message, $status) = @_;
    return $self->answer({ Error => { Code => $code, Message => $message } },
                         error_code => $code, status => $status);
}

# the parameters of a request an error fault refuses, for the request
# log only (nothing is checked or done)
sub fault_params {
    my ($self, $req) = @_;
    my $params = $req->{too_large} ? undef : json_decode($req->{body});
    $req->{log}{params} = $params if ref $params eq 'HASH';
}

# the answer of an injected fault
sub fault_answer {
    my ($self, $req, $fault) = @_;
    return $self->error($fault->{code} // 'InternalError',
        $fault->{message} // 'injected by the emulator',
        $fault->{status} // 200);
}


# ---- the request ----

sub route {
    my ($self, $req) = @_;
    my $action = $req->{headers}{'x-tc-action'} // '';
    return {
        op   => $self->known_action($action) ? $action : undef,
        body => 'buffer',
        max  => MAX_BODY,
        done => sub { $self->handle($req) },
    };
}

sub handle {
    my ($self, $req) = @_;
    my @err = $self->check($req);
    return $self->error(@err) if @err;

    my $action = $req->{headers}{'x-tc-action'};
    my $params = json_decode($req->{body});
    return $self->error('InvalidParameter',
        'The request body is not a JSON object.')
        unless ref $params eq 'HASH';
    $req->{log}{params} = $params;
    my %known = map { $_ => 1 } @{ $PARAMS{$action} };
    for my $k (sort keys %$params) {
        return $self->error('UnknownParameter',
            "The parameter `$k` is not recognized.") unless $known{$k};
    }
    if (exists $params->{SubAppId}) {
        my @e = $self->check_sub_app_id($params->{SubAppId});
        return $self->error(@e) if @e;
    }
    my $method = "action_$action";
    return $self->$method($req, $params);
}

# the common checks of API 3.0, in this order: form, presence of the
# common headers, signature (id, scope, time, headers, signature), then
# version, action and region values
sub check {
    my ($self, $req) = @_;
    my $h = $req->{headers};
    return ('UnsupportedOperation',
            "The emulator serves POST / only, not $req->{method}.")
        unless $req->{method} eq 'POST';
    return ('InvalidParameter', "The request path must be /, not "
            . "$req->{path}.") unless $req->{path} eq '/';
    return ('RequestSizeLimitExceeded',
            'The request body exceeds 10 MB.') if $req->{too_large};

    for ([ 'X-TC-Action', 'Action' ], [ 'X-TC-Version', 'Version' ],
         [ 'X-TC-Timestamp', 'Timestamp' ]) {
        return ('MissingParameter',
                "The request is missing a required parameter `$_->[1]` "
              . "(header $_->[0]).")
            unless defined $h->{ lc $_->[0] } && length $h->{ lc $_->[0] };
    }
    my $ts = $h->{'x-tc-timestamp'};
    return ('InvalidParameter', "X-TC-Timestamp `$ts` is not unix seconds.")
        unless $ts =~ /^\d{1,12}$/;

    my @e = $self->check_signature($req, $ts);
    return @e if @e;

    return ('NoSuchVersion', "The requested version `$h->{'x-tc-version'}` "
            . "of service `vod` does not exist.")
        unless $h->{'x-tc-version'} eq API_VERSION;
    return ('InvalidAction', "The requested action `$h->{'x-tc-action'}` "
            . "does not exist (the emulator knows: "
            . join(', ', sort keys %PARAMS) . ').')
        unless $self->known_action($h->{'x-tc-action'});
    my $region = $h->{'x-tc-region'};
    if (!defined $region || $region eq '') {
        return ('MissingParameter', 'The request is missing a required '
                . 'parameter `Region` (header X-TC-Region).')
            if $h->{'x-tc-action'} eq 'ApplyUpload'
            && !$self->{srv}{cfg}{region_optional};
    } elsif ($region !~ /^[a-z]+(?:-[a-z0-9]+)+$/) {
        return ('UnsupportedRegion', "The region `$region` is not "
                . 'supported.');
    }
    my $lang = $h->{'x-tc-language'};
    return ('InvalidParameterValue', "X-TC-Language `$lang` is not zh-CN "
            . 'or en-US.')
        if defined $lang && $lang ne 'zh-CN' && $lang ne 'en-US';
    my $ct = $h->{'content-type'} // '';
    return ('InvalidParameter', "The emulator takes JSON bodies only "
            . "(Content-Type application/json), not `$ct`.")
        unless $ct =~ m{^application/json\s*(?:;|$)}i;
    return;
}

sub check_signature {
    my ($self, $req, $ts) = @_;
    my $h = $req->{headers};
    my $srv = $self->{srv};
    my $auth = $h->{authorization};
    return ('AuthFailure.InvalidAuthorization',
            'The Authorization header is missing.')
        unless defined $auth && length $auth;
    my $a = parse_tc3_authorization($auth)
        or return ('AuthFailure.InvalidAuthorization',
                   'The Authorization header is not "TC3-HMAC-SHA256 '
                 . 'Credential=.../date/service/tc3_request, '
                 . 'SignedHeaders=..., Signature=...".');
    $req->{log}{secret_id} = $a->{secret_id};
    $req->{log}{signed_headers} = $a->{signed_headers};

    return ('AuthFailure.SecretIdNotFound',
            "The SecretId `$a->{secret_id}` is not found.")
        unless $a->{secret_id} eq $srv->{cfg}{secret_id};
    my $date = utc_date($ts);
    return ('AuthFailure.SignatureFailure',
            "The credential scope date `$a->{date}` is not the UTC date "
          . "of X-TC-Timestamp $ts ($date).") unless $a->{date} eq $date;
    return ('AuthFailure.SignatureFailure',
            "The credential scope service `$a->{service}` is not `vod`.")
        unless $a->{service} eq SERVICE;
    return ('AuthFailure.SignatureFailure',
            "The credential scope must end in tc3_request, not "
          . "`$a->{terminator}`.") unless $a->{terminator} eq 'tc3_request';

    my $now = $srv->now;
    return ('AuthFailure.SignatureExpire',
            "The signature expired: X-TC-Timestamp $ts and server time "
          . int($now) . ' differ by more than ' . MAX_SKEW . ' seconds.')
        if abs($ts - $now) > MAX_SKEW;

    my @names = split /;/, $a->{signed_headers}, -1;
    my $sorted = join ';', sort @names;
    return ('AuthFailure.SignatureFailure',
            "SignedHeaders `$a->{signed_headers}` must be lower-case, "
          . 'sorted and without repeats.')
        if grep({ $_ ne lc $_ || $_ eq '' } @names)
        || $sorted ne $a->{signed_headers}
        || keys %{ { map { $_ => 1 } @names } } != @names;
    for my $need (qw(content-type host)) {
        return ('AuthFailure.SignatureFailure',
                "SignedHeaders `$a->{signed_headers}` must include $need.")
            unless grep { $_ eq $need } @names;
    }
    for my $n (@names) {
        return ('AuthFailure.SignatureFailure',
                "The signed header `$n` is not in the request.")
            unless defined $h->{$n};
    }

    my $canonical = tc3_canonical_request(method => $req->{method},
        uri => $req->{path}, query => $req->{query}, headers => $h,
        signed_headers => $a->{signed_headers}, payload => $req->{body});
    my $sts = tc3_string_to_sign($ts, SERVICE, $canonical);
    my (undef, $k_signing) = tc3_signing_key($srv->{cfg}{secret_key},
                                             $date, SERVICE);
    my $want = hmac_sha256_hex($sts, $k_signing);
    if ($want ne $a->{signature}) {
        (my $shown = $canonical) =~ s/\n/\\n/g;
        return ('AuthFailure.SignatureFailure',
                'The provided credentials could not be validated. '
              . "The emulator's canonical request: $shown");
    }

    my $token = $h->{'x-tc-token'};
    return ('AuthFailure.TokenFailure',
            'X-TC-Token was given, but the SecretId is a permanent key.')
        if defined $token && length $token;
    return;
}

# SubAppId: a non-negative integer, one of --sub-app-ids when given
sub check_sub_app_id {
    my ($self, $v) = @_;
    return ('InvalidParameterValue.SubAppId',
            'SubAppId must be a non-negative integer.')
        unless json_is_int($v) && $v >= 0;
    my $allowed = $self->{srv}{cfg}{sub_app_ids};
    return ('InvalidParameterValue.SubAppId',
            "The SubAppId $v does not exist.")
        if $allowed && $v != 0 && !grep { $_ == $v } @$allowed;
    return;
}

sub check_string {
    my ($self, $params, $name, %o) = @_;
    my $v = $params->{$name};
    if (!defined $v) {
        return ('MissingParameter',
                "The request is missing a required parameter `$name`.")
            if $o{required};
        return;
    }
    return ('InvalidParameter', "The parameter `$name` must be a string.")
        unless json_is_string($v);
    return ('MissingParameter', "The parameter `$name` is empty.")
        if $o{required} && $v eq '';
    return ($o{code} // 'InvalidParameterValue',
            "`$name` is longer than $o{max} characters.")
        if defined $o{max} && length($v) > $o{max};
    return;
}


# ---- ApplyUpload ----

sub action_ApplyUpload {
    my ($self, $req, $p) = @_;
    my $srv = $self->{srv};
    my $cfg = $srv->{cfg};
    my @e;

    return $self->error(@e) if @e = $self->check_string($p, 'MediaType',
                                                         required => 1);
    my $type = lc $p->{MediaType};
    return $self->error('InvalidParameterValue.MediaType',
        "The media type `$p->{MediaType}` is not supported.")
        unless $MEDIA_TYPE{$type};

    for my $name (qw(MediaName CoverType Procedure ExpireTime StorageRegion
                     ExtInfo MediaStoragePath)) {
        return $self->error(@e) if @e = $self->check_string($p, $name);
    }
    return $self->error(@e) if @e = $self->check_string($p, 'SourceContext',
        max => 250, code => 'InvalidParameterValue.SourceContextTooLong');
    return $self->error(@e) if @e = $self->check_string($p,
        'SessionContext', max => 1000,
        code => 'InvalidParameterValue.SessionContextTooLong');

    my $cover_type;
    if (defined $p->{CoverType} && $p->{CoverType} ne '') {
        $cover_type = lc $p->{CoverType};
        return $self->error('InvalidParameterValue.CoverType',
            "The cover type `$p->{CoverType}` is not supported.")
            unless $COVER_TYPE{$cover_type};
    }

    my $procedure = $p->{Procedure};
    $procedure = undef if defined $procedure && $procedure eq '';
    return $self->error('InvalidParameter.ProcedureNameNotExist',
        "The task flow `$procedure` does not exist.")
        if defined $procedure && $cfg->{procedures}
        && !$cfg->{procedures}{$procedure};

    my $expire;
    if (defined $p->{ExpireTime}) {
        my $t = parse_iso8601($p->{ExpireTime});
        return $self->error('InvalidParameterValue.ExpireTime',
            "ExpireTime `$p->{ExpireTime}` is not ISO 8601 "
          . '(2030-01-01T00:00:00Z or 2030-01-01T08:00:00+08:00).')
            unless defined $t;
        return $self->error('InvalidParameterValue.ExpireTime',
            "ExpireTime `$p->{ExpireTime}` is in the past.")
            if $t <= $srv->now;
        $expire = iso8601($t);
    }

    my $region = $cfg->{storage_region};
    if (defined $p->{StorageRegion} && $p->{StorageRegion} ne '') {
        $region = $p->{StorageRegion};
        return $self->error('InvalidParameter.StorageRegion',
            "The storage region `$region` is not valid.")
            unless $region =~ /^[a-z]+(?:-[a-z0-9]+)+$/ && length $region < 40
            && (!$cfg->{storage_regions}
                || grep { $_ eq $region } @{ $cfg->{storage_regions} });
    }

    if (exists $p->{ClassId}) {
        return $self->error('InvalidParameterValue.ClassId',
            'ClassId must be a non-negative integer.')
            unless json_is_int($p->{ClassId}) && $p->{ClassId} >= 0;
    }

    my $path;
    if (defined $p->{MediaStoragePath} && $p->{MediaStoragePath} ne '') {
        $path = $p->{MediaStoragePath};
        return $self->error('InvalidParameterValue.MediaStoragePath',
            'MediaStoragePath must start with /.') unless $path =~ m{^/.};
        utf8::encode($path);
    }

    my $session = $srv->new_session(
        media_type      => $type,
        media_name      => $p->{MediaName},
        cover_type      => $cover_type,
        procedure       => $procedure,
        expire_time     => $expire,
        storage_region  => $region,
        class_id        => $p->{ClassId} // 0,
        source_context  => $p->{SourceContext} // '',
        session_context => $p->{SessionContext} // '',
        sub_app_id      => $p->{SubAppId},
        media_path      => $path,
    );
    my $cert = $session->{cert};
    my ($media_path, $cover_path) = map {
        my $s = $_;
        utf8::decode($s) if defined $s;
        $s;
    } $session->{media_path}, $session->{cover_path};
    return $self->answer({
        StorageBucket    => $session->{bucket},
        StorageRegion    => $session->{region},
        VodSessionKey    => $session->{key},
        MediaStoragePath => $media_path,
        CoverStoragePath => $cover_path,
        TempCertificate  => {
            SecretId    => $cert->{secret_id},
            SecretKey   => $cert->{secret_key},
            Token       => $self->{srv}{cfg}{answer_token} // $cert->{token},
            ExpiredTime => $cert->{expired_time},
        },
    });
}


# ---- CommitUpload ----

sub action_CommitUpload {
    my ($self, $req, $p) = @_;
    my $srv = $self->{srv};
    my @e;
    return $self->error(@e) if @e = $self->check_string($p, 'VodSessionKey',
                                                         required => 1);
    # an unknown key, one committed already, one of another SubAppId: one
    # answer, the documented one. Nothing in it tells them apart (the
    # FileId of a committed session least of all): a client that lost a
    # commit's answer cannot learn here what VOD did.
    my $session = $srv->{sessions}{ $p->{VodSessionKey} };
    return $self->error('InvalidParameterValue.VodSessionKey',
        VOD_SESSION_INVALID)
        if !$session || $session->{committed}
        || ($p->{SubAppId} // 0) != ($session->{sub_app_id} // 0);

    my $store = $srv->{store};
    my $media = $store->get_object($session->{bucket}, substr(
        $session->{media_path}, 1));
    my $cover = $session->{cover_path} && $store->get_object(
        $session->{bucket}, substr($session->{cover_path}, 1));
    for my $want ([ $media, 'media', $session->{media_path} ],
                  [ $session->{cover_path} ? $cover : 1, 'cover',
                    $session->{cover_path} ]) {
        my ($have, $what, $path) = @$want;
        next if $have;
        my $open = grep { $_->{bucket} eq $session->{bucket}
                          && "/$_->{key}" eq $path } $store->uploads;
        return $self->error('FailedOperation',
            "The $what file was never fully uploaded: no object at "
          . "$path in $session->{bucket}"
          . ($open ? ' (a multipart upload is still open).' : '.'));
    }

    my $m = $srv->commit_session($session, $media, $cover);
    return $self->answer({
        FileId   => $m->{FileId},
        MediaUrl => $m->{MediaUrl},
        CoverUrl => $m->{CoverUrl},
    });
}


# ---- ProcessMedia ----

sub action_ProcessMedia {
    my ($self, $req, $p) = @_;
    my ($media, @e) = $self->task_common($p);
    return $self->error(@e) if @e;

    my ($defs, @err) = $self->check_tasks($p);
    return $self->error(@err) if @err;

    return $self->start($media, $defs, $p);
}

# a task-flow template (as --procedure defines them) on a file
sub action_ProcessMediaByProcedure {
    my ($self, $req, $p) = @_;
    my @e;
    return $self->error(@e) if @e = $self->check_string($p, 'ProcedureName',
                                                         required => 1);
    my ($media, @e2) = $self->task_common($p);
    return $self->error(@e2) if @e2;

    my $name = $p->{ProcedureName};
    my $cfg = $self->{srv}{cfg};
    my $defs = $cfg->{procedures} ? $cfg->{procedures}{$name}
                                  : $cfg->{procedure_defs};
    return $self->error('InvalidParameter.ProcedureNameNotExist',
        "The task flow `$name` does not exist.") unless $defs;

    return $self->start($media, $defs, $p, procedure => $name);
}

# the checks ProcessMedia and ProcessMediaByProcedure share; the media, or
# (undef, code, message)
sub task_common {
    my ($self, $p) = @_;
    my $srv = $self->{srv};
    my @e;
    return (undef, @e) if @e = $self->check_string($p, 'FileId',
                                                   required => 1);
    return (undef, @e) if @e = $self->check_string($p,
        'SessionContext', max => 1000,
        code => 'InvalidParameterValue.SessionContextTooLong');
    return (undef, @e) if @e = $self->check_string($p, 'SessionId',
        max => 50, code => 'InvalidParameterValue.SessionId');
    return (undef, @e) if @e = $self->check_string($p, 'TasksNotifyMode');
    if (defined(my $m = $p->{TasksNotifyMode})) {
        return (undef, 'InvalidParameterValue.TasksNotifyMode',
            "TasksNotifyMode `$m` is not Finish, Change or None.")
            unless $m =~ /^(?:Finish|Change|None)$/;
    }
    if (exists $p->{TasksPriority}) {
        return (undef, 'InvalidParameterValue.TasksPriority',
            'TasksPriority must be an integer from -10 to 10.')
            unless json_is_int($p->{TasksPriority})
            && $p->{TasksPriority} >= -10 && $p->{TasksPriority} <= 10;
    }

    my $media = $srv->{media}{ $p->{FileId} };
    return (undef, 'ResourceNotFound.FileNotExist',
        "The file `$p->{FileId}` does not exist.")
        unless $media && ($media->{sub_app_id} // 0) == ($p->{SubAppId} // 0);

    if (defined $p->{SessionId} && $p->{SessionId} ne '') {
        my $prev = $srv->{task_sessions}{ $p->{SessionId} };
        return (undef, 'InvalidParameterValue.SessionId',
            "A task with SessionId `$p->{SessionId}` was already started "
          . "($prev) in the last 3 days.") if $prev;
    }

    return ($media);
}

sub start {
    my ($self, $media, $defs, $p, %o) = @_;
    my $task_id = $self->{srv}->start_task($media, $defs,
        session_context => $p->{SessionContext} // '',
        session_id      => $p->{SessionId} // '',
        notify_mode     => $p->{TasksNotifyMode} // 'Finish',
        priority        => $p->{TasksPriority} // 0,
        %o);
    return $self->answer({ TaskId => $task_id });
}

# the transcode definitions asked for, or (undef, code, message)
sub check_tasks {
    my ($self, $p) = @_;
    my $mpt = $p->{MediaProcessTask};
    my $ai = grep { defined $p->{$_} }
        qw(AiContentReviewTask AiAnalysisTask AiRecognitionTask);
    return (undef, 'InvalidParameter', 'No task was given '
            . '(MediaProcessTask or an Ai*Task).') unless $mpt || $ai;
    return ([]) unless $mpt;
    return (undef, 'InvalidParameter', 'MediaProcessTask must be an object.')
        unless ref $mpt eq 'HASH';
    my %templates = map { $_ => 1 } @{ $self->{srv}{cfg}{templates} };
    my @defs;
    for my $set (sort keys %$mpt) {
        return (undef, 'UnknownParameter',
                "The parameter `MediaProcessTask.$set` is not recognized.")
            unless $TASK_SETS{$set};
        my $list = $mpt->{$set};
        return (undef, 'InvalidParameter',
                "MediaProcessTask.$set must be an array of objects.")
            unless ref $list eq 'ARRAY' && !grep { ref $_ ne 'HASH' } @$list;
        for my $t (@$list) {
            my $d = $t->{Definition};
            return (undef, 'InvalidParameterValue.Definition',
                    "MediaProcessTask.$set: Definition must be an integer.")
                unless json_is_int($d);
            next unless $set eq 'TranscodeTaskSet';
            return (undef, 'ResourceNotFound.TemplateNotExist',
                    "The transcoding template $d does not exist.")
                unless $templates{$d};
            push @defs, $d + 0;
        }
    }
    return (\@defs);
}


# ---- events ----

sub action_PullEvents {
    my ($self, $req, $p) = @_;
    my $events = $self->{srv}{events};
    my $sub = $p->{SubAppId} // 0;
    my @ev = $events->take_ready($sub);
    return $self->event_set(@ev) if @ev;
    $events->wait_for($sub, $req, sub {
        $self->{srv}->finish($req, $self->event_set(@_));
    });
    return undef;
}

sub event_set {
    my ($self, @ev) = @_;
    my @set = map {
        my %c = (
            EventHandle               => $_->{handle},
            FileUploadEvent           => undef,
            ProcedureStateChangeEvent => undef,
            %{ $_->{content} },
        );
        \%c;
    } @ev;
    return $self->answer({ EventSet => \@set });
}

sub action_ConfirmEvents {
    my ($self, $req, $p) = @_;
    my $h = $p->{EventHandles};
    return $self->error('MissingParameter', 'The request is missing a '
                        . 'required parameter `EventHandles`.')
        unless defined $h;
    return $self->error('InvalidParameter',
        'EventHandles must be an array of strings.')
        unless ref $h eq 'ARRAY' && !grep { !json_is_string($_) } @$h;
    return $self->error('InvalidParameterValue',
        'EventHandles holds at most 16 handles.') if @$h > 16;
    return $self->error('MissingParameter', 'EventHandles is empty.')
        unless @$h;
    my $events = $self->{srv}{events};
    for my $handle (@$h) {
        return $self->error('InvalidParameterValue',
            "The event handle `$handle` is unknown or expired (confirm "
          . 'within the confirm timeout of PullEvents).')
            unless $events->can_confirm($handle);
    }
    $events->confirm($_) for @$h;
    return $self->answer({});
}

1;

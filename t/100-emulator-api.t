# The VOD emulator (t/emulator), part 1: its signature code against every
# known-answer vector, its start and stop, and the VOD API: TC3 checks
# (signed and badly signed requests), ApplyUpload's parameters,
# CommitUpload, ProcessMedia, the envelope.

use strict;
use warnings;
use utf8;

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 qw(md5_hex);
use File::Temp ();
use JSON::PP ();
use Test::More;

use VodEmulator::Control;
use VodEmulator::Crc64 qw(crc64 crc64_combine);
use VodEmulator::Sign qw(tc3_sign cos_sign callback_sign);

my $vectors = do {
    open my $fh, '<', "$FindBin::Bin/unit/vectors.json" or die "vectors.json: $!";
    local $/;
    JSON::PP->new->utf8->decode(scalar <$fh>);
};

subtest 'TC3 vectors' => sub {
    for my $v (@{ $vectors->{tc3} }) {
        my $r = tc3_sign(%$v, headers => { 'x-tc-action' => lc $v->{action} });
        for my $k (qw(payload_sha256 canonical_request_sha256 k_date_hex
                      k_signing_hex signature authorization)) {
            next unless defined $v->{$k};
            is $r->{$k}, $v->{$k}, "$v->{name}: $k";
        }
    }
};

subtest 'COS q-sign vectors' => sub {
    for my $v (@{ $vectors->{cos} }) {
        my $r = cos_sign(%$v);
        for my $k (qw(sign_key header_list url_param_list http_string_sha1
                      signature)) {
            next unless defined $v->{$k};
            is $r->{$k}, $v->{$k}, "$v->{name}: $k";
        }
    }
};

subtest 'callback Sign vectors' => sub {
    is callback_sign($_->{sign_key}, $_->{t}), $_->{sign},
        "key $_->{sign_key}, T $_->{t}" for @{ $vectors->{callback_sign} };
};

subtest 'CRC-64 vectors and combine' => sub {
    for my $v (@{ $vectors->{crc64} }) {
        is crc64($v->{data}), $v->{crc}, "crc64('$v->{data}')";
    }
    my ($a, $b) = ('a' x 1000 . 'x', 'B' x 3333);
    is crc64_combine(crc64($a), crc64($b), length $b), crc64($a . $b),
        'combine of two pieces';
    is crc64($b, crc64($a)), crc64($a . $b), 'continued CRC';
    is crc64_combine(crc64($a), 0, 0), crc64($a), 'combine with empty';
};

subtest 'bad command lines fail clearly' => sub {
    my $out = `$^X $FindBin::Bin/emulator/vod-emulator --secret-id x --secret-key y 2>&1`;
    isnt $?, 0, 'no --data: non-zero exit';
    like $out, qr/--data is required/, 'and says so';
    my $tmp = File::Temp::tempdir(CLEANUP => 1);
    $out = `$^X $FindBin::Bin/emulator/vod-emulator --data $tmp/new --secret-id x --secret-key y --callback-sign-key 'bad key!' 2>&1`;
    like $out, qr/callback-sign-key/, 'a bad sign key is refused';
    mkdir "$tmp/full";
    open my $fh, '>', "$tmp/full/precious" or die $!;
    close $fh;
    $out = `$^X $FindBin::Bin/emulator/vod-emulator --data $tmp/full --secret-id x --secret-key y 2>&1`;
    like $out, qr/not empty/, 'a --data holding other files is refused';
    ok -e "$tmp/full/precious", 'and left alone';
};

my $emu = VodEmulator::Control->start(pull_wait_ms => 50);
ok $emu->port > 0, 'started on a free port: ' . $emu->address;

sub err_code { ($_[0] // {})->{Error} ? $_[0]{Error}{Code} : 'OK' }

sub api_is {
    my ($action, $params, $code, $name, %o) = @_;
    my ($r, $raw) = $emu->api($action, $params, %o);
    is $raw->{status}, $o{http} // 200, "$name: HTTP status";
    is err_code($r), $code, "$name: $code";
    like $r->{RequestId} // '', qr/^[0-9a-f-]{36}$/, "$name: RequestId"
        if $r;
    return $r;
}

subtest 'TC3: signed and badly signed requests' => sub {
    my $p = { MediaType => 'mp4', MediaName => 'sig' };
    my $now = time;
    my $r = api_is(ApplyUpload => $p, 'OK', 'good signature');
    ok $r->{VodSessionKey}, 'an ApplyUpload answer';

    api_is(ApplyUpload => $p, 'OK', 'x-tc-action signed too',
           signed_headers => 'content-type;host;x-tc-action');
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure', 'wrong key',
           secret_key => 'not-the-key');
    api_is(ApplyUpload => $p, 'AuthFailure.SecretIdNotFound', 'unknown id',
           secret_id => 'AKIDunknown');
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureExpire',
           'timestamp 301 s old', timestamp => $now - 301);
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureExpire',
           'timestamp 400 s ahead', timestamp => $now + 400);
    api_is(ApplyUpload => $p, 'OK', 'timestamp 240 s old is fine',
           timestamp => $now - 240);
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'body changed after signing', tamper => sub {
               ${ $_[1] } =~ s/sig/sih/;
           });
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'Content-Type changed after signing', tamper => sub {
               $_->[1] = 'application/json; charset=utf-8'
                   for grep { $_->[0] eq 'Content-Type' } @{ $_[0] };
           });
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'host not in SignedHeaders', signed_headers => 'content-type');
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'SignedHeaders unsorted',
           signed_headers => 'host;content-type');
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'scope names another service', service => 'cvm');
    api_is(ApplyUpload => $p, 'AuthFailure.SignatureFailure',
           'scope date is not the timestamp\'s', tamper => sub {
               $_->[1] =~ s{/\d{4}-\d\d-\d\d/}{/2001-01-01/}
                   for grep { $_->[0] eq 'Authorization' } @{ $_[0] };
           });
    api_is(ApplyUpload => $p, 'AuthFailure.InvalidAuthorization',
           'malformed Authorization', authorization => 'TC3 nonsense');
    api_is(ApplyUpload => $p, 'AuthFailure.InvalidAuthorization',
           'no Authorization', tamper => sub {
               @{ $_[0] } = grep { $_->[0] ne 'Authorization' } @{ $_[0] };
           });
    api_is(ApplyUpload => $p, 'AuthFailure.TokenFailure',
           'X-TC-Token with a permanent key', token => 'tok');
    api_is(ApplyUpload => $p, 'NoSuchVersion', 'another version',
           version => '2017-03-12');
    api_is(NoSuchAction => {}, 'InvalidAction', 'unknown action');
    api_is(ApplyUpload => $p, 'MissingParameter',
           'ApplyUpload without X-TC-Region', region => undef);
    api_is(PullEvents => {}, 'OK', 'PullEvents without X-TC-Region is fine',
           region => undef);
    api_is(ApplyUpload => $p, 'UnsupportedRegion', 'a malformed region',
           region => 'AP_Guangzhou');
    api_is(ApplyUpload => $p, 'InvalidParameter',
           'a signed non-JSON Content-Type', content_type => 'text/plain');
    api_is(ApplyUpload => $p, 'MissingParameter', 'no X-TC-Timestamp',
           tamper => sub {
               @{ $_[0] } = grep { $_->[0] ne 'X-TC-Timestamp' } @{ $_[0] };
           });

    my $state = $emu->state;
    my @codes = map { $_->{error_code} // 'OK' }
                grep { $_->{op} ne 'control' } @{ $state->{requests} };
    is scalar(grep { $_ eq 'AuthFailure.SignatureFailure' } @codes), 7,
        'the request log has every SignatureFailure';
    my ($first) = grep { $_->{op} eq 'ApplyUpload' } @{ $state->{requests} };
    is $first->{params}{MediaName}, 'sig', 'and the parameters sent';
    is $first->{signed_headers}, 'content-type;host',
        'and the SignedHeaders';
};

subtest 'the envelope and JSON checks' => sub {
    api_is(ApplyUpload => undef, 'InvalidParameter', 'a body that is not '
           . 'JSON', body => '{"MediaType":');
    api_is(ApplyUpload => undef, 'InvalidParameter', 'a JSON array body',
           body => '[]');
    api_is(ApplyUpload => { MediaType => 'mp4', Foo => 1 },
           'UnknownParameter', 'an unknown parameter');
    my ($r, $raw) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
    is $raw->{headers}{'content-type'}, 'application/json',
        'answers are JSON';
    ok $raw->{headers}{date}, 'with a Date header';
    my $doc = JSON::PP->new->decode($raw->{body});
    is_deeply [ keys %$doc ], ['Response'], 'inside {"Response": ...}';
};

subtest 'ApplyUpload parameters' => sub {
    api_is(ApplyUpload => {}, 'MissingParameter', 'no MediaType');
    api_is(ApplyUpload => { MediaType => 'exe' },
           'InvalidParameterValue.MediaType', 'MediaType exe');
    api_is(ApplyUpload => { MediaType => 5 }, 'InvalidParameter',
           'MediaType a number');
    my $r = api_is(ApplyUpload => { MediaType => 'MP4' }, 'OK',
                   'MediaType in upper case');
    like $r->{MediaStoragePath}, qr{^/[^/]+/[^/]+\.mp4$},
        'MediaStoragePath /<dir>/<name>.mp4';
    is $r->{CoverStoragePath}, undef, 'no cover slot without CoverType';
    for my $t (qw(mp3 m4a flac wav mkv webm m3u8 ogg)) {
        api_is(ApplyUpload => { MediaType => $t }, 'OK', "MediaType $t");
    }

    api_is(ApplyUpload => { MediaType => 'mp4', SourceContext => 'x' x 250 },
           'OK', 'SourceContext of 250');
    api_is(ApplyUpload => { MediaType => 'mp4', SourceContext => 'é' x 250 },
           'OK', 'SourceContext of 250 characters, 500 bytes');
    api_is(ApplyUpload => { MediaType => 'mp4', SourceContext => 'x' x 251 },
           'InvalidParameterValue.SourceContextTooLong',
           'SourceContext of 251');
    api_is(ApplyUpload => { MediaType => 'mp4',
                            SessionContext => 'x' x 1000 },
           'OK', 'SessionContext of 1000');
    api_is(ApplyUpload => { MediaType => 'mp4',
                            SessionContext => 'x' x 1001 },
           'InvalidParameterValue.SessionContextTooLong',
           'SessionContext of 1001');

    for my $t ('2030-01-01T00:00:00Z', '2030-01-01T08:00:00+08:00') {
        api_is(ApplyUpload => { MediaType => 'mp4', ExpireTime => $t },
               'OK', "ExpireTime $t");
    }
    for my $t ('2030-01-01', '2030-13-01T00:00:00Z', '2030-02-30T00:00:00Z',
               'tomorrow', '2001-01-01T00:00:00Z') {
        api_is(ApplyUpload => { MediaType => 'mp4', ExpireTime => $t },
               'InvalidParameterValue.ExpireTime', "ExpireTime $t");
    }

    api_is(ApplyUpload => { MediaType => 'mp4', ClassId => 7 }, 'OK',
           'ClassId 7');
    api_is(ApplyUpload => { MediaType => 'mp4', ClassId => '7' },
           'InvalidParameterValue.ClassId', 'ClassId "7" (a string)');
    api_is(ApplyUpload => { MediaType => 'mp4', ClassId => -1 },
           'InvalidParameterValue.ClassId', 'ClassId -1');
    api_is(ApplyUpload => { MediaType => 'mp4', ClassId => 1.5 },
           'InvalidParameterValue.ClassId', 'ClassId 1.5');
    api_is(ApplyUpload => { MediaType => 'mp4', SubAppId => 1500000001 },
           'OK', 'SubAppId 1500000001');
    api_is(ApplyUpload => { MediaType => 'mp4', SubAppId => '150' },
           'InvalidParameterValue.SubAppId', 'SubAppId "150" (a string)');

    $r = api_is(ApplyUpload => { MediaType => 'mp4',
                                 StorageRegion => 'ap-chongqing' },
                'OK', 'StorageRegion ap-chongqing');
    is $r->{StorageRegion}, 'ap-chongqing', 'is the answer\'s region';
    like $r->{StorageBucket}, qr/^[a-z0-9-]+-1250000000$/,
        'StorageBucket ends in -<APPID>';
    api_is(ApplyUpload => { MediaType => 'mp4', StorageRegion => 'ap_x/1' },
           'InvalidParameter.StorageRegion', 'a malformed StorageRegion');
    $r = api_is(ApplyUpload => { MediaType => 'mp4' }, 'OK', 'no region');
    is $r->{StorageRegion}, 'ap-guangzhou', 'the default region';

    $r = api_is(ApplyUpload => { MediaType => 'mp4', CoverType => 'JPG' },
                'OK', 'CoverType JPG');
    like $r->{CoverStoragePath}, qr{^/.+\.jpg$}, 'gives a cover slot';
    api_is(ApplyUpload => { MediaType => 'mp4', CoverType => 'exe' },
           'InvalidParameterValue.CoverType', 'CoverType exe');

    $r = api_is(ApplyUpload => { MediaType => 'mp4',
                                 MediaName => '假期 #1?' }, 'OK',
                'a UTF-8 MediaName');
    like $r->{MediaStoragePath}, qr{/假期 #1\?\.mp4$},
        'lands in MediaStoragePath as UTF-8';

    my $t0 = time;
    $r = api_is(ApplyUpload => { MediaType => 'mp4' }, 'OK', 'certificate');
    my $c = $r->{TempCertificate};
    like $c->{SecretId}, qr/^AKID\w+$/, 'TempCertificate.SecretId';
    ok length $c->{SecretKey} >= 32 && length $c->{Token} >= 100,
        'SecretKey and Token';
    ok $c->{ExpiredTime} >= $t0 + 3600 && $c->{ExpiredTime} <= time + 3600,
        'ExpiredTime now + 3600';
    isnt $r->{VodSessionKey}, '', 'a VodSessionKey';
};

subtest 'CommitUpload' => sub {
    api_is(CommitUpload => { VodSessionKey => 'nonsense' },
           'InvalidParameterValue.VodSessionKey', 'an unknown session key');
    api_is(CommitUpload => {}, 'MissingParameter', 'no session key');

    my $a = $emu->apply_upload(MediaName => 'commit');
    my $r = api_is(CommitUpload => { VodSessionKey => $a->{VodSessionKey} },
                   'FailedOperation', 'nothing uploaded');
    like $r->{Error}{Message}, qr/never fully uploaded/, 'says why';

    my $id = $emu->initiate($a);
    $r = api_is(CommitUpload => { VodSessionKey => $a->{VodSessionKey} },
                'FailedOperation', 'a multipart upload still open');
    like $r->{Error}{Message}, qr/still open/, 'says so';

    my $body = join '', map { chr(($_ * 7) % 256) } 1 .. 5000;
    my $put = $emu->cos(PUT => $a, body => $body);
    is $put->{status}, 200, 'PUT Object';
    $r = api_is(CommitUpload => { VodSessionKey => $a->{VodSessionKey},
                                  SubAppId => 3 },
                'InvalidParameterValue.VodSessionKey',
                'with another SubAppId');
    $r = api_is(CommitUpload => { VodSessionKey => $a->{VodSessionKey} },
                'OK', 'after the upload');
    like $r->{FileId}, qr/^\d{19}$/, 'a FileId';
    like $r->{MediaUrl}, qr{^http://\Q@{[ $emu->address ]}\E/vod/$r->{FileId}/commit\.mp4$},
        'a MediaUrl served by the emulator';
    is $r->{CoverUrl}, '', 'no CoverUrl without a cover';
    my $g = $emu->get_url($r->{MediaUrl});
    is $g->{status}, 200, 'GET MediaUrl';
    is md5_hex($g->{body}), md5_hex($body), 'gives the bytes uploaded';
    is $g->{headers}{'content-type'}, 'video/mp4', 'as video/mp4';

    my $again = api_is(CommitUpload => { VodSessionKey => $a->{VodSessionKey} },
           'InvalidParameterValue.VodSessionKey', 'the same key again');
    unlike $again->{Error}{Message}, qr/\Q$r->{FileId}\E|committed/,
        'the answer does not give the FileId away, nor say "committed"';
    my $unknown = api_is(CommitUpload => { VodSessionKey => 'nonsense' },
                         'InvalidParameterValue.VodSessionKey', 'unknown');
    is $again->{Error}{Message}, $unknown->{Error}{Message},
        'the same message as for an unknown key (the documented one)';

    my $s = $emu->state;
    my ($m) = grep { $_->{FileId} eq $r->{FileId} } @{ $s->{media} };
    is $m->{md5}, md5_hex($body), 'the state lists the media with its MD5';
    is $m->{crc64}, crc64($body), 'and CRC-64';
    my ($sess) = grep { $_->{vod_session_key} eq $a->{VodSessionKey} }
                 @{ $s->{sessions} };
    ok $sess->{committed}, 'the session is committed';

    my $cv = $emu->apply_upload(MediaName => 'with cover', CoverType => 'png');
    is $emu->cos(PUT => $cv, body => 'media')->{status}, 200, 'media';
    api_is(CommitUpload => { VodSessionKey => $cv->{VodSessionKey} },
           'FailedOperation', 'a cover slot never filled');
    is $emu->cos(PUT => $cv, path => $cv->{CoverStoragePath},
                 body => "\x89PNG cover")->{status}, 200, 'cover PUT';
    $r = api_is(CommitUpload => { VodSessionKey => $cv->{VodSessionKey} },
                'OK', 'with media and cover');
    like $r->{MediaUrl}, qr{/with%20cover\.mp4$}, 'MediaUrl percent-encoded';
    $g = $emu->get_url($r->{CoverUrl});
    is $g->{body}, "\x89PNG cover", 'CoverUrl gives the cover';
    is $g->{headers}{'content-type'}, 'image/png', 'as image/png';
    is $emu->get_url($r->{MediaUrl})->{body}, 'media',
        'MediaUrl with a space in the name';
};

subtest 'ProcessMedia' => sub {
    my $a = $emu->apply_upload(MediaName => 'pm');
    $emu->cos(PUT => $a, body => 'pm bytes');
    my $c = $emu->commit_upload($a);
    my $task = { TranscodeTaskSet => [ { Definition => 100010 },
                                       { Definition => 100020 } ] };
    my $r = api_is(ProcessMedia => { FileId => $c->{FileId}, SubAppId => 0,
                                     MediaProcessTask => $task },
                   'OK', 'the demo\'s body');
    like $r->{TaskId}, qr/procedure/, 'gives a TaskId';
    api_is(ProcessMedia => { FileId => '1', MediaProcessTask => $task },
           'ResourceNotFound.FileNotExist', 'an unknown FileId');
    api_is(ProcessMedia => { FileId => $c->{FileId},
           MediaProcessTask => { TranscodeTaskSet => [ { Definition => 7 } ] } },
           'ResourceNotFound.TemplateNotExist', 'an unknown template');
    api_is(ProcessMedia => { FileId => $c->{FileId} }, 'InvalidParameter',
           'no task');
    api_is(ProcessMedia => { FileId => $c->{FileId},
                             MediaProcessTask => $task,
                             TasksNotifyMode => 'Always' },
           'InvalidParameterValue.TasksNotifyMode', 'TasksNotifyMode Always');
    api_is(ProcessMedia => { FileId => $c->{FileId},
                             MediaProcessTask => $task, TasksPriority => 11 },
           'InvalidParameterValue.TasksPriority', 'TasksPriority 11');
    api_is(ProcessMedia => { FileId => $c->{FileId},
                             MediaProcessTask => $task, SessionId => 's1' },
           'OK', 'SessionId s1');
    api_is(ProcessMedia => { FileId => $c->{FileId},
                             MediaProcessTask => $task, SessionId => 's1' },
           'InvalidParameterValue.SessionId', 'SessionId s1 again');
};

subtest 'keep-alive: several requests on one connection' => sub {
    my $client = $emu->client(keep_alive => 1);
    my @r = map { [ $emu->api(ApplyUpload => { MediaType => 'mp4' },
                              client => $client) ] } 1 .. 3;
    ok !(grep { !$_->[0]{VodSessionKey} } @r), 'three answers';
    is $client->{connects}, 1, 'over one connection';
    my @conns = map { $_->{conn} } grep { $_->{op} eq 'ApplyUpload' }
                @{ $emu->state->{requests} };
    is $conns[-1], $conns[-3], 'the emulator saw the same connection';
};

subtest 'options: cert lifetime, storage regions, procedures' => sub {
    my $e2 = VodEmulator::Control->start(cert_lifetime => 5,
        storage_regions => 'ap-chongqing,ap-beijing',
        procedure => [ 'flow1=100030', 'flow2' ], app_id => 1300000001,
        sub_app_ids => '1500000009');
    my ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4' });
    ok $r->{TempCertificate}{ExpiredTime} <= time + 5, 'cert lifetime 5 s';
    like $r->{StorageBucket}, qr/-1300000001$/, 'the --app-id in buckets';
    ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4',
                                     StorageRegion => 'ap-beijing' });
    is $r->{StorageRegion}, 'ap-beijing', 'a listed region';
    ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4',
                                     StorageRegion => 'eu-frankfurt' });
    is err_code($r), 'InvalidParameter.StorageRegion', 'an unlisted region';
    ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4',
                                     Procedure => 'flow1' });
    is err_code($r), 'OK', 'a known procedure';
    ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4',
                                     Procedure => 'flow3' });
    is err_code($r), 'InvalidParameter.ProcedureNameNotExist',
        'an unknown procedure';
    ($r) = $e2->api(ApplyUpload => { MediaType => 'mp4',
                                     SubAppId => 1500000008 });
    is err_code($r), 'InvalidParameterValue.SubAppId', 'an unlisted SubAppId';
    is $e2->stop, 0, 'TERM: exit status 0';
};

is $emu->stop, 0, 'SIGTERM: the emulator exits with status 0';

done_testing;

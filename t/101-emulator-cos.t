# The VOD emulator (t/emulator), part 2: COS. The q-sign check against the
# TempCertificate (signed and badly signed requests), PUT Object with a
# length or chunked, the multipart calls and their errors, GET / HEAD,
# what landed (MD5, CRC-64) and the MediaUrl after CommitUpload.

use strict;
use warnings;
use utf8;

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 qw(md5_hex);
use JSON::PP ();
use Test::More;

use VodEmulator::Control;
use VodEmulator::Crc64 qw(crc64);

my $emu = VodEmulator::Control->start;
my $MiB = 1024 * 1024;

sub code { VodEmulator::Control::cos_code($_[0]) }

sub bytes_of {
    my ($n, $seed) = @_;
    my $unit = join '', map { chr(($_ * 31 + $seed) % 251) } 0 .. 4095;
    return substr $unit x (int($n / 4096) + 1), 0, $n;
}

sub object_of {
    my ($apply, $path) = @_;
    $path //= $apply->{MediaStoragePath};
    (my $key = $path) =~ s{^/}{};
    my ($o) = grep { $_->{bucket} eq $apply->{StorageBucket}
                     && $_->{key} eq $key } @{ $emu->state->{objects} };
    return $o;
}

subtest 'PUT Object with Content-Length, commit, GET MediaUrl' => sub {
    my $a = $emu->apply_upload(MediaName => 'put');
    my $body = bytes_of(300_000, 1);
    my $r = $emu->cos(PUT => $a, body => $body,
                      headers => [ [ 'Content-Type', 'video/mp4' ] ]);
    is $r->{status}, 200, 'PUT: 200';
    is $r->{headers}{etag}, '"' . md5_hex($body) . '"', 'ETag = "MD5"';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, crc64($body),
        'x-cos-hash-crc64ecma = CRC-64 of the body';
    like $r->{headers}{'x-cos-request-id'}, qr/^\w+$/, 'x-cos-request-id';
    ok $r->{headers}{date}, 'Date';
    is $r->{body}, '', 'empty body';

    my $o = object_of($a);
    is $o->{size}, length $body, 'the state: size';
    is $o->{md5}, md5_hex($body), 'MD5';
    is $o->{crc64}, crc64($body), 'CRC-64';

    $r = $emu->cos(GET => $a);
    is $r->{status}, 200, 'GET Object';
    ok $r->{body} eq $body, 'gives the bytes';
    $r = $emu->cos(HEAD => $a);
    is $r->{status}, 200, 'HEAD Object';
    is $r->{headers}{'content-length'}, length $body, 'with the length';
    is $r->{headers}{'content-type'}, 'video/mp4', 'and the type given';
    $r = $emu->cos(GET => $a, headers => [ [ 'Range', 'bytes=100-199' ] ]);
    is $r->{status}, 206, 'a Range GET';
    ok $r->{body} eq substr($body, 100, 100), 'gives those bytes';

    my $c = $emu->commit_upload($a);
    $r = $emu->get_url($c->{MediaUrl});
    ok $r->{status} == 200 && $r->{body} eq $body,
        'MediaUrl gives the bytes that landed';
};

subtest 'PUT Object chunked, and an empty object' => sub {
    my $a = $emu->apply_upload(MediaName => 'chunked');
    my @chunks = ('[Chunked Content]', '[2nd chunk]', '[3rd chunk]',
                  '[4th chunk]');
    my $r = $emu->cos(PUT => $a, chunks => \@chunks);
    is $r->{status}, 200, 'Transfer-Encoding: chunked is accepted';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, '7188322482464764960',
        'the COS doc\'s chunked CRC-64';
    is object_of($a)->{size}, length join('', @chunks), 'all of it landed';

    my $big = bytes_of(3 * $MiB + 7, 2);
    $r = $emu->cos(PUT => $a, chunks => [ unpack '(a65536)*', $big ]);
    is $r->{status}, 200, '3 MiB in 64 KiB chunks';
    is object_of($a)->{md5}, md5_hex($big), 'replaces the object, whole';

    $r = $emu->cos(PUT => $a, body => '');
    is $r->{status}, 200, 'an empty PUT';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, '0', 'CRC-64 0';
    is $r->{headers}{etag}, '"d41d8cd98f00b204e9800998ecf8427e"',
        'the empty MD5';
};

subtest 'UTF-8 and reserved characters in the key' => sub {
    my $a = $emu->apply_upload(MediaName => '腾讯云 (a+b)&c=%#?');
    like $a->{MediaStoragePath}, qr{/腾讯云 \(a\+b\)&c=%#\?\.mp4$},
        'MediaStoragePath keeps the name';
    my $r = $emu->cos(PUT => $a, body => 'utf8 key');
    is $r->{status}, 200, 'PUT to the percent-encoded key';
    my $o = object_of($a);
    ok $o, 'stored under the decoded key';
    my $c = $emu->commit_upload($a);
    is $emu->get_url($c->{MediaUrl})->{body}, 'utf8 key',
        'and served from MediaUrl';
};

subtest 'multipart: initiate, parts in any order, list, complete' => sub {
    my $a = $emu->apply_upload(MediaName => 'multi');
    my $id = $emu->initiate($a);
    like $id, qr/^\d{10}[0-9a-f]{64}$/, 'an UploadId';
    my @data = (bytes_of($MiB, 3), bytes_of($MiB + 5, 4), bytes_of(1234, 5));
    my %etag;
    for my $n (3, 1, 2) {
        my $r = $emu->upload_part($a, $id, $n, $data[ $n - 1 ]);
        is $r->{status}, 200, "UploadPart $n";
        is $r->{headers}{etag}, '"' . md5_hex($data[ $n - 1 ]) . '"',
            "part $n: ETag";
        is $r->{headers}{'x-cos-hash-crc64ecma'}, crc64($data[ $n - 1 ]),
            "part $n: CRC-64";
        $etag{$n} = $r->{headers}{etag};
    }
    my $again = bytes_of($MiB, 6);
    my $r = $emu->upload_part($a, $id, 1, $again);
    is $r->{status}, 200, 'part 1 again replaces it';
    $data[0] = $again;
    $etag{1} = $r->{headers}{etag};

    $r = $emu->cos(GET => $a, query => [ [ 'uploadId', $id ] ]);
    is $r->{status}, 200, 'ListParts';
    my @listed = $r->{body} =~ m{<PartNumber>(\d+)</PartNumber>}g;
    is "@listed", '1 2 3', 'lists the parts in order';
    $r = $emu->cos(GET => $a, query => [ [ 'uploadId', $id ],
                                         [ 'max-parts', 2 ] ]);
    like $r->{body}, qr{<IsTruncated>true</IsTruncated>}, 'max-parts pages';
    like $r->{body}, qr{<NextPartNumberMarker>2</NextPartNumberMarker>},
        'with a marker';
    $r = $emu->cos(GET => $a, query => [ [ 'uploadId', $id ],
                                         [ 'part-number-marker', 2 ] ]);
    @listed = $r->{body} =~ m{<PartNumber>(\d+)</PartNumber>}g;
    is "@listed", '3', 'the next page';

    my $s = $emu->state;
    my ($u) = grep { $_->{upload_id} eq $id } @{ $s->{uploads} };
    is scalar @{ $u->{parts} }, 3, 'the state shows the open upload';

    $r = $emu->complete($a, $id, [ map { [ $_, $etag{$_} ] } 1 .. 3 ]);
    is $r->{status}, 200, 'Complete';
    my $whole = join '', @data;
    like $r->{body}, qr{<CompleteMultipartUploadResult>}, 'a result';
    like $r->{body}, qr{<ETag>"[0-9a-f]{32}-3"</ETag>}, 'ETag "...-3"';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, crc64($whole),
        'x-cos-hash-crc64ecma of the whole object';
    my $o = object_of($a);
    is $o->{size}, length $whole, 'the object: size';
    is $o->{md5}, md5_hex($whole), 'MD5 of the whole';
    is $o->{parts}, 3, 'from 3 parts';
    ok !(grep { $_->{upload_id} eq $id } @{ $emu->state->{uploads} }),
        'the upload is closed';

    $r = $emu->cos(GET => $a, headers => [ [ 'Range',
                                             "bytes=@{[ $MiB - 3 ]}-@{[ $MiB + 2 ]}" ] ]);
    ok $r->{status} == 206 && $r->{body} eq substr($whole, $MiB - 3, 6),
        'a Range across two parts';
    my $c = $emu->commit_upload($a);
    $r = $emu->get_url($c->{MediaUrl});
    is md5_hex($r->{body}), md5_hex($whole), 'MediaUrl gives the whole';
};

subtest 'multipart errors' => sub {
    my $a = $emu->apply_upload(MediaName => 'errors');
    my $id = $emu->initiate($a);
    my $small = bytes_of(1000, 7);
    my $big = bytes_of($MiB, 8);
    my $e1 = $emu->upload_part($a, $id, 1, $small)->{headers}{etag};
    my $e2 = $emu->upload_part($a, $id, 2, $big)->{headers}{etag};
    my $e3 = $emu->upload_part($a, $id, 3, $small)->{headers}{etag};

    my $r = $emu->complete($a, $id, [ [ 1, $e1 ], [ 2, $e2 ] ]);
    is $r->{status}, 400, 'a small part before the last: 400';
    is code($r), 'EntityTooSmall', 'EntityTooSmall';
    $r = $emu->complete($a, $id, [ [ 2, $e2 ], [ 1, $e1 ] ]);
    is code($r), 'InvalidPartOrder', 'descending: InvalidPartOrder';
    $r = $emu->complete($a, $id, [ [ 2, $e2 ], [ 2, $e2 ] ]);
    is code($r), 'InvalidPartOrder', 'a repeated number: InvalidPartOrder';
    $r = $emu->complete($a, $id, [ [ 2, $e2 ], [ 4, $e3 ] ]);
    is code($r), 'InvalidPart', 'a part never uploaded: InvalidPart';
    $r = $emu->complete($a, $id, [ [ 2, $e1 ], [ 3, $e3 ] ]);
    is code($r), 'InvalidPart', 'a wrong ETag: InvalidPart';
    $r = $emu->cos(POST => $a, query => [ [ 'uploadId', $id ] ],
                   body => '<Complete><Part/></Complete>');
    is code($r), 'MalformedXML', 'not a CompleteMultipartUpload';
    $r = $emu->complete($a, $id, []);
    is code($r), 'MalformedXML', 'no parts';

    for my $n (0, 10001, 'x') {
        $r = $emu->upload_part($a, $id, $n, $small);
        is $r->{status}, 400, "part number $n: 400";
        is code($r), 'InvalidArgument', "part number $n: InvalidArgument";
    }
    $r = $emu->upload_part($a, $id, 10000, $small);
    is $r->{status}, 200, 'part number 10000 is fine';

    $r = $emu->upload_part($a, 'nosuchid', 1, $small);
    is $r->{status}, 404, 'UploadPart to an unknown id: 404';
    is code($r), 'NoSuchUpload', 'NoSuchUpload';
    $r = $emu->complete($a, 'nosuchid', [ [ 1, $e1 ] ]);
    is code($r), 'NoSuchUpload', 'Complete of an unknown id: NoSuchUpload';

    $r = $emu->complete($a, $id, [ [ 2, $e2 ], [ 3, $e3 ] ]);
    is $r->{status}, 200, 'the right list completes';
    $r = $emu->complete($a, $id, [ [ 2, $e2 ], [ 3, $e3 ] ]);
    is code($r), 'NoSuchUpload', 'a second Complete: NoSuchUpload';
    is object_of($a)->{size}, $MiB + 1000, 'the object has parts 2 and 3';

    my $id2 = $emu->initiate($a);
    $emu->upload_part($a, $id2, 1, $small);
    $r = $emu->cos(DELETE => $a, query => [ [ 'uploadId', $id2 ] ]);
    is $r->{status}, 204, 'Abort: 204';
    ok !(grep { $_->{upload_id} eq $id2 } @{ $emu->state->{uploads} }),
        'the upload is gone';
    $r = $emu->cos(DELETE => $a, query => [ [ 'uploadId', $id2 ] ]);
    is code($r), 'NoSuchUpload', 'Abort again: NoSuchUpload';
    $r = $emu->upload_part($a, $id2, 2, $small);
    is code($r), 'NoSuchUpload', 'UploadPart after Abort: NoSuchUpload';
};

subtest 'other COS errors' => sub {
    my $a = $emu->apply_upload(MediaName => 'other');
    my $r = $emu->cos(GET => $a);
    is $r->{status}, 404, 'GET of nothing: 404';
    is code($r), 'NoSuchKey', 'NoSuchKey';
    like $r->{body}, qr{<RequestId>\w+</RequestId>.*<TraceId>}s,
        'an Error document with RequestId and TraceId';
    $r = $emu->cos(PUT => $a, body => 'x', bucket => 'nobucket-1250000000');
    is $r->{status}, 404, 'an unknown bucket: 404';
    is code($r), 'NoSuchBucket', 'NoSuchBucket';
    $r = $emu->cos(PUT => $a, body => 'x', region => 'ap-beijing');
    is code($r), 'NoSuchBucket', 'the bucket in another region';
    $r = $emu->cos(PUT => $a, headers => []);
    is $r->{status}, 411, 'PUT without a length: 411';
    is code($r), 'MissingContentLength', 'MissingContentLength';
    $r = $emu->cos(PUT => $a, body => 'abc',
                   headers => [ [ 'Content-MD5', 'mQ/fVh815F3k6TAUm8m0eg==' ] ]);
    is code($r), 'BadDigest', 'a wrong Content-MD5: BadDigest';
    $r = $emu->cos(PUT => $a, body => 'abc',
                   headers => [ [ 'Content-MD5', 'kAFQmDzST7DWlj99KOF/cg==' ] ]);
    is $r->{status}, 200, 'the right Content-MD5';
    $r = $emu->cos(PUT => $a, body => 'x',
                   headers => [ [ 'x-cos-copy-source', 'a/b' ] ]);
    is $r->{status}, 405, 'PUT Object - Copy is not emulated: 405';
    $r = $emu->cos(DELETE => $a);
    is $r->{status}, 204, 'DELETE Object';
    is $emu->cos(GET => $a)->{status}, 404, 'then it is gone';
};

subtest 'q-sign: signed and badly signed requests' => sub {
    my $a = $emu->apply_upload(MediaName => 'auth', CoverType => 'jpg');
    my $other = $emu->apply_upload(MediaName => 'other');
    my $now = time;
    my %put = (body => 'auth body');
    my @cases = (
        [ 'the right signature', 200, undef, {} ],
        [ 'the token signed too', 200, undef, { sign_token => 1 } ],
        [ 'the cover path', 200, undef, { path => $a->{CoverStoragePath} } ],
        [ 'a wrong SecretKey', 403, 'SignatureDoesNotMatch',
          { secret_key => 'wrong' } ],
        [ 'the API key instead', 403, 'InvalidAccessKeyId',
          { secret_id => $emu->secret_id, secret_key => $emu->secret_key } ],
        [ 'an unknown SecretId', 403, 'InvalidAccessKeyId',
          { secret_id => 'AKIDnobody' } ],
        [ 'no token', 403, 'AccessDenied', { token => undef } ],
        [ 'another session\'s token', 403, 'AccessDenied',
          { token => $other->{TempCertificate}{Token} } ],
        [ 'a key time in the future', 403, 'RequestTimeTooSkewed',
          { key_time => ($now + 100) . ';' . ($now + 1000) } ],
        [ 'a key time in the past', 403, 'AccessDenied',
          { key_time => ($now - 1000) . ';' . ($now - 100) } ],
        [ 'sign time outside, key time inside', 403, 'AccessDenied',
          { sign_time => ($now - 1000) . ';' . ($now - 100) } ],
        [ 'Host not signed', 403, 'AccessDenied', { no_sign_host => 1 } ],
        [ 'a header changed after signing', 403, 'SignatureDoesNotMatch',
          { headers => [ [ 'Content-Type', 'video/mp4' ] ],
            unsigned => [] , tamper_ct => 1 } ],
        [ 'a signed header not sent', 403, 'SignatureDoesNotMatch',
          { authorization_fix => 'x-cos-meta-gone' } ],
        [ 'another session\'s path', 403, 'AccessDenied',
          { path => $other->{MediaStoragePath} } ],
        [ 'no Authorization', 403, 'AccessDenied',
          { authorization => '' } ],
        [ 'a malformed Authorization', 403, 'AccessDenied',
          { authorization => 'q-sign-algorithm=sha1' } ],
        [ 'another session\'s certificate', 403, 'AccessDenied',
          { secret_id => $other->{TempCertificate}{SecretId},
            secret_key => $other->{TempCertificate}{SecretKey},
            token => $other->{TempCertificate}{Token} } ],
    );
    for my $c (@cases) {
        my ($name, $status, $code, $o) = @$c;
        my %o = (%put, %$o);
        if (delete $o{tamper_ct}) {
            # signed as video/mp4, sent as text/plain
            my $r = $emu->cos(PUT => $a, %o, dry => 1);
            my $auth = $r->{signature}{authorization};
            $r = $emu->cos(PUT => $a, %put, authorization => $auth,
                           headers => [ [ 'Content-Type', 'text/plain' ] ]);
            is $r->{status}, $status, "$name: $status";
            is code($r), $code, "$name: $code";
            next;
        }
        if (my $h = delete $o{authorization_fix}) {
            my $r = $emu->cos(PUT => $a, %put,
                              headers => [ [ $h, 'v' ] ]);
            $r = $emu->cos(PUT => $a, %put,
                           authorization => $r->{signature}{authorization});
            is $r->{status}, $status, "$name: $status";
            is code($r), $code, "$name: $code";
            next;
        }
        my $r = $emu->cos(PUT => $a, %o);
        is $r->{status}, $status, "$name: $status";
        is code($r), $code, "$name: " . ($code // 'no error');
    }
    my $r = $emu->cos(PUT => $a, body => 'x', secret_key => 'wrong');
    like $r->{body}, qr/HttpString: put\\n/,
        'SignatureDoesNotMatch shows the HttpString the emulator signed';
};

subtest 'an expired TempCertificate' => sub {
    my $a = $emu->apply_upload(MediaName => 'expired');
    $emu->skew(4000);
    my $now = time + 4000;
    my $r = $emu->cos(PUT => $a, body => 'x',
                      key_time => ($now - 10) . ';' . ($now + 10));
    is $r->{status}, 403, '4000 s later: 403';
    is code($r), 'AccessDenied', 'AccessDenied';
    like $r->{body}, qr/credential expired/, 'the certificate expired';
    $emu->skew(0);
    is $emu->cos(PUT => $a, body => 'x')->{status}, 200, 'before: fine';
};

subtest 'ExpiredTime holds for every COS operation' => sub {
    $emu->config(cert_lifetime => 60);
    my $a = $emu->apply_upload(MediaName => 'every op expires');
    $emu->config(cert_lifetime => 3600);
    my $id = $emu->initiate($a);
    my $etag = $emu->upload_part($a, $id, 1, 'x')->{headers}{etag};
    my $key = substr $a->{MediaStoragePath}, 1;
    my $lm = $emu->list_uploads($a, { prefix => $key });
    is $lm->{status}, 200, 'ListMultipartUploads works before';

    $emu->skew(61);         # the certificate ended a second ago
    my $now = time + 61;
    my %kt = (key_time => ($now - 10) . ';' . ($now + 10));
    my @ops = (
        [ PutObject => sub { $emu->cos(PUT => $a, body => 'x', %kt) } ],
        [ InitiateMultipartUpload => sub { $emu->cos(POST => $a,
            query => [ [ 'uploads', undef ] ], %kt) } ],
        [ UploadPart => sub { $emu->upload_part($a, $id, 2, 'y', %kt) } ],
        [ ListParts => sub { $emu->cos(GET => $a,
            query => [ [ 'uploadId', $id ] ], %kt) } ],
        [ ListMultipartUploads => sub { $emu->list_uploads($a,
            { prefix => $key }, %kt) } ],
        [ CompleteMultipartUpload => sub { $emu->complete($a, $id,
            [ [ 1, $etag ] ], %kt) } ],
        [ AbortMultipartUpload => sub { $emu->cos(DELETE => $a,
            query => [ [ 'uploadId', $id ] ], %kt) } ],
        [ GetObject => sub { $emu->cos(GET => $a, %kt) } ],
        [ HeadObject => sub { $emu->cos(HEAD => $a, %kt) } ],
        [ DeleteObject => sub { $emu->cos(DELETE => $a, %kt) } ],
    );
    for (@ops) {
        my ($op, $send) = @$_;
        my $r = $send->();
        is $r->{status}, 403, "$op: 403";
        my ($log) = grep { $_->{op} eq $op } reverse
                    @{ $emu->state->{requests} };
        is $log->{error_code}, 'AccessDenied', "$op: AccessDenied";
    }
    $emu->skew(0);
    my ($u) = grep { $_->{upload_id} eq $id } @{ $emu->state->{uploads} };
    is scalar @{ $u->{parts} }, 1, 'nothing was done: one part, still open';
};

# the uploads listed, as "key id" lines
sub listed {
    my ($r) = @_;
    my $l = VodEmulator::Control::parse_list($r->{body});
    return [ map { "$_->{Key} $_->{UploadId}" } @{ $l->{Upload} } ];
}

subtest 'ListMultipartUploads under the session credential' => sub {
    my $a = $emu->apply_upload(MediaName => 'listed', CoverType => 'jpg');
    my $key = substr $a->{MediaStoragePath}, 1;
    my $cover = substr $a->{CoverStoragePath}, 1;
    my @ids = map { $emu->initiate($a) } 1 .. 3;
    my $cid = $emu->initiate($a, path => $a->{CoverStoragePath});

    my $r = $emu->list_uploads($a, { prefix => $key });
    is $r->{status}, 200, 'prefix = the media key: 200';
    my $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply listed($r), [ map { "$key $_" } @ids ],
        'its three uploads, in the order they were initiated';
    is $l->{Bucket}, $a->{StorageBucket}, 'Bucket';
    is $l->{Prefix}, $key, 'Prefix';
    is $l->{$_}, '', "$_ empty" for qw(KeyMarker UploadIdMarker Delimiter);
    is $l->{MaxUploads}, 1000, 'MaxUploads 1000';
    is $l->{IsTruncated}, 'false', 'IsTruncated false';
    ok !exists $l->{'Encoding-Type'}, 'no Encoding-Type unless asked';
    my $u = $l->{Upload}[0];
    is $u->{StorageClass}, 'STANDARD', 'StorageClass';
    like $u->{ID}, qr/^qcs::cam::uin\/\d+:uin\/\d+$/, 'Initiator/Owner ID';
    like $u->{DisplayName}, qr/^\d+$/, 'DisplayName';
    like $u->{Initiated}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        'Initiated, ISO 8601';
    like $r->{body}, qr{^<\?xml[^>]*\?>\s*<ListMultipartUploadsResult>\s*<Bucket>.*</Bucket>\s*<KeyMarker>.*<UploadIdMarker>.*<NextKeyMarker>.*<NextUploadIdMarker>.*<MaxUploads>.*<IsTruncated>.*<Prefix>.*<Delimiter>.*<Upload>\s*<Key>.*<UploadId>.*<StorageClass>.*<Initiator>\s*<ID>.*<DisplayName>.*</Initiator>\s*<Owner>.*</Owner>\s*<Initiated>.*</Upload>}s,
        'the elements in COS\'s order';

    my ($log) = grep { $_->{op} eq 'ListMultipartUploads' }
                @{ $emu->state->{requests} };
    is $log->{path}, '/', 'the request: GET / ...';
    is $log->{url_param_list}, 'prefix;uploads',
        '... signed with its parameters prefix and uploads';

    is_deeply listed($emu->list_uploads($a, { prefix => $cover })),
        [ "$cover $cid" ], 'prefix = the cover key: the cover\'s upload';
    is $emu->list_uploads($a, { prefix => "$key.more" })->{status}, 200,
        'a prefix within the media key: 200';
    is_deeply listed($emu->list_uploads($a, { prefix => "$key.more" })), [],
        '(nothing there)';

    (my $dir = $key) =~ s{/[^/]*$}{/};
    my $b = $emu->apply_upload(MediaName => 'another');
    for ([ 'no prefix', {} ], [ 'an empty prefix', { prefix => '' } ],
         [ 'the directory', { prefix => $dir } ],
         [ 'a part of the key', { prefix => substr $key, 0, -1 } ],
         [ 'another session\'s key',
           { prefix => substr $b->{MediaStoragePath}, 1 } ]) {
        my ($name, $p) = @$_;
        $r = $emu->list_uploads($a, $p);
        is $r->{status}, 403, "$name: 403";
        is code($r), 'AccessDenied', "$name: AccessDenied";
    }

    $r = $emu->list_uploads($a, { prefix => $key, 'max-uploads' => 2 });
    $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply listed($r), [ map { "$key $_" } @ids[0, 1] ],
        'max-uploads 2: the first two';
    is $l->{IsTruncated}, 'true', 'IsTruncated true';
    is $l->{MaxUploads}, 2, 'MaxUploads 2';
    is "$l->{NextKeyMarker} $l->{NextUploadIdMarker}", "$key $ids[1]",
        'NextKeyMarker, NextUploadIdMarker: the last one listed';
    $r = $emu->list_uploads($a, { prefix => $key, 'max-uploads' => 2,
        'key-marker' => $l->{NextKeyMarker},
        'upload-id-marker' => $l->{NextUploadIdMarker} });
    $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply listed($r), [ "$key $ids[2]" ], 'the next page: the third';
    is $l->{IsTruncated}, 'false', 'the last page';
    is "$l->{KeyMarker} $l->{UploadIdMarker}", "$key $ids[1]",
        'the markers given are echoed';
    is_deeply listed($emu->list_uploads($a, { prefix => $key,
        'key-marker' => $key })), [], 'key-marker alone: later keys only';
    is_deeply listed($emu->list_uploads($a, { prefix => $key,
        'upload-id-marker' => $ids[0] })), [ map { "$key $_" } @ids ],
        'upload-id-marker without key-marker is ignored';

    is code($emu->list_uploads($a, { prefix => $key, 'max-uploads' => 'x' })),
        'InvalidArgument', 'max-uploads not a number: InvalidArgument';
    is code($emu->list_uploads($a, { prefix => $key,
        'encoding-type' => 'base64' })), 'InvalidArgument',
        'encoding-type other than url: InvalidArgument';
    $l = VodEmulator::Control::parse_list($emu->list_uploads($a,
        { prefix => $key, 'max-uploads' => 5000 })->{body});
    is $l->{MaxUploads}, 1000, 'max-uploads 5000: 1000';

    is $emu->cos(DELETE => $a, query => [ [ 'uploadId', $ids[1] ] ])
        ->{status}, 204, 'abort the second';
    is_deeply listed($emu->list_uploads($a, { prefix => $key })),
        [ map { "$key $_" } @ids[0, 2] ], 'an aborted upload is not listed';
};

subtest 'ListMultipartUploads: encoding-type url, delimiter' => sub {
    my $a = $emu->apply_upload(MediaName => 'a name',
                               MediaStoragePath => '/lst/a b.mp4');
    my $key = 'lst/a b.mp4';
    my $id = $emu->initiate($a);
    my $r = $emu->list_uploads($a, { prefix => $key,
                                     'encoding-type' => 'url' });
    my $l = VodEmulator::Control::parse_list($r->{body});
    is $l->{'Encoding-Type'}, 'url', 'Encoding-Type url';
    is $l->{Upload}[0]{Key}, 'lst/a%20b.mp4', 'Key percent-encoded, / kept';
    is $l->{Prefix}, 'lst/a%20b.mp4', 'Prefix too';

    # keys that go on past the prefix: other sessions' paths below it
    my @below = map { $emu->apply_upload(MediaName => $_,
                      MediaStoragePath => "/lst/a b.mp4$_") }
                ('/x/1.mp4', '/x/2.mp4', '_y.mp4');
    my @bid = map { $emu->initiate($_) } @below;
    $r = $emu->list_uploads($a, { prefix => $key, delimiter => '/' });
    $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply listed($r), [ "$key $id", "${key}_y.mp4 $bid[2]" ],
        'delimiter /: the uploads whose key has no / past the prefix';
    is_deeply [ map { $_->{Prefix} } @{ $l->{CommonPrefixes} } ],
        [ "$key/" ], 'and one CommonPrefixes for the others';
    is $l->{Delimiter}, '/', 'Delimiter';

    $r = $emu->list_uploads($a, { prefix => $key, delimiter => '/',
                                  'max-uploads' => 2 });
    $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply [ @{ listed($r) }, map { $_->{Prefix} } @{ $l->{CommonPrefixes} } ],
        [ "$key $id", "$key/" ], 'a common prefix counts as one entry';
    is $l->{IsTruncated}, 'true', 'truncated';
    is $l->{NextKeyMarker}, "$key/", 'NextKeyMarker: the common prefix';
    is $l->{NextUploadIdMarker}, '', 'NextUploadIdMarker empty';
    $r = $emu->list_uploads($a, { prefix => $key, delimiter => '/',
        'max-uploads' => 2, 'key-marker' => $l->{NextKeyMarker} });
    $l = VodEmulator::Control::parse_list($r->{body});
    is_deeply listed($r), [ "${key}_y.mp4 $bid[2]" ],
        'the next page goes on after the common prefix';
    is scalar @{ $l->{CommonPrefixes} }, 0, 'without it again';
};

subtest 'list_page_max: small pages of ListParts and ListMultipartUploads' => sub {
    my $c = $emu->client;
    for my $bad (0, 1001, 'x') {
        my $r = $c->request(method => 'POST', target => '/__emulator/config',
            body => JSON::PP->new->encode({ list_page_max => $bad }));
        is $r->{status}, 400, "list_page_max $bad refused";
    }
    is $emu->config(list_page_max => 2)->{config}{list_page_max}, 2,
        'list_page_max 2';
    my $a = $emu->apply_upload(MediaName => 'pages');
    my $key = substr $a->{MediaStoragePath}, 1;
    my @ids = map { $emu->initiate($a) } 1 .. 5;
    my (@got, @pages, %p);
    while (1) {
        my $r = $emu->list_uploads($a, { prefix => $key, %p });
        my $l = VodEmulator::Control::parse_list($r->{body});
        push @got, @{ listed($r) };
        push @pages, scalar @{ $l->{Upload} } . ($l->{IsTruncated} eq 'true'
                                                  ? '+' : '');
        last if $l->{IsTruncated} ne 'true' || @pages > 5;
        %p = ('key-marker' => $l->{NextKeyMarker},
              'upload-id-marker' => $l->{NextUploadIdMarker});
    }
    is "@pages", '2+ 2+ 1', 'ListMultipartUploads: pages of 2, 2, 1';
    is_deeply \@got, [ map { "$key $_" } @ids ], 'all five, in order';
    my $l = VodEmulator::Control::parse_list($emu->list_uploads($a,
        { prefix => $key, 'max-uploads' => 1 })->{body});
    is scalar @{ $l->{Upload} }, 1, 'a smaller max-uploads still counts';

    my $id = $ids[0];
    $emu->upload_part($a, $id, $_, "part $_") for 1 .. 5;
    my ($marker, @parts) = (undef);
    @pages = ();
    while (1) {
        my $r = $emu->cos(GET => $a, query => [ [ 'uploadId', $id ],
            defined $marker ? [ 'part-number-marker', $marker ] : () ]);
        $l = VodEmulator::Control::parse_list($r->{body});
        push @parts, map { $_->{PartNumber} } @{ $l->{Part} };
        push @pages, "$l->{MaxParts}:" . scalar(@{ $l->{Part} })
            . ($l->{IsTruncated} eq 'true' ? "+$l->{NextPartNumberMarker}"
                                           : '');
        last if $l->{IsTruncated} ne 'true' || @pages > 5;
        $marker = $l->{NextPartNumberMarker};
    }
    is "@pages", '2:2+2 2:2+4 2:1', 'ListParts: pages of 2, 2, 1, markers';
    is "@parts", '1 2 3 4 5', 'every part once';

    $emu->config(list_page_max => undef);
    $l = VodEmulator::Control::parse_list($emu->cos(GET => $a,
        query => [ [ 'uploadId', $id ] ])->{body});
    is scalar @{ $l->{Part} }, 5, 'null: one page again';
    is $l->{MaxParts}, 1000, 'MaxParts 1000';
};

subtest 'at most 1000 entries a page' => sub {
    my $a = $emu->apply_upload(MediaName => 'thousand');
    my $key = substr $a->{MediaStoragePath}, 1;
    my $client = $emu->client(keep_alive => 1);
    my $id = $emu->initiate($a, client => $client);
    $emu->initiate($a, client => $client) for 2 .. 1001;
    $emu->upload_part($a, $id, $_, 'p', client => $client) for 1 .. 1001;

    my $l = VodEmulator::Control::parse_list($emu->list_uploads($a,
        { prefix => $key })->{body});
    is scalar @{ $l->{Upload} }, 1000, 'ListMultipartUploads: 1000';
    is $l->{IsTruncated}, 'true', 'then truncated';
    $l = VodEmulator::Control::parse_list($emu->list_uploads($a,
        { prefix => $key, 'key-marker' => $l->{NextKeyMarker},
          'upload-id-marker' => $l->{NextUploadIdMarker} })->{body});
    is scalar @{ $l->{Upload} }, 1, 'the 1001st on the next page';

    $l = VodEmulator::Control::parse_list($emu->cos(GET => $a,
        query => [ [ 'uploadId', $id ], [ 'max-parts', 5000 ] ])->{body});
    is scalar @{ $l->{Part} }, 1000, 'ListParts: 1000, max-parts 5000 too';
    is "$l->{MaxParts} $l->{IsTruncated} $l->{NextPartNumberMarker}",
        '1000 true 1000', 'MaxParts 1000, truncated, next marker 1000';
};

subtest 'many parts on one keep-alive connection, HEAD of a part list' => sub {
    my $a = $emu->apply_upload(MediaName => 'keepalive');
    my $client = $emu->client(keep_alive => 1);
    my $id = $emu->initiate($a, client => $client);
    my @etags;
    for my $n (1 .. 5) {
        my $r = $emu->upload_part($a, $id, $n, bytes_of($MiB, $n),
                                  client => $client);
        push @etags, [ $n, $r->{headers}{etag} ];
    }
    my $r = $emu->complete($a, $id, \@etags, client => $client);
    is $r->{status}, 200, 'Complete';
    is $client->{connects}, 1, 'one connection for all';
    my @conns = map { $_->{conn} } grep { $_->{op} =~ /Part|Multipart/ }
                @{ $emu->state->{requests} };
    is $conns[-1], $conns[-7], 'the emulator saw one connection';
    is object_of($a)->{size}, 5 * $MiB, '5 MiB landed';
};

subtest 'a request target in absolute form (through a proxy)' => sub {
    my $a = $emu->apply_upload(MediaName => 'absolute');
    my $r = $emu->cos(PUT => $a, body => 'via a proxy', absolute => 1);
    is $r->{status}, 200, 'PUT http://<bucket>.cos.../key: 200';
    is object_of($a)->{size}, 11, 'the body landed';
    my ($log) = grep { $_->{op} eq 'PutObject' }
                reverse @{ $emu->state->{requests} };
    is $log->{path}, $a->{MediaStoragePath}, 'the path is the key';
    $r = $emu->cos(GET => $a, absolute => 1,
                   unsigned => [ [ 'X-Other', 'x' ] ]);
    is $r->{body}, 'via a proxy', 'GET in absolute form';
    $r = $emu->client->request(method => 'GET', target =>
        'http://' . $emu->address . '/__emulator/health');
    is $r->{status}, 200, 'the control endpoint too';
    $r = $emu->client->request(method => 'GET',
                               target => 'ftp://example.com/x');
    is $r->{status}, 400, 'a scheme other than http(s): 400';
};

subtest 'Expect: 100-continue' => sub {
    my $a = $emu->apply_upload(MediaName => 'expect');
    my $r = $emu->cos(PUT => $a, body => 'expect body',
                      headers => [ [ 'Expect', '100-continue' ] ]);
    is $r->{status}, 200, 'answered after a 100 Continue';
    is object_of($a)->{size}, 11, 'the body landed';
};

is $emu->stop, 0, 'stopped';

done_testing;

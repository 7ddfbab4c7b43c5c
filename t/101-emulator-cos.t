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

subtest 'Expect: 100-continue' => sub {
    my $a = $emu->apply_upload(MediaName => 'expect');
    my $r = $emu->cos(PUT => $a, body => 'expect body',
                      headers => [ [ 'Expect', '100-continue' ] ]);
    is $r->{status}, 200, 'answered after a 100 Continue';
    is object_of($a)->{size}, 11, 'the body landed';
};

is $emu->stop, 0, 'stopped';

done_testing;

# The VOD emulator (t/emulator), part 3: every fault switch of
# POST /__emulator/faults (errors, resets, delays, Complete's 200 with an
# <Error>, wrong ETag / CRC-64, clock skew), and the control endpoint.

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 qw(md5_hex);
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use Test::More;
use Time::HiRes qw(time);

use VodEmulator::Control;
use VodEmulator::Crc64 qw(crc64);
use VodEmulator::Util ();

my $emu = VodEmulator::Control->start;
my $MiB = 1024 * 1024;
my $part = 'p' x $MiB;

sub code { VodEmulator::Control::cos_code($_[0]) }

sub fresh {
    $emu->reset;
    my $a = $emu->apply_upload(MediaName => 'fault');
    return ($a, $emu->initiate($a));
}

sub requests_of {
    my ($op) = @_;
    return grep { $_->{op} eq $op } @{ $emu->state->{requests} };
}

subtest 'the faults endpoint checks what it is given' => sub {
    my $c = $emu->client;
    for my $bad ({ op => 'Nothing', status => 500 },
                 { op => 'UploadPart' },
                 { op => 'ApplyUpload', wrong_etag => 1 },
                 { op => 'PutObject', complete_200_error => 1 },
                 { op => 'UploadPart', status => 500, reset => 1 },
                 { op => 'PutObject', part_number => 1, status => 500 },
                 { op => 'UploadPart', status => 500, bogus => 1 },
                 { op => 'UploadPart', status => 500, nth => 0 }) {
        my $r = $c->request(method => 'POST', target => '/__emulator/faults',
            body => JSON::PP->new->canonical->encode($bad));
        is $r->{status}, 400, 'refused: ' . JSON::PP->new->canonical
                                                     ->encode($bad);
    }
    my $f = $emu->fault(op => 'UploadPart', nth => 2, status => 503,
                        code => 'SlowDown');
    is scalar @{ $f->{faults} }, 1, 'a fault is listed';
    is $f->{faults}[0]{nth}, 2, 'with its nth';
    $emu->clear_faults;
    is scalar @{ $emu->faults->{faults} }, 0, 'DELETE clears them';
};

subtest 'UploadPart: the nth fails with a status and code' => sub {
    my ($a, $id) = fresh();
    $emu->fault(op => 'UploadPart', nth => 2, status => 500,
                code => 'InternalError', message => 'boom');
    my @r = map { $emu->upload_part($a, $id, $_, $part) } 1 .. 3;
    is $r[0]{status}, 200, 'the 1st is fine';
    is $r[1]{status}, 500, 'the 2nd: 500';
    is code($r[1]), 'InternalError', 'the 2nd: InternalError';
    like $r[1]{body}, qr{<Message>boom</Message>}, 'with the message';
    is $r[2]{status}, 200, 'the 3rd is fine';
    my ($u) = @{ $emu->state->{uploads} };
    is join(' ', map { $_->{number} } @{ $u->{parts} }), '1 3',
        'the failed part was not stored';
    my ($f) = @{ $emu->faults->{faults} };
    is $f->{hits}, 1, 'the fault counts one hit';
    is $f->{seen}, 3, 'of three requests seen';
    my @log = requests_of('UploadPart');
    is $log[1]{error_code}, 'InternalError', 'the request log says so';
};

subtest 'count, count 0 (every one), part_number' => sub {
    my ($a, $id) = fresh();
    $emu->fault(op => 'UploadPart', nth => 1, count => 2, status => 503,
                code => 'SlowDown');
    my @s = map { $emu->upload_part($a, $id, $_, 'x')->{status} } 1 .. 3;
    is "@s", '503 503 200', 'count 2: two fail';

    $emu->clear_faults;
    $emu->fault(op => 'UploadPart', nth => 2, count => 0, status => 500);
    @s = map { $emu->upload_part($a, $id, $_, 'x')->{status} } 1 .. 4;
    is "@s", '200 500 500 500', 'count 0: every one from the 2nd';

    $emu->clear_faults;
    $emu->fault(op => 'UploadPart', part_number => 3, status => 500,
                code => 'InternalError');
    @s = map { $emu->upload_part($a, $id, $_, 'x')->{status} } 1, 3, 3;
    is "@s", '200 500 200', 'part_number 3: its first try fails';
};

subtest 'Initiate, Complete, PutObject, Abort, ListParts, ListMultipartUploads, GET, HEAD' => sub {
    my ($a, $id) = fresh();
    my $e = $emu->upload_part($a, $id, 1, 'x')->{headers}{etag};
    $emu->fault([
        { op => 'InitiateMultipartUpload', status => 503, code => 'SlowDown' },
        { op => 'CompleteMultipartUpload', status => 500,
          code => 'InternalError' },
        { op => 'PutObject', status => 400, code => 'RequestTimeout' },
        { op => 'AbortMultipartUpload', status => 500 },
        { op => 'ListParts', status => 500 },
        { op => 'ListMultipartUploads', status => 503, code => 'SlowDown' },
        { op => 'GetObject', status => 404, code => 'NoSuchKey' },
        { op => 'HeadObject', status => 500 },
    ]);
    my $r = $emu->cos(POST => $a, query => [ [ 'uploads', undef ] ]);
    is code($r), 'SlowDown', 'Initiate: SlowDown';
    is $r->{status}, 503, 'Initiate: 503';
    $r = $emu->complete($a, $id, [ [ 1, $e ] ]);
    is code($r), 'InternalError', 'Complete: InternalError';
    is $emu->state->{uploads}[0]{upload_id}, $id, 'the upload stays open';
    $r = $emu->cos(PUT => $a, body => 'y' x 1000);
    is code($r), 'RequestTimeout', 'PutObject: RequestTimeout';
    is $r->{status}, 400, 'PutObject: 400';
    is $emu->cos(DELETE => $a, query => [ [ 'uploadId', $id ] ])->{status},
        500, 'Abort: 500';
    is $emu->cos(GET => $a, query => [ [ 'uploadId', $id ] ])->{status},
        500, 'ListParts: 500';
    my $prefix = { prefix => substr $a->{MediaStoragePath}, 1 };
    $r = $emu->list_uploads($a, $prefix);
    is "$r->{status} " . code($r), '503 SlowDown',
        'ListMultipartUploads: 503 SlowDown';
    is $emu->list_uploads($a, $prefix)->{status}, 200,
        'the next ListMultipartUploads works';
    $r = $emu->complete($a, $id, [ [ 1, $e ] ]);
    is $r->{status}, 200, 'the next Complete works';
    is code($emu->cos(GET => $a)), 'NoSuchKey', 'GetObject: NoSuchKey';
    is $emu->cos(HEAD => $a)->{status}, 500, 'HeadObject: 500';
    is $emu->cos(GET => $a)->{status}, 200, 'the next GET works';
};

subtest 'API faults: an error in the envelope, or a non-200' => sub {
    $emu->reset;
    $emu->fault([
        { op => 'ApplyUpload', code => 'RequestLimitExceeded',
          message => 'slow down' },
        { op => 'CommitUpload', status => 502, code => 'InternalError' },
        { op => 'ProcessMedia', code => 'InternalError' },
        { op => 'PullEvents', status => 503 },
        { op => 'ConfirmEvents', code => 'InternalError' },
    ]);
    my ($r, $raw) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
    is $raw->{status}, 200, 'ApplyUpload: HTTP 200';
    is $r->{Error}{Code}, 'RequestLimitExceeded', 'Error.Code';
    is $r->{Error}{Message}, 'slow down', 'Error.Message';
    my $a = $emu->apply_upload;
    $emu->cos(PUT => $a, body => 'x');
    ($r, $raw) = $emu->api(CommitUpload => {
        VodSessionKey => $a->{VodSessionKey} });
    is $raw->{status}, 502, 'CommitUpload: HTTP 502';
    is $r->{Error}{Code}, 'InternalError', 'with an envelope';
    my ($refused) = requests_of('CommitUpload');
    is $refused->{error_code}, 'InternalError', 'the request log says so';
    is $refused->{params}{VodSessionKey}, $a->{VodSessionKey},
        'with the parameters of the refused request';
    my $c = $emu->commit_upload($a);
    ok $c->{FileId}, 'the session key still commits afterwards';
    ($r) = $emu->api(ProcessMedia => { FileId => $c->{FileId} });
    is $r->{Error}{Code}, 'InternalError', 'ProcessMedia';
    ($r, $raw) = $emu->api(PullEvents => {});
    is $raw->{status}, 503, 'PullEvents: 503';
    ($r) = $emu->api(ConfirmEvents => { EventHandles => ['x'] });
    is $r->{Error}{Code}, 'InternalError', 'ConfirmEvents';
};

subtest 'connection resets' => sub {
    my ($a, $id) = fresh();
    $emu->fault(op => 'UploadPart', nth => 1, reset => 1);
    my $r = $emu->upload_part($a, $id, 1, $part);
    ok $r->{error}, "reset at once: the client sees '$r->{error}'";

    $emu->fault(op => 'UploadPart', reset => 1, reset_after_bytes => 65536);
    $r = $emu->upload_part($a, $id, 2, $part);
    ok $r->{error}, 'reset mid-body: an error';
    my @log = requests_of('UploadPart');
    is $log[-1]{status}, 'reset', 'logged as reset';
    is $log[-1]{body_bytes}, 65536, 'after 65536 body bytes';

    $emu->fault(op => 'ApplyUpload', reset => 1);
    my ($x, $raw) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
    ok $raw->{error}, 'ApplyUpload reset: an error';

    $r = $emu->upload_part($a, $id, 3, $part);
    is $r->{status}, 200, 'the next request is served';
    my ($u) = @{ $emu->state->{uploads} };
    is join(' ', map { $_->{number} } @{ $u->{parts} }), '3',
        'nothing of the reset parts was stored';
    my @tmp = glob $emu->data . '/tmp/*';
    is scalar @tmp, 0, 'no temporary file left behind';
};

subtest 'delays, and the loop serves others meanwhile' => sub {
    my ($a, $id) = fresh();
    $emu->fault(op => 'ApplyUpload', delay_ms => 400);
    my $t = time;
    my ($r) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
    my $dt = time - $t;
    ok $r->{VodSessionKey}, 'a normal answer';
    ok $dt >= 0.39, sprintf 'after the delay (%.3f s)', $dt;

    $emu->fault(op => 'UploadPart', delay_ms => 600, status => 500,
                code => 'InternalError');
    # send the delayed request by hand, then ask something else
    my $s = IO::Socket::INET->new(PeerAddr => $emu->address) or die $!;
    my $sig = $emu->cos(PUT => $a, query => [ [ 'partNumber', 1 ],
                        [ 'uploadId', $id ] ], body => 'x', dry => 1);
    my $host = "$a->{StorageBucket}.cos.$a->{StorageRegion}.myqcloud.com";
    my $q = "partNumber=1&uploadId=$id";
    $t = time;
    print $s "PUT " . VodEmulator::Control::encode_path($a->{MediaStoragePath})
        . "?$q HTTP/1.1\r\nHost: $host\r\nContent-Length: 1\r\n"
        . "x-cos-security-token: $a->{TempCertificate}{Token}\r\n"
        . "Authorization: $sig->{signature}{authorization}\r\n\r\nx";
    my $h = $emu->client->request(method => 'GET',
                                  target => '/__emulator/health');
    my $other = time - $t;
    is $h->{status}, 200, 'another request meanwhile';
    ok $other < 0.3, sprintf 'is answered at once (%.3f s)', $other;
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($buf !~ m{</Error>} && $sel->can_read(5)) {
        sysread($s, $buf, 4096, length $buf) or last;
    }
    $dt = time - $t;
    like $buf, qr{^HTTP/1.1 500}, 'the delayed one: 500';
    like $buf, qr{<Code>InternalError</Code>}, 'InternalError';
    ok $dt >= 0.59, sprintf 'after 600 ms (%.3f s)', $dt;
};

subtest 'Complete: 200 with an <Error>, and streamed white space' => sub {
    my ($a, $id) = fresh();
    my $e = $emu->upload_part($a, $id, 1, 'x')->{headers}{etag};
    $emu->fault(op => 'CompleteMultipartUpload', complete_200_error => 1,
                code => 'InternalError', delay_ms => 100);
    my $r = $emu->complete($a, $id, [ [ 1, $e ] ]);
    is $r->{status}, 200, 'HTTP 200';
    is lc $r->{headers}{'transfer-encoding'}, 'chunked', 'streamed';
    like $r->{body}, qr{^\s+<\?xml[^>]*>\s*<Error>}, 'white space, <Error>';
    is code($r), 'InternalError', 'with the code';
    ok scalar @{ $emu->state->{uploads} }, 'the upload is still open';

    $emu->fault(op => 'CompleteMultipartUpload', stream_whitespace => 1,
                delay_ms => 100);
    $r = $emu->complete($a, $id, [ [ 1, $e ] ]);
    is $r->{status}, 200, 'stream_whitespace: 200';
    like $r->{body}, qr{^\s+<\?xml[^>]*>\s*<CompleteMultipartUploadResult>},
        'white space, then the result';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, crc64('x'), 'with the CRC';
    is scalar @{ $emu->state->{uploads} }, 0, 'the upload is complete';
};

# a request sent by hand over HTTP/1.0 (as nginx's proxy does); the
# answer as read until the emulator closes
sub http10 {
    my ($method, $a, %o) = @_;
    my $r = $emu->cos($method, $a, %o, dry => 1);
    my $host = "$a->{StorageBucket}.cos.$a->{StorageRegion}.myqcloud.com";
    my $q = join '&', map { defined $_->[1] ? "$_->[0]=$_->[1]" : $_->[0] }
            @{ $o{query} // [] };
    my $s = IO::Socket::INET->new(PeerAddr => $emu->address) or die $!;
    print $s "$method " . VodEmulator::Control::encode_path(
        $a->{MediaStoragePath}) . ($q ? "?$q" : '') . " HTTP/1.0\r\n"
        . "Host: $host\r\nContent-Length: " . length($o{body} // '')
        . "\r\nx-cos-security-token: $a->{TempCertificate}{Token}\r\n"
        . "Authorization: $r->{signature}{authorization}\r\n\r\n"
        . ($o{body} // '');
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(5)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    return $buf;
}

subtest 'HTTP/1.0: no keep-alive, no chunked encoding' => sub {
    my ($a, $id) = fresh();
    my $resp = http10(PUT => $a, query => [ [ 'partNumber', 1 ],
                                            [ 'uploadId', $id ] ],
                      body => 'x', headers => []);
    like $resp, qr{^HTTP/1.1 200 }, 'UploadPart over HTTP/1.0: 200';
    like $resp, qr{\r\nConnection: close\r\n}, 'Connection: close';
    my ($etag) = $resp =~ /\r\nETag: (\S+)\r\n/;
    $emu->fault(op => 'CompleteMultipartUpload', complete_200_error => 1,
                delay_ms => 50);
    my $xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
            . "<ETag>$etag</ETag></Part></CompleteMultipartUpload>";
    $resp = http10(POST => $a, query => [ [ 'uploadId', $id ] ],
                   body => $xml, headers => []);
    like $resp, qr{^HTTP/1.1 200 }, 'Complete with a 200 error: 200';
    unlike $resp, qr{Transfer-Encoding}i, 'not chunked';
    like $resp, qr{\r\n\r\n\s+<\?xml[^>]*>\s*<Error>.*</Error>\s*$}s,
        'white space, then the <Error>, then the close';
};

subtest 'no_length: the answer ends with the connection' => sub {
    $emu->reset;
    $emu->fault(op => 'ApplyUpload', no_length => 1);
    my $body = '{"MediaType":"mp4"}';
    my $h = $emu->tc3_headers(action => 'ApplyUpload', body => $body);
    my $s = IO::Socket::INET->new(PeerAddr => $emu->address) or die $!;
    print $s "POST / HTTP/1.1\r\n"
           . join('', map { "$_->[0]: $_->[1]\r\n" } @$h)
           . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $resp = do { local $/; <$s> };
    like $resp, qr{^HTTP/1.1 200 }, 'answered 200';
    unlike $resp, qr{\r\nContent-Length:}i, 'no Content-Length';
    like $resp, qr{\r\nConnection: close\r\n}, 'Connection: close';
    like $resp, qr{\r\n\r\n\{"Response":\{.*"VodSessionKey"}s,
        'the answer, then the close';
    ok eval { $emu->fault(op => 'UploadPart', no_length => 1) },
        'a fault of its own';
};

subtest 'wrong ETag, wrong CRC-64' => sub {
    my ($a, $id) = fresh();
    $emu->fault(op => 'UploadPart', wrong_etag => 1);
    my $r = $emu->upload_part($a, $id, 1, $part);
    is $r->{status}, 200, 'UploadPart: 200';
    isnt $r->{headers}{etag}, '"' . md5_hex($part) . '"', 'a wrong ETag';
    is $r->{headers}{'x-cos-hash-crc64ecma'}, crc64($part), 'a right CRC';
    my $c = $emu->complete($a, $id, [ [ 1, $r->{headers}{etag} ] ]);
    is code($c), 'InvalidPart', 'completing with it: InvalidPart';

    $emu->fault(op => 'UploadPart', wrong_crc64 => 1);
    $r = $emu->upload_part($a, $id, 2, $part);
    is $r->{headers}{etag}, '"' . md5_hex($part) . '"', 'a right ETag';
    isnt $r->{headers}{'x-cos-hash-crc64ecma'}, crc64($part),
        'a wrong x-cos-hash-crc64ecma';
    my ($u) = @{ $emu->state->{uploads} };
    is $u->{parts}[1]{crc64}, crc64($part), 'the state has the true CRC';

    $emu->fault(op => 'PutObject', wrong_crc64 => 1);
    $r = $emu->cos(PUT => $a, body => 'abc');
    isnt $r->{headers}{'x-cos-hash-crc64ecma'}, crc64('abc'),
        'PutObject: a wrong CRC';
    $emu->fault(op => 'PutObject', wrong_etag => 1);
    $r = $emu->cos(PUT => $a, body => 'abc');
    isnt $r->{headers}{etag}, '"' . md5_hex('abc') . '"',
        'PutObject: a wrong ETag';

    $emu->fault(op => 'CompleteMultipartUpload', wrong_crc64 => 1);
    $c = $emu->complete($a, $id, [ [ 1, '"' . md5_hex($part) . '"' ],
                                   [ 2, '"' . md5_hex($part) . '"' ] ]);
    is $c->{status}, 200, 'Complete: 200';
    isnt $c->{headers}{'x-cos-hash-crc64ecma'}, crc64($part x 2),
        'Complete: a wrong whole-object CRC';
};

subtest 'clock skew' => sub {
    $emu->reset;
    my $f = $emu->fault({ clock_skew_seconds => 600 });
    is $f->{clock_skew_seconds}, 600, 'set through /faults';
    my ($r) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
    is $r->{Error}{Code}, 'AuthFailure.SignatureExpire',
        'our clock is 600 s behind: SignatureExpire';
    ($r) = $emu->api(ApplyUpload => { MediaType => 'mp4' },
                     timestamp => int(time) + 600);
    ok $r->{VodSessionKey}, 'a timestamp on the emulator\'s clock works';
    my $raw = $emu->client->request(method => 'GET',
                                    target => '/__emulator/health');
    my $date = $raw->{headers}{date};
    my $shown = VodEmulator::Util::http_date(time + 600);
    is substr($date, 0, 22), substr($shown, 0, 22),
        'the Date header shows the skewed clock';
};

subtest 'clock skew and COS key times' => sub {
    $emu->reset;
    $emu->skew(-600);
    my ($r) = $emu->api(ApplyUpload => { MediaType => 'mp4' },
                        timestamp => int(time) - 600);
    ok $r->{VodSessionKey}, 'ApplyUpload on the emulator\'s clock';
    my $put = $emu->cos(PUT => $r, body => 'x');
    is code($put), 'RequestTimeTooSkewed',
        'a key time starting now is in its future: RequestTimeTooSkewed';
    $emu->skew(2000);
    $put = $emu->cos(PUT => $r, body => 'x');
    is code($put), 'AccessDenied', 'and past its end: AccessDenied';
    $emu->skew(0);
    is $emu->cos(PUT => $r, body => 'x')->{status}, 200, 'no skew: 200';
};

subtest 'reset forgets everything' => sub {
    my $a = $emu->apply_upload;
    $emu->cos(PUT => $a, body => 'x');
    $emu->fault(op => 'UploadPart', status => 500);
    $emu->reset;
    my $s = $emu->state;
    is scalar @{ $s->{objects} }, 0, 'no objects';
    is scalar @{ $s->{sessions} }, 0, 'no sessions';
    is scalar @{ $s->{faults} }, 0, 'no faults';
    is scalar(grep { $_->{op} ne 'control' } @{ $s->{requests} }), 0,
        'no requests';
    is $emu->cos(PUT => $a, body => 'x')->{status}, 404,
        'the old bucket is gone';
};

is $emu->stop, 0, 'stopped';

done_testing;

package VodEmulator::Cos;

# COS (<bucket>.cos.<region>.myqcloud.com): the q-sign check against the
# TempCertificate ApplyUpload issued, then PUT Object, the multipart calls
# (Initiate, UploadPart, Complete, Abort, ListParts, and on the bucket
# ListMultipartUploads), GET / HEAD / DELETE Object. Errors are COS XML
# documents.

use strict;
use warnings;

use Digest::MD5 ();
use MIME::Base64 qw(decode_base64);

use VodEmulator::Sign qw(parse_cos_authorization cos_sign cos_urlencode
                         uri_decode);
use VodEmulator::Util qw(xml_escape cos_request_id http_date iso8601_ms);

use constant MAX_PUT     => 5 * 1024 * 1024 * 1024;
use constant MAX_PART    => 5 * 1024 * 1024 * 1024;
use constant MAX_PARTS   => 10000;
use constant MAX_XML     => 4 * 1024 * 1024;
use constant MAX_LIST    => 1000;       # entries in a page of a list

# who owns VOD's buckets and initiates the uploads of its sessions, as
# the Initiator and Owner of list answers show it
use constant OWNER_UIN   => '100000000001';

my %MESSAGE = (
    AccessDenied          => 'Access Denied.',
    SignatureDoesNotMatch => 'The Signature you specified is invalid.',
    InvalidAccessKeyId    => 'The Access Key Id you provided does not exist '
                           . 'in our records.',
    NoSuchBucket          => 'The specified bucket does not exist.',
    NoSuchKey             => 'The specified key does not exist.',
    NoSuchUpload          => 'The specified upload does not exist.',
    MalformedXML          => 'The XML you provided was not well-formed.',
    InternalError         => 'We encountered an internal error. Please '
                           . 'try again.',
);

sub new {
    my ($class, $srv) = @_;
    return bless { srv => $srv }, $class;
}

sub parse_host {
    my ($host) = @_;
    return unless defined $host;
    $host =~ s/:\d+$//;
    return lc($host) =~ /^([a-z0-9][a-z0-9-]*)\.cos\.([a-z0-9-]+)\.myqcloud\.com$/;
}

# "a=1&uploads&b=%2F" -> { a => 1, uploads => '', b => '/' }
sub parse_query {
    my ($q) = @_;
    my %q;
    for my $pair (split /&/, $q // '') {
        next if $pair eq '';
        my ($k, $v) = split /=/, $pair, 2;
        $q{ uri_decode($k) } = uri_decode($v // '');
    }
    return \%q;
}


# ---- answers ----

sub headers {
    my ($self, @more) = @_;
    return [ [ 'Server', 'tencent-cos' ],
             [ 'x-cos-request-id', cos_request_id() ], @more ];
}

sub error_doc {
    my ($self, $req, $code, $message) = @_;
    my $c = $req->{cos} // {};
    my $resource = defined $c->{bucket}
        ? "$c->{bucket}.cos.$c->{region}.myqcloud.com$req->{path}"
        : $req->{path};
    return "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n"
         . "\t<Code>" . xml_escape($code) . "</Code>\n"
         . "\t<Message>" . xml_escape($message // $MESSAGE{$code} // $code)
         . "</Message>\n"
         . "\t<Resource>" . xml_escape($resource) . "</Resource>\n"
         . "\t<RequestId>" . cos_request_id() . "</RequestId>\n"
         . "\t<TraceId>" . cos_request_id() . cos_request_id()
         . "</TraceId>\n</Error>\n";
}

sub error {
    my ($self, $req, $status, $code, $message) = @_;
    return {
        status     => $status,
        headers    => $self->headers([ 'Content-Type', 'application/xml' ]),
        body       => $req->{method} eq 'HEAD' ? undef
                      : $self->error_doc($req, $code, $message),
        error_code => $code,
    };
}

sub fault_answer {
    my ($self, $req, $fault) = @_;
    return $self->error($req, $fault->{status} // 500,
        $fault->{code} // 'InternalError',
        $fault->{message} // 'injected by the emulator');
}

sub xml {
    my ($self, $body, @headers) = @_;
    return {
        status  => 200,
        headers => $self->headers([ 'Content-Type', 'application/xml' ],
                                  @headers),
        body    => "<?xml version='1.0' encoding='utf-8' ?>\n$body",
    };
}


# ---- routing ----

# { op, prepare } where prepare gives the plan once faults were looked at
sub route {
    my ($self, $req) = @_;
    my ($bucket, $region) = parse_host($req->{headers}{host});
    my $q = parse_query($req->{query});
    my $key = uri_decode($req->{path});
    $key =~ s{^/}{};
    $req->{cos} = { bucket => $bucket, region => $region, key => $key,
                    q => $q };
    my $op = $self->classify($req->{method}, $q, $key, $req->{headers});
    $req->{cos}{op} = $op;
    $req->{cos}{part_number} = $q->{partNumber} if $op eq 'UploadPart';
    $req->{log}{upload_id} = $q->{uploadId} if defined $q->{uploadId};
    $req->{log}{part_number} = $q->{partNumber} if defined $q->{partNumber};
    return {
        op          => $op =~ /^!/ ? undef : $op,
        part_number => $q->{partNumber},
        prepare     => sub { $self->prepare($req, $op) },
    };
}

sub classify {
    my ($self, $m, $q, $key, $h) = @_;
    if ($key eq '') {       # the bucket itself
        return 'ListMultipartUploads' if $m eq 'GET' && exists $q->{uploads};
        return '!NoKey';
    }
    if ($m eq 'PUT') {
        return '!Copy' if defined $h->{'x-cos-copy-source'};
        return defined $q->{partNumber} || defined $q->{uploadId}
            ? 'UploadPart' : 'PutObject';
    }
    if ($m eq 'POST') {
        return 'InitiateMultipartUpload' if exists $q->{uploads};
        return 'CompleteMultipartUpload' if defined $q->{uploadId};
        return '!PostObject';
    }
    return defined $q->{uploadId} ? 'ListParts' : 'GetObject' if $m eq 'GET';
    return 'HeadObject' if $m eq 'HEAD';
    if ($m eq 'DELETE') {
        return defined $q->{uploadId} ? 'AbortMultipartUpload'
                                      : 'DeleteObject';
    }
    return '!Method';
}

sub discard {
    my ($self, $resp) = @_;
    return { body => 'discard', done => sub { $resp } };
}

sub prepare {
    my ($self, $req, $op) = @_;
    my $c = $req->{cos};
    my $srv = $self->{srv};

    return $self->discard($self->error($req, 404, 'NoSuchBucket'))
        unless $srv->bucket_exists($c->{bucket}, $c->{region});

    my @e = $self->authorize($req);
    return $self->discard($self->error($req, @e)) if @e;

    return $self->discard($self->error($req, 405, 'MethodNotAllowed',
        "The emulator does not implement $req->{method} $req->{target}."))
        if $op =~ /^!/;

    my $method = "prepare_$op";
    return $self->$method($req);
}


# ---- the signature ----

sub authorize {
    my ($self, $req) = @_;
    my $h = $req->{headers};
    my $c = $req->{cos};
    my $srv = $self->{srv};

    my $auth = $h->{authorization};
    return (403, 'AccessDenied', 'Access Denied: the request is not '
            . 'signed (no Authorization header).')
        unless defined $auth && length $auth;
    my $a = parse_cos_authorization($auth)
        or return (403, 'AccessDenied', 'The Authorization header is not '
                   . 'q-sign-algorithm=sha1&q-ak=...&q-sign-time=...&'
                   . 'q-key-time=...&q-header-list=...&q-url-param-list=...'
                   . '&q-signature=...');
    $req->{log}{secret_id} = $a->{'q-ak'};
    $req->{log}{header_list} = $a->{'q-header-list'};
    $req->{log}{url_param_list} = $a->{'q-url-param-list'};
    return (403, 'AccessDenied', "q-sign-algorithm must be sha1, not "
            . "$a->{'q-sign-algorithm'}.")
        unless $a->{'q-sign-algorithm'} eq 'sha1';

    my $cert = $srv->{certs}{ $a->{'q-ak'} }
        or return (403, 'InvalidAccessKeyId');
    my $now = int $srv->now;

    my $token = $h->{'x-cos-security-token'};
    return (403, 'AccessDenied', 'x-cos-security-token is required with a '
            . 'temporary SecretId.') unless defined $token && length $token;
    return (403, 'AccessDenied', 'x-cos-security-token does not match the '
            . 'temporary SecretId.') unless $token eq $cert->{token};
    return (403, 'AccessDenied', "Request has expired: the temporary "
            . "credential expired at $cert->{expired_time} (now $now).")
        if $now > $cert->{expired_time};

    for my $f (qw(q-sign-time q-key-time)) {
        my ($start, $end) = $a->{$f} =~ /^(\d{1,12});(\d{1,12})$/
            or return (403, 'AccessDenied', "$f `$a->{$f}` is not "
                       . 'start;end in unix seconds.');
        return (403, 'AccessDenied', "$f `$a->{$f}` ends before it starts.")
            if $end < $start;
        return (403, 'RequestTimeTooSkewed', "The difference between the "
                . "request time and the server's time is too large: $f "
                . "starts at $start, server time is $now.") if $now < $start;
        return (403, 'AccessDenied', "Request has expired: $f ended at "
                . "$end, server time is $now.") if $now > $end;
    }

    my @hnames = split /;/, $a->{'q-header-list'};
    my @pnames = split /;/, $a->{'q-url-param-list'};
    for ([ 'q-header-list', \@hnames ], [ 'q-url-param-list', \@pnames ]) {
        my ($f, $list) = @$_;
        return (403, 'AccessDenied', "$f `$a->{$f}` must be lower-case "
                . 'and sorted.')
            if grep({ $_ ne lc $_ } @$list)
            || join(';', sort @$list) ne $a->{$f};
    }
    return (403, 'AccessDenied', "The Host header must be signed "
            . "(q-header-list `$a->{'q-header-list'}`).")
        unless grep { $_ eq 'host' } @hnames;

    # names as they appear in the lists: lower(urlencode(name))
    my %sent_h = map { lc(cos_urlencode($_)) => 1 } keys %$h;
    my %sent_q = map { lc(cos_urlencode($_)) => 1 } keys %{ $c->{q} };
    for ([ \@hnames, \%sent_h, 'header', 'q-header-list' ],
         [ \@pnames, \%sent_q, 'parameter', 'q-url-param-list' ]) {
        my ($names, $sent, $what, $f) = @$_;
        for my $n (@$names) {
            return (403, 'SignatureDoesNotMatch', "The signed $what `$n` "
                    . "($f) is not in the request.") unless $sent->{$n};
        }
    }

    my $want = cos_sign(secret_key => $cert->{secret_key},
        secret_id => $a->{'q-ak'}, key_time => $a->{'q-key-time'},
        sign_time => $a->{'q-sign-time'}, method => $req->{method},
        path => "/$c->{key}", query => $c->{q}, headers => $h,
        param_names => \@pnames, header_names => \@hnames);
    if ($want->{signature} ne $a->{'q-signature'}) {
        (my $shown = $want->{http_string}) =~ s/\n/\\n/g;
        return (403, 'SignatureDoesNotMatch',
                "The Signature you specified is invalid. The emulator's "
              . "HttpString: $shown");
    }

    my $s = $cert->{session};
    return (403, 'AccessDenied', "The temporary credential is for bucket "
            . "$s->{bucket} in $s->{region}.")
        unless $c->{bucket} eq $s->{bucket} && $c->{region} eq $s->{region};
    if ($c->{op} eq 'ListMultipartUploads') {
        my @e = $self->authorize_list($s, $c->{q}{prefix});
        return @e if @e;
        $req->{session} = $s;
        return;
    }
    return (403, 'AccessDenied', "The temporary credential does not allow "
            . "/$c->{key}: only $s->{media_path}"
            . ($s->{cover_path} ? " and $s->{cover_path}" : '') . '.')
        unless "/$c->{key}" eq $s->{media_path}
        || (defined $s->{cover_path} && "/$c->{key}" eq $s->{cover_path});
    $req->{session} = $s;
    return;
}


# ListMultipartUploads on the bucket, under a session's credential: as a
# policy whose resources are the session's keys would allow it (the SDKs
# scope such a listing by its prefix), only with a prefix that starts with
# the media or the cover key. A shorter prefix, none, or another key is
# refused as CAM refuses it, AccessDenied.
sub authorize_list {
    my ($self, $s, $prefix) = @_;
    $prefix //= '';
    for my $path ($s->{media_path}, $s->{cover_path}) {
        next unless defined $path;
        my $key = substr $path, 1;
        return if substr($prefix, 0, length $key) eq $key;
    }
    return (403, 'AccessDenied', "The temporary credential lists multipart "
            . "uploads only under its own keys: prefix `$prefix` does not "
            . "start with " . substr($s->{media_path}, 1)
            . ($s->{cover_path} ? ' or ' . substr($s->{cover_path}, 1) : '')
            . '.');
}


# ---- PUT Object ----

sub body_size_check {
    my ($self, $req, $max) = @_;
    return (411, 'MissingContentLength', 'You must provide the '
            . 'Content-Length HTTP header (or send the body chunked).')
        unless defined $req->{content_length} || $req->{chunked};
    return (400, 'EntityTooLarge', "Your proposed upload exceeds the "
            . "maximum allowed object size ($max bytes).")
        if ($req->{content_length} // 0) > $max;
    return;
}

sub sink_plan {
    my ($self, $req, $max, $done) = @_;
    my $sink = $self->{srv}{store}->sink;
    return {
        body => 'sink',
        sink => $sink,
        done => sub {
            my $r = $sink->result;
            if (defined $r->{error}) {
                $sink->abort;
                return $self->error($req, 500, 'InternalError',
                    "The emulator could not store the body: $r->{error}");
            }
            if ($r->{size} > $max) {
                $sink->abort;
                return $self->error($req, 400, 'EntityTooLarge');
            }
            return $done->($r, $sink);
        },
    };
}

sub digest_check {
    my ($self, $req, $r) = @_;
    my $md5 = $req->{headers}{'content-md5'};
    return unless defined $md5;
    my $raw = decode_base64($md5);
    return (400, 'InvalidDigest', 'The Content-MD5 you specified is not '
            . 'valid.') unless length $raw == 16;
    return (400, 'BadDigest', 'The Content-MD5 you specified did not match '
            . 'what was received.') unless unpack('H*', $raw) eq $r->{md5};
    return;
}

sub hash_headers {
    my ($self, $req, $md5, $crc, $etag) = @_;
    my $f = $req->{fault} // {};
    $etag //= qq("$md5");
    $etag = '"' . Digest::MD5::md5_hex("wrong $etag") . '"'
        if $f->{wrong_etag};
    $crc = ($crc ^ 1) if $f->{wrong_crc64};
    return ([ 'ETag', $etag ], [ 'x-cos-hash-crc64ecma', $crc ]);
}

sub prepare_PutObject {
    my ($self, $req) = @_;
    my @e = $self->body_size_check($req, MAX_PUT);
    return $self->discard($self->error($req, @e)) if @e;
    my $c = $req->{cos};
    return $self->sink_plan($req, MAX_PUT, sub {
        my ($r, $sink) = @_;
        if (my @e = $self->digest_check($req, $r)) {
            $sink->abort;
            return $self->error($req, @e);
        }
        my $srv = $self->{srv};
        my $obj = $srv->{store}->put_object($c->{bucket}, $c->{key}, $r,
            content_type => $req->{headers}{'content-type'},
            mtime => $srv->now);
        $req->{log}{size} = $obj->{size};
        return {
            status  => 200,
            headers => $self->headers(
                $self->hash_headers($req, $obj->{md5}, $obj->{crc64})),
            body    => '',
        };
    });
}


# ---- multipart ----

sub prepare_InitiateMultipartUpload {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    return $self->discard_then(sub {
        my $srv = $self->{srv};
        my $id = $srv->new_upload_id;
        $srv->{store}->initiate($c->{bucket}, $c->{key}, $id,
            content_type => $req->{headers}{'content-type'},
            mtime => $srv->now);
        $req->{log}{upload_id} = $id;
        return $self->xml("<InitiateMultipartUploadResult>\n"
            . "\t<Bucket>" . xml_escape($c->{bucket}) . "</Bucket>\n"
            . "\t<Key>" . xml_escape($c->{key}) . "</Key>\n"
            . "\t<UploadId>$id</UploadId>\n"
            . "</InitiateMultipartUploadResult>\n");
    });
}

sub discard_then {
    my ($self, $done) = @_;
    return { body => 'discard', done => $done };
}

# the open upload named by uploadId, for this object, or an error
sub find_upload {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    my $u = $self->{srv}{store}->upload($c->{q}{uploadId} // '');
    return (undef, 404, 'NoSuchUpload')
        unless $u && $u->{bucket} eq $c->{bucket} && $u->{key} eq $c->{key};
    return ($u);
}

sub prepare_UploadPart {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    my $n = $c->{q}{partNumber};
    return $self->discard($self->error($req, 400, 'InvalidArgument',
        'Part number must be an integer between 1 and ' . MAX_PARTS
      . ', inclusive.'))
        unless defined $n && $n =~ /^[0-9]{1,5}$/ && $n >= 1
        && $n <= MAX_PARTS;
    return $self->discard($self->error($req, 400, 'InvalidArgument',
        'uploadId is missing.')) unless defined $c->{q}{uploadId};
    my ($u, @e) = $self->find_upload($req);
    return $self->discard($self->error($req, @e)) unless $u;
    @e = $self->body_size_check($req, MAX_PART);
    return $self->discard($self->error($req, @e)) if @e;

    return $self->sink_plan($req, MAX_PART, sub {
        my ($r, $sink) = @_;
        if (my @e = $self->digest_check($req, $r)) {
            $sink->abort;
            return $self->error($req, @e);
        }
        my ($u, @e) = $self->find_upload($req);     # aborted meanwhile?
        if (!$u) {
            $sink->abort;
            return $self->error($req, @e);
        }
        my $part = $self->{srv}{store}->put_part($u, $n + 0, $r,
                                                 $self->{srv}->now);
        $req->{log}{size} = $part->{size};
        return {
            status  => 200,
            headers => $self->headers(
                $self->hash_headers($req, $part->{md5}, $part->{crc64})),
            body    => '',
        };
    });
}

# <CompleteMultipartUpload><Part><PartNumber>1</PartNumber>
# <ETag>"..."</ETag></Part>...</CompleteMultipartUpload>
sub parse_complete {
    my ($self, $xml) = @_;
    $xml =~ s/^\x{FEFF}//;
    my ($inner) = $xml =~ m{^\s*(?:<\?xml[^>]*\?>\s*)?<CompleteMultipartUpload(?:\s[^>]*)?>(.*)</CompleteMultipartUpload>\s*$}s
        or return;
    my @parts;
    while ($inner =~ s{^\s*<Part>(.*?)</Part>}{}s) {
        my $p = $1;
        my ($n) = $p =~ m{<PartNumber>\s*(\d{1,9})\s*</PartNumber>} or return;
        my ($etag) = $p =~ m{<ETag>(.*?)</ETag>}s or return;
        $etag =~ s/&quot;/"/g;
        $etag =~ s/&amp;/&/g;
        push @parts, [ $n + 0, $etag ];
    }
    return if $inner =~ /\S/ || !@parts;
    return \@parts;
}

sub prepare_CompleteMultipartUpload {
    my ($self, $req) = @_;
    my ($u, @e) = $self->find_upload($req);
    return $self->discard($self->error($req, @e)) unless $u;
    return {
        body => 'buffer',
        max  => MAX_XML,
        done => sub { $self->complete($req) },
    };
}

sub complete {
    my ($self, $req) = @_;
    my $srv = $self->{srv};
    my $c = $req->{cos};
    my $f = $req->{fault} // {};
    return $self->error($req, 400, 'MalformedXML', 'The Complete body is '
                        . 'larger than ' . MAX_XML . ' bytes.')
        if $req->{too_large};
    my ($u, @e) = $self->find_upload($req);
    return $self->error($req, @e) unless $u;

    if ($f->{complete_200_error}) {
        return $self->streamed($req, $f, $self->error_doc($req,
            $f->{code} // 'InternalError',
            $f->{message} // 'injected by the emulator'), [],
            $f->{code} // 'InternalError');
    }

    my $list = $self->parse_complete($req->{body})
        or return $self->error($req, 400, 'MalformedXML');
    for (@$list) {
        return $self->error($req, 400, 'InvalidPart', "Part number "
                            . "$_->[0] is out of 1.." . MAX_PARTS . '.')
            if $_->[0] < 1 || $_->[0] > MAX_PARTS;
    }
    my ($obj, $code, $message) = $srv->{store}->complete($u, $list,
                                                         mtime => $srv->now);
    return $self->error($req, $code eq 'NoSuchUpload' ? 404 : 400, $code,
                        $message) unless $obj;
    $req->{log}{size} = $obj->{size};

    my @hh = $self->hash_headers($req, undef, $obj->{crc64}, $obj->{etag});
    my $host = $req->{headers}{host};
    my $doc = "<?xml version='1.0' encoding='utf-8' ?>\n"
            . "<CompleteMultipartUploadResult>\n"
            . "\t<Location>" . xml_escape("$host/$c->{key}") . "</Location>\n"
            . "\t<Bucket>" . xml_escape($c->{bucket}) . "</Bucket>\n"
            . "\t<Key>" . xml_escape($c->{key}) . "</Key>\n"
            . "\t<ETag>" . xml_escape($hh[0][1]) . "</ETag>\n"
            . "</CompleteMultipartUploadResult>\n";
    return $self->streamed($req, $f, $doc, [ $hh[1] ])
        if $f->{stream_whitespace};
    return {
        status  => 200,
        headers => $self->headers([ 'Content-Type', 'application/xml' ],
                                  $hh[1]),
        body    => $doc,
    };
}

# COS's long Complete: 200 at once, white space while "merging", then the
# document (a result, or an <Error>)
sub streamed {
    my ($self, $req, $f, $doc, $headers, $code) = @_;
    my $wait = ($f->{delay_ms} // 200) / 1000;
    $req->{no_fault_delay} = 1;
    return {
        status     => 200,
        headers    => $self->headers([ 'Content-Type', 'application/xml' ],
                                     @$headers),
        chunks     => [ [ 0, "\n" ], [ $wait / 2, "  \n" ], [ $wait / 2, $doc ] ],
        error_code => $code,
    };
}

sub prepare_AbortMultipartUpload {
    my ($self, $req) = @_;
    my ($u, @e) = $self->find_upload($req);
    return $self->discard($self->error($req, @e)) unless $u;
    return $self->discard_then(sub {
        my ($u, @e) = $self->find_upload($req);
        return $self->error($req, @e) unless $u;
        $self->{srv}{store}->abort($u);
        return { status => 204, headers => $self->headers };
    });
}

sub prepare_ListParts {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    my ($u, @e) = $self->find_upload($req);
    return $self->discard($self->error($req, @e)) unless $u;
    my $max = $c->{q}{'max-parts'} // 1000;
    my $marker = $c->{q}{'part-number-marker'} // 0;
    for ([ 'max-parts', $max ], [ 'part-number-marker', $marker ]) {
        return $self->discard($self->error($req, 400, 'InvalidArgument',
            "$_->[0] must be a non-negative integer."))
            unless $_->[1] =~ /^\d{1,9}$/;
    }
    $max = $self->page_size($max);
    return $self->discard_then(sub {
        my @all = sort { $a <=> $b } grep { $_ > $marker }
                  keys %{ $u->{parts} };
        my @page = splice @all, 0, $max;
        my $body = "<ListPartsResult>\n"
            . "\t<Bucket>" . xml_escape($c->{bucket}) . "</Bucket>\n"
            . "\t<Key>" . xml_escape($c->{key}) . "</Key>\n"
            . "\t<UploadId>$u->{id}</UploadId>\n"
            . $self->people("\t")
            . "\t<StorageClass>STANDARD</StorageClass>\n"
            . "\t<PartNumberMarker>$marker</PartNumberMarker>\n"
            . "\t<NextPartNumberMarker>" . (@page ? $page[-1] : $marker)
            . "</NextPartNumberMarker>\n"
            . "\t<MaxParts>$max</MaxParts>\n"
            . "\t<IsTruncated>" . (@all ? 'true' : 'false')
            . "</IsTruncated>\n";
        for my $n (@page) {
            my $p = $u->{parts}{$n};
            $body .= "\t<Part>\n\t\t<PartNumber>$n</PartNumber>\n"
                . "\t\t<LastModified>" . iso8601_ms($p->{mtime})
                . "</LastModified>\n"
                . "\t\t<ETag>" . xml_escape($p->{etag}) . "</ETag>\n"
                . "\t\t<Size>$p->{size}</Size>\n\t</Part>\n";
        }
        return $self->xml("$body</ListPartsResult>\n");
    });
}

# entries in one page of a list: what the client asked for (0 or more than
# 1000: 1000), at most the config's list_page_max (small pages for tests)
sub page_size {
    my ($self, $asked) = @_;
    my $max = $asked == 0 || $asked > MAX_LIST ? MAX_LIST : $asked;
    my $cap = $self->{srv}{cfg}{list_page_max};
    return defined $cap && $cap < $max ? $cap : $max;
}

# <Initiator> and <Owner> of list answers
sub people {
    my ($self, $indent) = @_;
    my $id = 'qcs::cam::uin/' . OWNER_UIN . ':uin/' . OWNER_UIN;
    return join '', map {
        "$indent<$_>\n$indent\t<ID>$id</ID>\n"
      . "$indent\t<DisplayName>" . OWNER_UIN . "</DisplayName>\n"
      . "$indent</$_>\n"
    } qw(Initiator Owner);
}

# GET /?uploads: the open multipart uploads of the bucket, by key then in
# the order they were initiated, a page at a time. Parameters: prefix,
# delimiter (keys that go on past the prefix to a delimiter are rolled up
# into one CommonPrefixes entry), key-marker and upload-id-marker (list
# what comes after them: a later key, or with upload-id-marker the same
# key's uploads initiated after that one), max-uploads, encoding-type=url.
sub prepare_ListMultipartUploads {
    my ($self, $req) = @_;
    my $q = $req->{cos}{q};
    my $max = $q->{'max-uploads'} // MAX_LIST;
    return $self->discard($self->error($req, 400, 'InvalidArgument',
        'max-uploads must be an integer between 1 and ' . MAX_LIST . '.'))
        unless $max =~ /^\d{1,9}$/;
    my $enc = $q->{'encoding-type'};
    return $self->discard($self->error($req, 400, 'InvalidArgument',
        'Invalid Encoding Method specified in Request: encoding-type is '
      . 'url or absent.'))
        if defined $enc && $enc ne 'url';
    $max = $self->page_size($max);
    return $self->discard_then(sub { $self->list_uploads($req, $max) });
}

sub list_uploads {
    my ($self, $req, $max) = @_;
    my $c = $req->{cos};
    my $q = $c->{q};
    my $store = $self->{srv}{store};
    my $prefix = $q->{prefix} // '';
    my $delim = $q->{delimiter} // '';
    my $km = $q->{'key-marker'} // '';
    my $uim = $km eq '' ? '' : $q->{'upload-id-marker'} // '';
    # the marker's own upload, when it is still open, places it exactly
    my $mark = $uim ne '' ? $store->upload($uim) : undef;
    undef $mark unless $mark && $mark->{bucket} eq $c->{bucket}
        && $mark->{key} eq $km;

    my (@page, %rolled, $truncated);
    for my $u ($store->uploads_by_key($c->{bucket}, $prefix)) {
        if ($km ne '') {
            next if $u->{key} lt $km;
            next if $u->{key} eq $km && ($uim eq ''
                || ($mark ? $u->{seq} <= $mark->{seq} : $u->{id} le $uim));
        }
        my $cp;
        if ($delim ne '') {
            my $i = index $u->{key}, $delim, length $prefix;
            $cp = substr $u->{key}, 0, $i + length $delim if $i >= 0;
        }
        next if defined $cp && ($rolled{$cp} || $cp eq $km);
        if (@page == $max) {
            $truncated = 1;
            last;
        }
        $rolled{$cp} = 1 if defined $cp;
        push @page, defined $cp ? { prefix => $cp } : { upload => $u };
    }

    my $enc = defined $q->{'encoding-type'};
    my $text = sub {
        my ($s) = @_;
        $s = join '/', map { cos_urlencode($_) } split m{/}, $s, -1
            if $enc;
        return xml_escape($s);
    };
    my $last = $page[-1];
    my $next_key = !$last ? '' : $last->{upload} ? $last->{upload}{key}
                                                  : $last->{prefix};
    my $next_id = $last && $last->{upload} ? $last->{upload}{id} : '';
    my $body = "<ListMultipartUploadsResult>\n"
        . "\t<Bucket>" . xml_escape($c->{bucket}) . "</Bucket>\n"
        . ($enc ? "\t<Encoding-Type>url</Encoding-Type>\n" : '')
        . "\t<KeyMarker>" . $text->($km) . "</KeyMarker>\n"
        . "\t<UploadIdMarker>" . xml_escape($uim) . "</UploadIdMarker>\n"
        . "\t<NextKeyMarker>" . $text->($next_key) . "</NextKeyMarker>\n"
        . "\t<NextUploadIdMarker>" . xml_escape($next_id)
        . "</NextUploadIdMarker>\n"
        . "\t<MaxUploads>$max</MaxUploads>\n"
        . "\t<IsTruncated>" . ($truncated ? 'true' : 'false')
        . "</IsTruncated>\n"
        . "\t<Prefix>" . $text->($prefix) . "</Prefix>\n"
        . "\t<Delimiter>" . $text->($delim) . "</Delimiter>\n";
    for my $e (grep { $_->{upload} } @page) {
        my $u = $e->{upload};
        $body .= "\t<Upload>\n"
            . "\t\t<Key>" . $text->($u->{key}) . "</Key>\n"
            . "\t\t<UploadId>$u->{id}</UploadId>\n"
            . "\t\t<StorageClass>STANDARD</StorageClass>\n"
            . $self->people("\t\t")
            . "\t\t<Initiated>" . iso8601_ms($u->{initiated})
            . "</Initiated>\n"
            . "\t</Upload>\n";
    }
    for my $e (grep { $_->{prefix} } @page) {
        $body .= "\t<CommonPrefixes>\n"
            . "\t\t<Prefix>" . $text->($e->{prefix}) . "</Prefix>\n"
            . "\t</CommonPrefixes>\n";
    }
    return $self->xml("$body</ListMultipartUploadsResult>\n");
}


# ---- GET / HEAD / DELETE Object ----

sub prepare_GetObject  { $_[0]->object_plan($_[1]) }
sub prepare_HeadObject { $_[0]->object_plan($_[1]) }

sub object_plan {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    return $self->discard_then(sub {
        my $obj = $self->{srv}{store}->get_object($c->{bucket}, $c->{key});
        return $self->error($req, 404, 'NoSuchKey') unless $obj;
        return $self->serve_object($req, $obj, $self->headers);
    });
}

# an object's bytes (GET, with one Range) or its head (HEAD); also used for
# the MediaUrl and the other URLs the emulator hands out
sub serve_object {
    my ($self, $req, $obj, $headers, %o) = @_;
    my @h = (@$headers,
        [ 'Content-Type', $o{content_type} // $obj->{content_type}
                          // 'application/octet-stream' ],
        [ 'ETag', $obj->{etag} ],
        [ 'Last-Modified', http_date($obj->{mtime} // time) ],
        [ 'Accept-Ranges', 'bytes' ]);
    push @h, [ 'x-cos-hash-crc64ecma', $obj->{crc64} ] unless $o{plain};
    my ($from, $to) = (0, $obj->{size} - 1);
    my $status = 200;
    my $range = $req->{headers}{range};
    if (defined $range && $obj->{size} > 0) {
        my ($a, $b) = $range =~ /^bytes=(\d*)-(\d*)$/;
        if (defined $a && ($a ne '' || $b ne '')) {
            if ($a eq '') {
                $from = $b >= $obj->{size} ? 0 : $obj->{size} - $b;
            } else {
                $from = $a;
                $to = $b if $b ne '' && $b < $to;
            }
            return { status => 416, headers => [ @$headers,
                     [ 'Content-Range', "bytes */$obj->{size}" ] ],
                     body => '' } if $from > $to;
            $status = 206;
            push @h, [ 'Content-Range', "bytes $from-$to/$obj->{size}" ];
        }
    }
    return {
        status    => $status,
        headers   => \@h,
        segments  => slice_segments($obj->{segments}, $from, $to - $from + 1),
        head_only => $req->{method} eq 'HEAD',
    };
}

sub slice_segments {
    my ($segs, $from, $len) = @_;
    my @out;
    for my $s (@$segs) {
        my ($file, $off, $size) = @$s;
        if ($from >= $size) {
            $from -= $size;
            next;
        }
        last if $len <= 0;
        my $take = $size - $from < $len ? $size - $from : $len;
        push @out, [ $file, $off + $from, $take ];
        $len -= $take;
        $from = 0;
    }
    return \@out;
}

sub prepare_DeleteObject {
    my ($self, $req) = @_;
    my $c = $req->{cos};
    return $self->discard_then(sub {
        $self->{srv}{store}->delete_object($c->{bucket}, $c->{key});
        return { status => 204, headers => $self->headers };
    });
}

1;

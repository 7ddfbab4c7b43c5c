package VodEmulator::Control;

# Drives a vod-emulator from test code:
#
#   use lib 't/emulator/lib';
#   use VodEmulator::Control;
#   my $emu = VodEmulator::Control->start(callback_url => ...);
#   $emu->port;  $emu->url;  $emu->state;  $emu->fault(op => ...);
#   my ($st, $json) = $emu->api(ApplyUpload => { MediaType => 'mp4' });
#   my $r = $emu->cos(PUT => $apply, body => $bytes);
#   $emu->stop;
#
# start() runs t/emulator/vod-emulator as a child (fork and exec), reads
# its ready line and returns at once; stop() sends TERM and reaps it (also
# done when the object goes away). Option names are those of the command
# line with _ for - (cert_lifetime => 5, procedure => ['p=100010']).

use strict;
use warnings;

use Cwd ();
use File::Basename ();
use File::Spec ();
use File::Temp ();
use IO::Select ();
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes ();

use VodEmulator::Client;
use VodEmulator::Sign qw(tc3_sign cos_sign cos_urlencode);

my $JSON = JSON::PP->new->utf8->canonical;

sub program {
    my $here = File::Basename::dirname(Cwd::abs_path(__FILE__));
    return File::Spec->catfile($here, File::Spec->updir, File::Spec->updir,
                               'vod-emulator');
}

sub start {
    my ($class, %o) = @_;
    my $data = delete $o{data} // File::Temp::tempdir('vod-emulator-XXXXXX',
        TMPDIR => 1, CLEANUP => 1);
    my $self = bless {
        data       => $data,
        secret_id  => delete $o{secret_id}
                      // 'AKIDemu' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 29),
        secret_key => delete $o{secret_key} // 'emulatorsecretkey0123456789abcd',
        region     => delete $o{region} // 'ap-guangzhou',
    }, $class;
    my @args = ('--listen', delete $o{listen} // '127.0.0.1:0',
                '--data', $data, '--secret-id', $self->{secret_id},
                '--secret-key', $self->{secret_key}, '--parent', $$);
    for my $k (sort keys %o) {
        my $opt = '--' . ($k =~ tr/_/-/r);
        my $v = $o{$k};
        next if !defined $v;
        if (ref $v eq 'ARRAY') {
            push @args, map { ($opt, $_) } @$v;
        } elsif ($v eq '1' && $k =~ /^(?:verbose|region_optional)$/) {
            push @args, $opt;
        } else {
            push @args, $opt, $v;
        }
    }

    pipe my $r, my $w or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $r;
        open STDOUT, '>&', $w or die "dup: $!";
        exec $^X, program(), @args or die "exec: $!";
    }
    close $w;
    $self->{pid} = $pid;
    my $sel = IO::Select->new($r);
    my $line = '';
    my $deadline = Time::HiRes::time() + 15;
    while ($line !~ /\n/) {
        my $left = $deadline - Time::HiRes::time();
        last if $left <= 0 || !$sel->can_read($left);
        sysread($r, $line, 4096, length $line) or last;
    }
    if ($line !~ /ready on ([\d.]+):(\d+)/) {
        $self->stop;
        die "vod-emulator did not start (got: '$line'); see its stderr\n";
    }
    @$self{qw(host port)} = ($1, $2);
    $self->{out} = $r;
    return $self;
}

sub pid     { $_[0]{pid} }
sub port    { $_[0]{port} }
sub host    { $_[0]{host} }
sub address { "$_[0]{host}:$_[0]{port}" }
sub url     { "http://$_[0]{host}:$_[0]{port}" }
sub data    { $_[0]{data} }
sub secret_id  { $_[0]{secret_id} }
sub secret_key { $_[0]{secret_key} }

# TERM, then wait (KILL after 10 s); returns the exit status
sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return $self->{status};
    kill 'TERM', $pid;
    my $deadline = Time::HiRes::time() + 10;
    while (waitpid($pid, WNOHANG) == 0) {
        if (Time::HiRes::time() > $deadline) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            last;
        }
        Time::HiRes::sleep(0.01);
    }
    $self->{status} = $?;
    close $self->{out} if $self->{out};
    return $self->{status};
}

# for Test::Nginx files: $ENV{"${prefix}_PORT"} etc., which the runner
# expands in nginx.conf ($TEST_NGINX_VOD_PORT); returns the names set
sub export_env {
    my ($self, $prefix) = @_;
    $prefix //= 'TEST_NGINX_VOD';
    my %env = (
        "${prefix}_PORT"       => $self->{port},
        "${prefix}_ADDR"       => $self->address,
        "${prefix}_URL"        => $self->url,
        "${prefix}_SECRET_ID"  => $self->{secret_id},
        "${prefix}_SECRET_KEY" => $self->{secret_key},
        "${prefix}_DATA"       => $self->{data},
    );
    @ENV{ keys %env } = values %env;
    return sort keys %env;
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->stop if $self->{pid};
}

sub client {
    my ($self, %o) = @_;
    return VodEmulator::Client->new(host => $self->{host},
                                    port => $self->{port}, %o);
}


# ---- control endpoint ----

sub control {
    my ($self, $method, $what, $data) = @_;
    my $r = $self->client->request(method => $method,
        target => "/__emulator/$what",
        headers => [ [ 'Content-Type', 'application/json' ] ],
        defined $data ? (body => $JSON->encode($data)) : ());
    die "control $method $what: $r->{error}\n" if $r->{error};
    my $json = eval { $JSON->decode($r->{body}) };
    die "control $method $what: $r->{status} $r->{body}\n"
        if $r->{status} != 200 || !$json;
    return $json;
}

sub state        { $_[0]->control(GET => 'state' . ($_[1] ? "?$_[1]" : '')) }
sub reset        { $_[0]->control(POST => 'reset', {}) }
sub faults       { $_[0]->control(GET => 'faults') }
sub clear_faults { $_[0]->control(DELETE => 'faults') }
sub skew         { $_[0]->control(POST => 'clock', { skew_seconds => $_[1] }) }
sub config       { my ($s, %c) = @_; $s->control(POST => 'config', \%c) }
sub inject_event { $_[0]->control(POST => 'event', $_[1]) }

# fault(op => 'UploadPart', nth => 2, status => 500, code => 'InternalError')
# or fault(\@specs) / fault({faults => [...], clock_skew_seconds => N})
sub fault {
    my $self = shift;
    my $spec = @_ == 1 ? $_[0] : {@_};
    return $self->control(POST => 'faults', $spec);
}

# poll the state until $cond->($state) is true; the true value, or undef
# after $timeout seconds
sub wait_for {
    my ($self, $cond, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 5);
    while (1) {
        my $v = $cond->($self->state('md5=0'));
        return $v if $v;
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
}


# ---- signed requests ----

# the headers of a VOD API request, TC3-signed:
#   action, body (bytes), and optionally secret_id, secret_key, timestamp,
#   region (undef: none), version, content_type, signed_headers, host,
#   token, language
sub tc3_headers {
    my ($self, %o) = @_;
    my $host = $o{host} // 'vod.tencentcloudapi.com';
    my $ct = $o{content_type} // 'application/json';
    my $ts = int($o{timestamp} // time);
    my $sig = tc3_sign(
        secret_id      => $o{secret_id} // $self->{secret_id},
        secret_key     => $o{secret_key} // $self->{secret_key},
        timestamp      => $ts,
        service        => $o{service} // 'vod',
        host           => $host,
        content_type   => $ct,
        payload        => $o{body},
        signed_headers => $o{signed_headers},
        headers        => { 'x-tc-action' => lc $o{action} },
    );
    my @h = ([ 'Host', $host ], [ 'Content-Type', $ct ],
             [ 'X-TC-Action', $o{action} ], [ 'X-TC-Timestamp', $ts ],
             [ 'X-TC-Version', $o{version} // '2018-07-17' ],
             [ 'Authorization', $o{authorization} // $sig->{authorization} ]);
    my $region = exists $o{region} ? $o{region} : $self->{region};
    push @h, [ 'X-TC-Region', $region ] if defined $region;
    push @h, [ 'X-TC-Token', $o{token} ] if defined $o{token};
    push @h, [ 'X-TC-Language', $o{language} ] if defined $o{language};
    return \@h;
}

# api(ApplyUpload => {...params}, %o): (Response hash, raw response);
# %o as tc3_headers, plus body (raw bytes to send instead of the JSON),
# tamper => sub { my ($headers, $body_ref) = @_ } run after signing
sub api {
    my ($self, $action, $params, %o) = @_;
    my $body = $o{body} // $JSON->encode($params // {});
    my $h = $self->tc3_headers(%o, action => $action, body => $body);
    $o{tamper}->($h, \$body) if $o{tamper};
    my $r = ($o{client} // $self->client)->request(method => 'POST',
        target => '/', headers => $h, body => $body);
    my $json = $r->{body} ? eval { $JSON->decode($r->{body}) } : undef;
    return (($json // {})->{Response}, $r);
}

# the key of a path as sent: every byte but unreserved ones and /
sub encode_path {
    my ($path) = @_;
    return join '/', map { cos_urlencode($_) } split m{/}, $path, -1;
}

# cos($method, $apply, %o): a COS request signed with the TempCertificate
# of an ApplyUpload answer ($apply, its Response). %o:
#   path          the key with its leading / (MediaStoragePath)
#   query         [[name, value]...] (value undef: a bare "?uploads")
#   headers       [[name, value]...] sent and signed
#   body / chunks the body (Content-Length is sent and signed)
#   unsigned      [[name, value]...] sent, not signed
#   sign_token    sign x-cos-security-token too
#   token         the token to send (undef with exists: none)
#   secret_id / secret_key / key_time / sign_time   override the signature
#   bucket / region / host                         override the address
#   no_sign_host  leave Host out of q-header-list
#   authorization the whole header instead ('' : none)
#   dry           only sign: { signature => ... }, nothing sent
#   client        a VodEmulator::Client (keep-alive)
#   absolute      the request target in absolute form, http://host/key
#                 (as sent to a proxy)
sub cos {
    my ($self, $method, $apply, %o) = @_;
    my $cert = $apply->{TempCertificate} // {};
    my $bucket = $o{bucket} // $apply->{StorageBucket};
    my $region = $o{region} // $apply->{StorageRegion};
    my $host = $o{host} // "$bucket.cos.$region.myqcloud.com";
    my $path = $o{path} // $apply->{MediaStoragePath};
    utf8::encode($path) if utf8::is_utf8($path);

    utf8::encode($o{body}) if defined $o{body} && utf8::is_utf8($o{body});
    my @query = @{ $o{query} // [] };
    my $target = encode_path($path);
    $target .= '?' . join '&', map {
        cos_urlencode($_->[0])
            . (defined $_->[1] ? '=' . cos_urlencode($_->[1]) : '')
    } @query if @query;

    my @signed = ([ 'Host', $host ], @{ $o{headers} // [] });
    push @signed, [ 'Content-Length', length $o{body} ]
        if defined $o{body} && !grep { lc $_->[0] eq 'content-length' }
                                     @signed;
    my @sent = @signed;
    my $token = exists $o{token} ? $o{token} : $cert->{Token};
    if (defined $token) {
        if ($o{sign_token}) {
            push @signed, [ 'x-cos-security-token', $token ];
        }
        push @sent, [ 'x-cos-security-token', $token ];
    }
    my %sh = map { lc $_->[0] => $_->[1] } @signed;
    my @names = sort keys %sh;
    @names = grep { $_ ne 'host' } @names if $o{no_sign_host};
    my $now = time;
    my $kt = $o{key_time} // ($now - 60) . ';' . ($now + 900);
    my $sig = cos_sign(
        secret_id    => $o{secret_id} // $cert->{SecretId},
        secret_key   => $o{secret_key} // $cert->{SecretKey},
        key_time     => $kt,
        sign_time    => $o{sign_time} // $kt,
        method       => $method,
        path         => $path,
        query        => { map { $_->[0] => $_->[1] // '' } @query },
        headers      => \%sh,
        header_names => \@names,
    );
    return { signature => $sig } if $o{dry};
    push @sent, [ 'Authorization', $o{authorization} // $sig->{authorization} ]
        unless defined $o{authorization} && $o{authorization} eq '';
    push @sent, @{ $o{unsigned} // [] };
    $target = "http://$host$target" if $o{absolute};
    my $r = ($o{client} // $self->client)->request(method => $method,
        target => $target, headers => \@sent,
        defined $o{body} ? (body => $o{body}) : (),
        $o{chunks} ? (chunks => $o{chunks}) : ());
    $r->{signature} = $sig;
    return $r;
}


# ---- whole steps, for tests (they die when the step fails) ----

sub apply_upload {
    my ($self, %params) = @_;
    my ($r, $raw) = $self->api(ApplyUpload => { MediaType => 'mp4',
                                                %params });
    die "ApplyUpload: " . ($raw->{error} // $raw->{body}) . "\n"
        unless $r && $r->{VodSessionKey};
    return $r;
}

sub commit_upload {
    my ($self, $apply, %params) = @_;
    my ($r, $raw) = $self->api(CommitUpload => {
        VodSessionKey => $apply->{VodSessionKey}, %params });
    die "CommitUpload: " . ($raw->{error} // $raw->{body}) . "\n"
        unless $r && $r->{FileId};
    return $r;
}

# the UploadId of a new multipart upload of $apply's media
sub initiate {
    my ($self, $apply, %o) = @_;
    my $r = $self->cos(POST => $apply, query => [ [ 'uploads', undef ] ],
                       %o);
    my ($id) = ($r->{body} // '') =~ m{<UploadId>([^<]+)</UploadId>}
        or die "Initiate: " . ($r->{error} // "$r->{status} $r->{body}")
             . "\n";
    return $id;
}

sub upload_part {
    my ($self, $apply, $id, $n, $data, %o) = @_;
    return $self->cos(PUT => $apply, body => $data,
        query => [ [ 'partNumber', $n ], [ 'uploadId', $id ] ], %o);
}

# ListMultipartUploads on $apply's bucket (GET /?uploads, signed with the
# path / and every parameter): $params {prefix => ..., 'key-marker' => ...}
sub list_uploads {
    my ($self, $apply, $params, %o) = @_;
    return $self->cos(GET => $apply, path => '/', query => [
        [ 'uploads', undef ],
        map { [ $_, $params->{$_} ] } sort keys %{ $params // {} } ], %o);
}

# the entries of a list answer (ListMultipartUploads, ListParts): the
# top-level fields, Upload / Part elements as hashes, CommonPrefixes
sub parse_list {
    my ($xml) = @_;
    my %r = (Upload => [], Part => [], CommonPrefixes => []);
    (my $top = $xml // '') =~ s{<(Upload|Part|CommonPrefixes|Initiator|Owner)>(.*?)</\1>}{
        my ($el, $in) = ($1, $2);
        my %e = $in =~ m{<(\w+)>([^<]*)</\1>}g;
        push @{ $r{$el} }, \%e if $r{$el};
        '';
    }gse;
    while ($top =~ m{<([\w-]+)>([^<]*)</\1>}g) {
        $r{$1} = $2;
    }
    return \%r;
}

# $parts: [[number, etag]...]
sub complete {
    my ($self, $apply, $id, $parts, %o) = @_;
    my $xml = '<CompleteMultipartUpload>' . join('', map {
        "<Part><PartNumber>$_->[0]</PartNumber><ETag>$_->[1]</ETag></Part>"
    } @$parts) . '</CompleteMultipartUpload>';
    return $self->cos(POST => $apply, query => [ [ 'uploadId', $id ] ],
        headers => [ [ 'Content-Type', 'application/xml' ] ], body => $xml,
        %o);
}

# GET of a URL the emulator handed out (MediaUrl, CoverUrl, outputs)
sub get_url {
    my ($self, $url, %o) = @_;
    my ($target) = $url =~ m{^https?://[^/]+(/.*)$} or die "bad URL $url\n";
    return $self->client->request(method => $o{method} // 'GET',
        target => $target, headers => $o{headers} // []);
}

# the <Code> of a COS error document
sub cos_code {
    my ($r) = @_;
    return ($r->{body} // '') =~ m{<Code>([^<]*)</Code>} ? $1 : undef;
}

1;

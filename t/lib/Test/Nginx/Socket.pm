package Test::Nginx::Socket;

use strict;
use warnings;

use Test::Base -base;

use Digest::MD5 ();
use Digest::SHA ();
use File::Temp ();
use IO::Socket::INET ();
use JSON::PP ();
use List::Util qw(first shuffle);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use Test::Nginx::Util qw(
    :DEFAULT
    cleanup get_nginx_version kill_stale_nginx port_in_use read_log_lines
    setup_server_root slurp start_nginx stop_nginx write_config_file
    write_file write_user_files
    $AccLogFile $CheckAccumErrLog $ErrLogFile $HtmlDir $NoShuffle
    $StderrFile $UseHttp2 $UseValgrind $TimeoutFactor $Verbose
    @BlockPreprocessors @TestCleanupHandlers
);

our $VERSION = '0.01';

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests repeat_each config_preamble
    worker_connections master_process_enabled no_long_string workers
    master_on master_off log_level no_shuffle no_root_location server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout check_accum_error_log add_block_preprocessor bail_out
    add_test_cleanup_handler add_cleanup_handler add_response_body_check
);

our @ResponseBodyChecks;

sub add_response_body_check { push @ResponseBodyChecks, shift }

my $PrevConfigBlock;

# ---- the driver ----

sub run_tests {
    local $SIG{PIPE} = 'IGNORE';
    local $SIG{INT}  = sub { cleanup(); exit 130 };
    local $SIG{TERM} = sub { cleanup(); exit 143 };

    get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value(name => "$0 " . $block->name);
        run_block($block);
        $_->($block) for @TestCleanupHandlers;
    }

    cleanup();
}

sub run_block {
    my $block = shift;
    my $name = $block->name;

    return if skip_block($block);

    local $Test::Nginx::Util::RandPorts = {};
    my $sections = nginx_sections($block);
    my $http2 = use_http2($block);

    kill_stale_nginx();
    if (port_in_use()) {
        Test::More::fail("$name - port $ServerPort is already in use");
        return;
    }

    setup_server_root();
    run_perl_section($block, 'post_setup_server_root');

    my %pos = (err => 0);
    for my $rep (0 .. $RepeatEach - 1) {
        write_user_files($block);
        write_config_file($sections, $http2);

        if (defined $block->must_die) {
            run_must_die($block, $rep, \%pos);
            next;
        }

        my $ngx = start_nginx();
        if (!$ngx->{pid}) {
            report_start_failure($block, $ngx);
            last;
        }

        run_perl_section($block, 'init') if $rep == 0;
        run_requests($block, $rep, \%pos, $http2);

        check_exit($block, stop_nginx());
        check_logs($block, $rep, \%pos);
        check_stderr_sanitizer_reports($block);
        check_valgrind_logs($block);
    }
}

# a block without --- config runs with the nginx set-up of the previous
# block that had one (upstream keeps that nginx running)
sub nginx_sections {
    my $block = shift;
    my $src = $block;
    if (defined $block->config) {
        $PrevConfigBlock = $block;
    } elsif ($PrevConfigBlock) {
        $src = $PrevConfigBlock;
    }

    my $name = $block->name;
    my %sec = map { $_ => expand_env_in_text(scalar $src->$_, $name) }
              qw(main_config http_config config post_main_config);
    $sec{server_name} = $src->server_name;
    $sec{log_level} = $block->log_level;
    return \%sec;
}

sub run_perl_section {
    my ($block, $section) = @_;
    my $code = $block->$section or return;
    eval $code;
    bail_out($block->name . " - $section failed: $@") if $@;
}

# --- skip_eval "N: perl code": when the code is true, skip the block's N
# tests (per repetition) instead of running it
sub skip_block {
    my $block = shift;
    my $spec = $block->skip_eval // return 0;
    my $name = $block->name;
    my ($n, $code) = $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
        or bail_out("$name - Invalid --- skip_eval spec: $spec");
    my $yes = eval $code;
    bail_out("$name - skip_eval - failed to eval \"$code\": $@") if $@;
    return 0 unless $yes;
    for (1 .. $RepeatEach) {
        SKIP: { Test::More::skip("$name - skip_eval", $n) }
    }
    return 1;
}

# ---- nginx start, stop, must_die ----

sub report_start_failure {
    my ($block, $ngx) = @_;
    my $why = $ngx->{error}
              // 'it exited with ' . describe_status($ngx->{status});
    Test::More::fail($block->name . " - nginx failed to start: $why");
    Test::More::diag("nginx stderr:\n" . slurp($StderrFile));
}

sub describe_status {
    my $st = shift;
    return 'signal ' . ($st & 127) if $st & 127;
    return 'exit code ' . ($st >> 8);
}

sub check_exit {
    my ($block, $stop) = @_;
    return unless $stop;
    my $trouble = $stop->{early}  ? 'exited before it was stopped, with '
                : $stop->{killed} ? 'did not stop in time; '
                : $stop->{status} ? 'stopped with '
                : return;
    Test::More::fail($block->name . " - nginx $trouble"
                     . describe_status($stop->{status}));
    Test::More::diag("nginx stderr:\n" . slurp($StderrFile));
}

sub run_must_die {
    my ($block, $rep, $pos) = @_;
    my $name = $block->name;
    my $want = $block->must_die;
    my $ngx = start_nginx();

    if ($want =~ /^\s*(\d+)\s*$/) {
        my $code = $ngx->{died} ? $ngx->{status} >> 8 : 'not dead';
        Test::More::is($code, $1, "$name - die with the expected exit code");
    } else {
        Test::More::ok($ngx->{died} && $ngx->{status} != 0,
                       "$name - die as expected");
    }
    if ($ngx->{pid}) {
        stop_nginx();
        Test::More::diag("$name - nginx must die but it does not");
    }

    my ($lines, $end) = read_log_lines($ErrLogFile,
                                       $CheckAccumErrLog ? 0 : $pos->{err});
    $pos->{err} = $end;
    my $stderr_read = !@$lines;
    $lines = [ split /^/, slurp($StderrFile) ] unless @$lines;
    check_error_log($block, $lines, $rep, 1);
    check_stderr_sanitizer_reports($block) unless $stderr_read;
    check_valgrind_logs($block);
}

# ---- requests ----

sub run_requests {
    my ($block, $rep, $pos, $http2) = @_;
    my $name = $block->name;

    my @reqs = request_list($block);
    if (!@reqs) {
        Test::More::fail("$name - no --- request or --- raw_request");
        return;
    }

    my $need_array = @reqs > 1;
    my $timeout = (parse_time($block->timeout) // timeout()) * $TimeoutFactor;

    for my $i (0 .. $#reqs) {
        my $raw = $http2 ? curl_request($block, $reqs[$i], $timeout)
                         : socket_request($block, $reqs[$i], $timeout);

        if (!defined $block->ignore_response) {
            my $res = parse_response($block, $raw // '', $reqs[$i]);
            check_response($block, $res, $i, $rep, $need_array);
        }

        next if $i == $#reqs;

        # upstream checks the logs after every request of a list
        sleep parse_time($block->wait) if $block->wait;
        sleep 3 * sleep_time();
        check_logs($block, $rep, $pos);
    }

    sleep parse_time($block->wait) if $block->wait;
}

# Each request is { packets => [ { value, delay_before }, ... ], head => 0|1 }
sub request_list {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        my @parts = ref $raw eq 'ARRAY' ? @$raw : ($raw);
        return { packets => [ map { { value => $_ } } @parts ],
                 head => $parts[0] =~ /^\s*HEAD\s/ ? 1 : 0 };
    }

    my $req = $block->request // return ();

    my $more = $block->more_headers // '';
    my @reqs = ref $req eq 'ARRAY' ? @$req : ($req);
    my @out;
    for my $i (0 .. $#reqs) {
        my $hdrs = ref $more eq 'ARRAY' ? $more->[$i] : $more;
        bail_out("$name - --- more_headers lacks data for request $i")
            unless defined $hdrs;
        push @out, build_request($name, $reqs[$i], $hdrs);
    }
    return @out;
}

# one request: a string, or an array of packets (strings or
# { value => ..., delay_before => seconds })
sub build_request {
    my ($name, $req, $more) = @_;

    my @packets = map { ref $_ eq 'HASH' ? { %$_ } : { value => $_ } }
                  ref $req eq 'ARRAY' ? @$req : ($req);
    bail_out("$name - a request packet must be a string or a hash")
        if grep { ref $_->{value} } @packets;

    my $orig = join '', map { $_->{value} } @packets;
    my ($text, $map) = assemble_request($name, $orig, $more);
    my $head = $text =~ /\A\S+/ && $& eq 'HEAD' ? 1 : 0;

    # keep the packet boundaries where they fall in the original text
    my ($from, $cum, @out) = (0, 0);
    for my $i (0 .. $#packets) {
        $cum += length $packets[$i]{value};
        my $to = $i == $#packets ? length $text : $map->($cum);
        push @out, { %{ $packets[$i] },
                     value => substr($text, $from, $to - $from) };
        $from = $to;
    }
    return { packets => \@out, head => $head };
}

# "METHOD [URI [VERSION]]\nbody" -> the HTTP request with Host,
# Connection: close, --- more_headers and Content-Length, as upstream
# builds it (the body is trimmed when the Content-Length is computed).
# Also returns a map from offsets in $s to offsets in the request.
sub assemble_request {
    my ($name, $s, $more) = @_;

    $s =~ /\A(?:\s*#[^\n]+\s+|\s+)*+/g;    # leading comments and blanks
    my $skip = pos($s) // 0;
    my $nl = index($s, "\n", $skip);
    my $line_end = $nl < 0 ? length $s : $nl;
    my $first = substr($s, $skip, $line_end - $skip);
    my @words = split ' ', $first;
    bail_out("$name - Request line should be non-empty") unless @words;
    bail_out("$name - Request line is not valid. Should be "
             . "'meth [url [version]]' but got \"$first\".") if @words > 3;
    my ($meth, $uri, $ver) = @words;
    my $reqline = join ' ', $meth, $uri // '/', $ver // 'HTTP/1.1';

    my ($hdrs, $chunked) = parse_more_headers($more);
    my ($cstart, $cend) = ($nl < 0 ? length $s : $nl + 1, length $s);
    my $cl = '';
    if (!$chunked && $cend > $cstart
        && $hdrs !~ /(?:^|\n)Content-Length:/)
    {
        pos($s) = $cstart;
        $s =~ /\G\s*/g;
        $cstart = pos($s);
        $cend-- while $cend > $cstart && substr($s, $cend - 1, 1) =~ /\s/;
        $cl = 'Content-Length: ' . ($cend - $cstart) . "\r\n";
    }

    my $head = "$reqline\r\n";
    $head .= "Host: $ServerName\r\n" if $hdrs !~ /(?:^|\n)Host:/i;
    $head .= "Connection: close\r\n" if $hdrs !~ /(?:^|\n)Connection/i;
    $head .= "$hdrs$cl\r\n";

    my $map = sub {
        my $b = shift;
        return 0 if $b <= $skip;
        if ($b <= $line_end) {
            my $x = $b - $skip;
            return $x < length $reqline ? $x : length $reqline;
        }
        return length $head if $b <= $cstart;
        my $x = $b - $cstart;
        return length($head) + ($x < $cend - $cstart ? $x : $cend - $cstart);
    };

    return ($head . substr($s, $cstart, $cend - $cstart), $map);
}

sub parse_more_headers {
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, shift) {
        next if $h =~ /^\s*#/ || $h !~ /\S/;
        my ($key, $val) = split /:\s*/, $h, 2;
        $val //= '';
        $chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $chunked);
}

# ---- the HTTP/1 client: one connection, writes and reads interleaved ----

sub socket_request {
    my ($block, $req, $timeout) = @_;
    my $name = $block->name;
    my $addr = $block->server_addr_for_client // $ServerAddr;

    my $sock = IO::Socket::INET->new(
        PeerAddr => $addr, PeerPort => $ServerPortForClient,
        Proto => 'tcp', Timeout => $timeout);
    if (!$sock) {
        Test::More::fail("$name - Can't connect to "
                         . "$addr:$ServerPortForClient: $!");
        return undef;
    }
    $sock->blocking(0);

    my @packets = @{ $req->{packets} };
    my %io = (sock => $sock, block => $block, packets => \@packets,
              buf => shift(@packets)->{value}, off => 0, writing => 1);
    my $fd = fileno $sock;
    my $resp = '';
    my $timed_out;

    while (1) {
        my $rin = '';
        vec($rin, $fd, 1) = 1;
        my $win = $io{writing} ? $rin : '';
        my $n = select(my $rout = $rin, my $wout = $win, undef, $timeout);
        if ($n < 0) {
            next if $!{EINTR};
            die "select: $!";
        }
        if ($n == 0) {
            $timed_out = 1;
            last;
        }
        if (vec($rout, $fd, 1)) {
            my $got = sysread($sock, $resp, 65536, length $resp);
            if (!defined $got) {
                if (!$!{EAGAIN} && !$!{EINTR}) {
                    warn "$name - read failed: $!\n" if $Verbose;
                    last;
                }
            } elsif ($got == 0) {
                last;
            }
        }
        write_some(\%io) if $io{writing} && vec($wout, $fd, 1);
    }
    close $sock;

    if ($timed_out && !defined $block->abort) {
        Test::More::fail("ERROR: client socket timed out - $name");
    }
    return $resp;
}

# writes what the socket takes now; an early answer from nginx (EPIPE,
# ECONNRESET) just ends the writing, the response is still read
sub write_some {
    my $io = shift;
    my $left = length($io->{buf}) - $io->{off};
    my $n = syswrite($io->{sock}, $io->{buf},
                     $left > 1 << 20 ? 1 << 20 : $left, $io->{off});
    if (!defined $n) {
        return if $!{EAGAIN} || $!{EINTR};
        warn $io->{block}->name, " - write failed: $!\n" if $Verbose;
        $io->{writing} = 0;
        return;
    }

    $io->{off} += $n;
    return if $io->{off} < length $io->{buf};

    if (my $next = shift @{ $io->{packets} }) {
        my $delay = $next->{delay_before}
                    // $io->{block}->raw_request_middle_delay;
        sleep $delay if $delay;
        @$io{qw(buf off)} = ($next->{value}, 0);
        return;
    }

    $io->{writing} = 0;
    my $how = $io->{block}->shutdown;
    shutdown($io->{sock}, $how =~ /^\s*(\d)/ ? $1 : 1) if defined $how;
}

# ---- HTTP/2: curl --http2-prior-knowledge, as upstream ----

sub use_http2 {
    my $block = shift;
    return 0 if defined $block->no_http2;
    if (defined $block->http2) {
        bail_out("cannot use --- http2 with --- raw_request")
            if defined $block->raw_request;
        return 1;
    }
    return 0 unless $UseHttp2;
    my $req = $block->request;
    return 0 if defined $block->raw_request || !defined $req
             || defined $block->pipelined_requests
             || (!ref $req && $req =~ m{HTTP/1\.0});
    my $self_proxy = qr/proxy_pass .*:\$(?:server_port|TEST_NGINX_SERVER_PORT)/;
    return 0 if grep { defined && /$self_proxy/ }
                     $block->config, $block->http_config, $block->user_files;
    return 1;
}

sub curl_request {
    my ($block, $req, $timeout) = @_;
    my $name = $block->name;
    my @cmd = curl_command($block, join('', map { $_->{value} }
                                            @{ $req->{packets} }), $timeout);
    my ($out, $err) = (File::Temp->new, File::Temp->new);

    my $pid = fork // bail_out("fork failed: $!");
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $out;
        open STDERR, '>&', $err;
        exec @cmd or print STDERR "cannot exec curl: $!\n";
        POSIX::_exit(127);
    }
    my $deadline = time + $timeout + 5;
    while (waitpid($pid, WNOHANG) != $pid) {
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            last;
        }
        sleep 0.002;
    }
    my $status = $? >> 8;
    my ($stdout, $stderr) = (slurp("$out"), slurp("$err"));
    warn "$name - @cmd\n$stderr" if $Verbose;

    # as upstream: curl failing with nothing on stdout is a failure unless
    # its message is the --- curl_error expected (--- abort does not
    # apply); a message after some output is a warning
    if ($stdout eq '') {
        my $want = $block->curl_error;
        if ($stderr eq '') {
            Test::More::fail("$name - curl command \"@cmd\" generates no "
                             . "stdout output (exit code $status)");
        } elsif (!defined $want || (ref $want ? $stderr !~ $want
                                              : index($stderr, $want) < 0))
        {
            Test::More::fail("$name - command \"@cmd\" generates stderr "
                             . "output: $stderr");
        }
        return undef;
    }
    warn "WARNING: $name - command \"@cmd\" generates stderr output: "
         . $stderr if $stderr ne '';
    return $stdout;
}

sub curl_command {
    my ($block, $text, $timeout) = @_;
    my ($meth, $uri, $ver) = $text =~ m{\A\s*(\S+)\s+(\S+)\s+HTTP/(\S+)\r\n}
        or bail_out($block->name . " - cannot parse the request line");

    my @args = ('curl', '-i', '-sS', '-H', 'User-Agent:', '-H', 'Accept:',
                '-H', 'Host:', '--http2-prior-knowledge');
    if ($meth eq 'HEAD') {
        push @args, '-I';
    } elsif ($meth ne 'GET') {
        push @args, '-X', $meth;
    }
    push @args, '-0' if $ver ne '1.1';

    my $end = index($text, "\r\n\r\n");
    my @headers = grep { !/^Connection\s*:/i }
                  split /\r\n/, substr($text, 0, $end);
    shift @headers;
    push @args, map { ('-H', $_) } @headers;

    if ($end + 4 < length $text) {
        push @args, '-H', 'Content-Type: '
            unless grep { /^Content-Type\s*:/i } @headers;
        my $file = "$HtmlDir/curl.data.bin";
        write_file($file, substr($text, $end + 4));
        push @args, '--data-binary', "\@$file";
    }

    push @args, '--connect-timeout', $timeout, '--max-time', $timeout;
    push @args, $block->curl_options if defined $block->curl_options;
    my $addr = $block->server_addr_for_client // $ServerAddr;
    return (@args, "http://$addr:$ServerPortForClient$uri");
}

# ---- responses ----

# { code, headers => [[name, value], ...], raw_headers, body }. The first
# response is the one checked, as upstream: after an interim one (100
# Continue) the final response is the body.
sub parse_response {
    my ($block, $raw, $req) = @_;
    my $name = $block->name;
    my %res = (code => undef, headers => [], raw_headers => '', body => '');

    my $end = index($raw, "\r\n\r\n");
    my $head = substr($raw, 0, $end < 0 ? length $raw : $end);
    $res{raw_headers} = "$head\r\n" if $end >= 0;
    my ($status, @lines) = split /\r?\n/, $head;
    $res{code} = $1 if defined $status && $status =~ m{^HTTP/\S+\s+(\d+)};
    push @{ $res{headers} }, map { /^([^:\s]+)\s*:\s*(.*?)\s*$/ ? [$1, $2] : () }
                             @lines;
    return \%res if $end < 0 || !defined $res{code};

    my $body_start = $end + 4;
    my $te = header_value(\%res, 'Transfer-Encoding');
    my $len = header_value(\%res, 'Content-Length');

    if ($res{code} =~ /^(?:101|304)$/) {
        $res{body} = substr($raw, $body_start);

    } elsif (defined $te && $te =~ /\bchunked\b/i) {
        my ($body, $err, $left) = decode_chunked($raw, $body_start);
        $res{body} = $body;
        if ($err) {
            Test::More::fail("$name - invalid chunked body received: $err");
        } elsif (length $left) {
            warn "WARNING: $name - unexpected extra bytes after last chunk "
                 . "in response: \"" . show_all_chars($left) . "\"\n";
        }

    } else {
        $res{body} = substr($raw, $body_start);
        if (defined $len && $len =~ /^\d+$/) {
            my $got = length $res{body};
            if ($got > $len) {
                substr($res{body}, $len) = '';
            } elsif ($got < $len && !$req->{head}) {
                warn "WARNING: $name - response body truncated: "
                     . "$len expected, but got $got\n";
            }
        }
    }
    return \%res;
}

sub decode_chunked {
    my ($raw, $pos) = @_;
    my $body = '';
    while (1) {
        my $eol = index($raw, "\r\n", $pos);
        return ($body, 'no last chunk found') if $eol < 0;
        my $line = substr($raw, $pos, $eol - $pos);
        return ($body, "bad chunk size line \"$line\"")
            unless $line =~ /^[ \t]*([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?$/;
        my $size = hex $1;
        $pos = $eol + 2;

        if ($size == 0) {    # trailer fields up to an empty line
            while (1) {
                my $e = index($raw, "\r\n", $pos);
                return ($body, 'incomplete trailer') if $e < 0;
                my $empty = $e == $pos;
                $pos = $e + 2;
                return ($body, undef, substr($raw, $pos)) if $empty;
            }
        }

        return ($body, 'not enough octets for the data section')
            if $pos + $size > length $raw;
        $body .= substr($raw, $pos, $size);
        $pos += $size;
        return ($body, 'expected CRLF after the chunk data')
            if substr($raw, $pos, 2) ne "\r\n";
        $pos += 2;
    }
}

sub header_value {
    my ($res, $key) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $key } @{ $res->{headers} };
    return @v ? join(', ', @v) : undef;
}

# a value for request $i: with several requests it must be an array
sub indexed {
    my ($name, $value, $i, $need_array) = @_;
    my $is_array = ref $value eq 'ARRAY';
    if ($need_array) {
        return $value->[$i] if $is_array;
        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }
    return $is_array ? $value->[0] : $value;
}

sub with_ports {
    my $v = shift;
    $v =~ s/\$ServerPort\b/$ServerPort/g;
    $v =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
    return $v;
}

sub check_response {
    my ($block, $res, $i, $rep, $need_array) = @_;
    my $name = $block->name;
    my $pick = sub { indexed($name, shift, $i, $need_array) };
    my $code = $res->{code} // '';

    if (defined $block->error_code_like) {
        my $pat = $pick->($block->error_code_like);
        Test::More::like($code, qr/$pat/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($code, $pick->($block->error_code),
                       "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }

    if (defined $block->raw_response_headers_like) {
        my $pat = $pick->($block->raw_response_headers_like);
        Test::More::like($res->{raw_headers}, qr/$pat/s,
                         "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $pat = $pick->($block->raw_response_headers_unlike);
        Test::More::unlike($res->{raw_headers}, qr/$pat/s,
                           "$name - raw resp headers unlike");
    }

    check_response_headers($block, $res, $pick);
    check_response_body($block, $res, $pick, $i, $rep);
}

sub check_response_headers {
    my ($block, $res, $pick) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        for (@{ parse_headers($pick->($block->response_headers)) }) {
            my ($key, $val) = @$_;
            if (!defined $val) {
                Test::More::unlike($res->{raw_headers},
                    qr/^\s*\Q$key\E\s*:/mi,
                    "$name - header $key not present in the raw headers");
                next;
            }
            Test::More::is(header_value($res, $key) // '', with_ports($val),
                           "$name - header $key ok");
        }

    } elsif (defined $block->response_headers_like) {
        for (@{ parse_headers($pick->($block->response_headers_like)) }) {
            my ($key, $val) = @$_;
            $val //= '';
            Test::More::like(header_value($res, $key) // '', qr/^$val$/,
                             "$name - header $key like ok");
        }
    }
}

sub check_response_body {
    my ($block, $res, $pick, $i, $rep) = @_;
    my $name = $block->name;
    my $body = filter_body($block, $res->{body}, $i);

    if (defined $block->response_body) {
        if (defined $block->response_body_json_sort) {
            my $js = JSON::PP->new->canonical(1)->loose(1);
            my $obj = eval { $js->decode($body) };
            $body = $js->encode($obj) . "\n" if defined $obj;
        }

        my $expected = $pick->($block->response_body);
        if (defined $expected && !ref $expected) {
            $expected = expand_env_in_text(with_ports($expected), $name);
        }

        my $what = "(repeated req $rep, req $i)";
        if (ref $expected) {
            Test::More::like($body, $expected,
                             "$name - response_body - like $what");
        } else {
            is_str($body, $expected,
                   "$name - response_body - response is expected $what");
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $method = "response_body_$type";
        my $pat = with_ports($pick->($block->$method));
        my $summary = trim($body) // '';
        $summary = substr($summary, 0, 80) . '...' if length $summary > 80;
        no strict 'refs';
        &{"Test::More::$type"}($body, qr/$pat/s,
            "$name - response_body_$type - response is expected ($summary)");
    }

    $_->($block, $body, $i, $rep, 0) for @ResponseBodyChecks;
}

my %BodyFilters = (
    md5_hex => \&Digest::MD5::md5_hex,  sha1_hex => \&Digest::SHA::sha1_hex,
    length  => sub { length $_[0] },   uc => sub { uc $_[0] },
    lc      => sub { lc $_[0] },       ucfirst => sub { ucfirst $_[0] },
    lcfirst => sub { lcfirst $_[0] },
);

# --- response_body_filters: names or code refs, or one such list per
# request (a two-dimensional array)
sub filter_body {
    my ($block, $body, $i) = @_;
    my $filters = $block->response_body_filters;
    return $body unless defined $filters && defined $body;

    $filters = [ split ' ', $filters ] unless ref $filters;
    $filters = [$filters] unless ref $filters eq 'ARRAY';
    $filters = $filters->[$i] // [] if ref $filters->[0] eq 'ARRAY';

    for my $f (@$filters) {
        my $code = ref $f eq 'CODE' ? $f : $BodyFilters{$f}
            // bail_out($block->name . " - unknown filter \"$f\" in "
                        . "--- response_body_filters");
        $body = $code->($body);
    }
    return $body;
}

# ---- logs ----

sub check_logs {
    my ($block, $rep, $pos) = @_;
    my ($lines, $end) = read_log_lines($ErrLogFile,
                                       $CheckAccumErrLog ? 0 : $pos->{err});
    $pos->{err} = $end;
    check_error_log($block, $lines, $rep);

    return if defined $block->ignore_response;
    return unless defined $block->access_log
               || defined $block->no_access_log;
    my ($acc) = read_log_lines($AccLogFile, 0);
    check_patterns($block, 'access_log', $acc, 0, $rep);
    check_patterns($block, 'no_access_log', $acc, 1, $rep);
}

sub check_error_log {
    my ($block, $lines, $rep, $must_die) = @_;
    my $name = $block->name;

    check_grep_error_log($block, $lines, $rep);
    check_patterns($block, 'error_log', $lines, 0, $rep);
    check_patterns($block, 'no_error_log', $lines, 1, $rep);

    for my $level ($must_die ? () : qw(alert crit emerg)) {
        next if grep { value_contains($_, "[$level") }
                     $block->error_log, $block->no_error_log;
        warn "WARNING: $name - ", fmt_str($_), "\n"
            for grep { /\[$level\]/ } @$lines;
    }

    for my $line (grep { /\bAssertion .*?failed\b/ } @$lines) {
        Test::More::fail("$name - " . fmt_str($line));
    }

    check_sanitizer_reports($block, $lines, 'error.log');
}

# A report of AddressSanitizer, LeakSanitizer or UBSan ("file:line:col:
# runtime error: ...") fails the block, with the report.  The runtimes
# write to nginx's stderr: that is error.log once nginx has opened it,
# logs/nginx.stderr before.  No test is added when there is none, so
# plans do not change.
our $SanitizerReport = qr/(?:^|\s)runtime error: |ERROR: (?:Address|Leak|Thread|Memory)Sanitizer|^==\d+==ERROR: |(?:Address|Undefined)Sanitizer:DEADLYSIGNAL/;

sub check_sanitizer_reports {
    my ($block, $lines, $file) = @_;
    for my $i (grep { $lines->[$_] =~ $SanitizerReport } 0 .. $#$lines) {
        Test::More::fail($block->name . " - sanitizer report in $file: "
                         . fmt_str($lines->[$i]));
        my $last = $i + 40 > $#$lines ? $#$lines : $i + 40;
        Test::More::diag(join '', @$lines[$i .. $last]);
    }
}

# TEST_NGINX_USE_VALGRIND: what valgrind reported for each process of
# the block's nginx (logs/valgrind.PID.log; with -q only errors, leaks and
# the suppressions to write for them) fails the block, with the report.
# A file checked is renamed *.checked, so that the next repetition sees
# only its own.
sub check_valgrind_logs {
    my $block = shift;
    for my $file (sort glob "$Test::Nginx::Util::LogDir/valgrind.*.log") {
        my $text = slurp($file);
        rename $file, "$file.checked";
        my @report = grep { /^==\d+== \S/ || /^\{/ } split /^/, $text;
        next unless @report;
        my ($first) = grep { /^==\d+== \S/ } @report;
        Test::More::fail($block->name . " - valgrind reported in "
                         . ($file =~ s{.*/}{}r) . ": "
                         . fmt_str($first // $report[0]));
        Test::More::diag($text);
    }
}

sub check_stderr_sanitizer_reports {
    my $block = shift;
    check_sanitizer_reports($block, [ split /^/, slurp($StderrFile) ],
                            'nginx.stderr');
}

# one test per pattern of a section: a string (one pattern per line), a
# qr// or an array of them; a string matches as a substring
sub check_patterns {
    my ($block, $section, $lines, $negate, $rep) = @_;
    my $pats = $block->$section;
    return unless defined $pats;
    my $file = $section =~ /access/ ? 'access.log' : 'error.log';

    my $name = $block->name;
    my $req = defined $rep ? " (req $rep)" : '';
    my @pats = ref $pats eq 'ARRAY'  ? grep { defined } @$pats
             : ref $pats eq 'Regexp' ? ($pats)
             : split /\n+/, $pats;

    for my $pat (@pats) {
        my $hit = first { ref $pat ? $_ =~ $pat : index($_, $pat) >= 0 }
                  @$lines;
        my $p = fmt_str($pat);
        if ($negate) {
            Test::More::ok(!defined $hit, defined $hit
                ? "$name - pattern \"$p\" should not match any line in "
                  . "$file but matches line \"" . fmt_str($hit) . "\"$req"
                : "$name - pattern \"$p\" does not match a line in "
                  . "$file$req");
        } else {
            Test::More::ok(defined $hit, defined $hit
                ? "$name - pattern \"$pat\" matches a line in $file$req"
                : "$name - pattern \"$pat\" should match a line in "
                  . "$file$req")
                or Test::More::diag("searched " . @$lines . " lines of "
                                    . "$Test::Nginx::Util::LogDir/$file");
        }
    }
}

sub check_grep_error_log {
    my ($block, $lines, $rep) = @_;
    my $name = $block->name;
    my $pat = $block->grep_error_log;
    my $expected = $block->grep_error_log_out;

    if (!defined $pat) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined") if defined $expected;
        return;
    }
    $pat = $pat->[$rep] if ref $pat eq 'ARRAY';
    return unless defined $pat;
    bail_out("$name - No --- grep_error_log_out defined but "
             . "--- grep_error_log is defined") unless defined $expected;
    $expected = $expected->[$rep] if ref $expected eq 'ARRAY';
    $expected = expand_env_in_text($expected, $name) unless ref $expected;

    my $out = '';
    for my $line (@$lines) {
        next unless ref $pat ? $line =~ $pat : $line =~ /\Q$pat\E/;
        $out .= "$&\n" unless $& =~ /\n/;
    }
    is_str($out, $expected, "$name - grep_error_log_out (req $rep)");
}

sub value_contains {
    my ($val, $pat) = @_;
    return 0 unless defined $val;
    return scalar grep { value_contains($_, $pat) } @$val
        if ref $val eq 'ARRAY';
    return index("$val", $pat) >= 0;
}

sub fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

1;
__END__

=head1 NAME

Test::Nginx::Socket - the project's runner for Test::Nginx::Socket-format
tests

=head1 SYNOPSIS

    use Test::Nginx::Socket;      # or: 'no_plan', or: tests => 6

    repeat_each(2);
    plan tests => repeat_each() * blocks() * 3;
    no_shuffle();
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [error]

Run with C<prove -I t/lib t/>. The same files run unchanged under upstream
Test::Nginx (openresty/test-nginx): section names, their meaning, the
exported functions and the number of tests per block are upstream's. This
is an independent implementation of that data format on Test::Base, with
core Perl modules only.

=head1 HOW A BLOCK RUNS

For each block (shuffled unless C<no_shuffle()> or TEST_NGINX_NO_SHUFFLE)
and each of its C<repeat_each()> repetitions: the server root is created
afresh (once per block), F<conf/nginx.conf> is written, nginx is started as
a direct child (C<daemon off>, C<-p servroot/ -c conf/nginx.conf -e
logs/error.log>), ready once its pid file names it; the request(s) are
sent, nginx is stopped (QUIT, or TERM with TEST_NGINX_FAST_SHUTDOWN) and
reaped at once, then F<logs/error.log> is checked. Log lines written in the
log phase and at shutdown are therefore always visible. A block without
C<--- config> reuses the nginx sections of the previous block that had one.
nginx failing to start, exiting by itself, or not stopping is a failure
with nginx's stderr in the diagnostics.

=head1 SECTIONS

=over

=item Server: C<main_config>, C<http_config>, C<config>, C<post_main_config>,
C<server_name>, C<log_level>, C<user_files> (C<<< >>> name [touch-date] >>>
lines, or an eval'd array of [name, body, date]), C<post_setup_server_root>
and C<init> (Perl code).

=item Request: C<request> (C<METHOD [URI [HTTP/x.y]]> then the body; an
eval'd array gives several requests, one connection each; an array inside
it gives the packets of one request, strings or
C<< { value => ..., delay_before => secs } >>), C<more_headers>,
C<raw_request> (sent verbatim; an array gives packets),
C<raw_request_middle_delay>, C<timeout> (inactivity, seconds or C<ms>,
default 3), C<abort>, C<shutdown>, C<wait>, C<http2>, C<no_http2>,
C<curl_options> (one argument added to curl's, as upstream),
C<curl_error> (a substring, or with C<eval> a qr//, of the message of a
curl that fails with no output), C<server_addr_for_client>,
C<ignore_response>.

=item Response: C<error_code> (default 200), C<error_code_like>,
C<response_headers> (C<Name: value>, C<! Name> for absent),
C<response_headers_like> (anchored regex per header),
C<raw_response_headers_like>, C<raw_response_headers_unlike>,
C<response_body> (a string, or with C<eval> a qr// or one value per
request), C<response_body_like>, C<response_body_unlike> (unanchored,
C</s>), C<response_body_filters> (md5_hex sha1_hex length uc lc ucfirst
lcfirst or code refs), C<response_body_json_sort>.

=item Logs: C<error_log>, C<no_error_log> (substrings one per line, or with
C<eval> qr// or arrays of both), C<grep_error_log>, C<grep_error_log_out>,
C<access_log>, C<no_access_log>.

=item Control: C<must_die> (nginx must fail to start; with a number, that
exit code; no request is sent; C<error_log> then checks error.log, which
C<-e> fills with the start-up errors, or nginx's stderr if error.log is
empty), C<skip_eval> (C<N: perl code>), and Test::Base's C<ONLY>,
C<SKIP>, C<LAST>.

=back

Request building is upstream's: C<Host: localhost> and C<Connection:
close> are added unless C<more_headers> has them; a body gets a
C<Content-Length> (computed on the body with leading and trailing
whitespace removed) unless C<more_headers> gives one or says
C<Transfer-Encoding: chunked>. The response is read until nginx closes the
connection or nothing happens for C<timeout> seconds, which fails the
block unless C<abort> is given. Bodies of any size are written while the
response is read, and nginx answering early is not an error. With
C<http2>, curl sends the request (C<--max-time> the C<timeout>): curl
failing with no output fails the block unless C<curl_error> matches its
message, whatever C<abort> says (upstream runs curl under a timer of the
same C<timeout> that dies, so a curl meant to give up needs a shorter
C<curl_options> C<-mN>). The server has C<client_max_body_size 30M>, as
upstream's.

C<$TEST_NGINX_*> variables are expanded in C<main_config>, C<http_config>,
C<config>, C<post_main_config>, C<user_files>, C<response_body> and
C<grep_error_log_out> (not in requests, as upstream); an unset one bails
out. C<$TEST_NGINX_RAND_PORT_N> is a free port, the same within a block.
C<$ServerPort> is replaced in expected bodies and headers.

=head1 FUNCTIONS

C<run_tests>, C<repeat_each>, C<no_shuffle>, C<plan> and C<blocks> (Test::More,
Test::Base), C<log_level>, C<timeout>, C<master_on>, C<master_off>,
C<master_process_enabled>, C<workers>, C<worker_connections>,
C<env_to_nginx>, C<no_root_location>, C<config_preamble>,
C<check_accum_error_log>, C<add_block_preprocessor>,
C<add_response_body_check>, C<add_cleanup_handler>,
C<add_test_cleanup_handler>, C<bail_out>, C<is_str>, C<no_long_string>,
C<server_name>, C<server_addr>, C<server_port>, C<server_port_for_client>,
C<server_root>, C<html_dir>.

=head1 TESTS PER BLOCK

Per repetition (C<repeat_each>), for each request: 1 (status, always) + 1
per C<raw_response_headers_like> / C<_unlike> + 1 per header line of
C<response_headers> (else of C<response_headers_like>) + 1 if
C<response_body>, C<response_body_like> or C<response_body_unlike> is given;
none of these with C<ignore_response>. After each request: 1 for
C<grep_error_log>, 1 per C<error_log> pattern, 1 per C<no_error_log>
pattern, 1 per C<access_log> / C<no_access_log> pattern. A C<must_die>
block: 1 + those log checks. A C<skip_eval> block: its N skips. Failures can
add tests (client timeout, connection refused, broken chunked body, nginx
not starting or not stopping cleanly), as upstream's do, so a failing file
may also report a wrong plan.

=head1 ENVIRONMENT

TEST_NGINX_BINARY (default C<nginx> in PATH), TEST_NGINX_LOAD_MODULES
(C<load_module> lines), TEST_NGINX_SERVER_PORT / TEST_NGINX_PORT (1984),
TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT (F<t/servroot>),
TEST_NGINX_TIMEOUT (3), TEST_NGINX_LOG_LEVEL (debug),
TEST_NGINX_MASTER_PROCESS (off), TEST_NGINX_NO_SHUFFLE, TEST_NGINX_USE_HTTP2,
TEST_NGINX_RANDOMIZE, TEST_NGINX_CHECK_ACCUM_ERR_LOG,
TEST_NGINX_FAST_SHUTDOWN (TERM instead of QUIT), TEST_NGINX_EVENT_TYPE,
TEST_NGINX_SLEEP, TEST_NGINX_VERBOSE, TEST_NGINX_LD_PRELOAD (preloaded into
nginx only, before LD_PRELOAD), TEST_NGINX_USE_VALGRIND (nginx under
valgrind: C<1> for memcheck with leak checks and F<valgrind.suppress> of
the current directory, else the one next to the .t file; other text: the
valgrind options), TEST_NGINX_TIMEOUT_FACTOR (multiplies the client's
timeouts and the waits for nginx to start and stop; 10 under valgrind,
else 1). The runner sets TEST_NGINX_SERVER_PORT (if unset),
TEST_NGINX_SERVER_ROOT, and TEST_NGINX_TIMEOUT_FACTOR under valgrind.

=head1 SANITIZER AND VALGRIND REPORTS

A line of an AddressSanitizer, LeakSanitizer or UBSan report (C<runtime
error:>, C<ERROR: AddressSanitizer>, C<==PID==ERROR:>) in the block's
F<error.log> or in nginx's stderr fails the block with the report, as an
C<Assertion ... failed> line does. Under TEST_NGINX_USE_VALGRIND each
process writes F<logs/valgrind.PID.log>; any error or leak in one fails
the block, with the file (its suppressions included, for
F<t/valgrind.suppress>). No test is counted when there is no report.

=head1 DIFFERENCES FROM UPSTREAM

nginx runs in the foreground as a child and is restarted for every
repetition (upstream keeps one daemon per block and reads the log while it
runs, after a short sleep), so the log checks also see lines written at
shutdown (a block must not need them: under upstream it fails; have the
block make the event happen while nginx runs). nginx exiting by itself or
not stopping is a failure. A matched
C<no_error_log> pattern fails once, not once per matching line. C<! Name>
in C<response_headers> is case-insensitive. C<--- http2> uses C<http2 on>
only from nginx 1.25.1, else C<listen ... http2> (upstream emits C<http2
on> from 1.19.9, which nginx 1.22 rejects). A first block without
C<config> runs with an empty one (upstream bails out). Not supported:
pipelined_requests, shutdown_error_log, skip_nginx, todo, http09, the
deprecated *_eval sections, stap, tcp/udp mock servers, HUP, check-leak
and benchmark modes. Valgrind's reports go to F<logs/valgrind.PID.log>
and fail the block (upstream lets them go to nginx's stderr, the error
log, and does not check them); upstream has no TEST_NGINX_TIMEOUT_FACTOR
(it has TEST_NGINX_TIMEOUT and TEST_NGINX_SLEEP).

=cut

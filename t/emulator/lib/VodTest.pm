package VodTest;

# What the module's Test::Nginx-format files share: an emulator started
# once per file, the http{} lines that point the module at it, and checks
# of what the emulator received, run after each block (the project's
# runner has stopped nginx by then, upstream's has not: a block whose last
# calls, an abort say, may come after the answer waits for them with
# --- emulator_wait):
#
#   use FindBin (); use lib "$FindBin::Bin/emulator/lib";
#   use Test::Nginx::Socket 'no_plan';
#   use VodTest;
#   VodTest::setup();
#   run_tests();
#
# Sections a block may have, besides the runner's:
#   --- emulator_ops     the operations the emulator received, in order,
#                        runs of one written "UploadPart*4"
#   --- landed_md5       the MD5s of the objects that landed, in any order
#                        ("none": no object landed)
#   --- apply_params     "Name: value" lines: the parameters of the first
#                        ApplyUpload as the emulator received them
#                        (MediaName, SourceContext, ...); "(none)" for
#                        one that was not sent
#   --- no_vod_config    do not add the standard http{} lines
#   --- emulator_config  "key: value" lines for the emulator's run-time
#                        settings (callback_url, app_status, ...; "null"
#                        unsets; $TEST_NGINX_* is expanded), set before
#                        nginx starts (every block starts from the
#                        defaults)
#   --- emulator_media   FileIds the emulator knows without an upload (for
#                        events written by hand)
#   --- emulator_inject  eval: events (hashes) queued before nginx starts,
#                        so that the first PullEvents has them all
#   --- emulator_faults  eval: faults (an array of hashes) set before nginx
#                        starts (--- init sets them after)
#   --- emulator_wait    Perl code, true once the emulator's state ($s) is
#                        as the block expects: polled after the last
#                        request, at most 15 s, while nginx still runs
#                        (with --- ignore_response, after the block, when
#                        nginx may have stopped: under upstream
#                        Test::Nginx it still runs then)
#   --- api_params       "Op Field: value" lines: the parameters of the
#                        first Op request as the emulator received them
#                        (JSON for objects and arrays, "(none)")
#   --- app_events       "EventType FileId TaskId" lines, "-" for none and
#                        "*" for any: what the application behind
#                        vod_callback_pass (the emulator's /__emulator/app)
#                        received, in order, from the X-VOD-* headers; each
#                        body is JSON of that EventType
#   --- app_body         the body the application received first, exactly
#   --- emulator_tasks   how many tasks (ProcessMedia, ...) were started
#   --- emulator_events  "EventType pull_state" lines, in order
#   --- node_client      "script.js" and a JSON argument (on the lines that
#                        follow; $TEST_NGINX_* expanded): a client of
#                        t/node run after the last request, while nginx
#                        runs; what it prints is compared with
#   --- node_out         its lines: each the same, or a /regex/
#   --- uploads_left     how many multipart uploads the block leaves open
#                        (resumable uploads wait for their client; 0)
#   --- metrics          "name{labels} value" lines that the (last)
#                        answer, in Prometheus' text format, has exactly
#                        (vod_status)
#   --- promtool         the (last) answer passes `promtool check metrics`
#                        (Debian's prometheus package)
# and every block checks that no other multipart upload is left open.
#
# VodTest::write_file(PATH, BYTES) writes a file and returns PATH.
# VodTest::form(form_field(NAME, VALUE), form_file(NAME, FILE, TYPE, DATA),
# ...) makes a multipart/form-data body with the boundary $VodTest::Boundary.
# VodTest::bytes(N, SEED) makes N reproducible bytes that do not begin or
# end with white space (the runner trims request bodies, as upstream's).

use strict;
use warnings;

use Digest::MD5 ();
use File::Temp ();
use FindBin ();
use JSON::PP ();
use POSIX ();
use Test::More;

use VodEmulator::Control;

our $Emu;

# the run-time settings a block may change, and their values at start
our %ConfigDefaults = (
    cert_lifetime => 3600, answer_bucket => undef, answer_media_path => undef,
    answer_token => undef,
    callback_url => undef, callback_sign_key => undef,
    callback_sign_in => 'body', app_status => undef, task_delay_ms => 200,
    pull_wait_ms => 5000, confirm_timeout_ms => 30000, list_page_max => undef,
);

my $Json = JSON::PP->new->canonical(1);

# nginx under valgrind (TEST_NGINX_USE_VALGRIND) is tens of times slower:
# the project's runner sets TEST_NGINX_TIMEOUT_FACTOR, which multiplies
# the waits below (for nginx, not for the emulator: its own delays and
# timeouts stay as the blocks set them)
our $Factor = $ENV{TEST_NGINX_TIMEOUT_FACTOR} || 1;

our $HttpConfig = <<'_EOC_';
    vod_secret_id       $TEST_NGINX_VOD_SECRET_ID;
    vod_secret_key      $TEST_NGINX_VOD_SECRET_KEY;
    vod_api_endpoint    http://127.0.0.1:$TEST_NGINX_VOD_PORT;
    vod_cos_endpoint    http://127.0.0.1:$TEST_NGINX_VOD_PORT;
    vod_upload_journal  $TEST_NGINX_SERVER_ROOT/vod_journal_temp;
_EOC_

sub setup {
    my (%emulator) = @_;

    $Emu = VodEmulator::Control->start(%emulator);
    $Emu->export_env;

    main::add_block_preprocessor(sub {
        my $block = shift;

        $Emu->reset;
        $Emu->clear_faults;
        $Emu->config(%ConfigDefaults, block_config($block));

        for my $id (split ' ', $block->emulator_media // '') {
            $Emu->control(POST => 'media', { FileId => $id });
        }

        for my $ev (@{ $block->emulator_inject // [] }) {
            $Emu->inject_event($ev);
        }

        $Emu->fault($block->emulator_faults) if $block->emulator_faults;

        return if defined $block->no_vod_config;

        $block->set_value(http_config => $HttpConfig
                                         . ($block->http_config // ''));
    });

    main::add_response_body_check(\&wait_emulator);
    main::add_response_body_check(\&check_metrics);
    main::add_test_cleanup_handler(\&check_block);
}

sub block_config {
    my $block = shift;
    my %c;
    for my $line (grep { /\S/ } split /\n/, $block->emulator_config // '') {
        my ($k, $v) = $line =~ /^\s*(\w+):\s*(.*?)\s*$/
            or die $block->name . ": bad emulator_config line \"$line\"\n";
        $v =~ s/\$(TEST_NGINX_\w+)/$ENV{$1} \/\/ die "no \$$1\n"/ge;
        $c{$k} = $v eq 'null' ? undef : $v =~ /^\d+$/ ? $v + 0 : $v;
    }
    return %c;
}

# after the last request: --- node_client, then poll the emulator until
# --- emulator_wait holds
sub wait_emulator {
    my ($block, $body, $i) = @_;
    my $req = $block->request // $block->raw_request // $block->pipelined_requests;
    return if ref $req eq 'ARRAY' && $i < $#$req;

    run_node_client($block) if defined $block->node_client;

    my $code = $block->emulator_wait // return;
    poll_emulator($block, $code);
}

# --- metrics and --- promtool, on the last answer of the block
sub check_metrics {
    my ($block, $body, $i) = @_;
    my $req = $block->request // $block->raw_request // $block->pipelined_requests;
    return if ref $req eq 'ARRAY' && $i < $#$req;

    my $name = $block->name;

    if (defined(my $want = $block->metrics)) {
        my %got;
        for my $line (split /\n/, $body // '') {
            next if $line =~ /^#/ || $line !~ /\S/;
            my ($series, $value) = $line =~ /^(\S+) (\S+)$/ or next;
            $got{$series} = $value;
        }
        for my $line (grep { /\S/ } split /\n/, $want) {
            my ($series, $value) = $line =~ /^\s*(\S+)\s+(\S+)\s*$/
                or die "$name: bad metrics line \"$line\"\n";
            is $got{$series} // '(none)', $value, "$name - $series";
        }
    }

    if (defined $block->promtool) {
        my $file = File::Temp->new;
        print $file $body // '';
        close $file;
        my $out = `promtool check metrics < $file 2>&1`;
        is $? >> 8, 0, "$name - promtool check metrics passes"
            or diag $out;
        is $out, '', "$name - promtool has nothing to say";
    }
}

sub run_node_client {
    my $block = shift;
    my $name = $block->name;
    my ($script, $arg) = $block->node_client =~ /^\s*(\S+)\s+(.*?)\s*$/s
        or die "$name: --- node_client is \"script.js {json}\"\n";
    $arg =~ s/\$(TEST_NGINX_\w+)/$ENV{$1} \/\/ die "no \$$1\n"/ge;

    my $pid = open my $out, '-|', 'node', "$FindBin::Bin/node/$script", $arg
        or die "$name: node: $!\n";
    my @got;
    {
        local $SIG{ALRM} = sub { kill 'KILL', $pid };
        alarm 60 * $Factor;
        @got = <$out>;
        close $out;
        alarm 0;
    }
    chomp @got;

    my @want = map { s/^\s+|\s+$//gr } grep { /\S/ } split /\n/,
               $block->node_out // '';
    my $ok = is scalar @got, scalar @want, "$name - $script printed "
                . scalar(@want) . ' line(s)';
    for my $k (0 .. $#want) {
        my $got = $got[$k] // '(none)';
        if ($want[$k] =~ m{^/(.*)/$}) {
            $ok &= like $got, qr/$1/, "$name - $script line " . ($k + 1);
        } else {
            $ok &= is $got, $want[$k], "$name - $script line " . ($k + 1);
        }
    }
    diag "node $script $arg\nprinted:\n" . join "\n", @got unless $ok;
}

sub poll_emulator {
    my ($block, $code) = @_;
    my $cond = eval "sub { my \$s = shift; $code }"
        or die $block->name . ": emulator_wait: $@";
    ok $Emu->wait_for($cond, 15 * $Factor),
       $block->name . ' - the emulator got where expected';
}

sub check_block {
    my $block = shift;
    my $name = $block->name;

    # a block the runner skipped (--- skip_eval) has nothing to check
    if (defined(my $spec = $block->skip_eval)) {
        my ($code) = $spec =~ /^\s*\d+\s*:\s*(.*)/s;
        return if defined $code && eval $code;
    }

    # without a response checked, --- emulator_wait is polled here
    poll_emulator($block, $block->emulator_wait)
        if defined $block->ignore_response && defined $block->emulator_wait;

    my $state = $Emu->state('md5=1');

    if (defined(my $want = $block->emulator_ops)) {
        $want =~ s/^\s+|\s+$//g;
        is ops($state), $want, "$name - the emulator received $want";
    }

    if (defined(my $want = $block->apply_params)) {
        my ($apply) = grep { ($_->{op} // '') eq 'ApplyUpload' }
                      @{ $state->{requests} };
        my $params = $apply ? $apply->{params} : {};

        for my $line (grep { /\S/ } split /\n/, $want) {
            my ($field, $value) = $line =~ /^\s*(\w+):\s?(.*?)\s*$/
                or die "$name: bad apply_params line \"$line\"\n";
            my $got = $params->{$field};
            utf8::encode($got) if defined $got && utf8::is_utf8($got);
            is $got // '(none)', $value, "$name - ApplyUpload sent $field";
        }
    }

    if (defined(my $want = $block->api_params)) {
        for my $line (grep { /\S/ } split /\n/, $want) {
            my ($op, $field, $value) = $line =~ /^\s*(\w+)\s+(\w+):\s?(.*?)\s*$/
                or die "$name: bad api_params line \"$line\"\n";
            my ($req) = grep { ($_->{op} // '') eq $op }
                        @{ $state->{requests} };
            my $got = $req ? $req->{params}{$field} : undef;
            $got = $Json->encode($got) if ref $got;
            utf8::encode($got) if defined $got && utf8::is_utf8($got);
            if ($value =~ m{^/(.*)/$}) {
                like $got // '(none)', qr/$1/, "$name - $op sent $field";
            } else {
                is $got // '(none)', $value, "$name - $op sent $field";
            }
        }
    }

    if (defined(my $want = $block->app_events)) {
        my @want = map { [ split ' ' ] } grep { /\S/ } split /\n/, $want;
        my @got = @{ $state->{app} };
        is scalar @got, scalar @want,
           "$name - the application received " . scalar(@want) . ' event(s)';
        for my $k (0 .. $#want) {
            my $h = $got[$k] ? $got[$k]{headers} : {};
            my @v = map { $h->{$_} // '-' }
                    qw(x-vod-event-type x-vod-file-id x-vod-task-id);
            my @w = @{ $want[$k] };
            my $ok = @w == 3 && !grep { $w[$_] ne '*' && $w[$_] ne $v[$_] }
                                  0 .. 2;
            ok $ok, "$name - application event $k is @w"
                or diag "got @v";
            my $ev = $got[$k] ? eval { JSON::PP->new->decode($got[$k]{body}) }
                              : undef;
            is ref $ev && $ev->{EventType}, $v[0],
               "$name - application event $k: the body is the $v[0] JSON";
        }
    }

    if (defined(my $want = $block->app_body)) {
        my ($first) = @{ $state->{app} };
        my $got = $first ? $first->{body} : undef;
        utf8::encode($got) if defined $got && utf8::is_utf8($got);
        is $got, $want, "$name - the application received the event as sent";
    }

    if (defined(my $want = $block->emulator_tasks)) {
        $want =~ s/^\s+|\s+$//g;
        is scalar @{ $state->{tasks} }, $want, "$name - $want task(s) started";
    }

    if (defined(my $want = $block->emulator_events)) {
        my $w = join "\n", map { s/^\s+|\s+$//gr } grep { /\S/ }
                split /\n/, $want;
        is join("\n", map { "$_->{type} $_->{pull_state}" }
                      @{ $state->{events} }), $w,
           "$name - the emulator's events";
    }

    if (defined(my $want = $block->landed_md5)) {
        $want =~ s/^\s+|\s+$//g;
        my @objects = @{ $state->{objects} };

        if ($want eq 'none') {
            is scalar @objects, 0, "$name - no object landed";

        } else {
            is join(' ', sort map { $_->{md5} } @objects),
               join(' ', sort split ' ', $want),
               "$name - the bytes landed, MD5 $want";
        }
    }

    my $left = $block->uploads_left // 0;
    $left =~ s/^\s+|\s+$//g;
    is scalar @{ $state->{uploads} }, $left,
       $left ? "$name - $left multipart upload(s) left open, for the client"
             : "$name - no multipart upload is left open";
}

# the operations received, runs of the same one written "Op*N"
sub ops {
    my $state = shift;
    my @ops = map { $_->{op} } grep { $_->{op} ne 'control' }
              @{ $state->{requests} };
    my @out;

    for my $op (@ops) {
        if (@out && $out[-1][0] eq $op) {
            $out[-1][1]++;
        } else {
            push @out, [$op, 1];
        }
    }

    return join ' ', map { $_->[1] > 1 ? "$_->[0]*$_->[1]" : $_->[0] } @out;
}

# N reproducible bytes; the first and last are not white space
sub bytes {
    my ($n, $seed) = @_;
    srand($seed // 1);

    my $s = join '', map { pack 'N', int rand 4294967296 } 1 .. ($n + 3) / 4;
    substr($s, $n) = '';
    substr($s, 0, 1) = 'B' if $n;
    substr($s, -1, 1) = 'E' if $n > 1;

    return $s;
}

# Runs code in a grandchild, beside the block's requests (the runner
# reaps its own children, nginx among them); with after_start => 1 once
# nginx's pid file is there (10 s at most). The grandchild ends when code
# returns (or execs), without destructors: the emulator is the parent's.
sub detach {
    my ($code, %o) = @_;

    my $pid = fork // die "fork: $!";
    if ($pid) {
        waitpid $pid, 0;
        return;
    }
    POSIX::_exit(0) if fork // POSIX::_exit(1);

    if ($o{after_start}) {
        my $deadline = time + 10;
        select undef, undef, undef, 0.05
            until -s $Test::Nginx::Util::PidFile || time > $deadline;
    }

    eval { $code->() };
    POSIX::_exit($@ ? 1 : 0);
}

# nginx's master (from the runner's pid file) and its workers (from /proc)
sub master_pid {
    open my $fh, '<', $Test::Nginx::Util::PidFile or die "pid: $!\n";
    return <$fh> + 0;
}

sub workers_of {
    my $master = shift;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $in, '<', $stat or next;
        my ($pid, $ppid) = (<$in> // '') =~ /^(\d+) \(.*\) \S+ (\d+) /
            or next;
        push @pids, $pid if $ppid == $master;
    }
    return @pids;
}

# HTTP/1.1 chunked coding: one chunk of data; data cut into chunks of size
# bytes, then the last chunk
sub chunk {
    my ($data) = @_;
    return sprintf("%x\r\n", length $data) . $data . "\r\n";
}

sub chunked {
    my ($data, $size) = @_;
    my $out = '';
    for (my $i = 0; $i < length $data; $i += $size) {
        $out .= chunk(substr $data, $i, $size);
    }
    return $out . "0\r\n\r\n";
}

# multipart/form-data: the body of parts (a head and data each, from
# form_field and form_file), with the boundary $Boundary
our $Boundary = '----WebKitFormBoundaryQ7';

sub form {
    my @parts = @_;
    my $body = '';
    while (my ($head, $data) = splice @parts, 0, 2) {
        $body .= "--$Boundary\r\n$head\r\n\r\n$data\r\n";
    }
    return $body . "--$Boundary--\r\n";
}

sub form_field { ("Content-Disposition: form-data; name=\"$_[0]\"", $_[1]) }

sub form_file {
    my ($name, $file, $type, $data) = @_;
    return ("Content-Disposition: form-data; name=\"$name\"; "
            . "filename=\"$file\"\r\nContent-Type: $type", $data);
}

# writes bytes to a file (a key file, media for a client); returns its path
sub write_file {
    my ($path, $bytes) = @_;
    open my $fh, '>:raw', $path or die "$path: $!\n";
    print $fh $bytes;
    close $fh or die "$path: $!\n";
    return $path;
}

sub md5 {
    return Digest::MD5::md5_hex(bytes(@_));
}

1;

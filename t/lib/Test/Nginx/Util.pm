package Test::Nginx::Util;

# Settings, nginx.conf generation and the nginx process for the
# Test::Nginx::Socket runner: see Socket.pm for the documentation.

use strict;
use warnings;

use Exporter 'import';
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our $VERSION = '0.01';

our @EXPORT = qw(
    add_block_preprocessor add_cleanup_handler add_test_cleanup_handler
    bail_out check_accum_error_log config_preamble env_to_nginx
    expand_env_in_text get_canon_version get_nginx_version html_dir
    is_str log_level master_off master_on master_process_enabled
    no_long_string no_root_location no_shuffle parse_headers parse_time
    repeat_each server_addr server_name server_port server_port_for_client
    server_root show_all_chars sleep_time timeout trim verbose
    worker_connections workers
    $ConfFile $NginxVersion $NoLongString $PidFile $RepeatEach $ServerAddr
    $ServerName $ServerPort $ServerPortForClient $ServRoot
);

# for Test::Nginx::Socket, not for .t files
our @EXPORT_OK = qw(
    cleanup get_nginx_version kill_stale_nginx port_in_use read_log_lines
    setup_server_root slurp start_nginx stop_nginx write_config_file
    write_file write_user_files
    $AccLogFile $CheckAccumErrLog $ErrLogFile $HtmlDir $NoShuffle
    $StderrFile $UseHttp2 $UseValgrind $TimeoutFactor $Verbose
    @BlockPreprocessors @TestCleanupHandlers
);

# ---- settings (environment first, then the functions below) ----

our $NginxBinary       = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $LoadModules       = $ENV{TEST_NGINX_LOAD_MODULES} // '';
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $UseHttp2          = $ENV{TEST_NGINX_USE_HTTP2};
our $Verbose           = $ENV{TEST_NGINX_VERBOSE};
our $EventType         = $ENV{TEST_NGINX_EVENT_TYPE};
our $TestNginxSleep    = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $CheckAccumErrLog  = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $UseValgrind       = $ENV{TEST_NGINX_USE_VALGRIND};
# nginx under valgrind runs tens of times slower: the client's timeouts,
# the waits for nginx to start and stop (and VodTest's waits, through the
# environment) are multiplied by this
our $TimeoutFactor     = $ENV{TEST_NGINX_TIMEOUT_FACTOR}
                         || ($UseValgrind ? 10 : 1);
$ENV{TEST_NGINX_TIMEOUT_FACTOR} = $TimeoutFactor if $UseValgrind;
our $RepeatEach        = 1;
our $Workers           = 1;
our $WorkerConnections = 64;
our $NoRootLocation    = 0;
our $NoLongString      = 0;
our $ConfigPreamble    = '';
our $ServerAddr        = '127.0.0.1';
our $ServerName        = 'localhost';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;

our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers,
     @TestCleanupHandlers);
our ($NginxVersion, $NginxRawVersion, $NginxPid, $RandPorts);

our ($ServRoot, $LogDir, $ErrLogFile, $AccLogFile, $StderrFile, $HtmlDir,
     $ConfDir, $ConfFile, $PidFile, $CacheDir);

if ($ENV{TEST_NGINX_RANDOMIZE}) {
    $ServerPort = $ServerPortForClient = gen_rand_port({})
        or die "Cannot find a free port for TEST_NGINX_RANDOMIZE\n";
    set_server_root("t/servroot_$ServerPort");
} else {
    set_server_root($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
}

sub set_server_root {
    $ServRoot   = File::Spec->rel2abs(shift);
    $LogDir     = "$ServRoot/logs";
    $ErrLogFile = "$LogDir/error.log";
    $AccLogFile = "$LogDir/access.log";
    $StderrFile = "$LogDir/nginx.stderr";
    $PidFile    = "$LogDir/nginx.pid";
    $HtmlDir    = "$ServRoot/html";
    $ConfDir    = "$ServRoot/conf";
    $ConfFile   = "$ConfDir/nginx.conf";
    $CacheDir   = "$ServRoot/cache";
    $ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
}

# getter/setter helpers: f() returns the value, f($v) sets it
sub _accessor {
    my $ref = shift;
    $$ref = shift if @_;
    return $$ref;
}

sub repeat_each            { _accessor(\$RepeatEach, @_) }
sub timeout                { _accessor(\$Timeout, @_) }
sub log_level              { _accessor(\$LogLevel, @_) }
sub workers                { _accessor(\$Workers, @_) }
sub worker_connections     { _accessor(\$WorkerConnections, @_) }
sub server_addr            { _accessor(\$ServerAddr, @_) }
sub server_name            { _accessor(\$ServerName, @_) }
sub server_port            { _accessor(\$ServerPort, @_) }
sub server_port_for_client { _accessor(\$ServerPortForClient, @_) }
sub master_on              { $MasterProcessEnabled = 'on' }
sub master_off             { $MasterProcessEnabled = 'off' }
sub no_shuffle             { $NoShuffle = 1 }
sub no_root_location       { $NoRootLocation = 1 }
sub no_long_string         { $NoLongString = 1 }
sub check_accum_error_log  { $CheckAccumErrLog = 1 }
sub config_preamble        { $ConfigPreamble = shift }
sub server_root            { $ServRoot }
sub html_dir               { $HtmlDir }
sub sleep_time             { $TestNginxSleep }
sub verbose                { $Verbose }

sub master_process_enabled {
    $MasterProcessEnabled = $_[0] ? 'on' : 'off' if @_;
    return $MasterProcessEnabled;
}

sub add_block_preprocessor   { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler      { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler { unshift @TestCleanupHandlers, shift }

sub env_to_nginx {
    die "env_to_nginx: no arguments specified\n" unless @_;
    for my $v (@_) {
        die "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub bail_out {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# ---- small text helpers ----

sub parse_time {
    my $t = shift;
    return $t unless defined $t;
    return $1 / 1000 if $t =~ /^\s*([\d.]+)\s*ms\s*$/;
    $t =~ s/^\s*([\d.]+)\s*s?\s*$/$1/;
    return $t;
}

sub trim {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\s+/ /g;
    return $s;
}

sub show_all_chars {
    my $s = shift;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    return $s;
}

# "Name: value" lines -> ordered [name, value] pairs; "! Name" (or a name
# without a colon) gives an undefined value, meaning "must be absent"
sub parse_headers {
    my @pairs;
    for my $line (split /\n/, shift // '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            push @pairs, [$line, undef];
            next;
        }
        my ($key, $val) = split /\s*:\s*/, $line, 2;
        @pairs = grep { lc $_->[0] ne lc $key } @pairs;
        push @pairs, [$key, $val];
    }
    return \@pairs;
}

# a string comparison whose failure report stays readable for bodies of
# megabytes; a qr// expected value is a match instead
sub is_str {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;

    return Test::More::like($got, $expected, $desc)
        if ref $expected eq 'Regexp';

    if ($NoLongString || !defined $got || !defined $expected
        || length($got) + length($expected) < 400)
    {
        return Test::More::is($got, $expected, $desc);
    }

    my $ok = Test::More::ok($got eq $expected, $desc);
    Test::More::diag(describe_difference($got, $expected)) unless $ok;
    return $ok;
}

sub describe_difference {
    my ($got, $expected) = @_;
    my $i = 0;
    my $max = length($got) < length($expected) ? length $got
                                               : length $expected;
    $i++ while $i < $max && substr($got, $i, 1) eq substr($expected, $i, 1);
    my $at = $i > 20 ? $i - 20 : 0;
    my $show = sub { show_all_chars(substr($_[0], $at, 60)) };
    return sprintf "got %d bytes, expected %d bytes; first difference at "
        . "offset %d\n     got: \"%s\"\nexpected: \"%s\"",
        length $got, length $expected, $i, $show->($got),
        $show->($expected);
}

# ---- $TEST_NGINX_* expansion ----

sub gen_rand_port {
    my $used = shift;
    for (1 .. 1000) {
        my $port = 1988 + int rand(65535 - 1988);
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr, LocalPort => $port, Proto => 'tcp',
            Listen => 1, ReuseAddr => 1) or next;
        close $sock;
        return $port;
    }
    return undef;
}

sub expand_env_in_text {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    $rand_ports //= $RandPorts // {};

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            if (!defined $rand_ports->{$var}) {
                my %used = ($ServerPort => 1,
                            map { $_ => 1 } values %$rand_ports);
                $rand_ports->{$var} = gen_rand_port(\%used)
                    // bail_out("$name - no free port for $var");
            }
            $rand_ports->{$var};
        } elsif (!defined $ENV{$var}) {
            bail_out("$name - No environment $var defined.\n");
        } else {
            $ENV{$var};
        }
    }ge;

    return $text;
}

# ---- the nginx binary ----

sub get_canon_version { sprintf "%d.%03d%03d", @_[0 .. 2] }

sub get_nginx_version {
    return $NginxVersion if defined $NginxVersion;
    my $out = `$NginxBinary -V 2>&1`;
    if ($? != 0 || $out !~ m{nginx[^/]*/(\d+)\.(\d+)\.(\d+)}) {
        bail_out("Failed to run \"$NginxBinary -V\": "
                 . ($out // $!) . "\n");
    }
    $NginxRawVersion = "$1.$2.$3";
    $NginxVersion = get_canon_version($1, $2, $3);
    return $NginxVersion;
}

sub nginx_command {
    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);
    # -e (1.19.5+) sends the start-up errors to error.log too
    push @cmd, '-e', $ErrLogFile if get_nginx_version() >= 1.019005;
    return (valgrind_command(), @cmd);
}

# TEST_NGINX_USE_VALGRIND: nginx runs under valgrind. A number: upstream's
# memcheck options (--leak-check=full --show-possibly-lost=no
# --gen-suppressions=all), with valgrind.suppress of the current directory
# as upstream, or else the one next to the .t file; other text: the
# valgrind options themselves.  Each process writes its report to
# logs/valgrind.PID.log (upstream lets it go to nginx's stderr), which the
# block then checks (check_valgrind_logs in Socket.pm).
sub valgrind_command {
    return () unless $UseValgrind;
    my @opts = ('-q', "--log-file=$LogDir/valgrind.%p.log");
    if ($UseValgrind =~ /^\d+$/) {
        push @opts, qw(--tool=memcheck --leak-check=full
                       --show-possibly-lost=no --num-callers=100
                       --gen-suppressions=all --keep-debuginfo=yes);
        my ($supp) = grep { -f }
                     ('valgrind.suppress',
                      File::Spec->catfile(script_dir(), 'valgrind.suppress'));
        push @opts, "--suppressions=" . File::Spec->rel2abs($supp)
            if defined $supp;
    } else {
        push @opts, split ' ', $UseValgrind;
    }
    return ('valgrind', @opts);
}

sub script_dir {
    (my $dir = File::Spec->rel2abs($0)) =~ s{/[^/]*$}{};
    return $dir;
}

# ---- the server root and nginx.conf ----

sub setup_server_root {
    if (-d $ServRoot) {
        # remove only what we create, so that a mistaken
        # TEST_NGINX_SERVROOT cannot wipe real data
        remove_tree($ConfDir, $HtmlDir, $LogDir, $CacheDir,
                    glob("$ServRoot/*_temp"), glob("$ServRoot/*_cache"),
                    # under a source-built nginx's prefix, the journal
                    # ngx_http_vod_upload_module keeps by default
                    "$ServRoot/vod_upload");
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!\n");
    }
    make_path($ServRoot, $LogDir, $HtmlDir, $ConfDir);
    write_file("$HtmlDir/index.html", '<html><head><title>It works!'
        . '</title></head><body>It works!</body></html>');
}

sub write_file {
    my ($path, $data) = @_;
    open my $out, '>', $path or bail_out("Can't open $path: $!\n");
    binmode $out;
    print $out $data;
    close $out or bail_out("Can't write $path: $!\n");
}

sub write_user_files {
    my ($block) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, '', $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    }
    bail_out("$name - user_files: scalar or ARRAY expected")
        unless ref $files eq 'ARRAY';

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        (my $dir = $path) =~ s{/[^/]*$}{};
        make_path($dir) unless -d $dir;
        write_file($path, expand_env_in_text($body // '', $name));
        next unless $date;
        local $ENV{TZ} = 'GMT';
        system('touch', '-t', $date, $path) == 0
            or bail_out("$name - touch -t '$date' $path failed\n");
    }
}

# $sec: the expanded sections (main_config, http_config, config,
# post_main_config, server_name, log_level), $http2: listen
# for HTTP/2 without TLS
sub write_config_file {
    my ($sec, $http2) = @_;

    my $main = join '', map { "load_module $_;\n" }
                        grep { length } split /\s+/, $LoadModules;
    $main .= $sec->{main_config} // '';

    my $http = $sec->{http_config} // '';
    my @temp = map { "${_}_temp_path $ServRoot/${_}_temp;" }
               grep { $http !~ /\b${_}_temp_path\b/ }
               qw(client_body proxy fastcgi scgi uwsgi);
    my $server_name = $sec->{server_name} // $ServerName;
    my $listen = $ServerPort;
    my $h2 = '';
    if ($http2) {
        if (get_nginx_version() >= 1.025001) {
            $h2 = "\n        http2 on;";
        } else {
            $listen .= ' http2';
        }
    }
    my $env = join '', map { /\s/ ? "env '$_';\n" : "env $_;\n" }
                       qw(LD_PRELOAD LD_LIBRARY_PATH ASAN_OPTIONS),
                       @EnvToNginx;
    my $root = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    my $events = $EventType ? "    use $EventType;\n" : '';
    my $user = $> == 0 ? "user root;\n" : '';
    my $level = $sec->{log_level} || $LogLevel;
    my $temp = join "\n    ", @temp;
    my $config = $sec->{config} // '';
    my $post_main = $sec->{post_main_config} // '';

    write_file($ConfFile, <<"_EOC_");
worker_processes  $Workers;
daemon off;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $level;
pid       $PidFile;
$user$env
$main

http {
    access_log $AccLogFile;
    $temp

    default_type text/plain;
    keepalive_timeout  68000ms;

$http

    server {
        listen          $listen;$h2
        server_name     '$server_name';
        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root    }
}

$post_main

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
$events}
_EOC_
}

# ---- the nginx process: a direct child, "daemon off" ----

# an nginx left behind by a killed earlier run still holds the port: stop
# it if its pid file is ours and it runs nginx on our server root
sub kill_stale_nginx {
    open my $in, '<', $PidFile or return;
    my $pid = <$in> // '';
    close $in;
    chomp $pid;
    return unless $pid =~ /^\d+$/ && $pid != ($NginxPid // 0)
                  && kill 0, $pid;
    open my $cmd, '<', "/proc/$pid/cmdline" or return;
    my $cmdline = do { local $/; <$cmd> } // '';
    return unless $cmdline =~ /nginx/ && index($cmdline, $ServRoot) >= 0;
    Test::More::diag("stopping a stale nginx (pid $pid) on $ServRoot");
    kill 'TERM', $pid;
    for (1 .. 200) {
        return unless kill 0, $pid;
        sleep 0.01;
    }
    kill 'KILL', $pid;
}

sub port_in_use {
    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                     PeerPort => $ServerPort,
                                     Proto => 'tcp', Timeout => 1);
    return 0 unless $sock;
    close $sock;
    return 1;
}

sub pidfile_says {
    my $pid = shift;
    open my $in, '<', $PidFile or return 0;
    my $got = <$in>;
    close $in;
    return defined $got && $got =~ /^(\d+)\s*$/ && $1 == $pid;
}

# Returns { pid => N } once nginx has written its pid file (its listening
# sockets exist by then), { died => 1, status => $? } if it exited, or
# { error => "..." }.
sub start_nginx {
    my @cmd = nginx_command();
    unlink $PidFile;
    warn "starting: @cmd\n" if $Verbose;

    my $pid = fork;
    return { error => "fork failed: $!" } unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StderrFile;
        # as upstream: TEST_NGINX_LD_PRELOAD goes first, for nginx only
        $ENV{LD_PRELOAD} = join ' ', grep { defined && length }
                           $ENV{TEST_NGINX_LD_PRELOAD}, $ENV{LD_PRELOAD}
            if defined $ENV{TEST_NGINX_LD_PRELOAD};
        exec { $cmd[0] } @cmd
            or print STDERR "cannot exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    $NginxPid = $pid;
    my $deadline = time + ($Timeout > 10 ? $Timeout : 10) * $TimeoutFactor;
    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            undef $NginxPid;
            return { died => 1, status => $? };
        }
        if (pidfile_says($pid)) {
            return { pid => $pid };
        }
        if (time > $deadline) {
            stop_nginx();
            return { error => "nginx wrote no pid file in time" };
        }
        sleep 0.002;
    }
}

# The client connections nginx holds: its TCP sockets, from /proc, whose
# local port is one it listens on and that are not listening themselves
# (not its upstream connections, nor the socketpair nginx makes and closes
# in init_process, after its pid file is written, to test EPOLLRDHUP).
# undef where /proc cannot tell.
sub nginx_client_connections {
    my $pid = shift;
    opendir my $dh, "/proc/$pid/fd" or return undef;
    my %mine = map { (readlink("/proc/$pid/fd/$_") // '') =~ /^socket:\[(\d+)\]/
                     ? ($1 => 1) : () } readdir $dh;
    closedir $dh;

    my (%listen, @conns);
    for my $table ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $in, '<', $table or next;
        <$in>;
        while (<$in>) {
            my @f = split;
            next unless @f > 9 && $mine{ $f[9] };
            my ($port) = $f[1] =~ /:([0-9A-F]+)$/ or next;
            if ($f[3] eq '0A') {
                $listen{$port} = 1;
            } else {
                push @conns, $port;
            }
        }
        close $in;
    }
    return undef unless %listen;
    return scalar grep { $listen{$_} } @conns;
}

# A single-process nginx exits on QUIT at once: a connection it is still
# closing (lingering close after a request body, which writes the access
# log line when the client's FIN is read) would be cut short.  So wait,
# briefly and bounded, until it holds no client connection.
sub wait_nginx_idle {
    my $pid = shift;
    return if $MasterProcessEnabled eq 'on';

    my $deadline = time + 2 * $TimeoutFactor;
    while (time < $deadline) {
        my $n = nginx_client_connections($pid) // return;
        return if $n == 0;
        sleep 0.002;
    }
}

# Stops the running nginx and reaps it at once. Returns { status => $?,
# early => 1 if it had exited by itself, killed => 1 if it needed KILL }.

sub stop_nginx {
    my $pid = $NginxPid // return undef;
    undef $NginxPid;

    return { status => $?, early => 1 } if waitpid($pid, WNOHANG) == $pid;

    wait_nginx_idle($pid);

    # A single-process nginx looks at the flags its signal handler sets
    # after each epoll_wait() (master mode waits in sigsuspend() and
    # tells its workers through a channel, not signals).  A signal caught
    # after that look and before the next epoll_wait() begins is acted on
    # only when an event or a timer ends that wait: the journal sweep's
    # timer is a minute away.  The runner's signal comes right after
    # nginx closed a connection (wait_nginx_idle), while nginx is still
    # running, so that happens.  The same signal again ends the wait.
    my $sig = $ENV{TEST_NGINX_FAST_SHUTDOWN} ? 'TERM' : 'QUIT';
    kill $sig, $pid;
    my $deadline = time + ($Timeout > 5 ? $Timeout : 5) * $TimeoutFactor;
    my $again = time + 0.1;
    while (time < $deadline) {
        return { status => $? } if waitpid($pid, WNOHANG) == $pid;
        if ($MasterProcessEnabled ne 'on' && time >= $again) {
            kill $sig, $pid;
            $again = time + 0.1;
        }
        sleep 0.001;
    }

    Test::More::diag("nginx (pid $pid) ignored the stop signal: killing it");
    kill 'KILL', -$pid;
    waitpid($pid, 0);
    return { status => $?, killed => 1 };
}

sub slurp {
    my $path = shift;
    open my $in, '<', $path or return '';
    binmode $in;
    local $/;
    return scalar(<$in>) // '';
}

# lines of a log file from byte offset $pos on; returns (\@lines, $end)
sub read_log_lines {
    my ($path, $pos) = @_;
    open my $in, '<', $path or return ([], $pos);
    binmode $in;
    seek $in, $pos, 0 if $pos;
    my @lines = <$in>;
    my $end = tell $in;
    close $in;
    return (\@lines, $end);
}

sub cleanup {
    stop_nginx() if defined $NginxPid;
    $_->() for @CleanupHandlers;
}

END {
    local $?;
    cleanup() if defined $NginxPid;
    if ($ENV{TEST_NGINX_RANDOMIZE} && defined $ServRoot
        && $ServRoot =~ m{/t/servroot_\d+$})
    {
        remove_tree($ServRoot);
    }
}

1;

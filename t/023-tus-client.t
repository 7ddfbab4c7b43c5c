# Resumable uploads with the tus project's own client, tus-js-client (npm,
# installed into t/node by the setup script), through nginx into the
# emulator: whole, broken off and resumed (on this nginx and on a second
# one that shares only the key file), in chunks smaller than a part, of a
# length not known at first, terminated.  t/node/tus-client.js prints what
# happened (--- node_out).

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $Dir = File::Temp::tempdir(CLEANUP => 1);

sub write_file { VodTest::write_file("$Dir/$_[0]", $_[1]) }

$ENV{TEST_NGINX_TUS_KEY} = write_file('tus.key', "the first key of the test\n");
$ENV{TEST_NGINX_TUS_KEY2} = write_file('tus2.key', "the second key, rotated in\n");
$ENV{TEST_NGINX_TUS_MEDIA} = write_file('media', VodTest::bytes(5_000_000, 23));

our $Md5 = VodTest::md5(5_000_000, 23);

# a connection broken at a random byte (a failure prints the client's
# arguments; TEST_NGINX_TUS_STOP=N replays it): what was sent of whole
# 1 MiB parts is kept, the rest is sent again
our $Stop = $ENV{TEST_NGINX_TUS_STOP} // 1_048_577 + int rand 3_900_000;
our $Kept = int($Stop / 1_048_576) * 1_048_576;

# A second nginx, another process with its own configuration and nothing
# in common with the first but the emulator and the key files: it seals
# with the second key and opens with both (rotation).  A grandchild, as
# the runner reaps its own children; stopped at the end.
our $Second = "$Dir/second";
$ENV{TEST_NGINX_SECOND_PORT} = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1)
        or die "a free port: $!";
    $s->sockport;
};

sub start_second {
    mkdir $Second;
    mkdir "$Second/$_" for qw(conf logs tmp);

    my $http = $VodTest::HttpConfig;
    $http =~ s/\$(TEST_NGINX_\w+)/$ENV{$1} \/\/ die "no \$$1\n"/ge;
    $http =~ s{vod_upload_journal\s+\S+;}{vod_upload_journal $Second/tmp/journal;};

    my $modules = join '', map { "load_module $_;\n" }
                  split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';

    open my $fh, '>', "$Second/conf/nginx.conf" or die "$Second: $!";
    print $fh <<"_EOC_";
$modules
daemon off;
master_process off;
error_log $Second/logs/error.log info;
pid $Second/logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $Second/tmp;
$http
    server {
        listen 127.0.0.1:$ENV{TEST_NGINX_SECOND_PORT};
        location /files/ {
            vod_upload;
            vod_upload_tus on;
            vod_upload_tus_key_file $ENV{TEST_NGINX_TUS_KEY2};
            vod_upload_tus_key_file $ENV{TEST_NGINX_TUS_KEY};
            vod_upload_part_size 1m;
            client_max_body_size 100m;
        }
    }
}
_EOC_
    close $fh;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        my $grandchild = fork // POSIX::_exit(1);
        POSIX::_exit(0) if $grandchild;
        open STDOUT, '>', "$Second/logs/stdout";
        open STDERR, '>', "$Second/logs/stderr";
        { exec $ENV{TEST_NGINX_BINARY} // 'nginx', '-p', $Second, '-c',
               "$Second/conf/nginx.conf"; }
        POSIX::_exit(1);
    }
    waitpid $pid, 0;

    # up when it accepts connections (10 s at most)
    my $deadline = time + 10;
    until (IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                 PeerPort => $ENV{TEST_NGINX_SECOND_PORT})) {
        die "the second nginx did not start: "
            . `cat $Second/logs/stderr $Second/logs/error.log 2>/dev/null`
            if time > $deadline;
        select undef, undef, undef, 0.02;
    }
}

sub stop_second {
    open my $fh, '<', "$Second/logs/nginx.pid" or return;
    my $pid = <$fh>;
    chomp $pid;
    kill 'QUIT', $pid if $pid;
}

start_second();
END { stop_second() }

our $Tus = <<'_EOC_';
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 1m;
    client_max_body_size 100m;
}
_EOC_

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a whole upload: FileId and MediaUrl in the last answer, the bytes landed
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "metadata": {"filename": "holiday.mp4"}}
--- node_out
created /files/
/^success 5000000 \d+ http://\S+/holiday\.mp4$/
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts UploadPart*5 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5



=== TEST 2: broken off mid-part: the whole parts are kept, the tail is sent again
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stop_at": 2500000, "cut_when": 2097152, "expect_offset": 2097152}
--- node_out
created /files/
stopped
resumed from 2097152
/^success 5000000 \d+ \S+$/
--- landed_md5 eval: $::Md5
--- error_log
vod upload: the client closed the connection during the upload after 2500000 bytes



=== TEST 3: broken off with a tail of a part's minimum (1 MiB) or more: it is stored as a shorter part
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 2m;
}
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stop_at": 3500000, "cut_when": 2097152, "expect_offset": 3500000}
--- node_out
created /files/
stopped
resumed from 3500000
/^success 5000000 \d+ \S+$/
--- landed_md5 eval: $::Md5



=== TEST 4: broken off here, resumed on the second nginx (its own key first, this one's too)
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stop_at": 2500000, "cut_when": 2097152, "expect_offset": 2097152, "resume_base": "http://127.0.0.1:$TEST_NGINX_SECOND_PORT"}
--- node_out
created /files/
stopped
resumed from 2097152
/^success 5000000 \d+ \S+$/
--- landed_md5 eval: $::Md5



=== TEST 5: created on the second nginx (sealed with its key), resumed here: 404, this nginx does not have that key
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SECOND_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stop_at": 2500000, "cut_when": 2097152, "resume_base": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT"}
--- node_out
created /files/
stopped
error 404 HEAD
--- uploads_left: 1



=== TEST 6: PATCHes in chunks smaller than a part: each is stored as a shorter part
--- config
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_part_size 4m;
}
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "chunk_size": 1572864}
--- node_out
created /files/
/^success 5000000 \d+ \S+$/
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts UploadPart ListParts UploadPart ListParts UploadPart ListParts UploadPart CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5



=== TEST 7: a length not known at first (a stream): given by the last PATCH
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "deferred": true, "chunk_size": 2097152}
--- node_out
created /files/
/^success 5000000 \d+ \S+$/
--- landed_md5 eval: $::Md5



=== TEST 8: terminated: the multipart upload is aborted, the URL answers 404
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stop_at": 2500000, "cut_when": 2097152, "terminate": true}
--- node_out
created /files/
stopped
terminated
after termination HEAD 404
--- landed_md5: none



=== TEST 9: a URL the server does not know (forged, or sealed with a key gone): 404, and tus-js-client creates a new upload
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client
tus-client.js {"endpoint": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/", "file": "$TEST_NGINX_TUS_MEDIA", "stale_url": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/AVyo4JFeOkOxBzqQyCR8tr1p0w5gvDmVkH2DAnkhZl0vB0Sd"}
--- node_out
created /files/
/^success 5000000 \d+ \S+$/
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts UploadPart*5 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::Md5
--- error_log
vod upload: the upload URL is not one this server sealed



=== TEST 10: broken off at a random byte, resumed from the last whole part
--- config eval: $::Tus
--- request
OPTIONS /files/
--- error_code: 204
--- node_client eval
"tus-client.js {\"endpoint\": \"http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/files/\", \"file\": \"\$TEST_NGINX_TUS_MEDIA\", \"stop_at\": $::Stop, \"cut_when\": $::Kept, \"expect_offset\": $::Kept}"
--- node_out eval
"created /files/\nstopped\nresumed from $::Kept\n/^success 5000000 \\d+ \\S+\$/\n"
--- landed_md5 eval: $::Md5

# The upload page (examples/upload-page) in a real browser: Debian's
# headless Chromium, driven by playwright-core (t/node/browser-upload.js),
# loads the page from its own origin (a second server block on another
# port, so CORS is real) and uploads as a user would: a video with a cover
# through the form, another through tus (tus-js-client, as the page loads
# it from npm's copy), one by PUT, a cover VOD does not take.  Asserted: the progress
# the page showed, the FileId, MediaUrl and CoverUrl it showed (and that
# the MediaUrl serves the file's bytes), VOD's events as the page's
# application received them from vod_callback_pass, the JSON error of a
# refusal, and the bytes in the emulator.  Then a video dropped on the
# page, sent by tus, paused by the user mid-way and resumed.  Screenshots: t/output/browser/.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use File::Temp ();
use IO::Socket::INET ();
use Test::Nginx::Socket;
use VodTest;

my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
plan skip_all => "no $chromium: run 'make setup' as root to install Debian's chromium"
    unless -x $chromium;
plan 'no_plan';

VodTest::setup();

our $Dir = File::Temp::tempdir(CLEANUP => 1);

$ENV{TEST_NGINX_PAGE_ROOT} = "$FindBin::Bin/../examples/upload-page";
$ENV{TEST_NGINX_APP_SOCKET} = "$Dir/app.sock";
$ENV{TEST_NGINX_SHOTS} = "$FindBin::Bin/output/browser";
$ENV{TEST_NGINX_TUS_KEY} = VodTest::write_file("$Dir/tus.key",
    "the browser test's sealing key\n");
$ENV{TEST_NGINX_FORM_MEDIA} = VodTest::write_file("$Dir/holiday.mp4",
    VodTest::bytes(12_000_000, 40));
$ENV{TEST_NGINX_COVER} = VodTest::write_file("$Dir/poster.jpg",
    "\xff\xd8\xff\xe0 the poster \xff\xd9");
$ENV{TEST_NGINX_TUS_MEDIA} = VodTest::write_file("$Dir/resumable.mov",
    VodTest::bytes(9_000_000, 41));
$ENV{TEST_NGINX_DROPPED} = VodTest::write_file("$Dir/dropped.mp4",
    VodTest::bytes(16_000_000, 42));
$ENV{TEST_NGINX_NOTES} = VodTest::write_file("$Dir/notes.txt", "not an image");

# the page's own origin: another port of the same nginx
$ENV{TEST_NGINX_PAGE_PORT} = do {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 1)
        or die "a free port: $!";
    $s->sockport;
};

# the page's origin: the page, where it uploads to, its application
our $Page = <<'_EOC_';
server {
    listen 127.0.0.1:$TEST_NGINX_PAGE_PORT;
    root $TEST_NGINX_PAGE_ROOT;
    types {
        text/html html;
        text/css css;
        application/javascript js;
    }

    location = /config.json {
        default_type application/json;
        return 200 '{"tus": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/files/",
                     "form": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upload/",
                     "put": "http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upload/",
                     "events": "/app/events", "tus_chunk_size": 4194304}';
    }
    location /tus-js-client/ {
        alias $TEST_NGINX_PAGE_ROOT/node_modules/tus-js-client/dist/;
    }
    location = /app/events {
        proxy_pass http://unix:$TEST_NGINX_APP_SOCKET:/events;
    }
}
_EOC_

# the uploads' origin
our $Locations = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_cors http://127.0.0.1:$TEST_NGINX_PAGE_PORT;
    vod_upload_media_name $vod_upload_form_title;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
    client_max_body_size 100m;
}
location /files/ {
    vod_upload;
    vod_upload_tus on;
    vod_upload_tus_key_file $TEST_NGINX_TUS_KEY;
    vod_upload_cors http://127.0.0.1:$TEST_NGINX_PAGE_PORT;
    vod_upload_media_name $vod_upload_meta_title;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
    client_max_body_size 100m;
}
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
    vod_callback_transcode 100010 100020;
    vod_callback_pass /app-events;
}
location = /app-events {
    internal;
    proxy_pass http://unix:$TEST_NGINX_APP_SOCKET:/vod-events;
}
_EOC_

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the page uploads with a cover by form and resumably by tus, shows the answers, the progress, the events and a refusal
--- http_config eval: $::Page
--- config eval: $::Locations
--- emulator_config
callback_url: http://127.0.0.1:$TEST_NGINX_SERVER_PORT/cb
callback_sign_key: abc123
task_delay_ms: 100
--- emulator_faults eval
[{ op => 'UploadPart', delay_ms => 150, count => 0 }]
--- request
OPTIONS /files/
--- error_code: 204
--- timeout: 60
--- node_client
browser-upload.js {"page": "http://127.0.0.1:$TEST_NGINX_PAGE_PORT/", "app": "unix:$TEST_NGINX_APP_SOCKET", "shots": "$TEST_NGINX_SHOTS",
  "uploads": [
    {"name": "form", "mode": "form", "media": "$TEST_NGINX_FORM_MEDIA", "cover": "$TEST_NGINX_COVER", "title": "Our holiday", "events": true},
    {"name": "tus", "mode": "tus", "media": "$TEST_NGINX_TUS_MEDIA", "title": "Resumed", "events": true},
    {"name": "put", "mode": "put", "media": "$TEST_NGINX_FORM_MEDIA", "title": "By PUT"},
    {"name": "refused", "mode": "form", "media": "$TEST_NGINX_TUS_MEDIA", "cover": "$TEST_NGINX_NOTES"}]}
--- node_out
/^form progress rising to 100% in ([3-9]|\d\d+) steps$/
/^form FileId \d+$/
/^form MediaUrl http://127\.0\.0\.1:\d+/vod/\d+/\S+\.mp4 \(the bytes it serves are the file's\)$/
/^form CoverUrl http://127\.0\.0\.1:\d+/\S+\.jpg$/
form events NewFileUpload ProcedureStateChanged
form transcodes 2
form links to other FileIds 0
/^form screenshot .*/form\.png$/
/^tus progress rising to 100% in ([3-9]|\d\d+) steps$/
/^tus FileId \d+$/
/^tus MediaUrl http://127\.0\.0\.1:\d+/vod/\d+/\S+\.mov \(the bytes it serves are the file's\)$/
tus CoverUrl (none)
tus events NewFileUpload ProcedureStateChanged
tus transcodes 2
tus links to other FileIds 0
/^tus screenshot .*/tus\.png$/
/^put progress rising to 100% in ([3-9]|\d\d+) steps$/
/^put FileId \d+$/
/^put MediaUrl http://127\.0\.0\.1:\d+/vod/\d+/By%20PUT\.mp4 \(the bytes it serves are the file's\)$/
put CoverUrl (none)
/^put screenshot .*/put\.png$/
/^refused progress rising to \d+% in \d+ steps$/
refused error InvalidCover: the form's cover "notes.txt" is not an image of a type VOD takes: jpg, jpeg, png, gif, bmp, tiff or webp
/^refused screenshot .*/refused\.png$/
--- api_params
ApplyUpload MediaName: Our holiday
--- landed_md5 eval: VodTest::md5(12_000_000, 40) . ' ' . VodTest::md5(12_000_000, 40) . ' ' . Digest::MD5::md5_hex("\xff\xd8\xff\xe0 the poster \xff\xd9") . ' ' . VodTest::md5(9_000_000, 41)
--- no_error_log
[error]


=== TEST 2: a video dropped on the page, sent by tus, paused by the user while a part is held, resumed: every byte lands
--- http_config eval: $::Page
--- config eval: $::Locations
--- emulator_faults eval
[{ op => 'UploadPart', nth => 3, delay_ms => 2000 }]
--- request
OPTIONS /files/
--- error_code: 204
--- timeout: 60
--- node_client
browser-upload.js {"page": "http://127.0.0.1:$TEST_NGINX_PAGE_PORT/", "app": "unix:$TEST_NGINX_APP_SOCKET", "shots": "$TEST_NGINX_SHOTS",
  "uploads": [
    {"name": "paused", "mode": "tus", "media": "$TEST_NGINX_DROPPED", "drop": true, "pause_at": 10}]}
--- node_out
/^paused paused at \d+%, the button says Resume$/
/^paused progress (NOT )?rising to 100% in \d+ steps$/
/^paused FileId \d+$/
/^paused MediaUrl http://127\.0\.0\.1:\d+/vod/\d+/dropped\.mp4 \(the bytes it serves are the file's\)$/
paused CoverUrl (none)
/^paused screenshot .*/paused\.png$/
--- landed_md5 eval: VodTest::md5(16_000_000, 42)
--- no_error_log
[error]



=== TEST 3: two uploads on one page, the second begun before the first's events came: each shows its own events only
--- http_config eval: $::Page
--- config eval: $::Locations
--- emulator_config
callback_url: http://127.0.0.1:$TEST_NGINX_SERVER_PORT/cb
callback_sign_key: abc123
task_delay_ms: 1500
--- emulator_faults eval
[{ op => 'UploadPart', delay_ms => 150, count => 0 }]
--- request
OPTIONS /files/
--- error_code: 204
--- timeout: 60
--- node_client
browser-upload.js {"page": "http://127.0.0.1:$TEST_NGINX_PAGE_PORT/", "app": "unix:$TEST_NGINX_APP_SOCKET", "shots": "$TEST_NGINX_SHOTS",
  "uploads": [
    {"name": "first", "mode": "put", "media": "$TEST_NGINX_TUS_MEDIA"},
    {"name": "second", "mode": "form", "media": "$TEST_NGINX_FORM_MEDIA", "same_page": true, "events": true}]}
--- node_out
/^first progress rising to 100% in \d+ steps$/
/^first FileId \d+$/
/^first MediaUrl .* \(the bytes it serves are the file's\)$/
first CoverUrl (none)
/^first screenshot .*/first\.png$/
/^second progress rising to 100% in \d+ steps$/
/^second FileId \d+$/
/^second MediaUrl .* \(the bytes it serves are the file's\)$/
second CoverUrl (none)
second events NewFileUpload ProcedureStateChanged
second transcodes 2
second links to other FileIds 0
/^second screenshot .*/second\.png$/
--- landed_md5 eval: VodTest::md5(9_000_000, 41) . ' ' . VodTest::md5(12_000_000, 40)
--- emulator_wait
4 == grep { ($_->{push}{status} // 0) == 200 } @{ $s->{events} }
--- no_error_log
[error]



=== TEST 4: tus: CommitUpload's connection lost (202 CommitUnconfirmed): the page asks with a HEAD, which commits, and shows the FileId
--- http_config eval: $::Page
--- config eval: $::Locations
--- emulator_faults eval
[{ op => 'CommitUpload', reset => 1, count => 3 }]
--- request
OPTIONS /files/
--- error_code: 204
--- timeout: 60
--- node_client
browser-upload.js {"page": "http://127.0.0.1:$TEST_NGINX_PAGE_PORT/", "app": "unix:$TEST_NGINX_APP_SOCKET", "shots": "$TEST_NGINX_SHOTS",
  "uploads": [
    {"name": "unconfirmed", "mode": "tus", "media": "$TEST_NGINX_TUS_MEDIA"}]}
--- node_out
/^unconfirmed progress rising to 100% in \d+ steps$/
/^unconfirmed FileId \d+$/
/^unconfirmed MediaUrl http://127\.0\.0\.1:\d+/vod/\d+/resumable\.mov \(the bytes it serves are the file's\)$/
unconfirmed CoverUrl (none)
/^unconfirmed screenshot .*/unconfirmed\.png$/
--- emulator_ops: ApplyUpload InitiateMultipartUpload ListParts UploadPart*4 ListParts UploadPart*4 ListParts UploadPart CompleteMultipartUpload CommitUpload*3 ListParts HeadObject CommitUpload GetMedia
--- landed_md5 eval: VodTest::md5(9_000_000, 41)

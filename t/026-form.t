# Browser forms (vod_upload_form): a POST of multipart/form-data; the text
# fields and the cover before the file field "media", the media streamed
# into the engine like a PUT's body; what a form must not be: 400, and
# nothing left in COS.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup();

our $B = $VodTest::Boundary;

sub form { VodTest::form(@_) }
sub field { VodTest::form_field(@_) }
sub file { VodTest::form_file(@_) }

our $Media = VodTest::bytes(2_500_000, 26);
our $MediaMd5 = VodTest::md5(2_500_000, 26);
our $Small = VodTest::bytes(300_000, 27);
our $Cover = "\xff\xd8\xff\xe0 a small jpeg \xff\xd9";
our $BigCover = VodTest::bytes(3_000_000, 30);

# 8 MB without a CR: the parser gives it in large chunks
our $NoCr = VodTest::bytes(8_000_000, 29) =~ tr/\r/x/r;

our $Form = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_part_size 1m;
    vod_upload_source_context "form-$vod_upload_form_ref";
    client_max_body_size 100m;
}
_EOC_

# covers of at most 100 KiB
our $SmallCovers = <<'_EOC_';
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_form_cover_max_size 100k;
    client_max_body_size 100m;
}
_EOC_

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a form of text fields and the media: streamed in parts, the fields as variables
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'order-7'),
                               main::file('media', 'holiday.mp4',
                                          'video/mp4', $::Media))
--- error_code: 200
--- response_body_like: "FileId":"\d+".*"Size":2500000\}
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- apply_params
MediaName: holiday
MediaType: mp4
SourceContext: form-order-7
--- landed_md5 eval: $::MediaMd5



=== TEST 2: a cover before the media: put to its CoverStoragePath, the answer's CoverUrl set
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('cover', 'poster.JPG',
                                          'image/jpeg', $::Cover),
                               main::file('media', 'clip.mov',
                                          'video/quicktime', $::Small))
--- error_code: 200
--- response_body_like: "CoverUrl":"http[^"]+"
--- emulator_ops: ApplyUpload PutObject*2 CommitUpload
--- apply_params
CoverType: jpg
MediaType: mov
--- landed_md5 eval: VodTest::md5(300_000, 27) . ' ' . Digest::MD5::md5_hex($::Cover)



=== TEST 3: a cover after the media: 400, nothing left in COS
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('media', 'a.mp4', 'video/mp4',
                                          $::Media),
                               main::file('cover', 'c.jpg', 'image/jpeg',
                                          $::Cover))
--- error_code: 400
--- response_body_like: "code":"BadForm","message":"the form's \\"cover\\" comes after the \\"media\\"
--- landed_md5: none



=== TEST 4: no media: 400 MissingMedia, nothing sent to VOD
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'x'))
--- error_code: 400
--- response_body
{"error":{"code":"MissingMedia","message":"the form has no file field \"media\""}}
--- emulator_ops:



=== TEST 5: a second media: 400, nothing left
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('media', 'a.mp4', 'video/mp4',
                                          $::Small),
                               main::file('media', 'b.mp4', 'video/mp4',
                                          $::Small))
--- error_code: 400
--- response_body_like: "the form has a second \\"media\\""
--- landed_md5: none



=== TEST 6: a cover VOD does not take: 400 InvalidCover, nothing sent
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('cover', 'notes.txt',
                                          'text/plain', 'hello'),
                               main::file('media', 'a.mp4', 'video/mp4',
                                          $::Small))
--- error_code: 400
--- response_body_like: "code":"InvalidCover"
--- emulator_ops:



=== TEST 7: no boundary: 400 BadForm
--- config eval: $::Form
--- more_headers
Content-Type: multipart/form-data
--- request eval
"POST /upload/\n" . main::form(main::field('a', 'b'))
--- error_code: 400
--- response_body
{"error":{"code":"BadForm","message":"the Content-Type has no boundary"}}
--- emulator_ops:



=== TEST 8: a form cut before its closing delimiter: 400, nothing left
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
my $f = main::form(main::file('media', 'a.mp4', 'video/mp4', $::Media));
"POST /upload/\n" . substr($f, 0, length($f) - 20)
--- error_code: 400
--- response_body_like: "the form ends before its closing delimiter"
--- landed_md5: none



=== TEST 9: without vod_upload_form, a POST is not an upload: 405
--- config
location /upload/ {
    vod_upload;
}
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('a', 'b'))
--- error_code: 405
--- emulator_ops:



=== TEST 10: the engine full (one part in flight, COS slow): the client waits, every byte lands
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
    client_max_body_size 100m;
}
--- emulator_faults eval
[{ op => 'UploadPart', delay_ms => 150, count => 0 }]
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'r'),
                               main::file('media', 'big.mp4', 'video/mp4',
                                          VodTest::bytes(5_000_000, 28)))
--- timeout: 20
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*5 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: VodTest::md5(5_000_000, 28)



=== TEST 11: HTTP/2: a form with its media in parts
--- http2
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'h2'),
                               main::file('media', 'h2.mp4', 'video/mp4',
                                          $::Media))
--- error_code: 200
--- emulator_ops: ApplyUpload InitiateMultipartUpload UploadPart*3 CompleteMultipartUpload CommitUpload
--- landed_md5 eval: $::MediaMd5



=== TEST 12: the engine full while a chunk of the body's buffer waits (media without CR, so chunks are large): every byte lands
--- config
location /upload/ {
    vod_upload;
    vod_upload_form on;
    vod_upload_part_size 1m;
    vod_upload_parts_in_flight 1;
    client_max_body_size 100m;
    client_body_buffer_size 64k;
}
--- emulator_faults eval
[{ op => 'UploadPart', delay_ms => 300, count => 0 }]
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('media', 'big.mp4', 'video/mp4',
                                          $::NoCr))
--- timeout: 30
--- error_code: 200
--- landed_md5 eval: Digest::MD5::md5_hex($::NoCr)



=== TEST 13: the media's file name stays its own when parts follow it (MediaName)
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('media', 'holiday.mp4',
                                          'video/mp4', $::Small),
                               main::field('submitXXXXXXXXXXXXXXXXXXXXXXXXXX',
                                           'Upload'))
--- error_code: 200
--- apply_params
MediaName: holiday
--- response_body_like: "FileId":"\d+"



=== TEST 14: a cover of 3 MB (its buffer grows as it comes): every byte of both put
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'big-cover'),
                               main::file('cover', 'poster.png',
                                          'image/png', $::BigCover),
                               main::file('media', 'clip.mp4',
                                          'video/mp4', $::Small))
--- error_code: 200
--- response_body_like: "CoverUrl":"http[^"]+"
--- apply_params
CoverType: png
--- landed_md5 eval: VodTest::md5(300_000, 27) . ' ' . VodTest::md5(3_000_000, 30)



=== TEST 15: vod_upload_form_cover_max_size: a cover one byte over: 413 CoverTooLarge, nothing sent
--- config eval: $::SmallCovers
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('cover', 'poster.png',
                                          'image/png', 'x' x 102401),
                               main::file('media', 'clip.mp4',
                                          'video/mp4', $::Small))
--- error_code: 413
--- response_body
{"error":{"code":"CoverTooLarge","message":"the form's cover is over 102400 bytes"}}
--- error_log
the form's cover is over 102400 bytes
--- emulator_ops:



=== TEST 16: vod_upload_form_cover_max_size: a cover of exactly that size is put
--- config eval: $::SmallCovers
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::file('cover', 'poster.png',
                                          'image/png', 'x' x 102400),
                               main::file('media', 'clip.mp4',
                                          'video/mp4', $::Small))
--- error_code: 200
--- landed_md5 eval: VodTest::md5(300_000, 27) . ' ' . Digest::MD5::md5_hex('x' x 102400)



=== TEST 17: a POST that is not a form: 415, what it must be
--- config eval: $::Form
--- more_headers
Content-Type: application/json
--- request
POST /upload/
{"media": "no"}
--- error_code: 415
--- response_body
{"error":{"code":"UnsupportedMediaType","message":"a POST uploads a form here: its Content-Type must be multipart/form-data"}}
--- error_log
vod upload: a POST uploads a form here: its Content-Type must be multipart/form-data
--- emulator_ops:



=== TEST 18: a GET where forms are taken: 405, PUT and POST allowed
--- config eval: $::Form
--- request
GET /upload/a.mp4
--- error_code: 405
--- response_headers
Allow: PUT, POST
--- response_body
{"error":{"code":"MethodNotAllowed","message":"method \"GET\" is not allowed, only PUT and a POST of a form upload media here"}}
--- emulator_ops:



=== TEST 19: an empty media: 400 EmptyMedia, nothing left in COS
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(main::field('ref', 'x'),
                               main::file('media', 'empty.mp4', 'video/mp4',
                                          ''))
--- error_code: 400
--- response_body
{"error":{"code":"EmptyMedia","message":"the form's media is empty"}}
--- error_log
vod upload: the form's media is empty
--- landed_md5: none



=== TEST 20: a boundary of 71 characters (RFC 2046 allows 70): 400 BadForm, nothing sent
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=" . ('b' x 71)
--- request eval
"POST /upload/\n--" . ('b' x 71) . "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.mp4\"\r\n\r\n$::Small\r\n--" . ('b' x 71) . "--\r\n"
--- error_code: 400
--- response_body_like: "code":"BadForm","message":"[^"]*boundary
--- emulator_ops:



=== TEST 21: a part's header block over 4 KiB: 400 BadForm, nothing sent
--- config eval: $::Form
--- more_headers eval
"Content-Type: multipart/form-data; boundary=$::B"
--- request eval
"POST /upload/\n" . main::form(
    "Content-Disposition: form-data; name=\"media\"; filename=\"a.mp4\"\r\nX-Padding: " . ('p' x 4100),
    $::Small)
--- error_code: 400
--- response_body_like: "code":"BadForm","message":"[^"]*longer than 4096
--- emulator_ops:

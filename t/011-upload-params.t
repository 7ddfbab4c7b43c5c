# What ApplyUpload is sent: the media type and name from the file name,
# configured values with variables; and client mistakes answered with a
# 4xx JSON error before anything is sent to VOD (the emulator receives
# nothing), without "100 Continue".

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Test::Nginx::Socket 'no_plan';
use VodTest;

VodTest::setup(sub_app_ids => '1500000001');

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: type and name from the file name: last extension, any case
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/dir/My%20Holiday.Clip.MOV
some video bytes
--- error_code: 200
--- apply_params
MediaType: mov
MediaName: My Holiday.Clip
SourceContext: (none)
ClassId: (none)
--- emulator_ops: ApplyUpload PutObject CommitUpload



=== TEST 2: a UTF-8 file name
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/%E5%81%87%E6%9C%9F.mp4
some video bytes
--- error_code: 200
--- apply_params
MediaName: 假期
--- response_body_like: "MediaUrl":"http://127\.0\.0\.1:\d+/vod/\d+/



=== TEST 3: a "/" sent as %2F belongs to the file name, not cut
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/dir/Q4%2Freport%2fdraft.MP4?x=%2Fy
some video bytes
--- error_code: 200
--- apply_params
MediaName: Q4/report/draft
MediaType: mp4
--- response_body_like: "FileId":"\d+"



=== TEST 4: configured values, with variables
--- config
location /upload/ {
    vod_upload;
    vod_sub_app_id              1500000001;
    vod_upload_media_name       "$arg_title";
    vod_upload_media_type       mp4;
    vod_upload_source_context   "order-$arg_order";
    vod_upload_session_context  "user=$http_x_user";
    vod_upload_class_id         $arg_class;
    vod_upload_procedure        LongVideoPreset;
    vod_upload_storage_region   ap-chongqing;
    vod_upload_expire_time      2030-01-01T00:00:00Z;
}
--- request
PUT /upload/raw.bin?title=Trailer&order=42&class=7
some video bytes
--- more_headers
X-User: alice
--- error_code: 200
--- apply_params
MediaType: mp4
MediaName: Trailer
SourceContext: order-42
SessionContext: user=alice
ClassId: 7
Procedure: LongVideoPreset
StorageRegion: ap-chongqing
ExpireTime: 2030-01-01T00:00:00Z
SubAppId: 1500000001



=== TEST 5: a variable that comes out empty is not sent
--- config
location /upload/ {
    vod_upload;
    vod_upload_source_context   $arg_ref;
    vod_upload_class_id         $arg_class;
}
--- request
PUT /upload/clip.mp4
some video bytes
--- error_code: 200
--- apply_params
SourceContext: (none)
ClassId: (none)



=== TEST 6: a media type VOD does not accept
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/setup.exe
MZ...
--- error_code: 400
--- response_body
{"error":{"code":"InvalidMediaType","message":"\"exe\" is not a media type VOD accepts, such as \"mp4\""}}
--- error_log
vod upload: "exe" is not a media type VOD accepts, such as "mp4"
--- emulator_ops:



=== TEST 7: no extension to take the type from
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/movie
bytes
--- error_code: 400
--- response_body_like: "code":"MissingMediaType"
--- emulator_ops:



=== TEST 8: no file name to take the name from
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/.mp4
bytes
--- error_code: 400
--- response_body_like: "code":"MissingMediaName"
--- emulator_ops:



=== TEST 9: a zero-byte body
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/empty.mp4
--- more_headers
Content-Length: 0
--- error_code: 400
--- response_body_like: "code":"EmptyBody"
--- emulator_ops:



=== TEST 10: a source context over 250 characters
--- config
location /upload/ {
    vod_upload;
    vod_upload_source_context $arg_ref;
}
--- request eval
"PUT /upload/clip.mp4?ref=" . ("x" x 251) . "\nbytes"
--- error_code: 400
--- response_body
{"error":{"code":"SourceContextTooLong","message":"the source context is 251 characters long, over the limit of 250"}}
--- emulator_ops:



=== TEST 11: a session context over 1000 characters
--- config
location /upload/ {
    vod_upload;
    vod_upload_session_context $http_x_session;
}
--- more_headers eval
"X-Session: " . ("s" x 1001)
--- request
PUT /upload/clip.mp4
bytes
--- error_code: 400
--- response_body_like: "code":"SessionContextTooLong"
--- emulator_ops:



=== TEST 12: a class id, storage region or expire time that is not one
--- config
location /upload/class {
    vod_upload;
    vod_upload_class_id $arg_v;
    vod_upload_media_type mp4;
}
--- request
PUT /upload/class?v=seven
bytes
--- error_code: 400
--- response_body
{"error":{"code":"InvalidClassId","message":"\"seven\" is not a category id (an integer)"}}
--- emulator_ops:



=== TEST 13: a storage region that is not one
--- config
location /upload/ {
    vod_upload;
    vod_upload_storage_region $arg_v;
}
--- request
PUT /upload/clip.mp4?v=evil.example.com
bytes
--- error_code: 400
--- response_body_like: "code":"InvalidStorageRegion"
--- emulator_ops:



=== TEST 14: an expire time that is not ISO 8601
--- config
location /upload/ {
    vod_upload;
    vod_upload_expire_time $arg_v;
}
--- request
PUT /upload/clip.mp4?v=tomorrow
bytes
--- error_code: 400
--- response_body_like: "code":"InvalidExpireTime"
--- emulator_ops:



=== TEST 15: a file name that is not UTF-8
--- config
location /upload/ {
    vod_upload;
}
--- request
PUT /upload/%FF%FE.mp4
bytes
--- error_code: 400
--- response_body_like: "code":"InvalidParameter","message":"[^"]*UTF-8
--- emulator_ops:



=== TEST 16: a refusal with Expect: 100-continue sends no 100 Continue
--- config
location /upload/ {
    vod_upload;
}
--- more_headers
Expect: 100-continue
--- request
PUT /upload/setup.exe
MZ...
--- error_code: 400
--- response_body_like: "code":"InvalidMediaType"
--- no_error_log
send 100 Continue
--- emulator_ops:



=== TEST 17: a media type variable is checked per request
--- config
location /upload/ {
    vod_upload;
    vod_upload_media_type $arg_type;
}
--- request
PUT /upload/clip?type=doc
bytes
--- error_code: 400
--- response_body_like: "code":"InvalidMediaType"
--- emulator_ops:



=== TEST 18: values from variables get the checks nginx -t gives constants: a task-flow name
--- config
location /upload/ {
    vod_upload;
    vod_upload_procedure $http_x_flow;
}
--- more_headers eval
"X-Flow: flow\tname"
--- request
PUT /upload/clip.mp4
bytes
--- error_code: 400
--- response_body
{"error":{"code":"InvalidProcedure","message":"\"flow\tname\" is not a task-flow template name"}}
--- emulator_ops:



=== TEST 19: ... and a media name's length
--- config
location /upload/ {
    vod_upload;
    vod_upload_media_name $arg_n;
}
--- request eval
"PUT /upload/clip.mp4?n=" . ("n" x 1025) . "\nbytes"
--- error_code: 400
--- response_body
{"error":{"code":"MediaNameTooLong","message":"the media name is 1025 characters long, over the limit of 1024"}}
--- emulator_ops:



=== TEST 20: ... and a class id that is not one from 0
--- config
location /upload/ {
    vod_upload;
    vod_upload_class_id $arg_v;
}
--- request
PUT /upload/clip.mp4?v=-3
bytes
--- error_code: 400
--- response_body_like: "code":"InvalidClassId"
--- emulator_ops:

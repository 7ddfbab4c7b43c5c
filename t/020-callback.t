# The event receiver, pushed events: the examples of VOD's documentation
# POSTed to a vod_callback location, what they start (ProcessMedia, as
# the emulator received it), what they log, and what the application
# behind vod_callback_pass receives; signatures; bad requests; what makes
# the answer a 5xx, so that VOD sends the event again.

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 ();
use Test::Nginx::Socket 'no_plan';
use VodTest;
use VodEmulator::Client;

VodTest::setup(procedure => ['flow=100010,100030']);

# the examples of spec section 6, verbatim
our $NewFileUpload = '{"EventType":"NewFileUpload","FileUploadEvent":{"FileId":"5285890784273533167","MediaBasicInfo":{"Name":"...","Description":"","CreateTime":"2019-01-09T16:36:22Z","UpdateTime":"2019-01-09T16:36:24Z","ExpireTime":"9999-12-31T23:59:59Z","ClassId":0,"ClassName":"...","ClassPath":"...","CoverUrl":"","Type":"mp4","MediaUrl":"http://125676836723.vod2.myqcloud.com/xxx/xxx/q1BORBPQH1IA.mp4","TagSet":[],"StorageRegion":"ap-chongqing","SourceInfo":{"SourceType":"Upload","SourceContext":""},"Vid":"5285890784273533167"},"ProcedureTaskId":"","ReviewAudioVideoTaskId":""}}';

our $ProcedureStateChanged = '{"EventType":"ProcedureStateChanged","ProcedureStateChangeEvent":{"TaskId":"1256768367-Procedure-475b72xxxcb177t1","Status":"FINISH","ErrCode":0,"Message":"","FileId":"5285890784246869930","FileName":"...","FileUrl":"https://1256768367.vod2.myqcloud.com/xxx/xxx/xxx.mp4","MetaData":{"Duration":60,"Size":7700180,"Width":640,"Height":480},"MediaProcessResultSet":[{"Type":"Transcode","TranscodeTask":{"Status":"SUCCESS","ErrCode":0,"Message":"SUCCESS","Input":{"Definition":20},"Output":{"Url":"https://1256768367.vod2.myqcloud.com/xxx/xxx/v.f20.mp4","Size":4189073,"Container":"mov,mp4,m4a,3gp,3g2,mj2","Height":480,"Width":640,"Bitrate":552218,"Md5":"eff7031ad7877865f9a3240e9ab165ad","Duration":60.04700088501,"Definition":0}}},{"Type":"CoverBySnapshot","CoverBySnapshotTask":{"Status":"SUCCESS","Input":{"Definition":10,"PositionType":"Time","PositionValue":0},"Output":{"CoverUrl":"http://..."}}}]}}';

# a NewFileUpload of another file, with a SourceContext
our $WithContext = $NewFileUpload =~ s/"SourceContext":""/"SourceContext":"order-42"/r;

# signed: Sign = md5_hex(key . T), T when it expires
our $Key = 'abc123';
our $T = time + 600;
our $Sign = Digest::MD5::md5_hex("$Key$T");

sub signed {
    my ($json, $sign, $t) = @_;
    $json =~ s/\}$/,"Sign":"$sign","T":$t}/;
    return $json;
}

our $Deleted = '{"EventType":"FileDeleted","FileDeleteEvent":{"FileIdSet":["5285890784246869930"]}}';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: NewFileUpload (the documentation's example) starts ProcessMedia
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 100020;
    add_header X-Event "$vod_event_type $vod_event_file_id $vod_event_task_id" always;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers_like
Content-Type: application/json
X-Event: NewFileUpload 5285890784273533167 1250000000-procedurev2-[0-9a-f]{32}t0
--- response_body_like eval
qr/^\{"EventType":"NewFileUpload","FileId":"5285890784273533167","TaskId":"1250000000-procedurev2-[0-9a-f]{32}t0"\}$/
--- emulator_ops: ProcessMedia
--- api_params
ProcessMedia FileId: 5285890784273533167
ProcessMedia MediaProcessTask: {"TranscodeTaskSet":[{"Definition":100010},{"Definition":100020}]}
ProcessMedia SubAppId: (none)
ProcessMedia SessionContext: (none)
ProcessMedia SessionId: /^ngx-5285890784273533167-[0-9a-f]{8}$/
--- emulator_tasks: 1
--- error_log eval
[
qr/\[info\] .*vod event: NewFileUpload FileId "5285890784273533167", MediaUrl "http:\/\/125676836723\.vod2\.myqcloud\.com\/xxx\/xxx\/q1BORBPQH1IA\.mp4", SourceContext ""/,
qr/\[info\] .*vod event: ProcessMedia for FileId "5285890784273533167" started, TaskId "1250000000-procedurev2-[0-9a-f]{32}t0"/,
]
--- no_error_log
[error]
[warn]



=== TEST 2: ProcedureStateChanged (the documentation's example) logs every transcode
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 100020;
}
--- request eval
"POST /cb\n$main::ProcedureStateChanged"
--- error_code: 200
--- response_body
{"EventType":"ProcedureStateChanged","FileId":"5285890784246869930","TaskId":"1256768367-Procedure-475b72xxxcb177t1"}
--- emulator_ops:
--- error_log eval
[
qr/\[info\] .*vod event: ProcedureStateChanged TaskId "1256768367-Procedure-475b72xxxcb177t1", FileId "5285890784246869930", Status FINISH, ErrCode 0/,
qr/\[info\] .*vod event: Transcode Definition 20 SUCCESS, ErrCode 0, Output.Url "https:\/\/1256768367\.vod2\.myqcloud\.com\/xxx\/xxx\/v\.f20\.mp4"/,
]
--- no_error_log
[error]
[warn]
Definition 10



=== TEST 3: a failed transcode is logged at warn, with its message
--- config
location = /cb {
    vod_callback;
}
--- request eval
"POST /cb\n" . ($main::ProcedureStateChanged =~ s/"Status":"SUCCESS","ErrCode":0,"Message":"SUCCESS"/"Status":"FAIL","ErrCode":30010,"Message":"source file error"/r =~ s/,"Output":\{"Url[^}]*\}//r)
--- error_code: 200
--- error_log eval
qr/\[warn\] .*vod event: Transcode Definition 20 FAIL, ErrCode 30010, Output.Url "", Message: source file error/
--- no_error_log
[error]
Transcode Definition 20 SUCCESS



=== TEST 4: a PROCESSING event: no results to log
--- config
location = /cb {
    vod_callback;
}
--- request eval
"POST /cb\n" . ($main::ProcedureStateChanged =~ s/"FINISH"/"PROCESSING"/r)
--- error_code: 200
--- error_log
vod event: ProcedureStateChanged TaskId "1256768367-Procedure-475b72xxxcb177t1", FileId "5285890784246869930", Status PROCESSING, ErrCode 0
--- no_error_log
[error]
[warn]
Transcode Definition



=== TEST 5: a second delivery of the same event does not start a second transcode
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 100020;
}
--- request eval
["POST /cb\n$main::NewFileUpload", "POST /cb\n$main::NewFileUpload"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"TaskId":"1250000000-procedurev2-/, qr/^\{"EventType":"NewFileUpload","FileId":"5285890784273533167"\}$/]
--- emulator_ops: ProcessMedia*2
--- emulator_tasks: 1
--- no_error_log
[error]
[warn]



=== TEST 6: the second delivery is logged as such
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 100020;
}
--- init
my $r = VodEmulator::Client->new(port => $ENV{TEST_NGINX_SERVER_PORT})
    ->request(method => 'POST', target => '/cb', body => $main::NewFileUpload);
die "the first delivery: $r->{status}\n" unless $r->{status} == 200;
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 200
--- emulator_ops: ProcessMedia*2
--- emulator_tasks: 1
--- error_log
vod event: ProcessMedia for FileId "5285890784273533167" was already started (a second delivery)



=== TEST 7: SourceContext goes on as SessionContext; vod_sub_app_id as SubAppId
--- init
$VodTest::Emu->control(POST => 'media', { FileId => '5285890784273533167',
                                          SubAppId => 1500012345 });
--- config
location = /cb {
    vod_callback;
    vod_sub_app_id 1500012345;
    vod_callback_transcode 100030;
}
--- request eval
"POST /cb\n$main::WithContext"
--- error_code: 200
--- api_params
ProcessMedia FileId: 5285890784273533167
ProcessMedia SubAppId: 1500012345
ProcessMedia SessionContext: order-42
ProcessMedia MediaProcessTask: {"TranscodeTaskSet":[{"Definition":100030}]}
--- error_log
SourceContext "order-42"
--- no_error_log
[error]
[warn]



=== TEST 8: vod_callback_procedure starts a task flow instead
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_procedure flow;
}
--- request eval
"POST /cb\n$main::WithContext"
--- error_code: 200
--- response_body_like: "TaskId":"1250000000-procedurev2-
--- emulator_ops: ProcessMediaByProcedure
--- api_params
ProcessMediaByProcedure FileId: 5285890784273533167
ProcessMediaByProcedure ProcedureName: flow
ProcessMediaByProcedure SessionContext: order-42
ProcessMediaByProcedure SessionId: /^ngx-5285890784273533167-[0-9a-f]{8}$/
--- emulator_tasks: 1
--- error_log
vod event: ProcessMediaByProcedure for FileId "5285890784273533167" started
--- no_error_log
[error]



=== TEST 9: a file VOD does not know: 502 with VOD's error, so VOD sends it again
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 502
--- response_body_like: ^\{"error":\{"code":"ResourceNotFound.FileNotExist","message":"ProcessMedia: .+ \(request id [-0-9a-f]+\)"\}\}$
--- emulator_ops: ProcessMedia
--- error_log eval
qr/\[error\] .*vod event: ProcessMedia: .* \(request id [-0-9a-f]+\), event NewFileUpload/
--- no_error_log
[warn]



=== TEST 10: a template VOD does not have: 502 ResourceNotFound.TemplateNotExist
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 999999;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 502
--- response_body_like: "code":"ResourceNotFound.TemplateNotExist"
--- emulator_tasks: 0



=== TEST 11: ProcessMedia without an answer is tried again, three times in all
--- emulator_media: 5285890784273533167
--- init
$VodTest::Emu->fault(op => 'ProcessMedia', count => 2, status => 502,
                     code => 'InternalError');
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 200
--- response_body_like: "TaskId":"1250000000-procedurev2-
--- emulator_ops: ProcessMedia*3
--- emulator_tasks: 1
--- error_log eval
[
qr/\[warn\] .*vod event: ProcessMedia failed \(status 502\), trying again in 200 ms/,
qr/\[warn\] .*vod event: ProcessMedia failed \(status 502\), trying again in 400 ms/,
]
--- no_error_log
[error]



=== TEST 12: ProcessMedia that never answers: 502 VodApiUnavailable after three tries
--- emulator_media: 5285890784273533167
--- init
$VodTest::Emu->fault(op => 'ProcessMedia', count => 0, reset => 1);
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 502
--- response_body
{"error":{"code":"VodApiUnavailable","message":"ProcessMedia: no answer from the VOD API after 3 tries"}}
--- emulator_ops: ProcessMedia*3
--- emulator_tasks: 0
--- error_log
vod event: ProcessMedia: no answer from the VOD API after 3 tries, event NewFileUpload



=== TEST 13: vod_callback_pass: the event, as sent, goes to the application once ProcessMedia has a TaskId
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010 100020;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_set_header X-Task $vod_event_task_id;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 200
--- response_body_like: ^\{"EventType":"NewFileUpload","FileId":"5285890784273533167","TaskId":"1250000000-procedurev2-[0-9a-f]{32}t0"\}$
--- emulator_wait
$s->{app}[0] && $s->{app}[0]{headers}{'x-task'} eq $s->{tasks}[0]{TaskId}
--- app_events
NewFileUpload 5285890784273533167 *
--- app_body eval: $main::NewFileUpload
--- emulator_tasks: 1
--- no_error_log
[error]
[warn]



=== TEST 14: unknown event types are accepted and handed on
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"POST /cb\n$main::Deleted"
--- error_code: 200
--- response_body
{"EventType":"FileDeleted"}
--- emulator_ops:
--- app_events
FileDeleted - -
--- app_body eval: $main::Deleted
--- error_log
vod event: FileDeleted
--- no_error_log
[error]
[warn]



=== TEST 15: the application down: 502, and VOD will send the event again
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:1/;
}
--- request eval
"POST /cb\n$main::ProcedureStateChanged"
--- error_code: 502
--- response_body
{"error":{"code":"EventNotHandedOn","message":"\"/app\" answered the ProcedureStateChanged event with status 502"}}
--- error_log eval
qr/\[error\] .*vod event: "\/app" answered the ProcedureStateChanged event with status 502, event ProcedureStateChanged/



=== TEST 16: the application answering 503: 502
--- emulator_config
app_status: 503
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"POST /cb\n$main::Deleted"
--- error_code: 502
--- response_body_like: "code":"EventNotHandedOn"
--- app_events
FileDeleted - -
--- error_log
"/app" answered the FileDeleted event with status 503



=== TEST 17: a signature in the body, T a string or a number
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- request eval
[
"POST /cb\n" . main::signed($main::Deleted, $main::Sign, qq{"$main::T"}),
"POST /cb\n" . main::signed($main::Deleted, uc $main::Sign, $main::T),
]
--- error_code eval
[200, 200]
--- no_error_log eval
["[error]", "[warn]", $main::Sign]



=== TEST 18: a signature in the query string, never logged
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- log_level: info
--- request eval
"POST /cb?Sign=$main::Sign&T=$main::T\n$main::Deleted"
--- error_code: 200
--- error_log eval
qr/request: "POST \/cb\?Sign=\*{32}&T=$main::T HTTP\/1\.1"/
--- no_error_log eval
["[error]", $main::Sign]



=== TEST 19: a wrong signature: 403 InvalidSignature
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- request eval
[
"POST /cb\n" . main::signed($main::Deleted, Digest::MD5::md5_hex("abc124$main::T"), $main::T),
"POST /cb\n" . main::signed($main::Deleted, $main::Sign, $main::T + 1),
"POST /cb?Sign=$main::Sign&T=$main::T" . "x\n$main::Deleted",
]
--- error_code eval
[403, 403, 403]
--- response_body eval
[
qq{{"error":{"code":"InvalidSignature","message":"the event's Sign is not the one of its T"}}\n},
qq{{"error":{"code":"InvalidSignature","message":"the event's Sign is not the one of its T"}}\n},
qq{{"error":{"code":"InvalidSignature","message":"the event's T is not a time"}}\n},
]
--- no_error_log
[error]



=== TEST 20: a wrong signature is logged
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- request eval
"POST /cb\n" . main::signed($main::Deleted, Digest::MD5::md5_hex("abc124$main::T"), $main::T)
--- error_code: 403
--- error_log eval
qr/\[info\] .*vod event: the event's Sign is not the one of its T, event FileDeleted/



=== TEST 21: an expired signature: 403 SignatureExpired (the spec's example: key abc123, T 1700000600)
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- request eval
"POST /cb\n" . main::signed($main::Deleted, '1eb16557f620abe83b335ebf0197f429', '"1700000600"')
--- error_code: 403
--- response_body_like: ^\{"error":\{"code":"SignatureExpired","message":"the event's signature expired \d+ s ago"\}\}$
--- error_log eval
qr/\[info\] .*vod event: the event's signature expired \d+ s ago, event FileDeleted/



=== TEST 22: no signature with a sign key set: 403 MissingSignature
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
}
--- request eval
["POST /cb\n$main::Deleted", "POST /cb?T=$main::T\n$main::Deleted"]
--- error_code eval
[403, 403]
--- response_body eval
[
qq{{"error":{"code":"MissingSignature","message":"the event has no Sign and T"}}\n},
qq{{"error":{"code":"MissingSignature","message":"the event has no Sign and T"}}\n},
]



=== TEST 23: vod_callback_sign_key_file
--- user_files
>>> sign.key
abc123
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key_file ../html/sign.key;
}
--- request eval
[
"POST /cb\n" . main::signed($main::Deleted, $main::Sign, $main::T),
"POST /cb\n" . main::signed($main::Deleted, Digest::MD5::md5_hex("other$main::T"), $main::T),
]
--- error_code eval
[200, 403]



=== TEST 24: only POST: 405 with Allow
--- config
location = /cb {
    vod_callback;
}
--- request
GET /cb
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body
{"error":{"code":"MethodNotAllowed","message":"only POST delivers events here"}}
--- error_log
vod event: only POST delivers events here



=== TEST 25: not JSON, no EventType, no body: 400 InvalidEvent
--- config
location = /cb {
    vod_callback;
}
--- request eval
[
"POST /cb\nEventType=NewFileUpload",
"POST /cb\n{\"FileUploadEvent\":{}}",
"POST /cb\n[\"NewFileUpload\"]",
"POST /cb\n{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":{}}",
"POST /cb\n",
]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body eval
[
qq{{"error":{"code":"InvalidEvent","message":"malformed or truncated JSON"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"EventType is missing or not a string"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"JSON root is not an object"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"FileUploadEvent.FileId is missing or not a string"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"the request has no body"}}\n},
]
--- no_error_log
[error]



=== TEST 26: a body that is not JSON is logged
--- config
location = /cb {
    vod_callback;
}
--- request
POST /cb
{"EventType":
--- error_code: 400
--- error_log eval
qr/\[info\] .*vod event: malformed or truncated JSON while handling a VOD event, client: 127\.0\.0\.1/



=== TEST 27: larger than client_max_body_size: 400 EventTooLarge, with a length or chunked
--- config
location = /cb {
    vod_callback;
    client_max_body_size 1k;
}
--- request eval
[
"POST /cb\n" . ('{"EventType":"X","Pad":"' . ('x' x 2000) . '"}'),
"POST /cb\n" . "7d0\r\n" . ('{"EventType":"X","Pad":"' . ('x' x 1974) . '"}') . "\r\n0\r\n\r\n",
]
--- more_headers eval
["", "Transfer-Encoding: chunked"]
--- error_code eval
[400, 400]
--- response_body_like eval
[qr/"code":"EventTooLarge","message":"the event is over 1024 bytes"/, qr/"code":"EventTooLarge","message":"the event is over 1024 bytes"/]
--- error_log
vod event: the event is over 1024 bytes



=== TEST 28: upload -> NewFileUpload -> ProcessMedia -> ProcedureStateChanged, pushed by VOD, signed
--- emulator_config
callback_url: http://127.0.0.1:$TEST_NGINX_SERVER_PORT/cb
callback_sign_key: abc123
task_delay_ms: 100
--- config
location /upload/ {
    vod_upload;
}
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
    vod_callback_transcode 100010 100020;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"PUT /upload/holiday.mp4\n" . VodTest::bytes(50_000, 24)
--- error_code: 200
--- emulator_wait
2 == grep { ($_->{push}{status} // 0) == 200 } @{ $s->{events} }
--- emulator_ops: ApplyUpload PutObject CommitUpload ProcessMedia
--- emulator_tasks: 1
--- app_events
NewFileUpload * *
ProcedureStateChanged * *
--- error_log eval
[
qr/vod event: NewFileUpload FileId "\d+", MediaUrl "http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/holiday\.mp4"/,
qr/vod event: ProcessMedia for FileId "\d+" started, TaskId/,
qr/vod event: Transcode Definition 100010 SUCCESS, ErrCode 0, Output.Url "http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/v\.f100010\.mp4"/,
qr/vod event: Transcode Definition 100020 SUCCESS, ErrCode 0, Output.Url "http:\/\/127\.0\.0\.1:\d+\/vod\/\d+\/v\.f100020\.mp4"/,
]
--- no_error_log
[error]
[warn]



=== TEST 29: a chunked event in many small chunks is read whole
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
my $ev = $main::Deleted =~ s/\}$/,"Pad":"/r . ('x' x 20_000) . '"}';
"POST /cb\n" . VodTest::chunked($ev, 1000)
--- error_code: 200
--- app_body eval: $main::Deleted =~ s/\}$/,"Pad":"/r . ('x' x 20_000) . '"}'
--- no_error_log
[error]



=== TEST 30: identifiers that would add headers or log lines: 400
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
[
qq{POST /cb\n{"EventType":"FileDeleted\\r\\nX-Injected: yes"}},
qq{POST /cb\n} . ($main::ProcedureStateChanged =~ s/"TaskId":"[^"]+"/"TaskId":"t\\r\\nContent-Length: 5\\r\\n\\r\\nGET \/admin"/r),
]
--- error_code eval
[400, 400]
--- response_body eval
[
qq{{"error":{"code":"InvalidEvent","message":"the event's EventType is not an identifier (letters, digits, \\".\\", \\"_\\", \\"-\\")"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"the event's TaskId is not an identifier (letters, digits, \\".\\", \\"_\\", \\"-\\")"}}\n},
]
--- app_events
--- no_error_log
X-Injected



=== TEST 31: other strings of an event are logged escaped
--- config
location = /cb {
    vod_callback;
}
--- request eval
"POST /cb\n" . ($main::NewFileUpload =~ s/"SourceContext":""/"SourceContext":"a\\r\\n2026\/01\/01 [emerg] forged \\"line\\""/r)
--- error_code: 200
--- error_log
SourceContext "a\x0d\x0a2026/01/01 [emerg] forged \x22line\x22"
--- no_error_log eval
qr{^2026/01/01 \[emerg\] forged}



=== TEST 32: a pushed event's EventHandle is not handed on (only pulled events have one)
--- config
location = /cb {
    vod_callback;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
"POST /cb\n" . ($main::Deleted =~ s/\}$/,"EventHandle":"EventHandleForged"}/r)
--- error_code: 200
--- emulator_wait
$s->{app}[0] && !exists $s->{app}[0]{headers}{'x-vod-event-handle'}



=== TEST 33: a query Sign is masked before any answer, a refusal too
--- config
location = /cb {
    vod_callback;
    vod_callback_sign_key abc123;
    client_max_body_size 10;
}
--- log_level: info
--- request eval
["GET /cb?Sign=$main::Sign&T=$main::T", "POST /cb?Sign=$main::Sign&T=$main::T\n$main::Deleted"]
--- error_code eval
[405, 400]
--- no_error_log eval
[$main::Sign]
--- no_access_log eval
[$main::Sign]



=== TEST 34: an "if" in the location: the event is handled the same
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;

    if ($arg_from) {
        set $from $arg_from;
    }
}
--- request eval
"POST /cb?from=vod\n$main::NewFileUpload"
--- error_code: 200
--- response_body_like: "TaskId":"1250000000-procedurev2-
--- emulator_ops: ProcessMedia
--- no_error_log
[alert]
[error]



=== TEST 35: a task flow set in the location replaces templates set for the server
--- emulator_media: 5285890784273533167
--- config
vod_callback_transcode 100010;

location = /cb {
    vod_callback;
    vod_callback_procedure flow;
}
--- request eval
"POST /cb\n$main::NewFileUpload"
--- error_code: 200
--- emulator_ops: ProcessMediaByProcedure



=== TEST 36: a key twice in one object, at any depth: 400 InvalidEvent, nothing started nor handed on
--- emulator_media: 5285890784273533167
--- config
location = /cb {
    vod_callback;
    vod_callback_transcode 100010;
    vod_callback_pass /app;
}
location = /app {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_VOD_PORT/__emulator/app;
}
--- request eval
[
"POST /cb\n" . ($main::Deleted =~ s/\}$/,"EventType":"NewFileUpload"}/r),
"POST /cb\n" . ($main::NewFileUpload =~ s/("FileId":"5285890784273533167",)/$1"FileId":"1",/r),
"POST /cb\n" . ($main::ProcedureStateChanged =~ s/("Status":"SUCCESS",)/$1"Status":"FAIL",/r),
"POST /cb\n" . ($main::Deleted =~ s/\}$/,"\\u0045ventType":"NewFileUpload"}/r),
]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
[
qq{{"error":{"code":"InvalidEvent","message":"duplicate key in a JSON object"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"duplicate key in a JSON object"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"duplicate key in a JSON object"}}\n},
qq{{"error":{"code":"InvalidEvent","message":"duplicate key in a JSON object"}}\n},
]
--- emulator_ops:
--- app_events
--- error_log eval
qr/\[info\] .*vod event: duplicate key in a JSON object while handling a VOD event, client: 127\.0\.0\.1/
--- no_error_log
[error]



=== TEST 37: a body that stalls: 408 RequestTimeout after client_body_timeout
--- config
location = /cb {
    vod_callback;
    client_body_timeout 300ms;
}
--- raw_request eval
"POST /cb HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"
. '{"EventType":"FileDeleted",'
--- timeout: 5
--- error_code: 408
--- response_body
{"error":{"code":"RequestTimeout","message":"the client sent no data for client_body_timeout"}}
--- error_log eval
qr/\[info\] .*vod event: the client sent no data for client_body_timeout while handling a VOD event/
--- no_error_log
[error]

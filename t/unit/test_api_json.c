/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_api_json.c: VOD API request bodies, answers and
 * event bodies, with the spec's examples (sections 2 and 6) and hostile
 * input: truncations, wrong types, missing fields, deep nesting, NUL
 * bytes, out-of-range integers, allocation failures.
 */


#include <cjson/cJSON.h>

#include "ngx_vod_api_json.h"
#include "ngx_vod_test.h"


#define S(s)  (const u_char *) s, sizeof(s) - 1


static ngx_vod_test_pool_t  pool = { NULL, 0, -1 };
static ngx_vod_alloc_t      a = { ngx_vod_test_alloc, &pool };


static int
test_null(const ngx_vod_str_t *s)
{
    return s->len == 0 && s->data == NULL;
}


static int
test_error(const char *got, const char *expected, const char *name)
{
    return ngx_vod_test_is(got, got ? strlen(got) : 0, expected, name);
}


/* the spec's examples */

static const char  apply_upload_example[] =
    "{\"Response\":{\"CoverStoragePath\":null,\"RequestId\":"
    "\"880f3005-a8c9-4bba-8c87-74e216a17a0b\",\"StorageBucket\":"
    "\"xadagzp111211-100922\",\"StorageRegion\":\"ap-guangzhou-2\","
    "\"MediaStoragePath\":\"/dir/name.xx\",\"VodSessionKey\":"
    "\"VodSessionKey\",\"TempCertificate\":{\"SecretId\":\"xxxxxxx\","
    "\"SecretKey\":\"xxxxxxxx\",\"Token\":\"xxxxxxxx\","
    "\"ExpiredTime\":182823331}}}";

static const char  new_file_upload_example[] =
    "{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":{\"FileId\":"
    "\"5285890784273533167\",\"MediaBasicInfo\":{\"Name\":\"...\","
    "\"Description\":\"\",\"CreateTime\":\"2019-01-09T16:36:22Z\","
    "\"UpdateTime\":\"2019-01-09T16:36:24Z\",\"ExpireTime\":"
    "\"9999-12-31T23:59:59Z\",\"ClassId\":0,\"ClassName\":\"...\","
    "\"ClassPath\":\"...\",\"CoverUrl\":\"\",\"Type\":\"mp4\",\"MediaUrl\":"
    "\"http://125676836723.vod2.myqcloud.com/xxx/xxx/q1BORBPQH1IA.mp4\","
    "\"TagSet\":[],\"StorageRegion\":\"ap-chongqing\",\"SourceInfo\":"
    "{\"SourceType\":\"Upload\",\"SourceContext\":\"\"},\"Vid\":"
    "\"5285890784273533167\"},\"ProcedureTaskId\":\"\","
    "\"ReviewAudioVideoTaskId\":\"\"}}";

static const char  procedure_example[] =
    "{\"EventType\":\"ProcedureStateChanged\",\"ProcedureStateChangeEvent\":"
    "{\"TaskId\":\"1256768367-Procedure-475b72xxxcb177t1\",\"Status\":"
    "\"FINISH\",\"ErrCode\":0,\"Message\":\"\",\"FileId\":"
    "\"5285890784246869930\",\"FileName\":\"...\",\"FileUrl\":"
    "\"https://1256768367.vod2.myqcloud.com/xxx/xxx/xxx.mp4\",\"MetaData\":"
    "{\"Duration\":60,\"Size\":7700180,\"Width\":640,\"Height\":480},"
    "\"MediaProcessResultSet\":[{\"Type\":\"Transcode\",\"TranscodeTask\":"
    "{\"Status\":\"SUCCESS\",\"ErrCode\":0,\"Message\":\"SUCCESS\","
    "\"Input\":{\"Definition\":20},\"Output\":{\"Url\":"
    "\"https://1256768367.vod2.myqcloud.com/xxx/xxx/v.f20.mp4\",\"Size\":"
    "4189073,\"Container\":\"mov,mp4,m4a,3gp,3g2,mj2\",\"Height\":480,"
    "\"Width\":640,\"Bitrate\":552218,\"Md5\":"
    "\"eff7031ad7877865f9a3240e9ab165ad\",\"Duration\":60.04700088501,"
    "\"Definition\":0}}},{\"Type\":\"CoverBySnapshot\","
    "\"CoverBySnapshotTask\":{\"Status\":\"SUCCESS\",\"Input\":"
    "{\"Definition\":10,\"PositionType\":\"Time\",\"PositionValue\":0},"
    "\"Output\":{\"CoverUrl\":\"http://...\"}}}]}}";

static const char  demo_process_media_body[] =
    "{\"FileId\":\"5285890784273533167\",\"SubAppId\":0,"
    "\"MediaProcessTask\":{\"TranscodeTaskSet\":[{\"Definition\":100010},"
    "{\"Definition\":100020}]}}";


static void
test_apply_upload_body(void)
{
    int                             rc;
    cJSON                          *j, *item;
    const char                     *err;
    ngx_vod_str_t                   body;
    ngx_vod_api_apply_upload_req_t  req;

    static u_char  nasty[] = "a\"b\\c/d\x01\x1f\n\r\t\b\f\0e\xe8\x85\xbe"
                             "\xf0\x9f\x98\x80\x7f";

    memset(&req, 0, sizeof(req));

    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ApplyUpload without MediaType");
    test_error(err, "MediaType is required", "... says MediaType");

    req.media_type = (ngx_vod_str_t) ngx_vod_string("mp4");
    req.media_name = (ngx_vod_str_t) ngx_vod_string("test");

    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ApplyUpload body");
    ngx_vod_test_is(body.data, body.len,
                    "{\"MediaType\":\"mp4\",\"MediaName\":\"test\"}",
                    "... is the body of the TC3 VOD vector");
    ngx_vod_test_ok(body.data[body.len] == '\0', "... NUL-terminated");

    req.sub_app_id.set = 1;
    req.sub_app_id.value = 0;
    req.class_id.set = 1;
    req.class_id.value = 12;
    req.cover_type = (ngx_vod_str_t) ngx_vod_string("jpg");
    req.procedure = (ngx_vod_str_t) ngx_vod_string("QCVB_SimpleProcessFile");
    req.expire_time = (ngx_vod_str_t) ngx_vod_string("2030-01-01T00:00:00Z");
    req.storage_region = (ngx_vod_str_t) ngx_vod_string("ap-chongqing");
    req.source_context = (ngx_vod_str_t) ngx_vod_string("src");
    req.session_context = (ngx_vod_str_t) ngx_vod_string("sess");
    req.ext_info = (ngx_vod_str_t) ngx_vod_string("ext");
    req.media_storage_path = (ngx_vod_str_t) ngx_vod_string("/a/b.mp4");

    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ApplyUpload body, every field");
    ngx_vod_test_is(body.data, body.len,
                    "{\"MediaType\":\"mp4\",\"MediaName\":\"test\","
                    "\"CoverType\":\"jpg\",\"Procedure\":"
                    "\"QCVB_SimpleProcessFile\",\"ExpireTime\":"
                    "\"2030-01-01T00:00:00Z\",\"StorageRegion\":"
                    "\"ap-chongqing\",\"ClassId\":12,\"SourceContext\":"
                    "\"src\",\"SessionContext\":\"sess\",\"ExtInfo\":\"ext\","
                    "\"SubAppId\":0,\"MediaStoragePath\":\"/a/b.mp4\"}",
                    "... in the documented order, SubAppId 0 written");

    memset(&req, 0, sizeof(req));
    req.media_type = (ngx_vod_str_t) ngx_vod_string("mp4");
    req.media_name.data = nasty;
    req.media_name.len = sizeof(nasty) - 1;
    req.sub_app_id.set = 1;
    req.sub_app_id.value = INT64_MIN;
    req.class_id.set = 1;
    req.class_id.value = INT64_MAX;

    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ApplyUpload body with escapes");
    ngx_vod_test_is(body.data, body.len,
                    "{\"MediaType\":\"mp4\",\"MediaName\":"
                    "\"a\\\"b\\\\c/d\\u0001\\u001f\\n\\r\\t\\b\\f\\u0000e"
                    "\xe8\x85\xbe\xf0\x9f\x98\x80\x7f\","
                    "\"ClassId\":9223372036854775807,"
                    "\"SubAppId\":-9223372036854775808}",
                    "... escaped as JSON wants, UTF-8 as is");

    j = cJSON_ParseWithLength((const char *) body.data, body.len);
    item = cJSON_GetObjectItemCaseSensitive(j, "MediaName");
    ngx_vod_test_ok(cJSON_IsString(item)
                    && strlen(item->valuestring) == strlen((char *) nasty)
                    && memcmp(item->valuestring, nasty, 14) == 0,
                    "... and cJSON reads back the same bytes (up to NUL)");
    cJSON_Delete(j);

    req.media_name.data = (u_char *) "\xc0\xaf";
    req.media_name.len = 2;
    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "overlong UTF-8 is refused");
    test_error(err, "MediaName is not valid UTF-8", "... naming the field");

    req.media_name.data = (u_char *) "\xed\xa0\x80";
    req.media_name.len = 3;
    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "a UTF-8 surrogate is refused");

    req.media_name.data = (u_char *) "\xe8\x85";
    req.media_name.len = 2;
    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "truncated UTF-8 is refused");

    req.media_name.data = (u_char *) "\xf4\x90\x80\x80";
    req.media_name.len = 4;
    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "UTF-8 above U+10FFFF is refused");

    req.media_name.data = (u_char *) "x";
    req.media_name.len = 1;
    req.session_context.data = (u_char *) "x";
    req.session_context.len = NGX_VOD_API_FIELD_MAX + 1;
    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "an over-long field is refused");
    test_error(err, "SessionContext is longer than 65536 bytes",
               "... naming the field and the limit");
}


static void
test_other_bodies(void)
{
    int                               rc;
    const char                       *err;
    ngx_vod_str_t                     body, handles[17];
    ngx_vod_api_int_t                 sub;
    ngx_vod_api_commit_upload_req_t   commit;
    ngx_vod_api_process_media_req_t   pm;
    ngx_vod_api_confirm_events_req_t  ce;

    static const int64_t  defs[] = { 100010, 100020 };

    memset(&commit, 0, sizeof(commit));

    rc = ngx_vod_api_commit_upload_body(&a, &commit, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "CommitUpload without a key");
    test_error(err, "VodSessionKey is required", "... says VodSessionKey");

    commit.vod_session_key = (ngx_vod_str_t) ngx_vod_string("k\"ey");
    rc = ngx_vod_api_commit_upload_body(&a, &commit, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "CommitUpload body");
    ngx_vod_test_is(body.data, body.len, "{\"VodSessionKey\":\"k\\\"ey\"}",
                    "... without SubAppId when not set");

    commit.sub_app_id.set = 1;
    commit.sub_app_id.value = 1500000001;
    rc = ngx_vod_api_commit_upload_body(&a, &commit, &body, &err);
    ngx_vod_test_is(body.data, body.len,
                    "{\"VodSessionKey\":\"k\\\"ey\",\"SubAppId\":1500000001}",
                    "CommitUpload body with SubAppId");

    memset(&pm, 0, sizeof(pm));
    pm.file_id = (ngx_vod_str_t) ngx_vod_string("5285890784273533167");
    pm.sub_app_id.set = 1;

    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ProcessMedia without a task");
    test_error(err, "MediaProcessTask.TranscodeTaskSet needs a Definition",
               "... says so");

    pm.definitions = defs;
    pm.ndefinitions = 2;

    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ProcessMedia body");
    ngx_vod_test_is(body.data, body.len, demo_process_media_body,
                    "... is the transcoding demo's body");

    pm.tasks_priority.set = 1;
    pm.tasks_priority.value = -10;
    pm.tasks_notify_mode = (ngx_vod_str_t) ngx_vod_string("Finish");
    pm.session_context = (ngx_vod_str_t) ngx_vod_string("ctx");
    pm.session_id = (ngx_vod_str_t) ngx_vod_string("id1");
    pm.ndefinitions = 1;

    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    ngx_vod_test_is(body.data, body.len,
                    "{\"FileId\":\"5285890784273533167\",\"SubAppId\":0,"
                    "\"MediaProcessTask\":{\"TranscodeTaskSet\":"
                    "[{\"Definition\":100010}]},\"TasksPriority\":-10,"
                    "\"TasksNotifyMode\":\"Finish\",\"SessionContext\":"
                    "\"ctx\",\"SessionId\":\"id1\"}",
                    "ProcessMedia body with every field");

    pm.tasks_priority.value = 11;
    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "TasksPriority 11 is refused");
    test_error(err, "TasksPriority is not in -10..10", "... says so");

    pm.tasks_priority.set = 0;
    pm.ndefinitions = NGX_VOD_API_DEFINITIONS_MAX + 1;
    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "too many definitions");

    pm.ndefinitions = 1;
    pm.file_id.len = 0;
    rc = ngx_vod_api_process_media_body(&a, &pm, &body, &err);
    test_error(err, "FileId is required", "ProcessMedia without FileId");

    pm.file_id = (ngx_vod_str_t) ngx_vod_string("5285890784273533167");
    rc = ngx_vod_api_process_media_by_procedure_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ProcessMediaByProcedure needs a "
                    "procedure");
    test_error(err, "ProcedureName is required", "... says so");

    pm.procedure = (ngx_vod_str_t) ngx_vod_string("LongVideo\"Preset");
    rc = ngx_vod_api_process_media_by_procedure_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ProcessMediaByProcedure body");
    ngx_vod_test_is(body.data, body.len,
                    "{\"FileId\":\"5285890784273533167\",\"SubAppId\":0,"
                    "\"ProcedureName\":\"LongVideo\\\"Preset\","
                    "\"TasksNotifyMode\":\"Finish\",\"SessionContext\":"
                    "\"ctx\",\"SessionId\":\"id1\"}",
                    "... with the name escaped and no MediaProcessTask");

    pm.procedure.data = (u_char *) "\xff";
    pm.procedure.len = 1;
    rc = ngx_vod_api_process_media_by_procedure_body(&a, &pm, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "a ProcedureName that is not UTF-8");

    pm.procedure.len = 0;

    sub.set = 0;
    rc = ngx_vod_api_pull_events_body(&a, &sub, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "PullEvents body");
    ngx_vod_test_is(body.data, body.len, "{}", "... empty without SubAppId");

    sub.set = 1;
    sub.value = 1500000001;
    rc = ngx_vod_api_pull_events_body(&a, &sub, &body, &err);
    ngx_vod_test_is(body.data, body.len, "{\"SubAppId\":1500000001}",
                    "PullEvents body with SubAppId");

    memset(&ce, 0, sizeof(ce));
    rc = ngx_vod_api_confirm_events_body(&a, &ce, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ConfirmEvents without handles");

    handles[0] = (ngx_vod_str_t) ngx_vod_string("h1");
    handles[1] = (ngx_vod_str_t) ngx_vod_string("h\\2");
    ce.handles = handles;
    ce.nhandles = 2;
    ce.sub_app_id = sub;

    rc = ngx_vod_api_confirm_events_body(&a, &ce, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ConfirmEvents body");
    ngx_vod_test_is(body.data, body.len,
                    "{\"EventHandles\":[\"h1\",\"h\\\\2\"],"
                    "\"SubAppId\":1500000001}", "... is right");

    ce.nhandles = 17;
    rc = ngx_vod_api_confirm_events_body(&a, &ce, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ConfirmEvents of 17 handles");

    handles[1].len = 0;
    ce.nhandles = 2;
    rc = ngx_vod_api_confirm_events_body(&a, &ce, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "ConfirmEvents of an empty handle");
}


static void
test_apply_upload_answer(void)
{
    int                         rc;
    ngx_vod_api_result_t        res;
    ngx_vod_api_apply_upload_t  au;

    rc = ngx_vod_api_parse_apply_upload(&a, S(apply_upload_example), &au,
                                        &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ApplyUpload example parses");
    ngx_vod_test_is(res.request_id.data, res.request_id.len,
                    "880f3005-a8c9-4bba-8c87-74e216a17a0b", "... RequestId");
    ngx_vod_test_is(au.storage_bucket.data, au.storage_bucket.len,
                    "xadagzp111211-100922", "... StorageBucket");
    ngx_vod_test_is(au.storage_region.data, au.storage_region.len,
                    "ap-guangzhou-2", "... StorageRegion");
    ngx_vod_test_is(au.media_storage_path.data, au.media_storage_path.len,
                    "/dir/name.xx", "... MediaStoragePath");
    ngx_vod_test_is(au.vod_session_key.data, au.vod_session_key.len,
                    "VodSessionKey", "... VodSessionKey");
    ngx_vod_test_ok(test_null(&au.cover_storage_path),
                    "... CoverStoragePath null is empty");
    ngx_vod_test_is(au.secret_id.data, au.secret_id.len, "xxxxxxx",
                    "... TempCertificate.SecretId");
    ngx_vod_test_is(au.secret_key.data, au.secret_key.len, "xxxxxxxx",
                    "... TempCertificate.SecretKey");
    ngx_vod_test_is(au.token.data, au.token.len, "xxxxxxxx",
                    "... TempCertificate.Token");
    ngx_vod_test_ok(au.expired_time == 182823331,
                    "... TempCertificate.ExpiredTime");
    ngx_vod_test_ok(au.token.data[au.token.len] == '\0',
                    "... strings are NUL-terminated");
    ngx_vod_test_ok(res.code.len == 0 && res.error == NULL,
                    "... no error");

    rc = ngx_vod_api_parse_apply_upload(&a,
        S("\r\n {\"Response\":{\"StorageBucket\":\"b-1\",\"StorageRegion\":"
          "\"r\",\"VodSessionKey\":\"k\",\"MediaStoragePath\":\"/p\","
          "\"CoverStoragePath\":\"/c\\u00e9\\ud83d\\ude00\\/\","
          "\"TempCertificate\":{\"SecretId\":\"i\",\"SecretKey\":\"s\","
          "\"Token\":\"t\",\"ExpiredTime\":1.7e9,\"New\":[1,{}]},"
          "\"Unknown\":{\"a\":[null,true]},\"RequestId\":\"r1\"}} \n"),
        &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "whitespace around, unknown fields, escapes: parses");
    ngx_vod_test_is(au.cover_storage_path.data, au.cover_storage_path.len,
                    "/c\xc3\xa9\xf0\x9f\x98\x80/",
                    "... \\u escapes and surrogate pairs become UTF-8");
    ngx_vod_test_ok(au.expired_time == 1700000000,
                    "... ExpiredTime 1.7e9 is an integer");
}


static void
test_answers(void)
{
    int                            rc;
    ngx_vod_api_result_t           res;
    ngx_vod_api_commit_upload_t    cu;
    ngx_vod_api_process_media_t    pm;
    ngx_vod_api_apply_upload_t     au;

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"Error\":{\"Code\":"
          "\"InvalidParameterValue.VodSessionKey\",\"Message\":"
          "\"bad key\"},\"RequestId\":\"e-1\"}}"), &cu, &res);
    ngx_vod_test_ok(rc == NGX_VOD_API_ERROR, "error envelope");
    ngx_vod_test_is(res.code.data, res.code.len,
                    "InvalidParameterValue.VodSessionKey", "... Code");
    ngx_vod_test_is(res.message.data, res.message.len, "bad key",
                    "... Message");
    ngx_vod_test_is(res.request_id.data, res.request_id.len, "e-1",
                    "... RequestId");

    rc = ngx_vod_api_parse_apply_upload(&a,
        S("{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\""
          "},\"RequestId\":\"e-2\"}}"), &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_API_ERROR && res.message.len == 0,
                    "error envelope without Message, from ApplyUpload");

    rc = ngx_vod_api_parse_apply_upload(&a,
        S("{\"Response\":{\"Error\":{\"Message\":\"m\"}}}"), &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "error envelope without Code");
    test_error(res.error, "Response.Error.Code is missing or not a string",
               "... says so");

    rc = ngx_vod_api_parse_apply_upload(&a,
        S("{\"Response\":{\"Error\":\"boom\"}}"), &au, &res);
    test_error(res.error, "Response.Error is not an object",
               "Error of the wrong type");

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"FileId\":\"5285890784273533167\",\"MediaUrl\":"
          "\"http://x.vod2.myqcloud.com/a/b/f.mp4\",\"CoverUrl\":\"\","
          "\"RequestId\":\"c-1\"}}"), &cu, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "CommitUpload answer");
    ngx_vod_test_is(cu.file_id.data, cu.file_id.len, "5285890784273533167",
                    "... FileId");
    ngx_vod_test_is(cu.media_url.data, cu.media_url.len,
                    "http://x.vod2.myqcloud.com/a/b/f.mp4", "... MediaUrl");
    ngx_vod_test_ok(cu.cover_url.len == 0, "... CoverUrl empty");
    ngx_vod_test_is(res.request_id.data, res.request_id.len, "c-1",
                    "... RequestId");

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"FileId\":\"1\",\"MediaUrl\":\"u\","
          "\"CoverUrl\":null}}"), &cu, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && test_null(&cu.cover_url)
                    && test_null(&res.request_id),
                    "CoverUrl null and no RequestId are fine");

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"FileId\":5285890784273533167,\"MediaUrl\":"
          "\"u\"}}"), &cu, &res);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "FileId as a number is refused");
    test_error(res.error, "Response.FileId is missing or not a string",
               "... says so");

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"FileId\":\"\",\"MediaUrl\":\"u\"}}"), &cu, &res);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "an empty FileId is refused");

    rc = ngx_vod_api_parse_commit_upload(&a,
        S("{\"Response\":{\"FileId\":\"1\",\"MediaUrl\":\"u\","
          "\"CoverUrl\":false}}"), &cu, &res);
    test_error(res.error, "Response.CoverUrl is not a string",
               "CoverUrl false is refused");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"Response\":{\"TaskId\":\"125xxx-procedurev2-xxx\","
          "\"RequestId\":\"p-1\"}}"), &pm, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ProcessMedia answer");
    ngx_vod_test_is(pm.task_id.data, pm.task_id.len,
                    "125xxx-procedurev2-xxx", "... TaskId");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"Response\":{\"RequestId\":\"p-1\"}}"), &pm, &res);
    test_error(res.error, "Response.TaskId is missing or not a string",
               "ProcessMedia answer without TaskId");
    ngx_vod_test_is(res.request_id.data, res.request_id.len, "p-1",
                    "... RequestId is still there");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"Response\":{\"TaskId\":\"t\",\"TaskId\":7}}"), &pm, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && pm.task_id.len == 1 && pm.task_id.data[0] == 't',
                    "duplicate keys: the first one counts");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"response\":{\"TaskId\":\"t\"}}"), &pm, &res);
    test_error(res.error, "Response is missing or not an object",
               "keys are case-sensitive");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"Response\":[]}"), &pm, &res);
    test_error(res.error, "Response is missing or not an object",
               "Response as an array");

    rc = ngx_vod_api_parse_process_media(&a,
        S("{\"Response\":{\"TaskId\":\"t\",\"RequestId\":1}}"), &pm, &res);
    test_error(res.error, "Response.RequestId is not a string",
               "RequestId as a number");

    rc = ngx_vod_api_parse_result(&a,
        S("{\"Response\":{\"RequestId\":\"c-1\"}}"), &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ConfirmEvents answer: the envelope");
    ngx_vod_test_is(res.request_id.data, res.request_id.len, "c-1",
                    "... RequestId");

    rc = ngx_vod_api_parse_result(&a,
        S("{\"Response\":{\"Error\":{\"Code\":\"InvalidParameter\","
          "\"Message\":\"m\"},\"RequestId\":\"c-2\"}}"), &res);
    ngx_vod_test_ok(rc == NGX_VOD_API_ERROR, "... an error envelope");
    ngx_vod_test_is(res.code.data, res.code.len, "InvalidParameter",
                    "... its Code");

    rc = ngx_vod_api_parse_result(&a, S("{\"RequestId\":\"c-3\"}"), &res);
    test_error(res.error, "Response is missing or not an object",
               "... not an envelope");
}


/* every required field of ApplyUpload: removed, and of the wrong type */

static void
test_apply_upload_fields(void)
{
    int                         rc, i, fails;
    char                        buf[1024];
    const char                 *p, *err;
    ngx_vod_api_result_t        res;
    ngx_vod_api_apply_upload_t  au;

    static const struct {
        const char  *field;      /* as it is in the example */
        const char  *replace;    /* with this */
        const char  *error;
    } cases[] = {
        { "\"StorageBucket\":", "\"StorageBucketX\":",
          "Response.StorageBucket is missing or not a string" },
        { "\"xadagzp111211-100922\"", "[]",
          "Response.StorageBucket is missing or not a string" },
        { "\"StorageRegion\":", "\"storageRegion\":",
          "Response.StorageRegion is missing or not a string" },
        { "\"VodSessionKey\":", "\"VodSessionKeyX\":",
          "Response.VodSessionKey is missing or not a string" },
        { "\"VodSessionKey\",", "null,",
          "Response.VodSessionKey is missing or not a string" },
        { "\"MediaStoragePath\":", "\"X\":",
          "Response.MediaStoragePath is missing or not a string" },
        { "\"/dir/name.xx\"", "1",
          "Response.MediaStoragePath is missing or not a string" },
        { "\"CoverStoragePath\":null", "\"CoverStoragePath\":{}",
          "Response.CoverStoragePath is not a string" },
        { "\"TempCertificate\":", "\"TempCert\":",
          "Response.TempCertificate is missing or not an object" },
        { "\"SecretId\":\"xxxxxxx\"", "\"SecretId\":1",
          "Response.TempCertificate.SecretId is missing or not a string" },
        { "\"SecretKey\":", "\"Secretkey\":",
          "Response.TempCertificate.SecretKey is missing or not a string" },
        { "\"Token\":\"xxxxxxxx\"", "\"Token\":true",
          "Response.TempCertificate.Token is missing or not a string" },
        { "\"Token\":", "\"X\":",
          "Response.TempCertificate.Token is missing or not a string" },
        { "\"Token\":\"xxxxxxxx\"",
          "\"Token\":\"t\\r\\nX-Injected: 1\"",
          "Response.TempCertificate.Token holds control characters" },
        { "\"SecretId\":\"xxxxxxx\"", "\"SecretId\":\"id\\u0001\"",
          "Response.TempCertificate.SecretId holds control characters" },
        { "182823331", "\"182823331\"",
          "Response.TempCertificate.ExpiredTime is missing or not an "
          "integer in 1..253402300799" },
        { "182823331", "-1", NULL },
        { "182823331", "0", NULL },
        { "182823331", "182823331.5", NULL },
        { "182823331", "1e300", NULL },
        { "182823331", "1e400", NULL },
        { "182823331", "-1e400", NULL },
        { "182823331", "9223372036854775808", NULL },
        { "182823331", "253402300800", NULL },
        { "182823331", "null", NULL },
        { "182823331", "[182823331]", NULL },
        { "\"ExpiredTime\":", "\"expiredTime\":", NULL },
    };

    fails = 0;

    for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++) {
        p = strstr(apply_upload_example, cases[i].field);

        if (p == NULL) {
            ngx_vod_test_diag("no \"%s\" in the example", cases[i].field);
            fails++;
            continue;
        }

        snprintf(buf, sizeof(buf), "%.*s%s%s",
                 (int) (p - apply_upload_example), apply_upload_example,
                 cases[i].replace, p + strlen(cases[i].field));

        rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) buf, strlen(buf),
                                            &au, &res);

        err = cases[i].error ? cases[i].error
              : "Response.TempCertificate.ExpiredTime is missing or not an "
                "integer in 1..253402300799";

        if (rc != NGX_VOD_ERROR || res.error == NULL
            || strcmp(res.error, err) != 0)
        {
            ngx_vod_test_diag("%s: rc %d, \"%s\"", buf, rc,
                              res.error ? res.error : "(null)");
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "%d missing or mistyped ApplyUpload fields "
                    "are refused, each with its own message", i);

    p = strstr(apply_upload_example, "182823331");
    snprintf(buf, sizeof(buf), "%.*s253402300799%s",
             (int) (p - apply_upload_example), apply_upload_example, p + 9);

    rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) buf, strlen(buf),
                                        &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && au.expired_time == 253402300799LL,
                    "ExpiredTime 253402300799 (the largest) is accepted");
}


/* an event with {} inside "arrays" arrays: arrays + 2 levels of nesting */

static size_t
test_nested(char *buf, size_t arrays)
{
    size_t  n;

    static const char  start[] = "{\"EventType\":\"X\",\"x\":";

    n = sizeof(start) - 1;
    memcpy(buf, start, n);

    memset(buf + n, '[', arrays);
    n += arrays;

    memcpy(buf + n, "{}", 2);
    n += 2;

    memset(buf + n, ']', arrays);
    n += arrays;

    buf[n++] = '}';
    buf[n] = '\0';

    return n;
}


/* malformed, truncated, oversized, deep, NUL bytes */

static void
test_hostile(void)
{
    int                         rc;
    char                       *big;
    size_t                      i, n, fails;
    cJSON                      *j;
    ngx_vod_api_event_t         ev;
    ngx_vod_api_result_t        res;
    ngx_vod_api_apply_upload_t  au;

    static const struct {
        const char  *json;
        size_t       len;
        const char  *error;
    } cases[] = {
        { "", 0, "empty JSON" },
        { " ", 1, "malformed or truncated JSON" },
        { "[]", 2, "JSON root is not an object" },
        { "\"Response\"", 10, "JSON root is not an object" },
        { "17", 2, "JSON root is not an object" },
        { "null", 4, "JSON root is not an object" },
        { "{}", 2, "Response is missing or not an object" },
        { "{} {}", 5, "trailing data after the JSON value" },
        { "{}x", 3, "trailing data after the JSON value" },
        { "{}\0", 3, "NUL byte in JSON" },
        { "{\"Response\":{\"Token\":\"a\0b\"}}", 28, "NUL byte in JSON" },
        { "{\"Response\":{\"RequestId\":\"a\\u0000b\"}}", 37,
          "\\u0000 in a JSON string" },
        { "{\"Response\":{\"RequestId\":\"a\\uzzzzb\"}}", 37,
          "malformed \\u escape in a JSON string" },
        { "{\"Response\":{\"RequestId\":\"a\\\\u0000b\"}}", 38,
          "Response.StorageBucket is missing or not a string" },
        { "{\"Response\":{\"RequestId\":\"\\ud800\"}}", 35,
          "malformed or truncated JSON" },
        { "{\"Response\":{,}}", 16, "malformed or truncated JSON" },
        { "{\"Response\":{\"a\":01x}}", 22, "malformed or truncated JSON" },
        { "{'Response':{}}", 15, "malformed or truncated JSON" },
        { "{\"Response\":{\"a\":[1,]}}", 23, "malformed or truncated JSON" },
    };

    fails = 0;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) cases[i].json,
                                            cases[i].len, &au, &res);

        if (rc != NGX_VOD_ERROR || res.error == NULL
            || strcmp(res.error, cases[i].error) != 0)
        {
            ngx_vod_test_diag("case %d: rc %d, \"%s\", wanted \"%s\"",
                              (int) i, rc, res.error ? res.error : "(null)",
                              cases[i].error);
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "%d malformed documents give their error",
                    (int) i);

    /* every prefix of the examples, and the examples with a byte cut */

    fails = 0;
    n = sizeof(apply_upload_example) - 1;

    for (i = 0; i < n; i++) {
        rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) apply_upload_example,
                                            i, &au, &res);
        if (rc != NGX_VOD_ERROR || res.error == NULL) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "ApplyUpload example truncated at each of "
                    "its %d bytes: an error each time", (int) n);

    fails = 0;

    for (i = 0; i < sizeof(procedure_example) - 1; i++) {
        rc = ngx_vod_api_parse_event(&a, (u_char *) procedure_example, i, 0,
                                     &ev, &res.error);
        if (rc != NGX_VOD_ERROR) {
            fails++;
        }
    }

    for (i = 0; i < sizeof(new_file_upload_example) - 1; i++) {
        rc = ngx_vod_api_parse_event(&a, (u_char *) new_file_upload_example, i,
                                     0, &ev, &res.error);
        if (rc != NGX_VOD_ERROR) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "both event examples truncated at every "
                    "byte: an error each time");

    /* the size limits */

    n = NGX_VOD_API_RESPONSE_MAX + 1;
    big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, apply_upload_example, sizeof(apply_upload_example) - 1);

    rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) big, n - 1, &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "an answer of exactly the limit (%d bytes) parses",
                    (int) (n - 1));

    rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) big, n, &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "one byte more is refused");
    test_error(res.error, "JSON is longer than the limit", "... says so");

    rc = ngx_vod_api_parse_event(&a, (u_char *) new_file_upload_example,
                                 sizeof(new_file_upload_example) - 1,
                                 sizeof(new_file_upload_example) - 2,
                                 &ev, &res.error);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "an event over its given limit");

    free(big);

    /* deep nesting: ours refuses at 65, cJSON's own limit also holds */

    n = 100000;
    big = malloc(2 * n + 32);

    memset(big, '[', n);
    memset(big + n, ']', n);

    j = cJSON_ParseWithLength(big, 2 * n);
    ngx_vod_test_ok(j == NULL, "cJSON itself refuses 100000 nested arrays");
    cJSON_Delete(j);

    rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) big, 2 * n, &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "100000 nested arrays are refused");
    test_error(res.error, "JSON nested deeper than 64 levels", "... says so");

    rc = ngx_vod_api_parse_apply_upload(&a, (u_char *) big, n, &au, &res);
    test_error(res.error, "JSON nested deeper than 64 levels",
               "100000 unclosed arrays too");

    for (i = 0; i < 20000; i++) {
        memcpy(big + 5 * i, "{\"a\":", 5);
    }

    rc = ngx_vod_api_parse_event(&a, (u_char *) big, 5 * i, 0, &ev,
                                 &res.error);
    test_error(res.error, "JSON nested deeper than 64 levels",
               "20000 nested objects are refused");

    /* 64 levels are fine (the root object is the first) */

    n = test_nested(big, 62);

    rc = ngx_vod_api_parse_event(&a, (u_char *) big, n, 0, &ev, &res.error);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "64 levels of nesting are fine");

    n = test_nested(big, 63);

    rc = ngx_vod_api_parse_event(&a, (u_char *) big, n, 0, &ev, &res.error);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "65 levels are not");

    /* brackets inside strings do not count */

    n = 0;
    n += sprintf(big + n, "{\"EventType\":\"");
    for (i = 0; i < 1000; i++) {
        n += sprintf(big + n, "[{");
    }
    n += sprintf(big + n, "\\\"\"}");

    rc = ngx_vod_api_parse_event(&a, (u_char *) big, n, 0, &ev, &res.error);
    ngx_vod_test_ok(rc == NGX_VOD_OK && ev.event_type.len == 2001,
                    "brackets and \\\" inside strings are not nesting");

    free(big);
}


/*
 * A pulled item is its text as VOD wrote it, not cJSON's printing of it
 * (1e999 printed as null, 1.50 as 1.5): handed on and checked as the
 * same event pushed would be.
 */

static void
test_pull_events_text(void)
{
    int                        rc;
    const char                *err, *pushed_err;
    ngx_vod_api_event_t        ev;
    ngx_vod_api_result_t       res;
    ngx_vod_api_pull_events_t  pe;

    static const char  item0[] =
        "{\"EventHandle\":\"h1\", \"EventType\":\"FileDeleted\",\n"
        "  \"N\":[1.50, -0, 1E2, 12345678901234567890, true, null],"
        "\"S\":\"]}\\\\\\\",{[\\u0041\", \"O\":{ }}";

    static const char  item1[] =
        "{\"EventHandle\":\"h2\",\"EventType\":\"ProcedureStateChanged\","
        "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\",\"Status\":"
        "\"FINISH\",\"ErrCode\":1e999}}";

    static const char  answer[] =
        "\xef\xbb\xbf \r\n{ \"Response\" : { \"RequestId\":\"r\" ,"
        "\"Other\":[{\"EventSet\":[]}], \"EventSet\" :\t[ ";

    char  buf[1024];

    rc = snprintf(buf, sizeof(buf), "%s%s ,\n%s ] } }\n", answer, item0,
                  item1);

    rc = ngx_vod_api_parse_pull_events(&a, (u_char *) buf, rc, &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 2,
                    "PullEvents answer with a BOM, spaces, odd numbers");

    if (rc != NGX_VOD_OK || pe.nitems != 2) {
        return;
    }

    ngx_vod_test_is(pe.items[0].json.data, pe.items[0].json.len, item0,
                    "... the first item byte for byte");
    ngx_vod_test_is(pe.items[1].json.data, pe.items[1].json.len, item1,
                    "... the second one too");

    err = NULL;
    rc = ngx_vod_api_parse_event(&a, pe.items[1].json.data,
                                 pe.items[1].json.len, 0, &ev, &err);

    pushed_err = NULL;
    ngx_vod_api_parse_event(&a, S(item1), 0, &ev, &pushed_err);

    ngx_vod_test_ok(rc == NGX_VOD_ERROR && pushed_err && err
                    && strcmp(err, pushed_err) == 0,
                    "ErrCode 1e999 pulled is refused as pushed: %s",
                    err ? err : "(null)");

    /* two EventSet keys: the items are those of the one cJSON reads */

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"\\u0045ventSet\":[{\"EventHandle\":\"a\","
          "\"EventType\":\"A\"}],\"EventSet\":[{\"EventHandle\":\"b\","
          "\"EventType\":\"B\"}]}}"),
        &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 1,
                    "EventSet twice in an answer");

    if (rc == NGX_VOD_OK && pe.nitems == 1) {
        ngx_vod_test_is(pe.items[0].event_handle.data,
                        pe.items[0].event_handle.len, "a",
                        "... the first one is read");
        ngx_vod_test_is(pe.items[0].json.data, pe.items[0].json.len,
                        "{\"EventHandle\":\"a\",\"EventType\":\"A\"}",
                        "... and its text is the item's");
    }
}


static void
test_pull_events(void)
{
    int                        rc;
    ngx_vod_api_event_t        ev;
    ngx_vod_api_result_t       res;
    ngx_vod_api_pull_events_t  pe;

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[{\"EventHandle\":\"h1\","
          "\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
          "{\"FileId\":\"528\",\"MediaBasicInfo\":{\"MediaUrl\":\"u\","
          "\"Duration\":60.04700088501,\"Size\":7700180,"
          "\"SourceInfo\":{\"SourceType\":\"ServerUpload\","
          "\"SourceContext\":\"ctx \\\"1\\\"\"}},\"ProcedureTaskId\":\"\"},"
          "\"ProcedureStateChangeEvent\":null},"
          "{\"EventHandle\":\"h2\",\"EventType\":\"FileDeleted\","
          "\"FileDeleteEvent\":{\"FileIdSet\":[\"1\",\"2\"]}}],"
          "\"RequestId\":\"pe-1\"}}"),
        &pe, &res);

    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 2,
                    "PullEvents answer with two events");
    ngx_vod_test_is(pe.items[0].event_handle.data,
                    pe.items[0].event_handle.len, "h1", "... EventHandle");
    ngx_vod_test_is(pe.items[0].event_type.data,
                    pe.items[0].event_type.len, "NewFileUpload",
                    "... EventType");
    ngx_vod_test_is(pe.items[1].json.data, pe.items[1].json.len,
                    "{\"EventHandle\":\"h2\",\"EventType\":\"FileDeleted\","
                    "\"FileDeleteEvent\":{\"FileIdSet\":[\"1\",\"2\"]}}",
                    "... the item's JSON");
    ngx_vod_test_is(pe.items[0].json.data, pe.items[0].json.len,
                    "{\"EventHandle\":\"h1\","
                    "\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
                    "{\"FileId\":\"528\",\"MediaBasicInfo\":{\"MediaUrl\":"
                    "\"u\",\"Duration\":60.04700088501,\"Size\":7700180,"
                    "\"SourceInfo\":{\"SourceType\":\"ServerUpload\","
                    "\"SourceContext\":\"ctx \\\"1\\\"\"}},"
                    "\"ProcedureTaskId\":\"\"},"
                    "\"ProcedureStateChangeEvent\":null}",
                    "... the item's text as it came");

    rc = ngx_vod_api_parse_event(&a, pe.items[0].json.data,
                                 pe.items[0].json.len, 0, &ev, &res.error);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "a pulled item parses as an event");
    ngx_vod_test_is(ev.event_handle.data, ev.event_handle.len, "h1",
                    "... with its EventHandle");
    ngx_vod_test_is(ev.source_context.data, ev.source_context.len,
                    "ctx \"1\"", "... and SourceContext");
    ngx_vod_test_is(ev.source_type.data, ev.source_type.len, "ServerUpload",
                    "... and SourceType");

    test_pull_events_text();

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[],\"RequestId\":\"pe-2\"}}"),
        &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 0 && pe.items == NULL,
                    "an empty EventSet");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"RequestId\":\"pe-2\"}}"), &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 0, "no EventSet");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":{}}}"), &pe, &res);
    test_error(res.error, "Response.EventSet is not an array",
               "EventSet as an object");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[\"h1\"]}}"), &pe, &res);
    test_error(res.error, "Response.EventSet[] is not an object",
               "an EventSet item that is a string");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[{\"EventType\":\"X\"}]}}"), &pe,
        &res);
    test_error(res.error,
               "Response.EventSet[].EventHandle is missing or not a string",
               "an item without EventHandle");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[{\"EventHandle\":\"h\","
          "\"EventType\":7}]}}"), &pe, &res);
    test_error(res.error,
               "Response.EventSet[].EventType is missing or not a string",
               "an item with a numeric EventType");

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"Error\":{\"Code\":\"RequestLimitExceeded\","
          "\"Message\":\"slow down\"},\"RequestId\":\"pe-3\"}}"), &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_API_ERROR, "PullEvents error envelope");
}


static void
test_events(void)
{
    int                   rc;
    const char           *err;
    ngx_vod_api_event_t   ev;

    rc = ngx_vod_api_parse_event(&a, S(new_file_upload_example), 0, &ev,
                                 &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "NewFileUpload example parses");
    ngx_vod_test_is(ev.event_type.data, ev.event_type.len, "NewFileUpload",
                    "... EventType");
    ngx_vod_test_is(ev.file_id.data, ev.file_id.len, "5285890784273533167",
                    "... FileUploadEvent.FileId");
    ngx_vod_test_is(ev.media_url.data, ev.media_url.len,
                    "http://125676836723.vod2.myqcloud.com/xxx/xxx/"
                    "q1BORBPQH1IA.mp4", "... MediaBasicInfo.MediaUrl");
    ngx_vod_test_is(ev.source_type.data, ev.source_type.len, "Upload",
                    "... SourceInfo.SourceType");
    ngx_vod_test_ok(ev.source_context.len == 0 && ev.source_context.data,
                    "... SourceInfo.SourceContext (empty string)");
    ngx_vod_test_ok(ev.procedure_task_id.len == 0,
                    "... ProcedureTaskId (empty)");
    ngx_vod_test_ok(test_null(&ev.sign) && test_null(&ev.t)
                    && test_null(&ev.event_handle) && ev.ntranscodes == 0,
                    "... no Sign, T, EventHandle");

    rc = ngx_vod_api_parse_event(&a, S(procedure_example), 0, &ev, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "ProcedureStateChanged example parses");
    ngx_vod_test_is(ev.task_id.data, ev.task_id.len,
                    "1256768367-Procedure-475b72xxxcb177t1", "... TaskId");
    ngx_vod_test_is(ev.status.data, ev.status.len, "FINISH", "... Status");
    ngx_vod_test_ok(ev.err_code == 0, "... ErrCode");
    ngx_vod_test_is(ev.file_id.data, ev.file_id.len, "5285890784246869930",
                    "... FileId");
    ngx_vod_test_ok(test_null(&ev.session_context), "... no SessionContext");
    ngx_vod_test_ok(ev.ntranscodes == 1,
                    "... one Transcode result (CoverBySnapshot skipped)");
    ngx_vod_test_ok(ev.transcodes[0].definition == 20,
                    "... keyed by Input.Definition 20");
    ngx_vod_test_is(ev.transcodes[0].status.data, ev.transcodes[0].status.len,
                    "SUCCESS", "... its Status");
    ngx_vod_test_is(ev.transcodes[0].message.data,
                    ev.transcodes[0].message.len, "SUCCESS",
                    "... its Message");
    ngx_vod_test_ok(ev.transcodes[0].err_code == 0, "... its ErrCode");
    ngx_vod_test_is(ev.transcodes[0].url.data, ev.transcodes[0].url.len,
                    "https://1256768367.vod2.myqcloud.com/xxx/xxx/v.f20.mp4",
                    "... its Output.Url");

    rc = ngx_vod_api_parse_event(&a,
        S("{\"EventType\":\"ProcedureStateChanged\",\"Sign\":"
          "\"1eb16557f620abe83b335ebf0197f429\",\"T\":1700000600,"
          "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\",\"Status\":"
          "\"FINISH\",\"ErrCode\":-3,\"Message\":\"m\",\"SessionContext\":"
          "\"sc\",\"MediaProcessResultSet\":[{\"Type\":\"Transcode\","
          "\"TranscodeTask\":{\"Status\":\"FAIL\",\"ErrCode\":70000,"
          "\"Message\":\"bad\",\"Input\":{\"Definition\":100010},"
          "\"Output\":null}},{\"Type\":null},{\"Type\":\"Transcode\","
          "\"TranscodeTask\":{\"Status\":\"SUCCESS\",\"Input\":"
          "{\"Definition\":100020},\"Output\":{\"Url\":\"u2\"}}}]}}"),
        0, &ev, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "a signed event with two transcodes");
    ngx_vod_test_is(ev.sign.data, ev.sign.len,
                    "1eb16557f620abe83b335ebf0197f429", "... Sign");
    ngx_vod_test_is(ev.t.data, ev.t.len, "1700000600", "... T (a number)");
    ngx_vod_test_ok(ev.t_value == 1700000600, "... T's value");
    ngx_vod_test_ok(ev.err_code == -3, "... negative ErrCode");
    ngx_vod_test_is(ev.session_context.data, ev.session_context.len, "sc",
                    "... SessionContext");
    ngx_vod_test_ok(ev.ntranscodes == 2
                    && ev.transcodes[0].definition == 100010
                    && ev.transcodes[0].err_code == 70000
                    && test_null(&ev.transcodes[0].url)
                    && ev.transcodes[1].definition == 100020
                    && ev.transcodes[1].err_code == 0
                    && ev.transcodes[1].url.len == 2,
                    "... both transcodes, a failed one without Output");

    rc = ngx_vod_api_parse_event(&a,
        S("{\"EventType\":\"FileDeleted\",\"T\":\"1700000600\",\"Sign\":"
          "\"s\",\"FileDeleteEvent\":{\"FileIdSet\":[\"1\"]}}"), 0, &ev,
        &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "another event type is accepted");
    ngx_vod_test_is(ev.event_type.data, ev.event_type.len, "FileDeleted",
                    "... with its EventType");
    ngx_vod_test_ok(ev.t_value == 1700000600 && ev.t.len == 10,
                    "... T as a string");

    {
        static const struct {
            const char  *json;
            const char  *error;
        } bad[] = {
            { "{\"FileUploadEvent\":{}}",
              "EventType is missing or not a string" },
            { "{\"EventType\":[]}",
              "EventType is missing or not a string" },
            { "{\"EventType\":\"X\",\"T\":\"17x\"}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":\"\"}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":\"-1\"}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":\"99999999999999999999999\"}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":\"253402300800\"}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":1.5}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"T\":true}",
              "T is not an integer in 0..253402300799 or a string of one" },
            { "{\"EventType\":\"X\",\"Sign\":5}", "Sign is not a string" },
            { "{\"EventType\":\"NewFileUpload\"}",
              "FileUploadEvent is missing or not an object" },
            { "{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":{}}",
              "FileUploadEvent.FileId is missing or not a string" },
            { "{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
              "{\"FileId\":\"1\",\"MediaBasicInfo\":[]}}",
              "FileUploadEvent.MediaBasicInfo is not an object" },
            { "{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
              "{\"FileId\":\"1\",\"MediaBasicInfo\":{\"SourceInfo\":"
              "{\"SourceContext\":1}}}}",
              "FileUploadEvent.MediaBasicInfo.SourceInfo.SourceContext "
              "is not a string" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"Status\":\"FINISH\"}}",
              "ProcedureStateChangeEvent.TaskId is missing or not a string" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"ErrCode\":\"0\"}}",
              "ProcedureStateChangeEvent.ErrCode is not an integer" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":{}}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet is not "
              "an array" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":[1]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[] is not "
              "an object" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":"
              "[{\"Type\":\"Transcode\"}]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[]."
              "TranscodeTask is missing or not an object" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":"
              "[{\"Type\":\"Transcode\",\"TranscodeTask\":{\"Status\":"
              "\"SUCCESS\",\"Input\":{\"Definition\":\"20\"}}}]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[]."
              "TranscodeTask.Input.Definition is missing or not a "
              "non-negative integer" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":"
              "[{\"Type\":\"Transcode\",\"TranscodeTask\":{\"Status\":"
              "\"SUCCESS\",\"Input\":{\"Definition\":-20}}}]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[]."
              "TranscodeTask.Input.Definition is missing or not a "
              "non-negative integer" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":"
              "[{\"Type\":\"Transcode\",\"TranscodeTask\":{\"Status\":"
              "\"SUCCESS\",\"Input\":{\"Definition\":20},\"Output\":"
              "{\"Url\":[]}}}]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[]."
              "TranscodeTask.Output.Url is not a string" },
            { "{\"EventType\":\"ProcedureStateChanged\","
              "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\","
              "\"Status\":\"FINISH\",\"MediaProcessResultSet\":"
              "[{\"Type\":5}]}}",
              "ProcedureStateChangeEvent.MediaProcessResultSet[].Type is "
              "not a string" },
        };

        size_t  i, fails;

        fails = 0;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            err = NULL;
            rc = ngx_vod_api_parse_event(&a, (u_char *) bad[i].json,
                                         strlen(bad[i].json), 0, &ev, &err);

            if (rc != NGX_VOD_ERROR || err == NULL
                || strcmp(err, bad[i].error) != 0)
            {
                ngx_vod_test_diag("%s: rc %d, \"%s\"", bad[i].json, rc,
                                  err ? err : "(null)");
                fails++;
            }
        }

        ngx_vod_test_ok(fails == 0, "%d bad events give their own error",
                        (int) i);
    }
}


/*
 * Keys twice in one object, at any depth, are refused in events: the
 * module reads the first, an application behind vod_callback_pass may
 * read the last.  Answers are read by the module alone: not checked.
 */

static void
test_duplicate_keys(void)
{
    int                         rc, fails, last;
    char                       *big;
    size_t                      i, n;
    const char                 *err;
    ngx_vod_api_event_t         ev;
    ngx_vod_api_result_t        res;
    ngx_vod_api_pull_events_t   pe;
    ngx_vod_api_apply_upload_t  au;

    static const char  *dup = "duplicate key in a JSON object";

    static const char  *bad[] = {
        "{\"EventType\":\"NewFileUpload\",\"EventType\":\"FileDeleted\"}",
        "{\"EventType\":\"X\",\"T\":1,\"Sign\":\"s\",\"T\":2}",
        "{\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
        "{\"FileId\":\"1\",\"FileId\":\"2\"}}",
        "{\"EventType\":\"X\",\"\\u0045ventType\":\"Y\"}",
        "{\"EventType\":\"X\",\"a\":[1,{\"b\":[{\"c\":1,\"c\":1}]}]}",
        "{\"EventType\":\"ProcedureStateChanged\","
        "\"ProcedureStateChangeEvent\":{\"TaskId\":\"t\",\"Status\":"
        "\"FINISH\",\"MediaProcessResultSet\":[{\"Type\":\"Transcode\","
        "\"TranscodeTask\":{\"Status\":\"SUCCESS\",\"Status\":\"FAIL\","
        "\"Input\":{\"Definition\":20}}}]}}",
        "{\"EventType\":\"X\",\"Other\":{\"\":1,\"\":2}}",
    };

    fails = 0;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        rc = ngx_vod_api_parse_event(&a, (u_char *) bad[i], strlen(bad[i]),
                                     0, &ev, &err);

        if (rc != NGX_VOD_ERROR || err == NULL || strcmp(err, dup) != 0) {
            ngx_vod_test_diag("%s: rc %d, \"%s\"", bad[i], rc,
                              err ? err : "(null)");
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0,
                    "%d events with a key twice, at any depth: refused",
                    (int) i);

    rc = ngx_vod_api_parse_event(&a,
        S("{\"EventType\":\"X\",\"a\":{\"k\":1},\"b\":{\"k\":2},"
          "\"c\":[{\"k\":1},{\"k\":2}],\"K\":3,\"k\":4}"),
        0, &ev, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "the same key in different objects is no duplicate");

    /* more members than fit the stack: sorted in malloc()ed memory */

    n = 5000;
    big = malloc(n * 16 + 64);
    if (big == NULL) {
        abort();
    }

    for (i = 0, rc = sprintf(big, "{\"EventType\":\"X\""); i < n; i++) {
        rc += sprintf(big + rc, ",\"k%zu\":%zu", i, i);
    }

    last = rc;
    big[rc++] = '}';
    big[rc] = '\0';

    ngx_vod_test_ok(ngx_vod_api_parse_event(&a, (u_char *) big, rc, 0, &ev,
                                            &err)
                    == NGX_VOD_OK,
                    "%zu distinct keys in one object", n + 1);

    rc = last + sprintf(big + last, ",\"k2\":0}");

    err = NULL;
    rc = ngx_vod_api_parse_event(&a, (u_char *) big, rc, 0, &ev, &err);
    test_error(err, dup, "... and one of them again, far apart: refused");

    free(big);

    /* a pulled event: the answer is taken, the event itself refused */

    rc = ngx_vod_api_parse_pull_events(&a,
        S("{\"Response\":{\"EventSet\":[{\"EventHandle\":\"h1\","
          "\"EventType\":\"NewFileUpload\",\"FileUploadEvent\":"
          "{\"FileId\":\"1\",\"FileId\":\"2\"}}],\"RequestId\":\"r\"}}"),
        &pe, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK && pe.nitems == 1,
                    "PullEvents answer with a key twice in an event");

    if (rc == NGX_VOD_OK && pe.nitems == 1) {
        err = NULL;
        rc = ngx_vod_api_parse_event(&a, pe.items[0].json.data,
                                     pe.items[0].json.len, 0, &ev, &err);
        test_error(err, dup, "... the pulled event is refused as pushed");
    }

    rc = ngx_vod_api_parse_apply_upload(&a,
        S("{\"Response\":{\"RequestId\":\"r\",\"RequestId\":\"r2\","
          "\"StorageBucket\":\"b\",\"StorageRegion\":\"ap-x\","
          "\"VodSessionKey\":\"k\",\"MediaStoragePath\":\"/m\","
          "\"TempCertificate\":{\"SecretId\":\"i\",\"SecretKey\":\"s\","
          "\"Token\":\"t\",\"ExpiredTime\":1}}}"),
        &au, &res);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "an answer with a key twice is read "
                    "(the module is its only reader)");
    ngx_vod_test_is(res.request_id.data, res.request_id.len, "r",
                    "... the first one");
}


/* every allocation failure gives "out of memory" and leaks nothing */

static void
test_out_of_memory(void)
{
    int                              rc, fails, n;
    const char                      *err;
    ngx_vod_str_t                    body;
    ngx_vod_api_event_t              ev;
    ngx_vod_api_result_t             res;
    ngx_vod_api_apply_upload_t       au;
    ngx_vod_api_pull_events_t        pe;
    ngx_vod_api_apply_upload_req_t   req;

    static const char  pulled[] =
        "{\"Response\":{\"EventSet\":[{\"EventHandle\":\"h1\","
        "\"EventType\":\"A\"},{\"EventHandle\":\"h2\",\"EventType\":\"B\"}],"
        "\"RequestId\":\"r\"}}";

    fails = 0;

    for (n = 0; /* void */ ; n++) {
        ngx_vod_test_pool_free(&pool);
        pool.fail_after = n;

        rc = ngx_vod_api_parse_apply_upload(&a, S(apply_upload_example),
                                            &au, &res);
        if (rc == NGX_VOD_OK) {
            break;
        }

        if (rc != NGX_VOD_ERROR || strcmp(res.error, "out of memory") != 0) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0 && n == 8,
                    "ApplyUpload answer: each of its %d allocations may fail",
                    n);

    fails = 0;

    for (n = 0; /* void */ ; n++) {
        ngx_vod_test_pool_free(&pool);
        pool.fail_after = n;

        rc = ngx_vod_api_parse_event(&a, S(procedure_example), 0, &ev, &err);
        if (rc == NGX_VOD_OK) {
            break;
        }

        if (rc != NGX_VOD_ERROR || strcmp(err, "out of memory") != 0) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0 && n > 5,
                    "ProcedureStateChanged: each of its %d allocations may "
                    "fail", n);

    fails = 0;

    for (n = 0; /* void */ ; n++) {
        ngx_vod_test_pool_free(&pool);
        pool.fail_after = n;

        rc = ngx_vod_api_parse_pull_events(&a, S(pulled), &pe, &res);
        if (rc == NGX_VOD_OK) {
            break;
        }

        if (rc != NGX_VOD_ERROR || strcmp(res.error, "out of memory") != 0) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0 && n == 8,
                    "PullEvents: each of its %d allocations may fail", n);

    memset(&req, 0, sizeof(req));
    req.media_type = (ngx_vod_str_t) ngx_vod_string("mp4");

    ngx_vod_test_pool_free(&pool);
    pool.fail_after = 0;

    rc = ngx_vod_api_apply_upload_body(&a, &req, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && strcmp(err, "out of memory") == 0,
                    "a body that cannot be allocated");

    ngx_vod_test_pool_free(&pool);
}


/* which API errors say that a request was refused, without effect */

static void
test_error_refused(void)
{
    size_t  i;

    static const struct {
        const char  *code;
        int          refused;
    } codes[] = {
        { "AuthFailure.SignatureFailure", 1 },
        { "AuthFailure", 1 },
        { "InvalidParameterValue.VodSessionKey", 1 },
        { "InvalidParameter.StorageRegion", 1 },
        { "MissingParameter", 1 },
        { "RequestLimitExceeded", 1 },
        { "UnauthorizedOperation", 1 },
        { "InternalError", 0 },
        { "InternalError.DBError", 0 },
        { "FailedOperation", 0 },
        { "ResourceUnavailable", 0 },
        { "AuthFailureX", 0 },
        { "InvalidParameterValues", 0 },
        { "", 0 },
    };

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        ngx_vod_test_ok(ngx_vod_api_error_refused(
                            (const u_char *) codes[i].code,
                            strlen(codes[i].code))
                        == codes[i].refused,
                        "%s %s", codes[i].code[0] ? codes[i].code : "(empty)",
                        codes[i].refused ? "is a refusal"
                                         : "does not say what happened");
    }
}


int
main(void)
{
    test_error_refused();
    test_apply_upload_body();
    test_other_bodies();
    test_apply_upload_answer();
    test_answers();
    test_apply_upload_fields();
    test_hostile();
    test_pull_events();
    test_events();
    test_duplicate_keys();
    test_out_of_memory();

    ngx_vod_test_pool_free(&pool);

    return ngx_vod_test_done();
}

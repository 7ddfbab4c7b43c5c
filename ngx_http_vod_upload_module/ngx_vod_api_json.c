/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Request bodies are written by hand in two passes (measure, then
 * write into memory of the exact size); answers are parsed with cJSON
 * after a scan that refuses what cJSON would get wrong: NUL bytes and
 * \u0000 escapes (cJSON would cut the string short) and deep nesting.
 */


#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "ngx_vod_api_json.h"


#define ngx_vod_api_stringify(n)       #n
#define ngx_vod_api_number(n)          ngx_vod_api_stringify(n)

#define NGX_VOD_JSON_OPTIONAL          0
#define NGX_VOD_JSON_REQUIRED          1

#define NGX_VOD_API_ERR_NOMEM          "out of memory"

#define ngx_vod_json_object(obj, name, required, out, msg, error)            \
    ngx_vod_json_member(obj, name, required, cJSON_IsObject, out, msg, error)


typedef struct {
    u_char                 *p;          /* NULL while measuring */
    size_t                  len;
    unsigned                comma:1;    /* a member was written */
} ngx_vod_json_out_t;


typedef void (*ngx_vod_json_write_pt)(ngx_vod_json_out_t *o,
    const void *req);

/* reads the members of "Response" into *out, the answer's own struct */

typedef int (*ngx_vod_api_reader_pt)(ngx_vod_alloc_t *a, const cJSON *resp,
    void *out, const char **error);

/* cJSON_IsString() and the like */

typedef cJSON_bool (*ngx_vod_json_is_pt)(const cJSON *item);


/* the strings a request may carry: two static messages per field */

#define ngx_vod_api_check(s, name)                                            \
    ngx_vod_api_check_str(s, name " is longer than "                         \
                          ngx_vod_api_number(NGX_VOD_API_FIELD_MAX)           \
                          " bytes", name " is not valid UTF-8")


static int ngx_vod_api_body(ngx_vod_alloc_t *a, ngx_vod_json_write_pt write,
    const void *req, ngx_vod_str_t *body, const char **error);
static const char *ngx_vod_api_check_str(const ngx_vod_str_t *s,
    const char *too_long, const char *not_utf8);
static int ngx_vod_api_utf8_valid(const u_char *p, size_t len);
static void ngx_vod_api_apply_upload_write(ngx_vod_json_out_t *o,
    const void *data);
static void ngx_vod_api_commit_upload_write(ngx_vod_json_out_t *o,
    const void *data);
static void ngx_vod_api_process_media_write(ngx_vod_json_out_t *o,
    const void *data);
static void ngx_vod_api_process_by_procedure_write(ngx_vod_json_out_t *o,
    const void *data);
static int ngx_vod_api_task_check(const ngx_vod_api_process_media_req_t *req,
    const char **error);
static void ngx_vod_api_pull_events_write(ngx_vod_json_out_t *o,
    const void *data);
static void ngx_vod_api_confirm_events_write(ngx_vod_json_out_t *o,
    const void *data);

static void ngx_vod_json_raw(ngx_vod_json_out_t *o, const char *s, size_t n);
static void ngx_vod_json_key(ngx_vod_json_out_t *o, const char *key);
static void ngx_vod_json_str(ngx_vod_json_out_t *o, const ngx_vod_str_t *s);
static void ngx_vod_json_int(ngx_vod_json_out_t *o, int64_t n);
static void ngx_vod_json_str_member(ngx_vod_json_out_t *o, const char *key,
    const ngx_vod_str_t *s);
static void ngx_vod_json_int_member(ngx_vod_json_out_t *o, const char *key,
    const ngx_vod_api_int_t *n);

static cJSON *ngx_vod_json_parse(const u_char *data, size_t len, size_t max,
    const char **error);
static const char *ngx_vod_json_scan(const u_char *p, size_t len);
static const char *ngx_vod_json_unique(const cJSON *item);
static int ngx_vod_json_name_cmp(const void *one, const void *two);
static const u_char *ngx_vod_json_find(const cJSON *parent,
    const cJSON *item, const u_char *p, const u_char *end,
    const u_char **last);
static const u_char *ngx_vod_json_next(const u_char *p, const u_char *end,
    int member, int first, const u_char **value);
static const u_char *ngx_vod_json_skip(const u_char *p, const u_char *end);
static const u_char *ngx_vod_json_ws(const u_char *p, const u_char *end);
static int ngx_vod_api_parse(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_reader_pt read, void *out, size_t size,
    ngx_vod_api_result_t *res);
static int ngx_vod_api_envelope(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, cJSON **root, cJSON **resp, ngx_vod_api_result_t *res);
static int ngx_vod_api_apply_upload_read(ngx_vod_alloc_t *a,
    const cJSON *resp, void *data, const char **error);
static int ngx_vod_api_commit_upload_read(ngx_vod_alloc_t *a,
    const cJSON *resp, void *data, const char **error);
static int ngx_vod_api_process_media_read(ngx_vod_alloc_t *a,
    const cJSON *resp, void *data, const char **error);
static int ngx_vod_api_pull_events_read(ngx_vod_alloc_t *a,
    const cJSON *root, const cJSON *resp, const u_char *data, size_t len,
    ngx_vod_api_pull_events_t *out, const char **error);
static int ngx_vod_api_event_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error);
static int ngx_vod_api_new_file_upload_read(ngx_vod_alloc_t *a,
    const cJSON *root, ngx_vod_api_event_t *ev, const char **error);
static int ngx_vod_api_procedure_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error);
static int ngx_vod_api_transcodes_read(ngx_vod_alloc_t *a, const cJSON *set,
    ngx_vod_api_event_t *ev, const char **error);
static int ngx_vod_api_time_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error);

static int ngx_vod_json_member(const cJSON *obj, const char *name,
    int required, ngx_vod_json_is_pt is, const cJSON **out, const char *msg,
    const char **error);
static int ngx_vod_json_string(ngx_vod_alloc_t *a, const cJSON *obj,
    const char *name, int required, ngx_vod_str_t *out, const char *msg,
    const char **error);
static int ngx_vod_json_integer(const cJSON *obj, const char *name,
    int required, int64_t min, int64_t max, int64_t *out, const char *msg,
    const char **error);
static int ngx_vod_api_strdup(ngx_vod_alloc_t *a, const char *s, size_t n,
    ngx_vod_str_t *out);


/* request bodies */

int
ngx_vod_api_apply_upload_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_apply_upload_req_t *req, ngx_vod_str_t *body,
    const char **error)
{
    const char  *e;

    if (req->media_type.len == 0) {
        *error = "MediaType is required";
        return NGX_VOD_ERROR;
    }

    if ((e = ngx_vod_api_check(&req->media_type, "MediaType"))
        || (e = ngx_vod_api_check(&req->media_name, "MediaName"))
        || (e = ngx_vod_api_check(&req->cover_type, "CoverType"))
        || (e = ngx_vod_api_check(&req->procedure, "Procedure"))
        || (e = ngx_vod_api_check(&req->expire_time, "ExpireTime"))
        || (e = ngx_vod_api_check(&req->storage_region, "StorageRegion"))
        || (e = ngx_vod_api_check(&req->source_context, "SourceContext"))
        || (e = ngx_vod_api_check(&req->session_context, "SessionContext"))
        || (e = ngx_vod_api_check(&req->ext_info, "ExtInfo"))
        || (e = ngx_vod_api_check(&req->media_storage_path,
                                  "MediaStoragePath")))
    {
        *error = e;
        return NGX_VOD_ERROR;
    }

    return ngx_vod_api_body(a, ngx_vod_api_apply_upload_write, req, body,
                            error);
}


int
ngx_vod_api_commit_upload_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_commit_upload_req_t *req, ngx_vod_str_t *body,
    const char **error)
{
    const char  *e;

    if (req->vod_session_key.len == 0) {
        *error = "VodSessionKey is required";
        return NGX_VOD_ERROR;
    }

    e = ngx_vod_api_check(&req->vod_session_key, "VodSessionKey");
    if (e) {
        *error = e;
        return NGX_VOD_ERROR;
    }

    return ngx_vod_api_body(a, ngx_vod_api_commit_upload_write, req, body,
                            error);
}


int
ngx_vod_api_process_media_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_process_media_req_t *req, ngx_vod_str_t *body,
    const char **error)
{
    if (req->ndefinitions == 0 || req->definitions == NULL) {
        *error = "MediaProcessTask.TranscodeTaskSet needs a Definition";
        return NGX_VOD_ERROR;
    }

    if (req->ndefinitions > NGX_VOD_API_DEFINITIONS_MAX) {
        *error = "MediaProcessTask.TranscodeTaskSet has more than "
                 ngx_vod_api_number(NGX_VOD_API_DEFINITIONS_MAX)
                 " Definitions";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_api_task_check(req, error) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    return ngx_vod_api_body(a, ngx_vod_api_process_media_write, req, body,
                            error);
}


int
ngx_vod_api_process_media_by_procedure_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_process_media_req_t *req, ngx_vod_str_t *body,
    const char **error)
{
    const char  *e;

    if (req->procedure.len == 0) {
        *error = "ProcedureName is required";
        return NGX_VOD_ERROR;
    }

    if ((e = ngx_vod_api_check(&req->procedure, "ProcedureName"))) {
        *error = e;
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_api_task_check(req, error) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    return ngx_vod_api_body(a, ngx_vod_api_process_by_procedure_write, req,
                            body, error);
}


/* what ProcessMedia and ProcessMediaByProcedure share */

static int
ngx_vod_api_task_check(const ngx_vod_api_process_media_req_t *req,
    const char **error)
{
    const char  *e;

    if (req->file_id.len == 0) {
        *error = "FileId is required";
        return NGX_VOD_ERROR;
    }

    if (req->tasks_priority.set
        && (req->tasks_priority.value < -10
            || req->tasks_priority.value > 10))
    {
        *error = "TasksPriority is not in -10..10";
        return NGX_VOD_ERROR;
    }

    if ((e = ngx_vod_api_check(&req->file_id, "FileId"))
        || (e = ngx_vod_api_check(&req->tasks_notify_mode,
                                  "TasksNotifyMode"))
        || (e = ngx_vod_api_check(&req->session_context, "SessionContext"))
        || (e = ngx_vod_api_check(&req->session_id, "SessionId")))
    {
        *error = e;
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


int
ngx_vod_api_pull_events_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_int_t *sub_app_id, ngx_vod_str_t *body,
    const char **error)
{
    return ngx_vod_api_body(a, ngx_vod_api_pull_events_write, sub_app_id,
                            body, error);
}


int
ngx_vod_api_confirm_events_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_confirm_events_req_t *req, ngx_vod_str_t *body,
    const char **error)
{
    size_t       i;
    const char  *e;

    if (req->nhandles == 0 || req->handles == NULL) {
        *error = "EventHandles needs a handle";
        return NGX_VOD_ERROR;
    }

    if (req->nhandles > NGX_VOD_API_EVENT_HANDLES_MAX) {
        *error = "EventHandles has more than "
                 ngx_vod_api_number(NGX_VOD_API_EVENT_HANDLES_MAX)
                 " handles";
        return NGX_VOD_ERROR;
    }

    for (i = 0; i < req->nhandles; i++) {
        if (req->handles[i].len == 0) {
            *error = "EventHandles has an empty handle";
            return NGX_VOD_ERROR;
        }

        e = ngx_vod_api_check(&req->handles[i], "EventHandles");
        if (e) {
            *error = e;
            return NGX_VOD_ERROR;
        }
    }

    return ngx_vod_api_body(a, ngx_vod_api_confirm_events_write, req, body,
                            error);
}


static int
ngx_vod_api_body(ngx_vod_alloc_t *a, ngx_vod_json_write_pt write,
    const void *req, ngx_vod_str_t *body, const char **error)
{
    u_char              *p;
    ngx_vod_json_out_t   o;

    o.p = NULL;
    o.len = 0;
    o.comma = 0;

    write(&o, req);

    p = ngx_vod_alloc(a, o.len + 1);
    if (p == NULL) {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    o.p = p;
    o.len = 0;
    o.comma = 0;

    write(&o, req);

    *o.p = '\0';

    body->data = p;
    body->len = o.len;

    return NGX_VOD_OK;
}


static const char *
ngx_vod_api_check_str(const ngx_vod_str_t *s, const char *too_long,
    const char *not_utf8)
{
    if (s->len > NGX_VOD_API_FIELD_MAX) {
        return too_long;
    }

    if (!ngx_vod_api_utf8_valid(s->data, s->len)) {
        return not_utf8;
    }

    return NULL;
}


/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF */

static int
ngx_vod_api_utf8_valid(const u_char *p, size_t len)
{
    size_t    i, n;
    uint32_t  c, min;

    for (i = 0; i < len; /* void */ ) {
        c = p[i++];

        if (c < 0x80) {
            continue;
        }

        if ((c & 0xe0) == 0xc0) {
            n = 1;
            min = 0x80;
            c &= 0x1f;

        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            min = 0x800;
            c &= 0x0f;

        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            min = 0x10000;
            c &= 0x07;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        while (n--) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (p[i++] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


static void
ngx_vod_api_apply_upload_write(ngx_vod_json_out_t *o, const void *data)
{
    const ngx_vod_api_apply_upload_req_t  *req;

    req = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_str_member(o, "MediaType", &req->media_type);
    ngx_vod_json_str_member(o, "MediaName", &req->media_name);
    ngx_vod_json_str_member(o, "CoverType", &req->cover_type);
    ngx_vod_json_str_member(o, "Procedure", &req->procedure);
    ngx_vod_json_str_member(o, "ExpireTime", &req->expire_time);
    ngx_vod_json_str_member(o, "StorageRegion", &req->storage_region);
    ngx_vod_json_int_member(o, "ClassId", &req->class_id);
    ngx_vod_json_str_member(o, "SourceContext", &req->source_context);
    ngx_vod_json_str_member(o, "SessionContext", &req->session_context);
    ngx_vod_json_str_member(o, "ExtInfo", &req->ext_info);
    ngx_vod_json_int_member(o, "SubAppId", &req->sub_app_id);
    ngx_vod_json_str_member(o, "MediaStoragePath",
                            &req->media_storage_path);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_api_commit_upload_write(ngx_vod_json_out_t *o, const void *data)
{
    const ngx_vod_api_commit_upload_req_t  *req;

    req = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_str_member(o, "VodSessionKey", &req->vod_session_key);
    ngx_vod_json_int_member(o, "SubAppId", &req->sub_app_id);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_api_process_media_write(ngx_vod_json_out_t *o, const void *data)
{
    size_t                                  i;
    const ngx_vod_api_process_media_req_t  *req;

    req = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_str_member(o, "FileId", &req->file_id);
    ngx_vod_json_int_member(o, "SubAppId", &req->sub_app_id);

    ngx_vod_json_key(o, "MediaProcessTask");
    ngx_vod_json_raw(o, "{\"TranscodeTaskSet\":[",
                     sizeof("{\"TranscodeTaskSet\":[") - 1);

    for (i = 0; i < req->ndefinitions; i++) {
        if (i) {
            ngx_vod_json_raw(o, ",", 1);
        }

        ngx_vod_json_raw(o, "{\"Definition\":", sizeof("{\"Definition\":") - 1);
        ngx_vod_json_int(o, req->definitions[i]);
        ngx_vod_json_raw(o, "}", 1);
    }

    ngx_vod_json_raw(o, "]}", 2);

    ngx_vod_json_int_member(o, "TasksPriority", &req->tasks_priority);
    ngx_vod_json_str_member(o, "TasksNotifyMode", &req->tasks_notify_mode);
    ngx_vod_json_str_member(o, "SessionContext", &req->session_context);
    ngx_vod_json_str_member(o, "SessionId", &req->session_id);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_api_process_by_procedure_write(ngx_vod_json_out_t *o,
    const void *data)
{
    const ngx_vod_api_process_media_req_t  *req;

    req = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_str_member(o, "FileId", &req->file_id);
    ngx_vod_json_int_member(o, "SubAppId", &req->sub_app_id);
    ngx_vod_json_str_member(o, "ProcedureName", &req->procedure);
    ngx_vod_json_int_member(o, "TasksPriority", &req->tasks_priority);
    ngx_vod_json_str_member(o, "TasksNotifyMode", &req->tasks_notify_mode);
    ngx_vod_json_str_member(o, "SessionContext", &req->session_context);
    ngx_vod_json_str_member(o, "SessionId", &req->session_id);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_api_pull_events_write(ngx_vod_json_out_t *o, const void *data)
{
    const ngx_vod_api_int_t  *sub_app_id;

    sub_app_id = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_int_member(o, "SubAppId", sub_app_id);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_api_confirm_events_write(ngx_vod_json_out_t *o, const void *data)
{
    size_t                                   i;
    const ngx_vod_api_confirm_events_req_t  *req;

    req = data;

    ngx_vod_json_raw(o, "{", 1);
    ngx_vod_json_key(o, "EventHandles");
    ngx_vod_json_raw(o, "[", 1);

    for (i = 0; i < req->nhandles; i++) {
        if (i) {
            ngx_vod_json_raw(o, ",", 1);
        }

        ngx_vod_json_str(o, &req->handles[i]);
    }

    ngx_vod_json_raw(o, "]", 1);
    ngx_vod_json_int_member(o, "SubAppId", &req->sub_app_id);
    ngx_vod_json_raw(o, "}", 1);
}


static void
ngx_vod_json_raw(ngx_vod_json_out_t *o, const char *s, size_t n)
{
    if (o->p) {
        o->p = ngx_vod_cpymem(o->p, s, n);
    }

    o->len += n;
}


/* a member's key, after a comma unless it is the first of its object */

static void
ngx_vod_json_key(ngx_vod_json_out_t *o, const char *key)
{
    if (o->comma) {
        ngx_vod_json_raw(o, ",", 1);
    }

    o->comma = 1;

    ngx_vod_json_raw(o, "\"", 1);
    ngx_vod_json_raw(o, key, strlen(key));
    ngx_vod_json_raw(o, "\":", 2);
}


static void
ngx_vod_json_str(ngx_vod_json_out_t *o, const ngx_vod_str_t *s)
{
    char           esc[8];
    u_char         c;
    size_t         i, start;
    const char    *r;

    ngx_vod_json_raw(o, "\"", 1);

    for (i = 0, start = 0; i < s->len; i++) {
        c = s->data[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }

        ngx_vod_json_raw(o, (const char *) s->data + start, i - start);
        start = i + 1;

        switch (c) {

        case '"':
            r = "\\\"";
            break;

        case '\\':
            r = "\\\\";
            break;

        case '\b':
            r = "\\b";
            break;

        case '\f':
            r = "\\f";
            break;

        case '\n':
            r = "\\n";
            break;

        case '\r':
            r = "\\r";
            break;

        case '\t':
            r = "\\t";
            break;

        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            ngx_vod_hex((u_char *) &esc[4], &c, 1);
            ngx_vod_json_raw(o, esc, 6);
            continue;
        }

        ngx_vod_json_raw(o, r, 2);
    }

    ngx_vod_json_raw(o, (const char *) s->data + start, s->len - start);
    ngx_vod_json_raw(o, "\"", 1);
}


static void
ngx_vod_json_int(ngx_vod_json_out_t *o, int64_t n)
{
    int   len;
    char  buf[sizeof("-9223372036854775808")];

    len = snprintf(buf, sizeof(buf), "%lld", (long long) n);

    ngx_vod_json_raw(o, buf, len);
}


static void
ngx_vod_json_str_member(ngx_vod_json_out_t *o, const char *key,
    const ngx_vod_str_t *s)
{
    if (s->len == 0) {
        return;
    }

    ngx_vod_json_key(o, key);
    ngx_vod_json_str(o, s);
}


static void
ngx_vod_json_int_member(ngx_vod_json_out_t *o, const char *key,
    const ngx_vod_api_int_t *n)
{
    if (!n->set) {
        return;
    }

    ngx_vod_json_key(o, key);
    ngx_vod_json_int(o, n->value);
}


/* answers */

int
ngx_vod_api_parse_apply_upload(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_apply_upload_t *out, ngx_vod_api_result_t *res)
{
    return ngx_vod_api_parse(a, data, len, ngx_vod_api_apply_upload_read,
                             out, sizeof(ngx_vod_api_apply_upload_t), res);
}


int
ngx_vod_api_parse_commit_upload(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_commit_upload_t *out, ngx_vod_api_result_t *res)
{
    return ngx_vod_api_parse(a, data, len, ngx_vod_api_commit_upload_read,
                             out, sizeof(ngx_vod_api_commit_upload_t), res);
}


/* an answer with nothing but the envelope: ConfirmEvents's */

int
ngx_vod_api_parse_result(ngx_vod_alloc_t *a, const u_char *data, size_t len,
    ngx_vod_api_result_t *res)
{
    int     rc;
    cJSON  *root, *resp;

    rc = ngx_vod_api_envelope(a, data, len, &root, &resp, res);
    if (rc != NGX_VOD_OK) {
        return rc;
    }

    cJSON_Delete(root);

    return NGX_VOD_OK;
}


int
ngx_vod_api_parse_process_media(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_process_media_t *out, ngx_vod_api_result_t *res)
{
    return ngx_vod_api_parse(a, data, len, ngx_vod_api_process_media_read,
                             out, sizeof(ngx_vod_api_process_media_t), res);
}


int
ngx_vod_api_parse_pull_events(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_pull_events_t *out, ngx_vod_api_result_t *res)
{
    int     rc;
    cJSON  *root, *resp;

    memset(out, 0, sizeof(ngx_vod_api_pull_events_t));

    rc = ngx_vod_api_envelope(a, data, len, &root, &resp, res);
    if (rc != NGX_VOD_OK) {
        return rc;
    }

    rc = ngx_vod_api_pull_events_read(a, root, resp, data, len, out,
                                      &res->error);

    cJSON_Delete(root);

    return rc;
}


/* zeroes *out (size bytes), checks the envelope, reads "Response" */

static int
ngx_vod_api_parse(ngx_vod_alloc_t *a, const u_char *data, size_t len,
    ngx_vod_api_reader_pt read, void *out, size_t size,
    ngx_vod_api_result_t *res)
{
    int     rc;
    cJSON  *root, *resp;

    memset(out, 0, size);

    rc = ngx_vod_api_envelope(a, data, len, &root, &resp, res);
    if (rc != NGX_VOD_OK) {
        return rc;
    }

    rc = read(a, resp, out, &res->error);

    cJSON_Delete(root);

    return rc;
}


/*
 * Parses and checks the envelope.  On NGX_VOD_OK *root must be freed by
 * the caller; on anything else it was freed here.
 */

static int
ngx_vod_api_envelope(ngx_vod_alloc_t *a, const u_char *data, size_t len,
    cJSON **root, cJSON **resp, ngx_vod_api_result_t *res)
{
    int           rc;
    const cJSON  *r, *err;

    memset(res, 0, sizeof(ngx_vod_api_result_t));

    *root = ngx_vod_json_parse(data, len, NGX_VOD_API_RESPONSE_MAX,
                               &res->error);
    if (*root == NULL) {
        return NGX_VOD_ERROR;
    }

    rc = NGX_VOD_ERROR;

    if (ngx_vod_json_object(*root, "Response", NGX_VOD_JSON_REQUIRED, &r,
            "Response is missing or not an object", &res->error)
        || ngx_vod_json_string(a, r, "RequestId", NGX_VOD_JSON_OPTIONAL,
            &res->request_id, "Response.RequestId is not a string",
            &res->error)
        || ngx_vod_json_object(r, "Error", NGX_VOD_JSON_OPTIONAL, &err,
            "Response.Error is not an object", &res->error))
    {
        goto failed;
    }

    if (err) {
        if (ngx_vod_json_string(a, err, "Code", NGX_VOD_JSON_REQUIRED,
                &res->code, "Response.Error.Code is missing or not a string",
                &res->error)
            || ngx_vod_json_string(a, err, "Message", NGX_VOD_JSON_OPTIONAL,
                &res->message, "Response.Error.Message is not a string",
                &res->error))
        {
            goto failed;
        }

        rc = NGX_VOD_API_ERROR;
        goto failed;
    }

    *resp = (cJSON *) r;

    return NGX_VOD_OK;

failed:

    cJSON_Delete(*root);
    *root = NULL;

    return rc;
}


static int
ngx_vod_api_apply_upload_read(ngx_vod_alloc_t *a, const cJSON *resp,
    void *data, const char **error)
{
    const cJSON                 *cert;
    ngx_vod_api_apply_upload_t  *out;

    out = data;

    if (ngx_vod_json_string(a, resp, "StorageBucket", NGX_VOD_JSON_REQUIRED,
            &out->storage_bucket,
            "Response.StorageBucket is missing or not a string", error)
        || ngx_vod_json_string(a, resp, "StorageRegion",
            NGX_VOD_JSON_REQUIRED, &out->storage_region,
            "Response.StorageRegion is missing or not a string", error)
        || ngx_vod_json_string(a, resp, "VodSessionKey",
            NGX_VOD_JSON_REQUIRED, &out->vod_session_key,
            "Response.VodSessionKey is missing or not a string", error)
        || ngx_vod_json_string(a, resp, "MediaStoragePath",
            NGX_VOD_JSON_REQUIRED, &out->media_storage_path,
            "Response.MediaStoragePath is missing or not a string", error)
        || ngx_vod_json_string(a, resp, "CoverStoragePath",
            NGX_VOD_JSON_OPTIONAL, &out->cover_storage_path,
            "Response.CoverStoragePath is not a string", error)
        || ngx_vod_json_object(resp, "TempCertificate",
            NGX_VOD_JSON_REQUIRED, &cert,
            "Response.TempCertificate is missing or not an object", error)
        || ngx_vod_json_string(a, cert, "SecretId", NGX_VOD_JSON_REQUIRED,
            &out->secret_id,
            "Response.TempCertificate.SecretId is missing or not a string",
            error)
        || ngx_vod_json_string(a, cert, "SecretKey", NGX_VOD_JSON_REQUIRED,
            &out->secret_key,
            "Response.TempCertificate.SecretKey is missing or not a string",
            error)
        || ngx_vod_json_string(a, cert, "Token", NGX_VOD_JSON_REQUIRED,
            &out->token,
            "Response.TempCertificate.Token is missing or not a string",
            error)
        || ngx_vod_json_integer(cert, "ExpiredTime", NGX_VOD_JSON_REQUIRED,
            1, NGX_VOD_API_TIME_MAX, &out->expired_time,
            "Response.TempCertificate.ExpiredTime is missing or not "
            "an integer in 1..253402300799", error))
    {
        return NGX_VOD_ERROR;
    }

    /* these two go into COS's request headers as they are */

    if (!ngx_vod_header_value_valid(&out->secret_id)) {
        *error = "Response.TempCertificate.SecretId holds control characters";
        return NGX_VOD_ERROR;
    }

    if (!ngx_vod_header_value_valid(&out->token)) {
        *error = "Response.TempCertificate.Token holds control characters";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_api_commit_upload_read(ngx_vod_alloc_t *a, const cJSON *resp,
    void *data, const char **error)
{
    ngx_vod_api_commit_upload_t  *out;

    out = data;

    if (ngx_vod_json_string(a, resp, "FileId", NGX_VOD_JSON_REQUIRED,
            &out->file_id, "Response.FileId is missing or not a string",
            error)
        || ngx_vod_json_string(a, resp, "MediaUrl", NGX_VOD_JSON_REQUIRED,
            &out->media_url, "Response.MediaUrl is missing or not a string",
            error)
        || ngx_vod_json_string(a, resp, "CoverUrl", NGX_VOD_JSON_OPTIONAL,
            &out->cover_url, "Response.CoverUrl is not a string", error))
    {
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_api_process_media_read(ngx_vod_alloc_t *a, const cJSON *resp,
    void *data, const char **error)
{
    ngx_vod_api_process_media_t  *out;

    out = data;

    return ngx_vod_json_string(a, resp, "TaskId", NGX_VOD_JSON_REQUIRED,
                               &out->task_id,
                               "Response.TaskId is missing or not a string",
                               error);
}


/*
 * Each item's "json" is its text as it came in the answer, not printed
 * again by cJSON (which writes 1e999 as null and numbers in its own
 * way): a pulled event is handed on, and checked, as a pushed one is.
 */

static int
ngx_vod_api_pull_events_read(ngx_vod_alloc_t *a, const cJSON *root,
    const cJSON *resp, const u_char *data, size_t len,
    ngx_vod_api_pull_events_t *out, const char **error)
{
    int                         n;
    const cJSON                *set, *item;
    const u_char               *p, *end, *value;
    ngx_vod_api_event_item_t   *ei;

    static const char  *lost = "Response.EventSet[] not found in the text";

    if (ngx_vod_json_member(resp, "EventSet", NGX_VOD_JSON_OPTIONAL,
                            cJSON_IsArray, &set,
                            "Response.EventSet is not an array", error)
        != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    n = set ? cJSON_GetArraySize(set) : 0;
    if (n == 0) {
        return NGX_VOD_OK;
    }

    /* the text of the EventSet array: root, Response, EventSet */

    p = data;
    end = data + len;

    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
    }

    p = ngx_vod_json_ws(p, end);
    p = ngx_vod_json_find(root, resp, p, end, &end);
    p = p ? ngx_vod_json_find(resp, set, p, end, &end) : NULL;

    if (p == NULL) {
        *error = lost;
        return NGX_VOD_ERROR;
    }

    p++;

    out->items = ngx_vod_alloc(a, n * sizeof(ngx_vod_api_event_item_t));
    if (out->items == NULL) {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    cJSON_ArrayForEach(item, set) {
        ei = &out->items[out->nitems];

        if (!cJSON_IsObject(item)) {
            *error = "Response.EventSet[] is not an object";
            return NGX_VOD_ERROR;
        }

        if (ngx_vod_json_string(a, item, "EventHandle",
                NGX_VOD_JSON_REQUIRED, &ei->event_handle,
                "Response.EventSet[].EventHandle is missing or not a string",
                error)
            || ngx_vod_json_string(a, item, "EventType",
                NGX_VOD_JSON_REQUIRED, &ei->event_type,
                "Response.EventSet[].EventType is missing or not a string",
                error))
        {
            return NGX_VOD_ERROR;
        }

        p = ngx_vod_json_next(p, end, 0, item == set->child, &value);

        if (p == NULL || *value != '{') {
            *error = lost;
            return NGX_VOD_ERROR;
        }

        if (ngx_vod_api_strdup(a, (const char *) value, p - value,
                               &ei->json)
            != NGX_VOD_OK)
        {
            *error = NGX_VOD_API_ERR_NOMEM;
            return NGX_VOD_ERROR;
        }

        out->nitems++;
    }

    return NGX_VOD_OK;
}


/* events */

int
ngx_vod_api_parse_event(ngx_vod_alloc_t *a, const u_char *data, size_t len,
    size_t max, ngx_vod_api_event_t *ev, const char **error)
{
    int          rc;
    cJSON       *root;
    const char  *e;

    memset(ev, 0, sizeof(ngx_vod_api_event_t));

    root = ngx_vod_json_parse(data, len, max ? max : NGX_VOD_API_EVENT_MAX,
                              error);
    if (root == NULL) {
        return NGX_VOD_ERROR;
    }

    e = ngx_vod_json_unique(root);

    if (e) {
        *error = e;
        rc = NGX_VOD_ERROR;

    } else {
        rc = ngx_vod_api_event_read(a, root, ev, error);
    }

    cJSON_Delete(root);

    return rc;
}


static int
ngx_vod_api_event_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error)
{
    ngx_vod_str_t  *type;

    type = &ev->event_type;

    if (ngx_vod_json_string(a, root, "EventType", NGX_VOD_JSON_REQUIRED,
            type, "EventType is missing or not a string", error)
        || ngx_vod_json_string(a, root, "EventHandle", NGX_VOD_JSON_OPTIONAL,
            &ev->event_handle, "EventHandle is not a string", error)
        || ngx_vod_json_string(a, root, "Sign", NGX_VOD_JSON_OPTIONAL,
            &ev->sign, "Sign is not a string", error)
        || ngx_vod_api_time_read(a, root, ev, error))
    {
        return NGX_VOD_ERROR;
    }

    if (type->len == sizeof("NewFileUpload") - 1
        && memcmp(type->data, "NewFileUpload", type->len) == 0)
    {
        return ngx_vod_api_new_file_upload_read(a, root, ev, error);
    }

    if (type->len == sizeof("ProcedureStateChanged") - 1
        && memcmp(type->data, "ProcedureStateChanged", type->len) == 0)
    {
        return ngx_vod_api_procedure_read(a, root, ev, error);
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_api_new_file_upload_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error)
{
    const cJSON  *fue, *info, *src;

    if (ngx_vod_json_object(root, "FileUploadEvent", NGX_VOD_JSON_REQUIRED,
            &fue, "FileUploadEvent is missing or not an object", error)
        || ngx_vod_json_string(a, fue, "FileId", NGX_VOD_JSON_REQUIRED,
            &ev->file_id, "FileUploadEvent.FileId is missing or not a string",
            error)
        || ngx_vod_json_string(a, fue, "ProcedureTaskId",
            NGX_VOD_JSON_OPTIONAL, &ev->procedure_task_id,
            "FileUploadEvent.ProcedureTaskId is not a string", error)
        || ngx_vod_json_object(fue, "MediaBasicInfo", NGX_VOD_JSON_OPTIONAL,
            &info, "FileUploadEvent.MediaBasicInfo is not an object", error))
    {
        return NGX_VOD_ERROR;
    }

    if (info == NULL) {
        return NGX_VOD_OK;
    }

    if (ngx_vod_json_string(a, info, "MediaUrl", NGX_VOD_JSON_OPTIONAL,
            &ev->media_url,
            "FileUploadEvent.MediaBasicInfo.MediaUrl is not a string", error)
        || ngx_vod_json_object(info, "SourceInfo", NGX_VOD_JSON_OPTIONAL,
            &src, "FileUploadEvent.MediaBasicInfo.SourceInfo is not "
            "an object", error))
    {
        return NGX_VOD_ERROR;
    }

    if (src == NULL) {
        return NGX_VOD_OK;
    }

    if (ngx_vod_json_string(a, src, "SourceType", NGX_VOD_JSON_OPTIONAL,
            &ev->source_type, "FileUploadEvent.MediaBasicInfo.SourceInfo."
            "SourceType is not a string", error)
        || ngx_vod_json_string(a, src, "SourceContext", NGX_VOD_JSON_OPTIONAL,
            &ev->source_context, "FileUploadEvent.MediaBasicInfo.SourceInfo."
            "SourceContext is not a string", error))
    {
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_api_procedure_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error)
{
    const cJSON  *pse, *set;

    if (ngx_vod_json_object(root, "ProcedureStateChangeEvent",
            NGX_VOD_JSON_REQUIRED, &pse,
            "ProcedureStateChangeEvent is missing or not an object", error)
        || ngx_vod_json_string(a, pse, "TaskId", NGX_VOD_JSON_REQUIRED,
            &ev->task_id,
            "ProcedureStateChangeEvent.TaskId is missing or not a string",
            error)
        || ngx_vod_json_string(a, pse, "Status", NGX_VOD_JSON_REQUIRED,
            &ev->status,
            "ProcedureStateChangeEvent.Status is missing or not a string",
            error)
        || ngx_vod_json_integer(pse, "ErrCode", NGX_VOD_JSON_OPTIONAL,
            -NGX_VOD_API_INT_MAX, NGX_VOD_API_INT_MAX, &ev->err_code,
            "ProcedureStateChangeEvent.ErrCode is not an integer", error)
        || ngx_vod_json_string(a, pse, "Message", NGX_VOD_JSON_OPTIONAL,
            &ev->message, "ProcedureStateChangeEvent.Message is not a string",
            error)
        || ngx_vod_json_string(a, pse, "FileId", NGX_VOD_JSON_OPTIONAL,
            &ev->file_id, "ProcedureStateChangeEvent.FileId is not a string",
            error)
        || ngx_vod_json_string(a, pse, "SessionContext",
            NGX_VOD_JSON_OPTIONAL, &ev->session_context,
            "ProcedureStateChangeEvent.SessionContext is not a string",
            error))
    {
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_json_member(pse, "MediaProcessResultSet",
            NGX_VOD_JSON_OPTIONAL, cJSON_IsArray, &set,
            "ProcedureStateChangeEvent.MediaProcessResultSet is not an array",
            error)
        != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    if (set == NULL) {
        return NGX_VOD_OK;
    }

    return ngx_vod_api_transcodes_read(a, set, ev, error);
}


#define NGX_VOD_API_MPRS  "ProcedureStateChangeEvent.MediaProcessResultSet[]"


static int
ngx_vod_api_transcodes_read(ngx_vod_alloc_t *a, const cJSON *set,
    ngx_vod_api_event_t *ev, const char **error)
{
    size_t                    n;
    const cJSON              *item, *type, *task, *in, *out;
    ngx_vod_api_transcode_t  *t;

    n = 0;

    cJSON_ArrayForEach(item, set) {
        if (!cJSON_IsObject(item)) {
            *error = NGX_VOD_API_MPRS " is not an object";
            return NGX_VOD_ERROR;
        }

        type = cJSON_GetObjectItemCaseSensitive(item, "Type");

        if (type == NULL || cJSON_IsNull(type)) {
            continue;
        }

        if (!cJSON_IsString(type) || type->valuestring == NULL) {
            *error = NGX_VOD_API_MPRS ".Type is not a string";
            return NGX_VOD_ERROR;
        }

        if (strcmp(type->valuestring, "Transcode") == 0) {
            n++;
        }
    }

    if (n == 0) {
        return NGX_VOD_OK;
    }

    ev->transcodes = ngx_vod_alloc(a, n * sizeof(ngx_vod_api_transcode_t));
    if (ev->transcodes == NULL) {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    memset(ev->transcodes, 0, n * sizeof(ngx_vod_api_transcode_t));

    cJSON_ArrayForEach(item, set) {
        type = cJSON_GetObjectItemCaseSensitive(item, "Type");

        if (!cJSON_IsString(type)
            || strcmp(type->valuestring, "Transcode") != 0)
        {
            continue;
        }

        t = &ev->transcodes[ev->ntranscodes++];

        if (ngx_vod_json_object(item, "TranscodeTask", NGX_VOD_JSON_REQUIRED,
                &task, NGX_VOD_API_MPRS ".TranscodeTask is missing or not "
                "an object", error)
            || ngx_vod_json_string(a, task, "Status", NGX_VOD_JSON_REQUIRED,
                &t->status, NGX_VOD_API_MPRS ".TranscodeTask.Status is "
                "missing or not a string", error)
            || ngx_vod_json_integer(task, "ErrCode", NGX_VOD_JSON_OPTIONAL,
                -NGX_VOD_API_INT_MAX, NGX_VOD_API_INT_MAX, &t->err_code,
                NGX_VOD_API_MPRS ".TranscodeTask.ErrCode is not an integer",
                error)
            || ngx_vod_json_string(a, task, "Message", NGX_VOD_JSON_OPTIONAL,
                &t->message, NGX_VOD_API_MPRS ".TranscodeTask.Message is "
                "not a string", error)
            || ngx_vod_json_object(task, "Input", NGX_VOD_JSON_REQUIRED, &in,
                NGX_VOD_API_MPRS ".TranscodeTask.Input is missing or not "
                "an object", error)
            || ngx_vod_json_integer(in, "Definition", NGX_VOD_JSON_REQUIRED,
                0, NGX_VOD_API_INT_MAX, &t->definition,
                NGX_VOD_API_MPRS ".TranscodeTask.Input.Definition is missing "
                "or not a non-negative integer", error)
            || ngx_vod_json_object(task, "Output", NGX_VOD_JSON_OPTIONAL, &out,
                NGX_VOD_API_MPRS ".TranscodeTask.Output is not an object",
                error))
        {
            return NGX_VOD_ERROR;
        }

        if (out
            && ngx_vod_json_string(a, out, "Url", NGX_VOD_JSON_OPTIONAL,
                   &t->url, NGX_VOD_API_MPRS ".TranscodeTask.Output.Url is "
                   "not a string", error))
        {
            return NGX_VOD_ERROR;
        }
    }

    return NGX_VOD_OK;
}


/* "T": a number or a string of decimal digits, as the signature uses it */

static int
ngx_vod_api_time_read(ngx_vod_alloc_t *a, const cJSON *root,
    ngx_vod_api_event_t *ev, const char **error)
{
    int           n;
    char          buf[sizeof("-9223372036854775808")];
    size_t        i, len;
    int64_t       v;
    const char   *s;
    const cJSON  *t;

    static const char  *msg = "T is not an integer in 0..253402300799"
                              " or a string of one";

    t = cJSON_GetObjectItemCaseSensitive(root, "T");

    if (t == NULL || cJSON_IsNull(t)) {
        return NGX_VOD_OK;
    }

    if (cJSON_IsNumber(t)) {
        if (ngx_vod_json_integer(root, "T", NGX_VOD_JSON_REQUIRED, 0,
                                 NGX_VOD_API_TIME_MAX, &ev->t_value, msg,
                                 error))
        {
            return NGX_VOD_ERROR;
        }

        n = snprintf(buf, sizeof(buf), "%lld", (long long) ev->t_value);
        s = buf;
        len = n;

    } else if (cJSON_IsString(t) && t->valuestring != NULL) {
        s = t->valuestring;
        len = strlen(s);

        if (len == 0 || len > sizeof("253402300799") - 1) {
            *error = msg;
            return NGX_VOD_ERROR;
        }

        for (v = 0, i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                *error = msg;
                return NGX_VOD_ERROR;
            }

            v = v * 10 + (s[i] - '0');
        }

        if (v > NGX_VOD_API_TIME_MAX) {
            *error = msg;
            return NGX_VOD_ERROR;
        }

        ev->t_value = v;

    } else {
        *error = msg;
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_api_strdup(a, s, len, &ev->t) != NGX_VOD_OK) {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


/*
 * The checks before cJSON: the size limit; no NUL byte (cJSON stops at
 * one); no \u0000 and no malformed \u escape (cJSON turns "\u0000" and
 * "\uZZZZ" into a NUL and cuts the string short); nesting of at most
 * NGX_VOD_API_DEPTH_MAX (cJSON's own limit is 1000, a recursion).  The
 * text is then copied and NUL-terminated: cJSON is never given a
 * buffer it could read past (CVE-2023-53154 in cJSON before 1.7.18).
 */

static cJSON *
ngx_vod_json_parse(const u_char *data, size_t len, size_t max,
    const char **error)
{
    char        *buf;
    cJSON       *root;
    const char  *end, *e;

    if (len == 0) {
        *error = "empty JSON";
        return NULL;
    }

    if (len > max) {
        *error = "JSON is longer than the limit";
        return NULL;
    }

    e = ngx_vod_json_scan(data, len);
    if (e) {
        *error = e;
        return NULL;
    }

    buf = malloc(len + 1);
    if (buf == NULL) {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NULL;
    }

    memcpy(buf, data, len);
    buf[len] = '\0';

    end = NULL;
    root = cJSON_ParseWithOpts(buf, &end, 0);

    if (root == NULL) {
        free(buf);
        *error = "malformed or truncated JSON";
        return NULL;
    }

    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') {
        end++;
    }

    e = (end != buf + len) ? "trailing data after the JSON value" : NULL;

    free(buf);

    if (e == NULL && !cJSON_IsObject(root)) {
        e = "JSON root is not an object";
    }

    if (e) {
        cJSON_Delete(root);
        *error = e;
        return NULL;
    }

    return root;
}


static const char *
ngx_vod_json_scan(const u_char *p, size_t len)
{
    size_t         i, depth;
    u_char         c;
    const u_char  *end;
    unsigned       in_string, value;

    if (memchr(p, '\0', len) != NULL) {
        return "NUL byte in JSON";
    }

    end = p + len;
    depth = 0;
    in_string = 0;

    while (p < end) {
        c = *p++;

        if (in_string) {
            if (c == '"') {
                in_string = 0;

            } else if (c == '\\' && p < end) {
                if (*p++ != 'u') {
                    continue;
                }

                if (end - p < 4) {
                    return "malformed or truncated JSON";
                }

                for (value = 0, i = 0; i < 4; i++) {
                    c = p[i];

                    if (c >= '0' && c <= '9') {
                        c -= '0';

                    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                        c = (c | 0x20) - 'a' + 10;

                    } else {
                        return "malformed \\u escape in a JSON string";
                    }

                    value = (value << 4) | c;
                }

                if (value == 0) {
                    return "\\u0000 in a JSON string";
                }

                p += 4;
            }

            continue;
        }

        switch (c) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            if (++depth > NGX_VOD_API_DEPTH_MAX) {
                return "JSON nested deeper than "
                       ngx_vod_api_number(NGX_VOD_API_DEPTH_MAX) " levels";
            }

            break;

        case '}':
        case ']':
            if (depth) {
                depth--;
            }

            break;
        }
    }

    return NULL;
}


/*
 * No object, at any depth, may have two members of the same name (as
 * cJSON decodes them, so "A" and "\u0041" are the same): cJSON keeps
 * both and the module reads the first, where an application given the
 * same text may read the last.  The nesting is at most
 * NGX_VOD_API_DEPTH_MAX deep (ngx_vod_json_scan()).
 */

static const char *
ngx_vod_json_unique(const cJSON *item)
{
    size_t        i, n;
    const char   *e, **names;
    const cJSON  *c;
    const char   *small[16];

    n = 0;

    for (c = item->child; c; c = c->next) {
        e = ngx_vod_json_unique(c);
        if (e) {
            return e;
        }

        n++;
    }

    if (!cJSON_IsObject(item) || n < 2) {
        return NULL;
    }

    if (n <= sizeof(small) / sizeof(small[0])) {
        names = small;

    } else {
        names = malloc(n * sizeof(const char *));
        if (names == NULL) {
            return NGX_VOD_API_ERR_NOMEM;
        }
    }

    for (i = 0, c = item->child; c; c = c->next) {
        names[i++] = c->string ? c->string : "";
    }

    qsort(names, n, sizeof(const char *), ngx_vod_json_name_cmp);

    e = NULL;

    for (i = 1; i < n; i++) {
        if (strcmp(names[i - 1], names[i]) == 0) {
            e = "duplicate key in a JSON object";
            break;
        }
    }

    if (names != small) {
        free(names);
    }

    return e;
}


static int
ngx_vod_json_name_cmp(const void *one, const void *two)
{
    return strcmp(*(const char * const *) one, *(const char * const *) two);
}


/*
 * The text of a value as it came, found by walking the text in step with
 * cJSON's tree: cJSON keeps the members of an object in order, the
 * duplicates too.  Only for text cJSON has parsed, and read as cJSON
 * reads it: any byte up to ' ' is whitespace.  A NULL return means the
 * text is not what cJSON parsed, which is not expected.
 *
 * ngx_vod_json_find(): "item", a member or element of "parent", whose
 * text starts at p (its "{" or "["); returns the start of item's text,
 * and its end in *last.
 */

static const u_char *
ngx_vod_json_find(const cJSON *parent, const cJSON *item, const u_char *p,
    const u_char *end, const u_char **last)
{
    const cJSON   *c;
    const u_char  *value;

    if (p == end || (*p != '{' && *p != '[')) {
        return NULL;
    }

    p++;

    for (c = parent->child; c; c = c->next) {
        p = ngx_vod_json_next(p, end, cJSON_IsObject(parent),
                              c == parent->child, &value);
        if (p == NULL) {
            return NULL;
        }

        if (c == item) {
            *last = p;
            return value;
        }
    }

    return NULL;
}


/*
 * The next value of an object (member) or array: p is past the "{" or
 * "[" (first) or past the value before.  Returns the end of the value,
 * its start in *value.
 */

static const u_char *
ngx_vod_json_next(const u_char *p, const u_char *end, int member, int first,
    const u_char **value)
{
    p = ngx_vod_json_ws(p, end);

    if (!first) {
        if (p == end || *p != ',') {
            return NULL;
        }

        p = ngx_vod_json_ws(p + 1, end);
    }

    if (member) {
        if (p == end || *p != '"') {
            return NULL;
        }

        p = ngx_vod_json_skip(p, end);
        if (p == NULL) {
            return NULL;
        }

        p = ngx_vod_json_ws(p, end);

        if (p == end || *p != ':') {
            return NULL;
        }

        p = ngx_vod_json_ws(p + 1, end);
    }

    *value = p;

    return ngx_vod_json_skip(p, end);
}


/* past one value: a string, an object, an array, a number or a literal */

static const u_char *
ngx_vod_json_skip(const u_char *p, const u_char *end)
{
    u_char    c;
    size_t    depth;
    unsigned  in_string;

    if (p == end) {
        return NULL;
    }

    if (*p != '"' && *p != '{' && *p != '[') {
        while (p < end && *p > ' ' && *p != ',' && *p != '}' && *p != ']') {
            p++;
        }

        return p;
    }

    depth = 0;
    in_string = 0;

    do {
        c = *p++;

        if (in_string) {
            if (c == '\\') {
                if (p == end) {
                    return NULL;
                }

                p++;

            } else if (c == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (c) {

        case '"':
            in_string = 1;
            break;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (depth == 0) {
                return NULL;
            }

            depth--;
            break;
        }

    } while (p < end && (depth || in_string));

    return (depth || in_string) ? NULL : p;
}


static const u_char *
ngx_vod_json_ws(const u_char *p, const u_char *end)
{
    while (p < end && *p <= ' ') {
        p++;
    }

    return p;
}


/*
 * Member readers: an absent or null member is an error when required,
 * else an empty result; a member of the wrong type is always an error.
 * A required string must not be empty.  They return NGX_VOD_OK, or
 * NGX_VOD_ERROR (non-zero) with *error set.  ngx_vod_json_member() is
 * the rule they share: *out is the member, or NULL when it is absent or
 * null and optional.
 */

static int
ngx_vod_json_member(const cJSON *obj, const char *name, int required,
    ngx_vod_json_is_pt is, const cJSON **out, const char *msg,
    const char **error)
{
    const cJSON  *item;

    *out = NULL;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        if (required) {
            *error = msg;
            return NGX_VOD_ERROR;
        }

        return NGX_VOD_OK;
    }

    if (!is(item)) {
        *error = msg;
        return NGX_VOD_ERROR;
    }

    *out = item;

    return NGX_VOD_OK;
}


static int
ngx_vod_json_string(ngx_vod_alloc_t *a, const cJSON *obj, const char *name,
    int required, ngx_vod_str_t *out, const char *msg, const char **error)
{
    int           rc;
    const cJSON  *item;

    out->len = 0;
    out->data = NULL;

    rc = ngx_vod_json_member(obj, name, required, cJSON_IsString, &item, msg,
                             error);
    if (rc != NGX_VOD_OK || item == NULL) {
        return rc;
    }

    if (item->valuestring == NULL
        || (required && item->valuestring[0] == '\0'))
    {
        *error = msg;
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_api_strdup(a, item->valuestring, strlen(item->valuestring),
                           out)
        != NGX_VOD_OK)
    {
        *error = NGX_VOD_API_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


/*
 * An integer in min..max: a JSON number with no fraction (cJSON keeps
 * numbers as doubles, so 1e3 is 1000 and 1.5 is refused); min and max
 * must lie within +-NGX_VOD_API_INT_MAX, where doubles are exact.
 */

static int
ngx_vod_json_integer(const cJSON *obj, const char *name, int required,
    int64_t min, int64_t max, int64_t *out, const char *msg,
    const char **error)
{
    int           rc;
    double        d;
    int64_t       n;
    const cJSON  *item;

    *out = 0;

    rc = ngx_vod_json_member(obj, name, required, cJSON_IsNumber, &item, msg,
                             error);
    if (rc != NGX_VOD_OK || item == NULL) {
        return rc;
    }

    d = item->valuedouble;

    /* also false for NaN */

    if (!(d >= (double) min && d <= (double) max)) {
        *error = msg;
        return NGX_VOD_ERROR;
    }

    n = (int64_t) d;

    if ((double) n != d) {
        *error = msg;
        return NGX_VOD_ERROR;
    }

    *out = n;

    return NGX_VOD_OK;
}


static int
ngx_vod_api_strdup(ngx_vod_alloc_t *a, const char *s, size_t n,
    ngx_vod_str_t *out)
{
    u_char  *p;

    p = ngx_vod_alloc(a, n + 1);
    if (p == NULL) {
        return NGX_VOD_ERROR;
    }

    memcpy(p, s, n);
    p[n] = '\0';

    out->data = p;
    out->len = n;

    return NGX_VOD_OK;
}


int
ngx_vod_api_error_refused(const u_char *code, size_t len)
{
    size_t        n;
    const char  **p;

    static const char  *refusals[] = {
        "AuthFailure", "InvalidParameter", "InvalidParameterValue",
        "MissingParameter", "UnknownParameter", "UnauthorizedOperation",
        "UnsupportedOperation", "RequestLimitExceeded", "InvalidAction",
        "NoSuchVersion", "UnsupportedRegion", "RequestSizeLimitExceeded",
        NULL
    };

    for (p = refusals; *p; p++) {
        n = strlen(*p);

        /* the code itself, or one of its sub-codes ("Code.Detail") */

        if (len >= n && memcmp(code, *p, n) == 0
            && (len == n || code[n] == '.'))
        {
            return 1;
        }
    }

    return 0;
}

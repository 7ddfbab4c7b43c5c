
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The PUT front-end: PUT /location/<file name> with the media as the
 * body.  It checks the request, makes the ApplyUpload parameters (the
 * media type and name from the file name unless configured), reads the
 * body (ngx_http_vod_upload_body.c) into the relay engine
 * (ngx_http_vod_upload_relay.c) and answers with the engine's result.
 */


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_body.h"
#include "ngx_http_vod_upload_relay.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_vod_params.h"
#include "ngx_vod_parts.h"


/* the module's context of a PUT: the body reader first (see body.h) */

typedef struct {
    ngx_http_vod_upload_body_t      body;
    ngx_http_vod_upload_relay_t    *relay;
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_vod_api_apply_upload_req_t  apply;

    /* a request refused before the upload began */
    ngx_uint_t                      status;
    ngx_str_t                       code;
    ngx_str_t                       message;
} ngx_http_vod_put_ctx_t;


static ngx_int_t ngx_http_vod_check(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx);
static ngx_int_t ngx_http_vod_bad(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...);
static ngx_int_t ngx_http_vod_params(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx);
static ngx_int_t ngx_http_vod_param(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx, ngx_vod_param_e which,
    ngx_http_complex_value_t *cv, ngx_vod_str_t *out);
static ngx_int_t ngx_http_vod_param_check(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx, ngx_vod_param_e which, ngx_str_t *v);
static ngx_int_t ngx_http_vod_file_name(ngx_http_request_t *r,
    ngx_str_t *file);
static ngx_int_t ngx_http_vod_value(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value);
static void ngx_http_vod_put_ready(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_put_data(ngx_http_request_t *r, ngx_buf_t *b);
static void ngx_http_vod_put_end(ngx_http_request_t *r, ngx_int_t rc);
static void ngx_http_vod_put_resume(ngx_http_request_t *r);
static void ngx_http_vod_put_stop(ngx_http_request_t *r);
static void ngx_http_vod_put_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_vod_upload_relay_handler_t  ngx_http_vod_put_relay_handler = {
    ngx_http_vod_put_ready,
    ngx_http_vod_put_resume,
    ngx_http_vod_put_stop,
    ngx_http_vod_put_done
};


ngx_http_variable_t  ngx_http_vod_upload_put_vars[] = {

    { ngx_string("vod_file_id"), NULL, ngx_http_vod_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_media_url"), NULL, ngx_http_vod_variable,
      1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_request_id"), NULL, ngx_http_vod_variable,
      2, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_upload_error"), NULL, ngx_http_vod_variable,
      3, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_upload_parts"), NULL, ngx_http_vod_variable,
      4, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_upload_bytes"), NULL, ngx_http_vod_variable,
      5, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_vod_upload_put_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        error;
    ngx_http_vod_put_ctx_t          *ctx;
    ngx_http_vod_upload_loc_conf_t  *conf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_put_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->conf = conf;

    ngx_http_set_ctx(r, ctx, ngx_http_vod_upload_module);

    rc = ngx_http_vod_check(r, ctx);

    if (rc == NGX_DECLINED) {
        goto refused;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->relay = ngx_http_vod_upload_relay_create(r, conf,
                                        &ngx_http_vod_put_relay_handler,
                                        r->headers_in.content_length_n);
    if (ctx->relay == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (conf->cover_data.len) {
        ngx_http_vod_upload_relay_cover(ctx->relay, &conf->cover_type,
                                        &conf->cover_data);
    }

    rc = ngx_http_vod_upload_relay_start(ctx->relay, &ctx->apply, &error);

    if (rc == NGX_DECLINED) {
        ctx->relay = NULL;
        (void) ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                "InvalidParameter", "%V", &error);
        goto refused;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;

refused:

    /* logged where found */

    ngx_http_vod_upload_body_unread(r);

    return ngx_http_vod_upload_send_error(r, ctx->status,
                                          (const char *) ctx->code.data,
                                          &ctx->message, NULL);
}


/* the request itself: method, body, then the ApplyUpload parameters */

static ngx_int_t
ngx_http_vod_check(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx)
{
    if (!(r->method & NGX_HTTP_PUT)) {
        if (ngx_http_vod_upload_allow(r, "PUT") != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_vod_bad(r, ctx, NGX_HTTP_NOT_ALLOWED,
                                "MethodNotAllowed",
                                "method \"%V\" is not allowed, only PUT "
                                "uploads media here", &r->method_name);
    }

    if (r->headers_in.content_length_n == 0
        || (r->headers_in.content_length_n < 0 && !r->headers_in.chunked))
    {
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST, "EmptyBody",
                                "the request has no body: the media must be "
                                "the body of the PUT");
    }

    if (ctx->conf->max_body_size
        && r->headers_in.content_length_n > ctx->conf->max_body_size)
    {
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "EntityTooLarge",
                                "a body of %O bytes is over the %O bytes "
                                "client_max_body_size allows",
                                r->headers_in.content_length_n,
                                ctx->conf->max_body_size);
    }

    if (r->headers_in.content_length_n > (off_t) NGX_VOD_OBJECT_SIZE_MAX) {
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "EntityTooLarge",
                                "a body of %O bytes is over the %uL bytes COS "
                                "can store as one object",
                                r->headers_in.content_length_n,
                                (uint64_t) NGX_VOD_OBJECT_SIZE_MAX);
    }

    if (r->headers_in.content_length_n > 0
        && ngx_vod_parts_size(r->headers_in.content_length_n,
                              ctx->conf->part_size, ctx->conf->part_size_max)
           == 0)
    {
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                "EntityTooLarge",
                                "a body of %O bytes needs more than 10000 "
                                "parts of %uz bytes "
                                "(vod_upload_max_part_size)",
                                r->headers_in.content_length_n,
                                ctx->conf->part_size_max);
    }

    return ngx_http_vod_params(r, ctx);
}


/*
 * A client mistake found before anything was sent: the reason is kept
 * in ctx (for $vod_upload_error) and logged here; the handler answers.
 */

static ngx_int_t
ngx_http_vod_bad(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    buf[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    ctx->status = status;
    ctx->code.data = (u_char *) code;
    ctx->code.len = ngx_strlen(code);

    ctx->message.len = p - buf;
    ctx->message.data = ngx_pnalloc(r->pool, ctx->message.len);
    if (ctx->message.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->message.data, buf, ctx->message.len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "vod upload: %V", &ctx->message);

    return NGX_DECLINED;
}


/*
 * The ApplyUpload parameters: the media type and name from the file name
 * unless configured, the configured values; each checked as the table
 * of ngx_vod_params.c says, as "nginx -t" checks a constant value.
 */

static ngx_int_t
ngx_http_vod_params(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx)
{
    u_char                          *p, *last, *dot;
    int64_t                          n;
    ngx_int_t                        rc;
    ngx_str_t                        file, v;
    ngx_vod_api_apply_upload_req_t  *req;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->conf;
    req = &ctx->apply;

    /* the file name: what follows the last "/" of the (decoded) path */

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) { /* void */ }

    file.data = p;
    file.len = last - p;

    if (ngx_http_vod_file_name(r, &file) != NGX_OK) {
        return NGX_ERROR;
    }

    last = file.data + file.len;

    dot = NULL;

    for (p = file.data; p < last; p++) {
        if (*p == '.') {
            dot = p;
        }
    }

    rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_MEDIA_TYPE,
                            conf->media_type, &req->media_type);
    if (rc != NGX_OK) {
        return rc;
    }

    if (req->media_type.len == 0) {
        if (dot == NULL || dot + 1 == last) {
            return ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "MissingMediaType",
                                    "the file name \"%V\" has no extension "
                                    "to take the media type from", &file);
        }

        v.len = last - dot - 1;
        v.data = ngx_pnalloc(r->pool, v.len);
        if (v.data == NULL) {
            return NGX_ERROR;
        }

        ngx_strlow(v.data, dot + 1, v.len);

        rc = ngx_http_vod_param_check(r, ctx, NGX_VOD_PARAM_MEDIA_TYPE, &v);
        if (rc != NGX_OK) {
            return rc;
        }

        req->media_type.data = v.data;
        req->media_type.len = v.len;
    }

    rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_MEDIA_NAME,
                            conf->media_name, &req->media_name);
    if (rc != NGX_OK) {
        return rc;
    }

    if (req->media_name.len == 0) {
        v.data = file.data;
        v.len = (dot ? dot : last) - file.data;

        if (v.len == 0) {
            return ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "MissingMediaName",
                                    "the path has no file name to take the "
                                    "media name from");
        }

        rc = ngx_http_vod_param_check(r, ctx, NGX_VOD_PARAM_MEDIA_NAME, &v);
        if (rc != NGX_OK) {
            return rc;
        }

        req->media_name.data = v.data;
        req->media_name.len = v.len;
    }

    rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_SOURCE_CONTEXT,
                            conf->source_context, &req->source_context);

    if (rc == NGX_OK) {
        rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_SESSION_CONTEXT,
                                conf->session_context, &req->session_context);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_STORAGE_REGION,
                                conf->storage_region, &req->storage_region);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_EXPIRE_TIME,
                                conf->expire_time, &req->expire_time);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_vod_param(r, ctx, NGX_VOD_PARAM_PROCEDURE,
                                conf->procedure, &req->procedure);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_vod_value(r, conf->class_id, &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (v.len) {
        rc = ngx_http_vod_param_check(r, ctx, NGX_VOD_PARAM_CLASS_ID, &v);
        if (rc != NGX_OK) {
            return rc;
        }

        (void) ngx_vod_int64_parse(v.data, v.len, &n);

        req->class_id.value = n;
        req->class_id.set = 1;
    }

    if (conf->sub_app_id) {
        req->sub_app_id.value = conf->sub_app_id;
        req->sub_app_id.set = 1;
    }

    return NGX_OK;
}


/* a parameter from its directive, checked; an empty value is not sent */

static ngx_int_t
ngx_http_vod_param(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx,
    ngx_vod_param_e which, ngx_http_complex_value_t *cv, ngx_vod_str_t *out)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    if (ngx_http_vod_value(r, cv, &v) != NGX_OK) {
        return NGX_ERROR;
    }

    if (v.len) {
        rc = ngx_http_vod_param_check(r, ctx, which, &v);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    out->data = v.data;
    out->len = v.len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_param_check(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx,
    ngx_vod_param_e which, ngx_str_t *v)
{
    const ngx_vod_param_t  *param;

    param = &ngx_vod_params[which];

    switch (ngx_vod_param_check(param, v->data, v->len)) {

    case NGX_VOD_OK:
        return NGX_OK;

    case NGX_VOD_PARAM_TOO_LONG:
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST, param->too_long,
                                "%s is %uz characters long, over the limit "
                                "of %uz", param->what, v->len,
                                param->max_len);

    default: /* NGX_VOD_PARAM_INVALID */
        return ngx_http_vod_bad(r, ctx, NGX_HTTP_BAD_REQUEST, param->invalid,
                                "\"%V\" is not %s", v, param->expected);
    }
}


/*
 * A "/" sent as %2F belongs to the file name ("a%2Fb.mp4" is "a/b.mp4"),
 * not to the path: the name is then the last segment of the path as
 * sent, decoded.
 */

static ngx_int_t
ngx_http_vod_file_name(ngx_http_request_t *r, ngx_str_t *file)
{
    u_char  *p, *last, *start, *dst;

    last = r->unparsed_uri.data + r->unparsed_uri.len;

    if (r->args_start && r->args_start > r->unparsed_uri.data
        && r->args_start <= last)
    {
        last = r->args_start - 1;
    }

    for (start = last; start > r->unparsed_uri.data && start[-1] != '/';
         start--)
    { /* void */ }

    if (ngx_strlcasestrn(start, last, (u_char *) "%2f", 3 - 1) == NULL) {
        return NGX_OK;
    }

    dst = ngx_pnalloc(r->pool, last - start);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    file->data = dst;
    p = start;
    ngx_unescape_uri(&dst, &p, last - start, 0);
    file->len = dst - file->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_value(ngx_http_request_t *r, ngx_http_complex_value_t *cv,
    ngx_str_t *value)
{
    if (cv == NULL) {
        ngx_str_null(value);
        return NGX_OK;
    }

    return ngx_http_complex_value(r, cv, value);
}


/* ApplyUpload is done: the body is read into the engine */

static void
ngx_http_vod_put_ready(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ctx->body.data = ngx_http_vod_put_data;
    ctx->body.end = ngx_http_vod_put_end;
    ctx->body.max = ctx->conf->max_body_size;

    rc = ngx_http_vod_upload_body_start(r, &ctx->body);

    if (rc != NGX_OK) {
        ngx_http_vod_put_end(r, rc);
    }
}


static ngx_int_t
ngx_http_vod_put_data(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    return ngx_http_vod_upload_relay_write(ctx->relay, b);
}


/* the body ended: all of it, or why not (the client's side) */

static void
ngx_http_vod_put_end(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_str_t                msg;
    ngx_uint_t               level;
    const char              *code;
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (rc == NGX_OK) {
        ngx_http_vod_upload_relay_end(ctx->relay);
        return;
    }

    ngx_http_vod_upload_body_error(rc, &code, &msg);

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ngx_str_set(&msg, "the client closed the connection during the "
                          "upload");
    }

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: %V (%O bytes)", &msg,
                      ctx->conf->max_body_size);

    } else {
        level = (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_ERR
                                                       : NGX_LOG_INFO;

        ngx_log_error(level, r->connection->log, 0,
                      "vod upload: %V after %O bytes", &msg,
                      ctx->body.received);
    }

    if (rc < NGX_HTTP_BAD_REQUEST) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_vod_upload_relay_fail(ctx->relay, rc, code, &msg);
}


static void
ngx_http_vod_put_resume(ngx_http_request_t *r)
{
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_upload_body_resume(r, &ctx->body);
}


static void
ngx_http_vod_put_stop(ngx_http_request_t *r)
{
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_upload_body_stop(r, &ctx->body);
}


/* the upload is over: the answer, unless the client is gone */

static void
ngx_http_vod_put_done(ngx_http_request_t *r)
{
    ngx_http_vod_put_ctx_t        *ctx;
    ngx_http_vod_upload_result_t  *res;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    res = ngx_http_vod_upload_relay_result(ctx->relay);

    if (res->status == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_vod_upload_send_result(r, res));
}


static ngx_int_t
ngx_http_vod_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                        *p;
    ngx_str_t                     *s, *code;
    ngx_http_vod_put_ctx_t        *ctx;
    ngx_http_vod_upload_result_t  *res;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_vod_upload_module);

    if (ctx == NULL || r->main->content_handler
                       != ngx_http_vod_upload_put_handler)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    /* an upload that is over, or a request refused before it began */

    res = ctx->relay ? ngx_http_vod_upload_relay_result(ctx->relay) : NULL;

    code = (res && res->status) ? &res->code : &ctx->code;

    switch (data) {

    case 0:
        s = res ? &res->file_id : NULL;
        break;

    case 1:
        s = res ? &res->media_url : NULL;
        break;

    case 2:
        s = res ? &res->request_id : NULL;
        break;

    case 3:
        s = code;
        break;

    default:
        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = (data == 4) ? ngx_sprintf(p, "%ui", res ? res->parts : 0) - p
                             : ngx_sprintf(p, "%O", ctx->body.received) - p;
        v->valid = 1;
        v->no_cacheable = 1;
        v->not_found = 0;
        return NGX_OK;
    }

    if (s == NULL || s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}

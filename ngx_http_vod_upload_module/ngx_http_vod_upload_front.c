
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * What the ingest front-ends share: a refused request, the ApplyUpload
 * parameters of the location's directives, the variables of an upload.
 */


#include "ngx_http_vod_upload_front.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_vod_params.h"
#include "ngx_vod_parts.h"


static ngx_int_t ngx_http_vod_param(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_vod_param_e which,
    ngx_http_complex_value_t *cv, ngx_vod_str_t *out);
static ngx_int_t ngx_http_vod_param_check(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_vod_param_e which, ngx_str_t *v);
static ngx_int_t ngx_http_vod_value(ngx_http_request_t *r,
    ngx_http_complex_value_t *cv, ngx_str_t *value);
static ngx_int_t ngx_http_vod_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


ngx_http_variable_t  ngx_http_vod_upload_vars[] = {

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


/* a client mistake found before anything was sent; the handler answers */

ngx_int_t
ngx_http_vod_upload_bad(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...)
{
    ngx_int_t  rc;
    va_list    args;

    va_start(args, fmt);
    rc = ngx_http_vod_upload_vbad(r, ctx, status, code, fmt, args);
    va_end(args);

    return rc;
}


ngx_int_t
ngx_http_vod_upload_vbad(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, va_list args)
{
    u_char  *p;
    u_char   buf[NGX_MAX_ERROR_STR];

    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);

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
 * A client mistake found once the engine exists: as above, and the
 * upload fails with it (the engine cleans up, the done handler answers)
 */

ngx_int_t
ngx_http_vod_upload_front_fail(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    (void) ngx_http_vod_upload_vbad(r, ctx, status, code, fmt, args);
    va_end(args);

    ngx_http_vod_upload_relay_fail(ctx->relay, status, code,
                                   ctx->message.data ? &ctx->message : NULL);

    return NGX_ERROR;
}


/* the front-end's context of r, if r is in an upload location */

ngx_http_vod_upload_front_t *
ngx_http_vod_upload_front_get(ngx_http_request_t *r)
{
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r->main, ngx_http_vod_upload_module);

    /* the context of another location's request is not a front-end's */

    if (!conf->upload) {
        return NULL;
    }

    return ngx_http_get_module_ctx(r->main, ngx_http_vod_upload_module);
}


/* a variable's value, or not found when there is none */

ngx_int_t
ngx_http_vod_upload_variable_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len, ngx_uint_t found)
{
    if (!found) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The content handler of a vod_upload location: a form's POST, a tus
 * request, or a PUT (which answers anything else); CORS preflights were
 * answered in the access phase (ngx_http_vod_upload_cors.c)
 */

ngx_int_t
ngx_http_vod_upload_handler(ngx_http_request_t *r)
{
    ngx_http_vod_upload_loc_conf_t  *conf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (ngx_http_vod_upload_form_is(r)) {
        return ngx_http_vod_upload_form_handler(r);
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    if (conf->tus && !(r->method & NGX_HTTP_PUT)) {
        return ngx_http_vod_upload_tus_handler(r);
    }

    return ngx_http_vod_upload_put_handler(r);
}


/* the engine's done handler of PUT and forms: the answer */

void
ngx_http_vod_upload_front_done(ngx_http_request_t *r)
{
    ngx_http_vod_upload_front_t   *ctx;
    ngx_http_vod_upload_result_t  *res;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    res = ngx_http_vod_upload_relay_result(ctx->relay);

    /* the client is gone: nothing to answer */

    if (res->status == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_vod_upload_send_result(r, res));
}


/* the body reader's handlers: the body into the engine */

ngx_int_t
ngx_http_vod_upload_front_data(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_http_vod_upload_front_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    return ngx_http_vod_upload_relay_write(ctx->relay, b);
}


ngx_int_t
ngx_http_vod_upload_front_window(ngx_http_request_t *r, u_char **p,
    size_t *n, ngx_uint_t waiting)
{
    ngx_http_vod_upload_front_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    return ngx_http_vod_upload_relay_window(ctx->relay, p, n, waiting);
}


/* the body ended: all of it, or why not (the client's side) */

void
ngx_http_vod_upload_front_end(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_str_t                     msg;
    ngx_uint_t                    level;
    const char                   *code;
    ngx_http_vod_upload_front_t  *ctx;

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

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE && ctx->resumable) {
        code = "UploadLengthExceeded";
        ngx_str_set(&msg, "the bytes go past the upload's length");
    }

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: %V (%O bytes)", &msg, ctx->body.max);

    } else {
        level = (rc == NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_ERR
                                                       : NGX_LOG_INFO;

        ngx_log_error(level, r->connection->log, 0,
                      "vod upload: %V after %O bytes", &msg,
                      ctx->body.received);
    }

    /* what came of a resumable request is kept: the client comes back */

    if (ctx->keep && (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST
                      || rc == NGX_HTTP_REQUEST_TIME_OUT))
    {
        ctx->body_rc = rc;
        ngx_http_vod_upload_relay_end(ctx->relay);
        return;
    }

    if (rc < NGX_HTTP_BAD_REQUEST) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_vod_upload_relay_fail(ctx->relay, rc, code, &msg);
}


/* the engine's handlers: it can take more, it failed */

void
ngx_http_vod_upload_front_resume(ngx_http_request_t *r)
{
    ngx_http_vod_upload_front_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_upload_body_resume(r, &ctx->body);
}


void
ngx_http_vod_upload_front_stop(ngx_http_request_t *r)
{
    ngx_http_vod_upload_front_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_upload_body_stop(r, &ctx->body);
}


/* a media of this size can be taken: client_max_body_size, COS's limits */

ngx_int_t
ngx_http_vod_upload_size_check(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, const char *what, off_t size)
{
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->conf;

    if (conf->max_body_size && size > conf->max_body_size) {
        return ngx_http_vod_upload_bad(r, ctx,
                                       NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "EntityTooLarge", "%s of %O bytes is "
                                       "over the %O bytes "
                                       "client_max_body_size allows", what,
                                       size, conf->max_body_size);
    }

    if (size > (off_t) NGX_VOD_OBJECT_SIZE_MAX) {
        return ngx_http_vod_upload_bad(r, ctx,
                                       NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "EntityTooLarge", "%s of %O bytes is "
                                       "over the %uL bytes COS can store as "
                                       "one object", what, size,
                                       (uint64_t) NGX_VOD_OBJECT_SIZE_MAX);
    }

    if (ngx_vod_parts_size(size, conf->part_size, conf->part_size_max) == 0) {
        return ngx_http_vod_upload_bad(r, ctx,
                                       NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                       "EntityTooLarge", "%s of %O bytes "
                                       "needs more than 10000 parts of %uz "
                                       "bytes (vod_upload_max_part_size)",
                                       what, size, conf->part_size_max);
    }

    return NGX_OK;
}


/*
 * The ApplyUpload parameters: the media type and name from the file name
 * unless configured, the configured values; each checked as the table
 * of ngx_vod_params.c says, as "nginx -t" checks a constant value.
 */

ngx_int_t
ngx_http_vod_upload_params(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_str_t *file, ngx_str_t *type,
    ngx_vod_api_apply_upload_req_t *req)
{
    u_char                          *p, *last, *dot;
    int64_t                          n;
    ngx_int_t                        rc;
    ngx_str_t                        v;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->conf;

    last = file->data + file->len;

    dot = NULL;

    for (p = file->data; p < last; p++) {
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
        if ((dot == NULL || dot + 1 == last)
            && (type == NULL || type->len == 0))
        {
            if (file->len == 0) {
                return ngx_http_vod_upload_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                               "MissingMediaType",
                                               "there is no file name to "
                                               "take the media type from "
                                               "(Upload-Metadata: filename "
                                               "or filetype; or "
                                               "vod_upload_media_type)");
            }

            return ngx_http_vod_upload_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                           "MissingMediaType",
                                           "the file name \"%V\" has no "
                                           "extension to take the media "
                                           "type from", file);
        }

        if (dot == NULL || dot + 1 == last) {
            v = *type;

        } else {
            v.data = dot + 1;
            v.len = last - dot - 1;
        }

        p = ngx_pnalloc(r->pool, v.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_strlow(p, v.data, v.len);
        v.data = p;

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
        v.data = file->data;
        v.len = (dot ? dot : last) - file->data;

        if (v.len == 0) {
            return ngx_http_vod_upload_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                           "MissingMediaName",
                                           "there is no file name to take "
                                           "the media name from");
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
ngx_http_vod_param(ngx_http_request_t *r, ngx_http_vod_upload_front_t *ctx,
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
ngx_http_vod_param_check(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *ctx, ngx_vod_param_e which, ngx_str_t *v)
{
    const ngx_vod_param_t  *param;

    param = &ngx_vod_params[which];

    switch (ngx_vod_param_check(param, v->data, v->len)) {

    case NGX_VOD_OK:
        return NGX_OK;

    case NGX_VOD_PARAM_TOO_LONG:
        return ngx_http_vod_upload_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       param->too_long, "%s is %uz "
                                       "characters long, over the limit of "
                                       "%uz", param->what, v->len,
                                       param->max_len);

    default: /* NGX_VOD_PARAM_INVALID */
        return ngx_http_vod_upload_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                       param->invalid, "\"%V\" is not %s",
                                       v, param->expected);
    }
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



static ngx_int_t
ngx_http_vod_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                        *p;
    ngx_str_t                     *s, *code;
    ngx_http_vod_upload_front_t   *ctx;
    ngx_http_vod_upload_result_t  *res;

    ctx = ngx_http_vod_upload_front_get(r);

    if (ctx == NULL) {
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

        return ngx_http_vod_upload_variable_value(v, p,
                   (data == 4) ? ngx_sprintf(p, "%ui", res ? res->parts : 0) - p
                               : ngx_sprintf(p, "%O", ctx->body.received) - p,
                   1);
    }

    return ngx_http_vod_upload_variable_value(v, s ? s->data : NULL,
                                              s ? s->len : 0,
                                              s && s->len);
}


/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * How the module's locations answer: JSON bodies, errors as
 * {"error":{"code":...,"message":...}}, 405 with Allow, and a request
 * refused before its body was read (the body must not be taken for the
 * next request).  Every answer of the module goes through here.
 */


#include "ngx_http_vod_upload_reply.h"


static ngx_int_t ngx_http_vod_upload_send_success(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *ctx);
static ngx_int_t ngx_http_vod_upload_send_unconfirmed(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *ctx);


/*
 * The answers of the module's locations are JSON.  Errors are
 * {"error":{"code":"...","message":"...","request_id":"..."}}; the
 * caller has logged the cause.
 */

ngx_int_t
ngx_http_vod_upload_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message, ngx_str_t *request_id)
{
    size_t      len, code_len;
    u_char     *p;
    ngx_str_t   json;

    code_len = ngx_strlen(code);

    len = sizeof("{\"error\":{\"code\":\"\",\"message\":\"\","
                 "\"request_id\":\"\"}}\n") - 1
          + code_len + ngx_escape_json(NULL, (u_char *) code, code_len)
          + message->len + ngx_escape_json(NULL, message->data, message->len);

    if (request_id) {
        len += request_id->len
               + ngx_escape_json(NULL, request_id->data, request_id->len);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json.data = p;

    p = ngx_cpymem(p, "{\"error\":{\"code\":\"",
                   sizeof("{\"error\":{\"code\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, (u_char *) code, code_len);
    p = ngx_cpymem(p, "\",\"message\":\"", sizeof("\",\"message\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, message->data, message->len);

    if (request_id) {
        p = ngx_cpymem(p, "\",\"request_id\":\"",
                       sizeof("\",\"request_id\":\"") - 1);
        p = (u_char *) ngx_escape_json(p, request_id->data, request_id->len);
    }

    p = ngx_cpymem(p, "\"}}\n", sizeof("\"}}\n") - 1);

    json.len = p - json.data;

    return ngx_http_vod_upload_send_json(r, status, &json);
}


/*
 * An answer before the body was read (refused, or ApplyUpload failed):
 * the body must not be taken for the next request of the connection.
 * HTTP/1 closes it after the answer (lingering, so that the client sees
 * the answer); HTTP/2 discards the stream's data.
 */

void
ngx_http_vod_upload_body_unread(ngx_http_request_t *r)
{
    if (r->request_body
        || (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked))
    {
        return;
    }

    r->expect_tested = 1;

    if (r->stream) {
        (void) ngx_http_discard_request_body(r);

    } else {
        r->keepalive = 0;
        r->lingering_close = 1;
    }
}


ngx_int_t
ngx_http_vod_upload_send_empty(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_int_t  rc;

    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


ngx_int_t
ngx_http_vod_upload_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    return ngx_http_vod_upload_send_text(r, status, "application/json",
                                         json);
}


ngx_int_t
ngx_http_vod_upload_send_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, ngx_str_t *text)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->memory = 1;
    b->pos = text->data;
    b->last = text->data + text->len;
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = text->len;
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);

    /* the type without its parameters, as gzip_types compares it */
    r->headers_out.content_type_len = strcspn(type, ";");
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* 405: "Allow: <methods>" goes with the refusal */

ngx_int_t
ngx_http_vod_upload_allow(ngx_http_request_t *r, const char *methods)
{
    ngx_table_elt_t  *allow;

    allow = ngx_list_push(&r->headers_out.headers);
    if (allow == NULL) {
        return NGX_ERROR;
    }

    allow->hash = 1;
    ngx_str_set(&allow->key, "Allow");
    allow->value.data = (u_char *) methods;
    allow->value.len = ngx_strlen(methods);

    return NGX_OK;
}


/*
 * A request refused before anything was sent: one info line with the
 * module's prefix ("vod upload", "vod event"), the unread body left
 * alone, the JSON error.
 */

ngx_int_t
ngx_http_vod_upload_refuse(ngx_http_request_t *r, const char *prefix,
    ngx_uint_t status, const char *code, ngx_str_t *message)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "%s: %V", prefix,
                  message);

    ngx_http_vod_upload_body_unread(r);

    return ngx_http_vod_upload_send_error(r, status, code, message, NULL);
}


/*
 * The answer to an upload, from the relay's result: 200 with the FileId,
 * 202 when CommitUpload's outcome is not known, or the JSON error (with
 * VOD's or COS's request id for their failures).
 */

ngx_int_t
ngx_http_vod_upload_send_result(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *res)
{
    ngx_str_t  *id;

    if (res->status == NGX_HTTP_OK) {
        return ngx_http_vod_upload_send_success(r, res);
    }

    if (res->status == NGX_HTTP_ACCEPTED) {
        return ngx_http_vod_upload_send_unconfirmed(r, res);
    }

    /* VOD's or COS's request id, for their failures (502, 504) only */

    id = (res->status >= NGX_HTTP_BAD_GATEWAY && res->request_id.len)
         ? &res->request_id : NULL;

    ngx_http_vod_upload_body_unread(r);

    return ngx_http_vod_upload_send_error(r, res->status,
                                          (const char *) res->code.data,
                                          &res->message, id);
}


static ngx_int_t
ngx_http_vod_upload_send_success(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *ctx)
{
    size_t      len;
    u_char     *p;
    ngx_str_t   json;

    len = sizeof("{\"FileId\":\"\",\"MediaUrl\":\"\",\"CoverUrl\":\"\","
                 "\"RequestId\":\"\",\"Size\":}\n") - 1 + NGX_OFF_T_LEN
          + ctx->file_id.len
          + ngx_escape_json(NULL, ctx->file_id.data, ctx->file_id.len)
          + ctx->media_url.len
          + ngx_escape_json(NULL, ctx->media_url.data, ctx->media_url.len)
          + ctx->cover_url.len
          + ngx_escape_json(NULL, ctx->cover_url.data, ctx->cover_url.len)
          + ctx->request_id.len
          + ngx_escape_json(NULL, ctx->request_id.data,
                            ctx->request_id.len);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json.data = p;

    p = ngx_cpymem(p, "{\"FileId\":\"", sizeof("{\"FileId\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, ctx->file_id.data, ctx->file_id.len);
    p = ngx_cpymem(p, "\",\"MediaUrl\":\"", sizeof("\",\"MediaUrl\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, ctx->media_url.data,
                                   ctx->media_url.len);
    p = ngx_cpymem(p, "\",\"CoverUrl\":\"", sizeof("\",\"CoverUrl\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, ctx->cover_url.data,
                                   ctx->cover_url.len);
    p = ngx_cpymem(p, "\",\"RequestId\":\"",
                   sizeof("\",\"RequestId\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, ctx->request_id.data,
                                   ctx->request_id.len);
    p = ngx_sprintf(p, "\",\"Size\":%O}\n", ctx->size);

    json.len = p - json.data;

    return ngx_http_vod_upload_send_json(r, NGX_HTTP_OK, &json);
}


/*
 * {"error":{"code":"CommitUnconfirmed","message":"...","request_id":"..."},
 * "MediaName":"...","SourceContext":"...","StorageBucket":"...",
 * "MediaStoragePath":"...","Size":N}
 */

static ngx_int_t
ngx_http_vod_upload_send_unconfirmed(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *ctx)
{
    size_t       len;
    u_char      *p;
    ngx_str_t    json, *v;
    ngx_uint_t   i;

    static const char  *names[] = {
        "\",\"request_id\":\"", "\"},\"MediaName\":\"",
        "\",\"SourceContext\":\"", "\",\"StorageBucket\":\"",
        "\",\"MediaStoragePath\":\""
    };

    ngx_str_t  *values[5];

    values[0] = &ctx->request_id;
    values[1] = &ctx->media_name;
    values[2] = &ctx->source_context;
    values[3] = &ctx->bucket;
    values[4] = &ctx->key;

    len = sizeof("{\"error\":{\"code\":\"CommitUnconfirmed\",\"message\":\"")
          - 1 + ctx->message.len
          + ngx_escape_json(NULL, ctx->message.data, ctx->message.len)
          + sizeof("\",\"Size\":}\n") - 1 + NGX_OFF_T_LEN;

    for (i = 0; i < 5; i++) {
        v = values[i];
        len += ngx_strlen(names[i]) + v->len
               + ngx_escape_json(NULL, v->data, v->len);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json.data = p;

    p = ngx_cpymem(p, "{\"error\":{\"code\":\"CommitUnconfirmed\","
                      "\"message\":\"",
                   sizeof("{\"error\":{\"code\":\"CommitUnconfirmed\","
                          "\"message\":\"") - 1);
    p = (u_char *) ngx_escape_json(p, ctx->message.data, ctx->message.len);

    for (i = 0; i < 5; i++) {
        v = values[i];
        p = ngx_cpymem(p, names[i], ngx_strlen(names[i]));
        p = (u_char *) ngx_escape_json(p, v->data, v->len);
    }

    p = ngx_sprintf(p, "\",\"Size\":%O}\n", ctx->size);

    json.len = p - json.data;

    return ngx_http_vod_upload_send_json(r, NGX_HTTP_ACCEPTED, &json);
}


/* a request header by name (for those nginx does not keep apart) */

ngx_table_elt_t *
ngx_http_vod_upload_header_in(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


ngx_int_t
ngx_http_vod_upload_header_out(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return NGX_OK;
}


/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The upload location: PUT -> ApplyUpload -> COS parts -> CommitUpload.
 * This first version checks the request and answers; the relay itself
 * is built on top of it.
 */


#include "ngx_http_vod_upload_module.h"


ngx_int_t
ngx_http_vod_upload_handler(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_str_t         msg;
    ngx_table_elt_t  *allow;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (!(r->method & NGX_HTTP_PUT)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        allow = ngx_list_push(&r->headers_out.headers);
        if (allow == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        allow->hash = 1;
        ngx_str_set(&allow->key, "Allow");
        ngx_str_set(&allow->value, "PUT");

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: method \"%V\" is not allowed, "
                      "only PUT uploads media", &r->method_name);

        ngx_str_set(&msg, "only PUT uploads media here");

        return ngx_http_vod_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                       "MethodNotAllowed", &msg);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "vod upload: the relay to VOD is not built yet");

    ngx_str_set(&msg, "the relay to VOD is not built yet");

    return ngx_http_vod_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                                   "NotImplemented", &msg);
}


/*
 * Answers {"error":{"code":"...","message":"..."}} with the status; the
 * caller has logged the cause.
 */

ngx_int_t
ngx_http_vod_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message)
{
    size_t        len, code_len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    code_len = ngx_strlen(code);

    len = sizeof("{\"error\":{\"code\":\"\",\"message\":\"\"}}\n") - 1
          + code_len + ngx_escape_json(NULL, (u_char *) code, code_len)
          + message->len + ngx_escape_json(NULL, message->data, message->len);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, "{\"error\":{\"code\":\"",
                         sizeof("{\"error\":{\"code\":\"") - 1);
    b->last = (u_char *) ngx_escape_json(b->last, (u_char *) code, code_len);
    b->last = ngx_cpymem(b->last, "\",\"message\":\"",
                         sizeof("\",\"message\":\"") - 1);
    b->last = (u_char *) ngx_escape_json(b->last, message->data,
                                         message->len);
    b->last = ngx_cpymem(b->last, "\"}}\n", sizeof("\"}}\n") - 1);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}

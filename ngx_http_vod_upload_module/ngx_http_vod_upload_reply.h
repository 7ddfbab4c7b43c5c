
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_REPLY_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_REPLY_H_INCLUDED_


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_relay.h"


/* a JSON answer: the status and the body as they are */
ngx_int_t ngx_http_vod_upload_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *json);

/* an answer of that Content-Type, the body as it is */
ngx_int_t ngx_http_vod_upload_send_text(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, ngx_str_t *text);

/* {"error":{"code":...,"message":...[,"request_id":...]}} */
ngx_int_t ngx_http_vod_upload_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, ngx_str_t *message,
    ngx_str_t *request_id);

/* a request header by name, or NULL; an answer's header added */
ngx_table_elt_t *ngx_http_vod_upload_header_in(ngx_http_request_t *r,
    const char *name);
ngx_int_t ngx_http_vod_upload_header_out(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);

/* an answer of headers only (204, a HEAD's 200, 201) */
ngx_int_t ngx_http_vod_upload_send_empty(ngx_http_request_t *r,
    ngx_uint_t status);

/* before an answer to a request whose body was not read */
void ngx_http_vod_upload_body_unread(ngx_http_request_t *r);

/* adds "Allow: methods" for a 405 */
ngx_int_t ngx_http_vod_upload_allow(ngx_http_request_t *r,
    const char *methods);

/* logs "prefix: message" at info, leaves the body unread, answers */
ngx_int_t ngx_http_vod_upload_refuse(ngx_http_request_t *r,
    const char *prefix, ngx_uint_t status, const char *code,
    ngx_str_t *message);

/* an upload's answer in JSON: 200, 202 CommitUnconfirmed, or the error */
ngx_int_t ngx_http_vod_upload_send_result(ngx_http_request_t *r,
    ngx_http_vod_upload_result_t *res);


#endif /* _NGX_HTTP_VOD_UPLOAD_REPLY_H_INCLUDED_ */

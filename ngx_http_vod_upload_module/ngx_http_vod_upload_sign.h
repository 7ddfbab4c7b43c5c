
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_SIGN_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_SIGN_H_INCLUDED_


#include "ngx_http_vod_upload_call.h"
#include "ngx_vod_cos_sign.h"


/* the object ApplyUpload assigned, and the credentials to write it */

typedef struct {
    ngx_str_t                   host;       /* <bucket>.cos.<region>... */
    ngx_str_t                   key;        /* decoded, with its "/" */
    ngx_str_t                   key_uri;    /* percent-encoded */
    ngx_str_t                   secret_id;
    ngx_str_t                   secret_key;
    ngx_str_t                   token;
    time_t                      expires;
} ngx_http_vod_cos_t;


/* the percent-encoded path of an object key (decoded, with its "/") */
ngx_int_t ngx_http_vod_upload_cos_key_uri(ngx_pool_t *pool, ngx_str_t *key,
    ngx_str_t *uri);

/* an ngx_vod_alloc_t over an nginx pool */
void *ngx_http_vod_upload_palloc(void *pool, size_t size);

ngx_int_t ngx_http_vod_upload_api_prepare(ngx_http_vod_call_t *call,
    const char *action);

/* NGX_DECLINED: the temporary credentials have expired */
ngx_int_t ngx_http_vod_upload_cos_prepare(ngx_http_vod_call_t *call,
    ngx_http_vod_cos_t *cos, const char *method, ngx_vod_cos_pair_t *params,
    ngx_uint_t nparams);


#endif /* _NGX_HTTP_VOD_UPLOAD_SIGN_H_INCLUDED_ */

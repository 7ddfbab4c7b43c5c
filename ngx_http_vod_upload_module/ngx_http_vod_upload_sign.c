
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Signed requests: a call to the VOD API (TC3-HMAC-SHA256) or to COS
 * (q-sign with the temporary credentials of ApplyUpload).  The Host
 * header and the signatures always name the real Tencent hosts, wherever
 * vod_api_endpoint and vod_cos_endpoint send the requests.
 */


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_sign.h"


static ngx_str_t  ngx_http_vod_api_host = ngx_string(NGX_HTTP_VOD_API_HOST);
static ngx_str_t  ngx_http_vod_json = ngx_string("application/json");
static ngx_str_t  ngx_http_vod_version = ngx_string(NGX_HTTP_VOD_API_VERSION);


void *
ngx_http_vod_upload_palloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


/*
 * Makes "call" a signed POST of its body to the VOD API: headers and
 * Authorization as the API's documentation and the official SDKs send
 * them (content-type;host signed).
 */

ngx_int_t
ngx_http_vod_upload_api_prepare(ngx_http_vod_call_t *call, const char *action)
{
    size_t                           len;
    u_char                          *p;
    ngx_str_t                        value;
    ngx_vod_tc3_sign_t               s;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = call->calls->conf;

    ngx_str_set(&call->method, "POST");
    ngx_str_set(&call->uri, "/");
    call->host = ngx_http_vod_api_host;
    call->response_max = 1024 * 1024;

    ngx_memzero(&s, sizeof(ngx_vod_tc3_sign_t));

    s.secret_id.data = conf->secret_id.data;
    s.secret_id.len = conf->secret_id.len;
    s.secret_key.data = conf->secret_key.data;
    s.secret_key.len = conf->secret_key.len;
    s.host.data = ngx_http_vod_api_host.data;
    s.host.len = ngx_http_vod_api_host.len;
    s.action.data = (u_char *) action;
    s.action.len = ngx_strlen(action);
    s.content_type.data = ngx_http_vod_json.data;
    s.content_type.len = ngx_http_vod_json.len;
    s.payload.data = call->body.data;
    s.payload.len = call->body.len;
    s.timestamp = ngx_time();

    p = ngx_pnalloc(call->pool, NGX_VOD_TC3_AUTHORIZATION_MAX
                                + NGX_VOD_TC3_TIMESTAMP_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ngx_vod_tc3_sign(&s, conf->tc3_cache, p,
                         NGX_VOD_TC3_AUTHORIZATION_MAX, &len)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_ERR, call->calls->request->connection->log, 0,
                      "vod %s: cannot sign the request: %s", action,
                      s.error);
        return NGX_ERROR;
    }

    value.data = p;
    value.len = len;

    if (ngx_http_vod_upload_call_header(call, "Authorization", &value)
        != NGX_OK
        || ngx_http_vod_upload_call_header(call, "Content-Type",
                                           &ngx_http_vod_json)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    value.data = (u_char *) action;
    value.len = ngx_strlen(action);

    if (ngx_http_vod_upload_call_header(call, "X-TC-Action", &value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    value.data = p + len;
    value.len = ngx_vod_tc3_timestamp(value.data, s.timestamp);

    if (ngx_http_vod_upload_call_header(call, "X-TC-Timestamp", &value)
        != NGX_OK
        || ngx_http_vod_upload_call_header(call, "X-TC-Version",
                                           &ngx_http_vod_version)
           != NGX_OK
        || ngx_http_vod_upload_call_header(call, "X-TC-Region", &conf->region)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_vod_upload_cos_key_uri(ngx_pool_t *pool, ngx_str_t *key,
    ngx_str_t *uri)
{
    uri->data = ngx_pnalloc(pool, ngx_vod_cos_encode_key(NULL, key->data,
                                                         key->len));
    if (uri->data == NULL) {
        return NGX_ERROR;
    }

    uri->len = ngx_vod_cos_encode_key(uri->data, key->data, key->len);

    return NGX_OK;
}


/*
 * Makes "call" a signed request to the object of "cos": method, the
 * object's path with the query parameters, Host, Content-Length (for a
 * body, set before), the Authorization made with the temporary
 * credentials and x-cos-security-token (which the official SDKs add
 * after signing, outside q-header-list).
 */

ngx_int_t
ngx_http_vod_upload_cos_prepare(ngx_http_vod_call_t *call,
    ngx_http_vod_cos_t *cos, const char *method, ngx_vod_cos_pair_t *params,
    ngx_uint_t nparams)
{
    size_t               len;
    u_char              *p;
    time_t               now;
    ngx_str_t            value;
    ngx_uint_t           i, nheaders;
    ngx_vod_cos_pair_t   headers[2];
    ngx_vod_cos_sign_t  *s;
    u_char               length[NGX_SIZE_T_LEN];

    now = ngx_time();

    if (now >= cos->expires) {
        ngx_log_error(NGX_LOG_ERR, call->calls->request->connection->log, 0,
                      "vod %s: the temporary credentials of ApplyUpload "
                      "expired %T s ago", call->name, now - cos->expires);
        return NGX_DECLINED;
    }

    call->method.data = (u_char *) method;
    call->method.len = ngx_strlen(method);
    call->host = cos->host;

    /* the path, then "?name=value&..." with the values encoded */

    len = cos->key_uri.len;

    for (i = 0; i < nparams; i++) {
        len += 1 + params[i].name.len + 1
               + ngx_vod_cos_urlencode(NULL, params[i].value.data,
                                       params[i].value.len);
    }

    p = ngx_pnalloc(call->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    call->uri.data = p;
    p = ngx_cpymem(p, cos->key_uri.data, cos->key_uri.len);

    for (i = 0; i < nparams; i++) {
        *p++ = (i == 0) ? '?' : '&';
        p = ngx_cpymem(p, params[i].name.data, params[i].name.len);

        /* "?uploads" has no value; it is signed as "uploads=" */

        if (params[i].value.len) {
            *p++ = '=';
            p += ngx_vod_cos_urlencode(p, params[i].value.data,
                                       params[i].value.len);
        }
    }

    call->uri.len = p - call->uri.data;

    /* the signature */

    headers[0].name.data = (u_char *) "Host";
    headers[0].name.len = 4;
    headers[0].value.data = cos->host.data;
    headers[0].value.len = cos->host.len;
    nheaders = 1;

    if (call->body.len || method[0] == 'P') {
        headers[1].name.data = (u_char *) "Content-Length";
        headers[1].name.len = sizeof("Content-Length") - 1;
        headers[1].value.data = length;
        headers[1].value.len = ngx_sprintf(length, "%uz", call->body.len)
                               - length;
        nheaders = 2;
    }

    s = ngx_pcalloc(call->pool, sizeof(ngx_vod_cos_sign_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->secret_id.data = cos->secret_id.data;
    s->secret_id.len = cos->secret_id.len;
    s->secret_key.data = cos->secret_key.data;
    s->secret_key.len = cos->secret_key.len;
    s->method.data = (u_char *) method;
    s->method.len = call->method.len;
    s->path.data = cos->key.data;
    s->path.len = cos->key.len;
    s->params = params;
    s->nparams = nparams;
    s->headers = headers;
    s->nheaders = nheaders;

    /* a minute of slack for clocks a little apart, as the SDKs allow */
    s->start = now - 60;
    s->end = now + 900;

    p = ngx_pnalloc(call->pool, NGX_VOD_COS_AUTHORIZATION_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ngx_vod_cos_sign(s, p, NGX_VOD_COS_AUTHORIZATION_MAX, &len)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_ERR, call->calls->request->connection->log, 0,
                      "vod %s: cannot sign the request: %s", call->name,
                      s->error);
        return NGX_ERROR;
    }

    ngx_explicit_memzero(s->sign_key, sizeof(s->sign_key));

    value.data = p;
    value.len = len;

    if (ngx_http_vod_upload_call_header(call, "Authorization", &value)
        != NGX_OK
        || ngx_http_vod_upload_call_header(call, "x-cos-security-token",
                                           &cos->token)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    call->response_max = 1024 * 1024;

    return NGX_OK;
}

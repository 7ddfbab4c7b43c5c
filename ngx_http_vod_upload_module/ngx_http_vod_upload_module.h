
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_vod_common.h"


#define NGX_HTTP_VOD_DEFAULT_REGION        "ap-guangzhou"
#define NGX_HTTP_VOD_DEFAULT_API_ENDPOINT  "https://vod.tencentcloudapi.com"
#define NGX_HTTP_VOD_DEFAULT_CA_FILE       "/etc/ssl/certs/ca-certificates.crt"
#define NGX_HTTP_VOD_SECRET_MAX            128


/* where API or COS requests go: "http[s]://host[:port]" */

typedef struct {
    ngx_str_t                   url;
    ngx_str_t                   host;
    in_port_t                   port;
    unsigned                    ssl:1;
} ngx_http_vod_endpoint_t;


typedef struct {
    ngx_str_t                   secret_id;
    ngx_str_t                   secret_key;
    ngx_str_t                   region;
    ngx_int_t                   sub_app_id;

    ngx_http_vod_endpoint_t    *api_endpoint;
    ngx_http_vod_endpoint_t    *cos_endpoint;

    ngx_flag_t                  ssl_verify;
    ngx_str_t                   ssl_trusted_certificate;

    ngx_msec_t                  connect_timeout;
    ngx_msec_t                  send_timeout;
    ngx_msec_t                  read_timeout;

    /* vod_upload */
    ngx_flag_t                  upload;
    ngx_str_t                   upload_file;
    ngx_uint_t                  upload_line;

    ngx_http_complex_value_t   *procedure;
    ngx_http_complex_value_t   *class_id;
    ngx_http_complex_value_t   *source_context;
    ngx_http_complex_value_t   *session_context;
    ngx_http_complex_value_t   *storage_region;
    ngx_http_complex_value_t   *media_name;
    ngx_http_complex_value_t   *media_type;
    ngx_http_complex_value_t   *expire_time;

    size_t                      part_size;
    ngx_uint_t                  parts_in_flight;
    ngx_uint_t                  part_tries;
    ngx_flag_t                  md5;
} ngx_http_vod_upload_loc_conf_t;


ngx_int_t ngx_http_vod_upload_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message);


extern ngx_module_t  ngx_http_vod_upload_module;


#endif /* _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_ */

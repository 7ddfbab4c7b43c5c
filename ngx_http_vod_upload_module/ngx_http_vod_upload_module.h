
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_vod_common.h"
#include "ngx_vod_tc3.h"


#define NGX_HTTP_VOD_API_HOST          "vod.tencentcloudapi.com"
#define NGX_HTTP_VOD_API_VERSION       "2018-07-17"
#define NGX_HTTP_VOD_DEFAULT_REGION    "ap-guangzhou"
#define NGX_HTTP_VOD_DEFAULT_API_ENDPOINT  "https://" NGX_HTTP_VOD_API_HOST
#define NGX_HTTP_VOD_DEFAULT_CA_FILE   "/etc/ssl/certs/ca-certificates.crt"
#define NGX_HTTP_VOD_SECRET_MAX        128

#define NGX_HTTP_VOD_CALL_HEADERS      8

/* not among nginx's own statuses */
#define NGX_HTTP_VOD_GONE              410


/* where API or COS requests go: "http[s]://host[:port]" */

typedef struct {
    ngx_str_t                       url;
    ngx_str_t                       host;
    in_port_t                       port;
    unsigned                        ssl:1;

    /* the upstream{} it names or implies, NULL: resolve at run time */
    ngx_http_upstream_srv_conf_t   *upstream;
} ngx_http_vod_endpoint_t;


typedef struct {
    ngx_str_t                       secret_id;
    ngx_str_t                       secret_key;
    ngx_str_t                       region;
    ngx_int_t                       sub_app_id;

    ngx_http_vod_endpoint_t        *api_endpoint;
    ngx_http_vod_endpoint_t        *cos_endpoint;

    ngx_flag_t                      ssl_verify;
    ngx_str_t                       ssl_trusted_certificate;

    ngx_msec_t                      connect_timeout;
    ngx_msec_t                      send_timeout;
    ngx_msec_t                      read_timeout;

    /* the upstream settings of calls to the VOD API and to COS */
    ngx_http_upstream_conf_t        api_upstream;
    ngx_http_upstream_conf_t        cos_upstream;

    /* the TC3 signing key of secret_key, derived once a UTC day */
    ngx_vod_tc3_key_cache_t        *tc3_cache;

    /* vod_upload */
    ngx_flag_t                      upload;
    ngx_str_t                       upload_file;
    ngx_uint_t                      upload_line;
    ngx_http_conf_ctx_t            *upload_ctx;     /* for the sweep */

    ngx_http_complex_value_t       *procedure;
    ngx_http_complex_value_t       *class_id;
    ngx_http_complex_value_t       *source_context;
    ngx_http_complex_value_t       *session_context;
    ngx_http_complex_value_t       *storage_region;
    ngx_http_complex_value_t       *media_name;
    ngx_http_complex_value_t       *media_type;
    ngx_http_complex_value_t       *expire_time;

    /* vod_upload_cover: an image every upload of the location gets */
    ngx_str_t                       cover_type;
    ngx_str_t                       cover_data;

    /*
     * client_max_body_size of the location: the module enforces it itself,
     * so that a body too large gets a JSON answer like any other mistake
     */
    off_t                           max_body_size;

    size_t                          part_size;
    size_t                          max_part_size;  /* 0: not set */
    size_t                          part_size_max;  /* what applies */
    ngx_uint_t                      parts_in_flight;
    ngx_uint_t                      part_tries;
    ngx_flag_t                      md5;

    /* vod_upload_form: a POST of multipart/form-data uploads too */
    ngx_flag_t                      form;
    size_t                          cover_max_size;

    /* vod_upload_cors: the origins that may upload, "*" any */
    ngx_array_t                    *cors;       /* of ngx_str_t */

    /* vod_upload_tus: the location also speaks tus 1.0 */
    ngx_flag_t                      tus;
    ngx_array_t                    *tus_keys;   /* of ngx_vod_seal_key_t */
    ngx_msec_t                      tus_expires;    /* 0: the credential's */

    /* vod_callback */
    ngx_flag_t                      callback;
    ngx_str_t                       callback_file;
    ngx_uint_t                      callback_line;
    ngx_http_conf_ctx_t            *callback_ctx;   /* for pulled events */
    ngx_str_t                       callback_sign_key;
    ngx_array_t                    *callback_transcode;  /* of int64_t */
    ngx_str_t                       callback_procedure;
    ngx_str_t                       callback_pass;
    ngx_flag_t                      callback_pull;

    /* vod_status */
    ngx_flag_t                      status;
} ngx_http_vod_upload_loc_conf_t;


/* vod_status_zone by default */
#define NGX_HTTP_VOD_STATUS_ZONE_SIZE   (1024 * 1024)


/* vod_upload_buffers_max by default */
#define NGX_HTTP_VOD_BUFFERS_MAX        (512 * 1024 * 1024)


typedef struct {
    /* the vod_callback location that pulls events, in worker 0 */
    ngx_http_vod_upload_loc_conf_t *pull;

    /* vod_upload_journal: the directory, NULL when off */
    ngx_path_t                     *journal;
    ngx_msec_t                      journal_sweep;

    /* the vod_upload location whose configuration the sweep uses */
    ngx_http_vod_upload_loc_conf_t *sweep;

    /* the PATCHes of resumable uploads under way, of every worker */
    ngx_shm_zone_t                 *tus_zone;

    /* vod_upload_buffers_max: a worker's part buffers, at most */
    size_t                          buffers_max;

    /* the counters of vod_status, of every worker (vod_status_zone) */
    ngx_shm_zone_t                 *status_zone;
    size_t                          status_zone_size;
} ngx_http_vod_upload_main_conf_t;


/* the content handlers, their variables, what runs at start and exit */

ngx_int_t ngx_http_vod_upload_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_put_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_tus_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_form_is(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_form_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_cors_init(ngx_conf_t *cf);
ngx_int_t ngx_http_vod_upload_tus_zone(ngx_conf_t *cf,
    ngx_http_vod_upload_main_conf_t *vmcf);
ngx_int_t ngx_http_vod_upload_event_handler(ngx_http_request_t *r);

ngx_int_t ngx_http_vod_upload_pull_init_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_pull_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_vod_upload_sweep_init_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_sweep_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_vod_upload_journal_init_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_journal_exit_process(ngx_cycle_t *cycle);

extern ngx_http_variable_t  ngx_http_vod_upload_vars[];
extern ngx_http_variable_t  ngx_http_vod_upload_tus_vars[];
extern ngx_http_variable_t  ngx_http_vod_upload_form_vars[];
extern ngx_http_variable_t  ngx_http_vod_upload_event_vars[];


extern ngx_module_t  ngx_http_vod_upload_module;


#endif /* _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_ */

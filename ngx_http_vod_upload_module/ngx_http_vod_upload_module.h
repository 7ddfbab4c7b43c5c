
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

    ngx_http_complex_value_t       *procedure;
    ngx_http_complex_value_t       *class_id;
    ngx_http_complex_value_t       *source_context;
    ngx_http_complex_value_t       *session_context;
    ngx_http_complex_value_t       *storage_region;
    ngx_http_complex_value_t       *media_name;
    ngx_http_complex_value_t       *media_type;
    ngx_http_complex_value_t       *expire_time;

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
} ngx_http_vod_upload_loc_conf_t;


typedef struct {
    /* the vod_callback location that pulls events, in worker 0 */
    ngx_http_vod_upload_loc_conf_t *pull;
} ngx_http_vod_upload_main_conf_t;


/*
 * A call: one HTTP request to the VOD API or to COS, made by a
 * background subrequest of the client's request with an upstream of
 * the module's own (ngx_http_vod_call.c).  Everything about a call,
 * the subrequest included, lives in the call's own pool, which is
 * destroyed once the call's handler ran.
 */

typedef struct ngx_http_vod_call_s   ngx_http_vod_call_t;
typedef struct ngx_http_vod_calls_s  ngx_http_vod_calls_t;

typedef void (*ngx_http_vod_call_handler_pt)(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
typedef void (*ngx_http_vod_step_pt)(ngx_http_request_t *r);


struct ngx_http_vod_call_s {
    /* the request, set by the caller */
    const char                     *name;         /* "UploadPart", logs */
    ngx_uint_t                      part;         /* part number or 0 */
    ngx_str_t                       method;
    ngx_str_t                       uri;          /* path?query, encoded */
    ngx_str_t                       host;         /* the Host header */
    ngx_keyval_t                    headers[NGX_HTTP_VOD_CALL_HEADERS];
    ngx_uint_t                      nheaders;
    ngx_str_t                       body;         /* may be a part's memory */
    size_t                          response_max;
    ngx_msec_t                      read_timeout; /* if over the conf's */
    unsigned                        cos:1;        /* COS, not the API */
    unsigned                        location:1;   /* a location of nginx's */
    ngx_http_vod_call_handler_pt    handler;
    void                           *data;

    /* the outcome */
    ngx_int_t                       rc;           /* NGX_OK or a 5xx */
    ngx_uint_t                      status;       /* 0: no whole answer */
    ngx_str_t                       etag;
    ngx_str_t                       crc64;
    ngx_str_t                       request_id;   /* x-cos-request-id */
    ngx_str_t                       response;     /* the body */

    /* internal */
    ngx_pool_t                     *pool;
    ngx_http_vod_calls_t           *calls;
    ngx_http_request_t             *sr;
    ngx_http_vod_call_t            *next;
    ngx_queue_t                     queue;
    ngx_http_status_t               status_line;
    ngx_http_chunked_t              chunked;
    off_t                           content_length;
    size_t                          response_size;
    unsigned                        chunked_body:1;
    unsigned                        connection_close:1;
    unsigned                        header_done:1;
    unsigned                        body_done:1;
    unsigned                        finished:1;
    /* the request went out, at least in part: it may have been done */
    unsigned                        sent:1;
};


/* the calls of one client request */

struct ngx_http_vod_calls_s {
    ngx_http_request_t             *request;
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_http_vod_step_pt            step;         /* after calls finish */
    char                           *action;       /* for the error log */

    ngx_queue_t                     live;         /* every call's pool */
    ngx_http_vod_call_t            *done;         /* finished, not handled */
    ngx_http_vod_call_t           **last_done;
    ngx_uint_t                      active;       /* started, not finished */
    ngx_event_t                     wake;

    /* the client's body is being read: keep client_body_timeout armed */
    unsigned                        reading_body:1;
    /* the client went away while calls were under way */
    unsigned                        client_gone:1;
};


ngx_int_t ngx_http_vod_upload_calls_init(ngx_http_request_t *r,
    ngx_http_vod_calls_t *calls, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_step_pt step);
ngx_http_vod_call_t *ngx_http_vod_upload_call_create(ngx_http_vod_calls_t *calls,
    const char *name, ngx_uint_t cos);
ngx_int_t ngx_http_vod_upload_call_header(ngx_http_vod_call_t *call,
    const char *name, ngx_str_t *value);
void ngx_http_vod_upload_calls_enter(ngx_http_vod_calls_t *calls);
void ngx_http_vod_upload_calls_leave(ngx_http_vod_calls_t *calls);
ngx_int_t ngx_http_vod_upload_call_start(ngx_http_vod_call_t *call);
ngx_int_t ngx_http_vod_upload_call_location(ngx_http_vod_call_t *call,
    ngx_str_t *uri);
void ngx_http_vod_upload_call_free(ngx_http_vod_call_t *call);
ngx_int_t ngx_http_vod_upload_call_retryable(ngx_http_vod_call_t *call);

ngx_int_t ngx_http_vod_upload_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_vod_upload_event_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_event_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_vod_upload_pull_init_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_pull_exit_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_body_unread(ngx_http_request_t *r);
ngx_int_t ngx_http_vod_upload_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_vod_upload_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, ngx_str_t *message, ngx_str_t *request_id);


extern ngx_module_t  ngx_http_vod_upload_module;


#endif /* _NGX_HTTP_VOD_UPLOAD_MODULE_H_INCLUDED_ */

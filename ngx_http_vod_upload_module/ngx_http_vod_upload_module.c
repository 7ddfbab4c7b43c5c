
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Directives, configuration and the module definition.  Every value
 * that is known when the configuration is read is checked here, so that
 * "nginx -t" reports a mistake with the directive, the value and the
 * place, instead of an upload failing later.
 */


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_buffers.h"
#include "ngx_http_vod_upload_status.h"
#include "ngx_vod_params.h"
#include "ngx_vod_seal.h"


typedef struct {
    ngx_uint_t                  low;
    ngx_uint_t                  high;
} ngx_http_vod_bounds_t;


typedef struct {
    off_t                       low;
    off_t                       high;
    const char                 *what;   /* "a part size between 1m and 5g" */
} ngx_http_vod_size_bounds_t;


static char *ngx_http_vod_upload(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_secret_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_region(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_sub_app_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_value(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_size(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_number(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_callback(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_callback_sign_key(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_vod_callback_transcode(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_vod_callback_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_vod_read_secret_file(ngx_conf_t *cf,
    ngx_str_t *path, ngx_str_t *secret);
static ngx_int_t ngx_http_vod_parse_endpoint(ngx_conf_t *cf, ngx_str_t *url,
    ngx_http_vod_endpoint_t *ep);
static ngx_int_t ngx_http_vod_check_secret(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *value);
static ngx_int_t ngx_http_vod_upload_preconfiguration(ngx_conf_t *cf);
static char *ngx_http_vod_journal(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_cover(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_tus_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_cors(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_vod_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_vod_upload_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_vod_upload_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_vod_upload_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_vod_upload_init_process(ngx_cycle_t *cycle);
static void ngx_http_vod_upload_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_vod_upload_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_vod_upload_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static void ngx_http_vod_upstream_conf(ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_upstream_conf_t *u, ngx_http_vod_endpoint_t *ep);
static char *ngx_http_vod_merge_callback(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf);
static char *ngx_http_vod_merge_handler(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf, const char *name, ngx_str_t *file,
    ngx_uint_t line, ngx_uint_t calls);
static ngx_int_t ngx_http_vod_merge_calls(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf, const char *name, ngx_str_t *file,
    ngx_uint_t line, ngx_uint_t cos);
#if (NGX_HTTP_SSL)
static ngx_int_t ngx_http_vod_set_ssl(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf);
#endif


static char *ngx_http_vod_not_zero(ngx_conf_t *cf, void *post, void *data);

static ngx_conf_post_t  ngx_http_vod_not_zero_post = {
    ngx_http_vod_not_zero
};


static ngx_http_vod_bounds_t  ngx_http_vod_parts_in_flight_bounds = { 1, 64 };
static ngx_http_vod_bounds_t  ngx_http_vod_part_tries_bounds = { 1, 10 };

/* COS: a part other than the last is at least 1 MB, at most 5 GB */
static ngx_http_vod_size_bounds_t  ngx_http_vod_part_size_bounds =
    { 1024 * 1024, (off_t) 5 * 1024 * 1024 * 1024,
      "a part size between 1m and 5g" };

/* a worker's part buffers: at least a part of the smallest size */
static ngx_http_vod_size_bounds_t  ngx_http_vod_buffers_size_bounds =
    { 1024 * 1024, NGX_MAX_SIZE_T_VALUE, "a size of 1m or more" };

/* the counters and a list of some 10,000 uploads in flight per MiB */
static ngx_http_vod_size_bounds_t  ngx_http_vod_status_zone_bounds =
    { 128 * 1024, 1024 * 1024 * 1024, "a size between 128k and 1g" };

/* a form's cover is kept in memory until it is put */
static ngx_http_vod_size_bounds_t  ngx_http_vod_cover_size_bounds =
    { 1, 64 * 1024 * 1024, "a cover size between 1 and 64m" };


static ngx_command_t  ngx_http_vod_upload_commands[] = {

    { ngx_string("vod_secret_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, secret_id),
      NULL },

    { ngx_string("vod_secret_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_secret,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, secret_key),
      NULL },

    { ngx_string("vod_secret_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_secret_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_region,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_sub_app_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_sub_app_id,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_api_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, api_endpoint),
      NULL },

    { ngx_string("vod_cos_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, cos_endpoint),
      NULL },

    { ngx_string("vod_ssl_verify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, ssl_verify),
      NULL },

    { ngx_string("vod_ssl_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, ssl_trusted_certificate),
      NULL },

    { ngx_string("vod_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, connect_timeout),
      NULL },

    { ngx_string("vod_send_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, send_timeout),
      NULL },

    { ngx_string("vod_read_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, read_timeout),
      NULL },

    { ngx_string("vod_upload"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_vod_upload,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_procedure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, procedure),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_PROCEDURE] },

    { ngx_string("vod_upload_class_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, class_id),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_CLASS_ID] },

    { ngx_string("vod_upload_source_context"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, source_context),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_SOURCE_CONTEXT] },

    { ngx_string("vod_upload_session_context"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, session_context),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_SESSION_CONTEXT] },

    { ngx_string("vod_upload_storage_region"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, storage_region),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_STORAGE_REGION] },

    { ngx_string("vod_upload_media_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, media_name),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_MEDIA_NAME] },

    { ngx_string("vod_upload_media_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, media_type),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_MEDIA_TYPE] },

    { ngx_string("vod_upload_expire_time"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_value,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, expire_time),
      (void *) &ngx_vod_params[NGX_VOD_PARAM_EXPIRE_TIME] },

    { ngx_string("vod_upload_form"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, form),
      NULL },

    { ngx_string("vod_upload_form_cover_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, cover_max_size),
      &ngx_http_vod_cover_size_bounds },

    { ngx_string("vod_upload_cors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_vod_cors,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_tus"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, tus),
      NULL },

    { ngx_string("vod_upload_tus_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_tus_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_tus_expires"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, tus_expires),
      &ngx_http_vod_not_zero_post },

    { ngx_string("vod_upload_cover"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_cover,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_part_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, part_size),
      &ngx_http_vod_part_size_bounds },

    { ngx_string("vod_upload_max_part_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, max_part_size),
      &ngx_http_vod_part_size_bounds },

    { ngx_string("vod_upload_parts_in_flight"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, parts_in_flight),
      &ngx_http_vod_parts_in_flight_bounds },

    { ngx_string("vod_upload_part_tries"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_number,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, part_tries),
      &ngx_http_vod_part_tries_bounds },

    { ngx_string("vod_upload_md5"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, md5),
      NULL },

    { ngx_string("vod_callback"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_vod_callback,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_callback_sign_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_callback_sign_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_callback_sign_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_callback_sign_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_callback_transcode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_vod_callback_transcode,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_callback_procedure"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, callback_procedure),
      NULL },

    { ngx_string("vod_callback_pass"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_callback_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_journal"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_journal,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_upload_buffers_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_size,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_main_conf_t, buffers_max),
      &ngx_http_vod_buffers_size_bounds },

    { ngx_string("vod_upload_journal_sweep"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_main_conf_t, journal_sweep),
      &ngx_http_vod_not_zero_post },

    { ngx_string("vod_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_vod_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_status_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_vod_size,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_main_conf_t, status_zone_size),
      &ngx_http_vod_status_zone_bounds },

    { ngx_string("vod_callback_pull"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_vod_upload_loc_conf_t, callback_pull),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_vod_upload_module_ctx = {
    ngx_http_vod_upload_preconfiguration,  /* preconfiguration */
    ngx_http_vod_upload_postconfiguration, /* postconfiguration */

    ngx_http_vod_upload_create_main_conf,  /* create main configuration */
    ngx_http_vod_upload_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_vod_upload_create_loc_conf,   /* create location configuration */
    ngx_http_vod_upload_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_vod_upload_module = {
    NGX_MODULE_V1,
    &ngx_http_vod_upload_module_ctx,       /* module context */
    ngx_http_vod_upload_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_vod_upload_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_vod_upload_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static char *
ngx_http_vod_upload(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (vlcf->upload != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    vlcf->upload = 1;
    vlcf->upload_file = cf->conf_file->file.name;
    vlcf->upload_line = cf->conf_file->line;

    /* the location's configuration, for the journal's sweep */
    vlcf->upload_ctx = cf->ctx;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_vod_upload_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_callback(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (vlcf->callback != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    vlcf->callback = 1;
    vlcf->callback_file = cf->conf_file->file.name;
    vlcf->callback_line = cf->conf_file->line;

    /* the location's configuration, for the events pulled in worker 0 */
    vlcf->callback_ctx = cf->ctx;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_vod_upload_event_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (vlcf->status != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    vlcf->status = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_vod_upload_status_handler;

    return NGX_CONF_OK;
}


/* the phase handlers and filters: CORS, the counters' log phase */

static ngx_int_t
ngx_http_vod_upload_postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_vod_upload_cors_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_vod_upload_status_init(cf);
}


/*
 * vod_callback_sign_key, vod_callback_sign_key_file: VOD's SignKey is
 * letters and digits, at most 32 of them
 */

static char *
ngx_http_vod_callback_sign_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    size_t      i;
    ngx_str_t  *value, key;

    if (vlcf->callback_sign_key.data) {
        return "is duplicate (the sign key is already set in this block)";
    }

    value = cf->args->elts;
    key = value[1];

    if (cmd->name.len == sizeof("vod_callback_sign_key_file") - 1
        && ngx_http_vod_read_secret_file(cf, &value[1], &key) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < key.len; i++) {
        if (!((key.data[i] >= 'a' && key.data[i] <= 'z')
              || (key.data[i] >= 'A' && key.data[i] <= 'Z')
              || (key.data[i] >= '0' && key.data[i] <= '9')))
        {
            break;
        }
    }

    if (key.len == 0 || key.len > 32 || i < key.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be 1 to 32 letters and digits, as "
                           "VOD's SignKey is", &cmd->name);
        return NGX_CONF_ERROR;
    }

    vlcf->callback_sign_key = key;

    return NGX_CONF_OK;
}


/* vod_callback_transcode 100010 100020 ...: preset or own templates */

static char *
ngx_http_vod_callback_transcode(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    int64_t     *def;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (vlcf->callback_transcode != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    if (cf->args->nelts - 1 > 64) {
        return "takes at most 64 definitions";
    }

    vlcf->callback_transcode = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                                sizeof(int64_t));
    if (vlcf->callback_transcode == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        def = ngx_array_push(vlcf->callback_transcode);
        if (def == NULL) {
            return NGX_CONF_ERROR;
        }

        if (!ngx_vod_int64_parse(value[i].data, value[i].len, def)
            || *def <= 0 || *def > NGX_MAX_INT32_VALUE)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" \"%V\" is not a transcoding template "
                               "id (a positive integer such as 100010)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* vod_callback_pass URI: a location (typically internal) of this server */

static char *
ngx_http_vod_callback_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_str_t  *value;

    if (vlcf->callback_pass.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/'
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '?'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not a URI of a location: it "
                           "starts with \"/\" and has no arguments",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    vlcf->callback_pass = value[1];

    return NGX_CONF_OK;
}


/* vod_secret_id, vod_secret_key: the value itself never reaches a log */

static char *
ngx_http_vod_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate (the secret is already set in this block)";
    }

    value = cf->args->elts;

    if (ngx_http_vod_check_secret(cf, &cmd->name, &value[1]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    *field = value[1];

    return NGX_CONF_OK;
}


/*
 * vod_secret_key_file: the key is read once, when the configuration is
 * read (before nginx drops privileges, so the file may be root-only);
 * surrounding white space and a final newline are ignored.
 */

static char *
ngx_http_vod_secret_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_str_t  *value, key;

    if (vlcf->secret_key.data) {
        return "is duplicate (the secret key is already set in this block)";
    }

    value = cf->args->elts;

    if (ngx_http_vod_read_secret_file(cf, &value[1], &key) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_vod_check_secret(cf, &cmd->name, &key) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    vlcf->secret_key = key;

    return NGX_CONF_OK;
}


/*
 * Reads a secret from a file when the configuration is read (before nginx
 * drops privileges, so the file may be root-only); surrounding white
 * space and a final newline are ignored.  The copy on the stack is wiped.
 */

static ngx_int_t
ngx_http_vod_read_secret_file(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *secret)
{
    u_char     *p, *last;
    ssize_t     n;
    ngx_fd_t    fd;
    ngx_int_t   rc;
    ngx_str_t   file;
    u_char      buf[NGX_HTTP_VOD_SECRET_MAX + 2];

    file = *path;

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file.data);
        return NGX_ERROR;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf));

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", file.data);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", file.data);
    }

    if (n == -1) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    if ((size_t) n == sizeof(buf)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the secret key file \"%s\" is longer than "
                           "%d bytes", file.data, NGX_HTTP_VOD_SECRET_MAX);
        goto done;
    }

    p = buf;
    last = buf + n;

    while (p < last && (*p == ' ' || *p == '\t' || *p == CR || *p == LF)) {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == CR
               || last[-1] == LF))
    {
        last--;
    }

    if (last == p) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the secret key file \"%s\" is empty", file.data);
        goto done;
    }

    secret->len = last - p;
    secret->data = ngx_pnalloc(cf->pool, secret->len);
    if (secret->data == NULL) {
        goto done;
    }

    ngx_memcpy(secret->data, p, secret->len);

    rc = NGX_OK;

done:

    ngx_explicit_memzero(buf, sizeof(buf));

    return rc;
}


static char *
ngx_http_vod_region(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_str_t  *value;

    if (vlcf->region.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!ngx_vod_region_valid(value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not a region name such as "
                           "\"ap-guangzhou\" (lower-case letters, digits "
                           "and \"-\")", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    vlcf->region = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_sub_app_id(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    int64_t     id;
    ngx_str_t  *value;

    if (vlcf->sub_app_id != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!ngx_vod_int64_parse(value[1].data, value[1].len, &id)
        || id <= 0 || id > NGX_MAX_INT32_VALUE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not a sub-application id "
                           "(a positive integer)", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    vlcf->sub_app_id = (ngx_int_t) id;

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_url_t                  u;
    ngx_str_t                 *value;
    ngx_http_vod_endpoint_t  **ep;

    ep = (ngx_http_vod_endpoint_t **) (p + cmd->offset);

    if (*ep != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *ep = ngx_pcalloc(cf->pool, sizeof(ngx_http_vod_endpoint_t));
    if (*ep == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_http_vod_parse_endpoint(cf, &value[1], *ep) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not an endpoint: expected "
                           "\"http://host[:port]\" or "
                           "\"https://host[:port]\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    /*
     * as proxy_pass without variables: an upstream{} of that name, or an
     * implicit one whose name is resolved when nginx starts
     */

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url.data = (*ep)->url.data + ((*ep)->ssl ? 8 : 7);
    u.url.len = (*ep)->url.len - ((*ep)->ssl ? 8 : 7);

    if (u.url.len && u.url.data[u.url.len - 1] == '/') {
        u.url.len--;
    }

    u.default_port = (*ep)->ssl ? 443 : 80;
    u.no_resolve = 1;

    (*ep)->upstream = ngx_http_upstream_add(cf, &u, 0);
    if ((*ep)->upstream == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The vod_upload_* values may hold variables; a value without variables
 * is checked at once, a value with variables when a request makes it.
 */

static char *
ngx_http_vod_value(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    const ngx_vod_param_t *param = cmd->post;

    char                      *rv;
    ngx_str_t                 *value;
    ngx_http_complex_value_t  *cv;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    cv = *(ngx_http_complex_value_t **) ((char *) conf + cmd->offset);

    if (cv->lengths) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is empty: expected %s",
                           &cmd->name, param->expected);
        return NGX_CONF_ERROR;
    }

    switch (ngx_vod_param_check(param, value[1].data, value[1].len)) {

    case NGX_VOD_OK:
        return NGX_CONF_OK;

    case NGX_VOD_PARAM_TOO_LONG:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is %uz characters long, over the "
                           "limit of %uz", &cmd->name, value[1].len,
                           param->max_len);
        return NGX_CONF_ERROR;

    default: /* NGX_VOD_PARAM_INVALID */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not %s",
                           &cmd->name, &value[1], param->expected);
        return NGX_CONF_ERROR;
    }
}


/* a size within the bounds of cmd->post: vod_upload_part_size, ... */

static char *
ngx_http_vod_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    off_t                        size;
    size_t                      *field;
    ngx_str_t                   *value;
    ngx_http_vod_size_bounds_t  *bounds;

    field = (size_t *) ((u_char *) conf + cmd->offset);
    bounds = cmd->post;

    if (*field != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_offset(&value[1]);

    if (size == NGX_ERROR || size < bounds->low || size > bounds->high
        || (uint64_t) size > NGX_MAX_SIZE_T_VALUE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" \"%V\" is not %s",
                           &cmd->name, &value[1], bounds->what);
        return NGX_CONF_ERROR;
    }

    *field = (size_t) size;

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_number(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_int_t               n;
    ngx_str_t              *value;
    ngx_uint_t             *field;
    ngx_http_vod_bounds_t  *bounds;

    field = (ngx_uint_t *) (p + cmd->offset);
    bounds = cmd->post;

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || (ngx_uint_t) n < bounds->low
        || (ngx_uint_t) n > bounds->high)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not a number from %ui to %ui",
                           &cmd->name, &value[1], bounds->low, bounds->high);
        return NGX_CONF_ERROR;
    }

    *field = (ngx_uint_t) n;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_vod_parse_endpoint(ngx_conf_t *cf, ngx_str_t *url,
    ngx_http_vod_endpoint_t *ep)
{
    size_t     skip;
    ngx_url_t  u;

    ngx_memzero(&u, sizeof(ngx_url_t));

    if (url->len > 8 && ngx_strncasecmp(url->data, (u_char *) "https://", 8)
                        == 0)
    {
        skip = 8;
        u.default_port = 443;
        ep->ssl = 1;

    } else if (url->len > 7
               && ngx_strncasecmp(url->data, (u_char *) "http://", 7) == 0)
    {
        skip = 7;
        u.default_port = 80;

    } else {
        return NGX_ERROR;
    }

    u.url.data = url->data + skip;
    u.url.len = url->len - skip;
    u.uri_part = 1;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.host.len == 0) {
        return NGX_ERROR;
    }

    /* "userinfo@" and paths other than "/" make no sense here */

    if (ngx_strlchr(u.host.data, u.host.data + u.host.len, '@')
        || (u.uri.len > 1)
        || (u.uri.len == 1 && u.uri.data[0] != '/'))
    {
        return NGX_ERROR;
    }

    ep->url = *url;
    ep->host = u.host;
    ep->port = u.port ? u.port : u.default_port;

#if !(NGX_HTTP_SSL)

    if (ep->ssl) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs nginx built with "
                           "the http_ssl_module", url);
        return NGX_ERROR;
    }

#endif

    return NGX_OK;
}


/* SecretIds and SecretKeys are printable ASCII without white space */

static ngx_int_t
ngx_http_vod_check_secret(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *value)
{
    size_t  i;

    if (value->len == 0 || value->len > NGX_HTTP_VOD_SECRET_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be 1 to %d characters long",
                           name, NGX_HTTP_VOD_SECRET_MAX);
        return NGX_ERROR;
    }

    for (i = 0; i < value->len; i++) {
        if (value->data[i] <= ' ' || value->data[i] >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" holds a character that is not "
                               "printable ASCII (at offset %uz)", name, i);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_upload_preconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t            i;
    ngx_http_variable_t  *var, *v;

    ngx_http_variable_t  *tables[] = {
        ngx_http_vod_upload_vars, ngx_http_vod_upload_tus_vars,
        ngx_http_vod_upload_form_vars,
        ngx_http_vod_upload_event_vars
    };

    for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        for (v = tables[i]; v->name.len; v++) {
            var = ngx_http_add_variable(cf, &v->name, v->flags);
            if (var == NULL) {
                return NGX_ERROR;
            }

            var->get_handler = v->get_handler;
            var->data = v->data;
        }
    }

    return NGX_OK;
}


/*
 * vod_upload_cover file: an image read at start (at most 5 MiB), its type
 * from its extension, one VOD takes as a cover
 */

static char *
ngx_http_vod_cover(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    u_char           *p, *dot;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, file, type;
    ngx_file_info_t   fi;

    if (vlcf->cover_data.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    dot = NULL;

    for (p = file.data; p < file.data + file.len; p++) {
        if (*p == '.') {
            dot = p;

        } else if (*p == '/') {
            dot = NULL;
        }
    }

    type.len = dot ? file.data + file.len - dot - 1 : 0;
    type.data = ngx_pnalloc(cf->pool, type.len + 1);
    if (type.data == NULL) {
        return NGX_CONF_ERROR;
    }

    if (dot) {
        ngx_strlow(type.data, dot + 1, type.len);
    }

    if (!ngx_vod_cover_type_valid(type.data, type.len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%V\" is not an image of a type VOD "
                           "takes as a cover: jpg, jpeg, png, gif, bmp, tiff "
                           "or webp, by its extension", &cmd->name, &file);
        return NGX_CONF_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file.data);
        return NGX_CONF_ERROR;
    }

    n = -1;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", file.data);

    } else if (ngx_file_size(&fi) == 0
               || ngx_file_size(&fi) > NGX_VOD_COVER_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" \"%s\" is %O bytes: a cover is from 1 "
                           "byte to 5 MiB", &cmd->name, file.data,
                           ngx_file_size(&fi));

    } else {
        vlcf->cover_data.data = ngx_pnalloc(cf->pool,
                                            (size_t) ngx_file_size(&fi));
        if (vlcf->cover_data.data) {
            n = ngx_read_fd(fd, vlcf->cover_data.data,
                            (size_t) ngx_file_size(&fi));

            if (n != (ssize_t) ngx_file_size(&fi)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                                   ngx_read_fd_n " \"%s\" failed",
                                   file.data);
                n = -1;
            }
        }
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", file.data);
    }

    if (n <= 0) {
        return NGX_CONF_ERROR;
    }

    vlcf->cover_data.len = (size_t) n;
    vlcf->cover_type = type;

    return NGX_CONF_OK;
}


/*
 * vod_upload_cors origin ... | *: the origins whose pages may upload,
 * "scheme://host[:port]" as browsers send them in Origin
 */

static char *
ngx_http_vod_cors(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    u_char      *p, *last;
    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (vlcf->cors != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    vlcf->cors = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                  sizeof(ngx_str_t));
    if (vlcf->cors == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (!(value[i].len == 1 && value[i].data[0] == '*')) {

            last = value[i].data + value[i].len;
            p = ngx_strlcasestrn(value[i].data, last, (u_char *) "://",
                                 3 - 1);

            if (p == NULL || p == value[i].data || p + 3 == last
                || ngx_strlchr(p + 3, last, '/') != NULL
                || ngx_strlchr(value[i].data, last, '*') != NULL)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" \"%V\" is not an origin: "
                                   "scheme://host[:port] (as browsers send "
                                   "it in Origin), or *", &cmd->name,
                                   &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        o = ngx_array_push(vlcf->cors);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * vod_upload_tus_key_file file: a secret (16 to 128 bytes) that seals
 * the upload URLs of resumable uploads; the first of several seals, all
 * open (keys can be rotated)
 */

static char *
ngx_http_vod_tus_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_loc_conf_t *vlcf = conf;

    ngx_str_t           *value, secret;
    const char          *err;
    ngx_vod_seal_key_t  *key;

    value = cf->args->elts;

    if (vlcf->tus_keys == NGX_CONF_UNSET_PTR) {
        vlcf->tus_keys = ngx_array_create(cf->pool, 2,
                                          sizeof(ngx_vod_seal_key_t));
        if (vlcf->tus_keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_vod_read_secret_file(cf, &value[1], &secret) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    key = ngx_array_push(vlcf->tus_keys);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_vod_seal_key(secret.data, secret.len, key, &err) != NGX_VOD_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" \"%V\": %s",
                           &cmd->name, &value[1], err);
        return NGX_CONF_ERROR;
    }

    ngx_explicit_memzero(secret.data, secret.len);

    return NGX_CONF_OK;
}


/* a time that must not be 0 (a timer of 0 would spin) */

static char *
ngx_http_vod_not_zero(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *ms = data;

    if (*ms == 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}


/* vod_upload_journal path | off */

static char *
ngx_http_vod_journal(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_vod_upload_main_conf_t *vmcf = conf;

    ngx_str_t   *value;
    ngx_path_t  *path;

    if (vmcf->journal != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        vmcf->journal = NULL;
        return NGX_CONF_OK;
    }

    path = ngx_pcalloc(cf->pool, sizeof(ngx_path_t));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    path->name = value[1];

    if (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;

    if (ngx_add_path(cf, &path) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    vmcf->journal = path;

    return NGX_CONF_OK;
}


static void *
ngx_http_vod_upload_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_vod_upload_main_conf_t  *vmcf;

    vmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_vod_upload_main_conf_t));
    if (vmcf == NULL) {
        return NULL;
    }

    vmcf->journal = NGX_CONF_UNSET_PTR;
    vmcf->journal_sweep = NGX_CONF_UNSET_MSEC;
    vmcf->buffers_max = NGX_CONF_UNSET_SIZE;
    vmcf->status_zone_size = NGX_CONF_UNSET_SIZE;

    return vmcf;
}


/*
 * The journal's directory by default: beside nginx's client body
 * temporary files ("/var/lib/nginx/body" gives "/var/lib/nginx/vod_upload"
 * on Debian), created at start like them, owned by the workers' user.
 */

static char *
ngx_http_vod_upload_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_vod_upload_main_conf_t *vmcf = conf;

    u_char          *p, *last;
    ngx_path_init_t  init;

    ngx_conf_init_msec_value(vmcf->journal_sweep, 60000);
    ngx_conf_init_size_value(vmcf->buffers_max, NGX_HTTP_VOD_BUFFERS_MAX);
    ngx_conf_init_size_value(vmcf->status_zone_size,
                             NGX_HTTP_VOD_STATUS_ZONE_SIZE);

    if (vmcf->journal != NGX_CONF_UNSET_PTR) {
        return NGX_CONF_OK;
    }

    vmcf->journal = NULL;

    ngx_memzero(&init, sizeof(ngx_path_init_t));
    ngx_str_set(&init.name, NGX_HTTP_CLIENT_TEMP_PATH);

    last = init.name.data + init.name.len;

    for (p = last; p > init.name.data && p[-1] != '/'; p--) { /* void */ }

    /* nginx hands the path to mkdir() and chown() as a C string */

    init.name.len = p - init.name.data + sizeof("vod_upload") - 1;
    init.name.data = ngx_pnalloc(cf->pool, init.name.len + 1);
    if (init.name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(ngx_cpymem(init.name.data, NGX_HTTP_CLIENT_TEMP_PATH,
                          p - (u_char *) NGX_HTTP_CLIENT_TEMP_PATH),
               "vod_upload", sizeof("vod_upload"));

    if (ngx_conf_merge_path_value(cf, &vmcf->journal, NULL, &init)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* what a worker runs besides requests: pulled events, the sweep */

static ngx_int_t
ngx_http_vod_upload_init_process(ngx_cycle_t *cycle)
{
    ngx_http_vod_upload_main_conf_t  *vmcf;

    vmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_vod_upload_module);
    if (vmcf) {
        ngx_http_vod_upload_buffers_init(vmcf->buffers_max);
    }

    ngx_http_vod_upload_status_init_process(cycle);

    if (ngx_http_vod_upload_journal_init_process(cycle) != NGX_OK
        || ngx_http_vod_upload_pull_init_process(cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_vod_upload_sweep_init_process(cycle);
}


static void
ngx_http_vod_upload_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_vod_upload_status_exit_process(cycle);
    ngx_http_vod_upload_sweep_exit_process(cycle);
    ngx_http_vod_upload_pull_exit_process(cycle);
    ngx_http_vod_upload_journal_exit_process(cycle);
}


static void *
ngx_http_vod_upload_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_vod_upload_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->secret_id = { 0, NULL };
     *     conf->secret_key = { 0, NULL };
     *     conf->region = { 0, NULL };
     *     conf->ssl_trusted_certificate = { 0, NULL };
     *     conf->upload_file = { 0, NULL };
     *     conf->upload_line = 0;
     */

    conf->sub_app_id = NGX_CONF_UNSET;
    conf->api_endpoint = NGX_CONF_UNSET_PTR;
    conf->cos_endpoint = NGX_CONF_UNSET_PTR;
    conf->ssl_verify = NGX_CONF_UNSET;
    conf->connect_timeout = NGX_CONF_UNSET_MSEC;
    conf->send_timeout = NGX_CONF_UNSET_MSEC;
    conf->read_timeout = NGX_CONF_UNSET_MSEC;

    conf->upload = NGX_CONF_UNSET;
    conf->procedure = NGX_CONF_UNSET_PTR;
    conf->class_id = NGX_CONF_UNSET_PTR;
    conf->source_context = NGX_CONF_UNSET_PTR;
    conf->session_context = NGX_CONF_UNSET_PTR;
    conf->storage_region = NGX_CONF_UNSET_PTR;
    conf->media_name = NGX_CONF_UNSET_PTR;
    conf->media_type = NGX_CONF_UNSET_PTR;
    conf->expire_time = NGX_CONF_UNSET_PTR;

    conf->part_size = NGX_CONF_UNSET_SIZE;
    conf->max_part_size = NGX_CONF_UNSET_SIZE;
    conf->parts_in_flight = NGX_CONF_UNSET_UINT;
    conf->part_tries = NGX_CONF_UNSET_UINT;
    conf->md5 = NGX_CONF_UNSET;

    conf->form = NGX_CONF_UNSET;
    conf->cover_max_size = NGX_CONF_UNSET_SIZE;
    conf->cors = NGX_CONF_UNSET_PTR;
    conf->tus = NGX_CONF_UNSET;
    conf->tus_keys = NGX_CONF_UNSET_PTR;
    conf->tus_expires = NGX_CONF_UNSET_MSEC;

    conf->callback = NGX_CONF_UNSET;
    conf->callback_transcode = NGX_CONF_UNSET_PTR;
    conf->callback_pull = NGX_CONF_UNSET;

    conf->status = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_vod_upload_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_vod_upload_loc_conf_t *prev = parent;
    ngx_http_vod_upload_loc_conf_t *conf = child;

    ngx_str_t                         url;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    /*
     * "if" and "limit_except" blocks of an upload or callback location are
     * that location (none of the module's directives can be in them): the
     * handler runs with their configuration, the location's is copied
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->noname && (prev->upload == 1 || prev->callback == 1)) {
        *conf = *prev;
        clcf->client_max_body_size = 0;
        return NGX_CONF_OK;
    }

    ngx_conf_merge_str_value(conf->secret_id, prev->secret_id, "");
    ngx_conf_merge_str_value(conf->secret_key, prev->secret_key, "");
    ngx_conf_merge_str_value(conf->region, prev->region,
                             NGX_HTTP_VOD_DEFAULT_REGION);
    ngx_conf_merge_value(conf->sub_app_id, prev->sub_app_id, 0);

    ngx_conf_merge_ptr_value(conf->api_endpoint, prev->api_endpoint, NULL);
    ngx_conf_merge_ptr_value(conf->cos_endpoint, prev->cos_endpoint, NULL);

    if (conf->api_endpoint == NULL) {
        conf->api_endpoint = ngx_pcalloc(cf->pool,
                                         sizeof(ngx_http_vod_endpoint_t));
        if (conf->api_endpoint == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&url, NGX_HTTP_VOD_DEFAULT_API_ENDPOINT);

        if (ngx_http_vod_parse_endpoint(cf, &url, conf->api_endpoint)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        prev->api_endpoint = conf->api_endpoint;
    }

    ngx_conf_merge_value(conf->ssl_verify, prev->ssl_verify, 1);
    ngx_conf_merge_str_value(conf->ssl_trusted_certificate,
                             prev->ssl_trusted_certificate,
                             NGX_HTTP_VOD_DEFAULT_CA_FILE);

    ngx_conf_merge_msec_value(conf->connect_timeout, prev->connect_timeout,
                              10000);
    ngx_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 60000);
    ngx_conf_merge_msec_value(conf->read_timeout, prev->read_timeout, 60000);

    /* like a content handler, vod_upload is not inherited */

    if (conf->upload == NGX_CONF_UNSET) {
        conf->upload = 0;
    }

    ngx_conf_merge_ptr_value(conf->procedure, prev->procedure, NULL);
    ngx_conf_merge_ptr_value(conf->class_id, prev->class_id, NULL);
    ngx_conf_merge_ptr_value(conf->source_context, prev->source_context,
                             NULL);
    ngx_conf_merge_ptr_value(conf->session_context, prev->session_context,
                             NULL);
    ngx_conf_merge_ptr_value(conf->storage_region, prev->storage_region,
                             NULL);
    ngx_conf_merge_ptr_value(conf->media_name, prev->media_name, NULL);
    ngx_conf_merge_ptr_value(conf->media_type, prev->media_type, NULL);
    ngx_conf_merge_ptr_value(conf->expire_time, prev->expire_time, NULL);

    ngx_conf_merge_size_value(conf->part_size, prev->part_size,
                              8 * 1024 * 1024);

    /* parts grow only when allowed to: memory is what was configured */

    ngx_conf_merge_size_value(conf->max_part_size, prev->max_part_size, 0);

    if (conf->max_part_size == 0) {
        conf->part_size_max = conf->part_size;

    } else if (conf->max_part_size < conf->part_size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_upload_max_part_size\" %uz is smaller "
                           "than \"vod_upload_part_size\" %uz",
                           conf->max_part_size, conf->part_size);
        return NGX_CONF_ERROR;

    } else {
        conf->part_size_max = conf->max_part_size;
    }

    /* a part is buffered whole: it must fit in the worker's budget */

    vmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_vod_upload_module);

    if (conf->upload && conf->part_size_max > vmcf->buffers_max) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "a part of %uz bytes (\"%s\") does not fit in "
                      "\"vod_upload_buffers_max\" %uz, in the location of "
                      "\"vod_upload\" in %V:%ui", conf->part_size_max,
                      conf->max_part_size ? "vod_upload_max_part_size"
                                          : "vod_upload_part_size",
                      vmcf->buffers_max, &conf->upload_file,
                      conf->upload_line);
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_uint_value(conf->parts_in_flight, prev->parts_in_flight, 4);
    ngx_conf_merge_uint_value(conf->part_tries, prev->part_tries, 3);
    ngx_conf_merge_value(conf->md5, prev->md5, 0);

    ngx_conf_merge_value(conf->form, prev->form, 0);
    ngx_conf_merge_size_value(conf->cover_max_size, prev->cover_max_size,
                              NGX_VOD_COVER_MAX);
    ngx_conf_merge_ptr_value(conf->cors, prev->cors, NULL);
    ngx_conf_merge_value(conf->tus, prev->tus, 0);
    ngx_conf_merge_ptr_value(conf->tus_keys, prev->tus_keys, NULL);
    ngx_conf_merge_msec_value(conf->tus_expires, prev->tus_expires, 0);

    if (conf->upload && conf->tus) {
        if (conf->tus_keys == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"vod_upload_tus\" needs "
                          "\"vod_upload_tus_key_file\": the secret that "
                          "seals the upload URLs, in the location of "
                          "\"vod_upload\" in %V:%ui", &conf->upload_file,
                          conf->upload_line);
            return NGX_CONF_ERROR;
        }

        vmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_vod_upload_module);

        if (ngx_http_vod_upload_tus_zone(cf, vmcf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* vod_callback: like vod_upload, not inherited */

    if (conf->callback == NGX_CONF_UNSET) {
        conf->callback = 0;
    }

    ngx_conf_merge_str_value(conf->callback_sign_key, prev->callback_sign_key,
                             "");
    /* one set here replaces the other inherited: what to start on a file */

    if (conf->callback_procedure.data
        && conf->callback_transcode == NGX_CONF_UNSET_PTR)
    {
        conf->callback_transcode = NULL;
    }

    if (conf->callback_transcode != NGX_CONF_UNSET_PTR
        && conf->callback_procedure.data == NULL)
    {
        ngx_str_set(&conf->callback_procedure, "");
    }

    ngx_conf_merge_ptr_value(conf->callback_transcode,
                             prev->callback_transcode, NULL);
    ngx_conf_merge_str_value(conf->callback_procedure,
                             prev->callback_procedure, "");
    ngx_conf_merge_str_value(conf->callback_pass, prev->callback_pass, "");

    if (conf->cover_data.data == NULL) {
        conf->cover_data = prev->cover_data;
        conf->cover_type = prev->cover_type;
    }

    if (conf->callback_pull == NGX_CONF_UNSET) {
        conf->callback_pull = 0;
    }

    /* vod_status: not inherited; what it answers is counted where it is */

    if (conf->status == NGX_CONF_UNSET) {
        conf->status = 0;
    }

    if (conf->status && (conf->upload || conf->callback)) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"vod_status\" and \"%s\" in %V:%ui: a location "
                      "is one or the other",
                      conf->upload ? "vod_upload" : "vod_callback",
                      conf->upload ? &conf->upload_file : &conf->callback_file,
                      conf->upload ? conf->upload_line : conf->callback_line);
        return NGX_CONF_ERROR;
    }

    if (conf->status && ngx_http_vod_upload_status_zone(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->upload) {
        vmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_vod_upload_module);

        if (vmcf->sweep == NULL) {
            vmcf->sweep = conf;
        }

        return ngx_http_vod_merge_handler(cf, conf, "vod_upload",
                                          &conf->upload_file,
                                          conf->upload_line, 1);
    }

    if (conf->callback) {
        return ngx_http_vod_merge_callback(cf, conf);
    }

    if (conf->callback_pull) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_callback_pull\" needs \"vod_callback\" "
                           "in the same location");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_vod_merge_callback(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf)
{
    ngx_flag_t                        calls;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    if (conf->callback_transcode && conf->callback_procedure.len) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"vod_callback\" in %V:%ui has both "
                      "\"vod_callback_transcode\" and "
                      "\"vod_callback_procedure\": a new file is processed "
                      "one way or the other", &conf->callback_file,
                      conf->callback_line);
        return NGX_CONF_ERROR;
    }

    if (conf->callback_pull) {
        vmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_vod_upload_module);

        if (vmcf->pull) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"vod_callback_pull\" in %V:%ui: events are "
                          "already pulled by the location in %V:%ui, and "
                          "only one location may pull them",
                          &conf->callback_file, conf->callback_line,
                          &vmcf->pull->callback_file,
                          vmcf->pull->callback_line);
            return NGX_CONF_ERROR;
        }

        vmcf->pull = conf;
    }

    calls = conf->callback_transcode || conf->callback_procedure.len
            || conf->callback_pull;

    return ngx_http_vod_merge_handler(cf, conf, "vod_callback",
                                      &conf->callback_file,
                                      conf->callback_line, calls ? 2 : 0);
}


/*
 * A location with a handler of the module: calls = 1 for VOD and COS,
 * 2 for VOD only, 0 for none.  The credentials, endpoints and TLS a
 * location that calls needs; client_max_body_size taken over.
 */

static char *
ngx_http_vod_merge_handler(ngx_conf_t *cf,
    ngx_http_vod_upload_loc_conf_t *conf, const char *name, ngx_str_t *file,
    ngx_uint_t line, ngx_uint_t calls)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->upload && conf->callback) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"vod_upload\" and \"vod_callback\" in %V:%ui: a "
                      "location is one or the other", file, line);
        return NGX_CONF_ERROR;
    }

    if (calls) {

        /* the requests to VOD must be signed */

        if (conf->secret_id.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%s\" in %V:%ui has no secret id: set "
                          "\"vod_secret_id\" in this location or an "
                          "enclosing block", name, file, line);
            return NGX_CONF_ERROR;
        }

        if (conf->secret_key.len == 0) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"%s\" in %V:%ui has no secret key: set "
                          "\"vod_secret_key_file\" (or \"vod_secret_key\") "
                          "in this location or an enclosing block",
                          name, file, line);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_vod_merge_calls(cf, conf, name, file, line, calls == 1)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    /*
     * The module enforces client_max_body_size itself (for Content-Length,
     * chunked and HTTP/2 bodies alike), so that nginx's own check, which
     * answers before the module runs, does not send an HTML page.
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    conf->max_body_size = clcf->client_max_body_size;
    clcf->client_max_body_size = 0;

    return NGX_CONF_OK;
}


/*
 * What a location that calls VOD (and COS) needs: the upstream settings,
 * TLS for https endpoints, a resolver for the hosts resolved at run time,
 * the TC3 key cache.
 */

static ngx_int_t
ngx_http_vod_merge_calls(ngx_conf_t *cf, ngx_http_vod_upload_loc_conf_t *conf,
    const char *name, ngx_str_t *file, ngx_uint_t line, ngx_uint_t cos)
{
    const char                *what, *set;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if ((conf->api_endpoint->upstream == NULL
         || (cos && conf->cos_endpoint == NULL))
        && (clcf->resolver == NULL || clcf->resolver->connections.nelts == 0))
    {
        if (conf->api_endpoint->upstream) {
            what = "the COS host names that ApplyUpload answers";
            set = "\"vod_cos_endpoint\"";

        } else if (!cos || conf->cos_endpoint) {
            what = NGX_HTTP_VOD_API_HOST;
            set = "\"vod_api_endpoint\"";

        } else {
            what = NGX_HTTP_VOD_API_HOST " and the COS host names";
            set = "\"vod_api_endpoint\" and \"vod_cos_endpoint\"";
        }

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" in %V:%ui needs a \"resolver\" at run time "
                      "to look up %s: set \"resolver\" or %s",
                      name, file, line, what, set);
        return NGX_ERROR;
    }

    ngx_http_vod_upstream_conf(conf, &conf->api_upstream,
                               conf->api_endpoint);
    ngx_http_vod_upstream_conf(conf, &conf->cos_upstream,
                               conf->cos_endpoint);

    if (conf->api_endpoint->ssl
        || (cos && (conf->cos_endpoint == NULL || conf->cos_endpoint->ssl)))
    {
#if (NGX_HTTP_SSL)
        if (ngx_http_vod_set_ssl(cf, conf) != NGX_OK) {
            return NGX_ERROR;
        }
#else
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" in %V:%ui needs nginx built with the "
                      "http_ssl_module for its https endpoints",
                      name, file, line);
        return NGX_ERROR;
#endif
    }

    conf->tc3_cache = ngx_pcalloc(cf->pool, sizeof(ngx_vod_tc3_key_cache_t));
    if (conf->tc3_cache == NULL) {
        return NGX_ERROR;
    }

    ngx_vod_tc3_key_cache_init(conf->tc3_cache);

    return NGX_OK;
}


static void
ngx_http_vod_upstream_conf(ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_upstream_conf_t *u, ngx_http_vod_endpoint_t *ep)
{
    u->upstream = ep ? ep->upstream : NULL;

    u->connect_timeout = conf->connect_timeout;
    u->send_timeout = conf->send_timeout;
    u->read_timeout = conf->read_timeout;
    u->next_upstream_timeout = 0;

    u->buffer_size = 2 * ngx_pagesize;

    /* another server of an upstream{} is tried on errors and timeouts */
    u->next_upstream = NGX_CONF_BITMASK_SET|NGX_HTTP_UPSTREAM_FT_ERROR
                       |NGX_HTTP_UPSTREAM_FT_TIMEOUT;
    u->next_upstream_tries = 0;

    u->buffering = 0;
    u->request_buffering = 0;
    u->pass_request_headers = 0;
    u->pass_request_body = 0;
    u->ignore_client_abort = 1;
    u->intercept_errors = 0;
    u->local = NULL;
    u->socket_keepalive = 0;

#if (NGX_HTTP_SSL)
    u->ssl_session_reuse = 1;
    u->ssl_server_name = 1;
    u->ssl_verify = conf->ssl_verify;
#endif

    ngx_str_set(&u->module, "vod_upload");
}


#if (NGX_HTTP_SSL)

static ngx_int_t
ngx_http_vod_set_ssl(ngx_conf_t *cf, ngx_http_vod_upload_loc_conf_t *conf)
{
    ngx_str_t            ciphers;
    ngx_ssl_t           *ssl;
    ngx_pool_cleanup_t  *cln;

    ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
    if (ssl == NULL) {
        return NGX_ERROR;
    }

    ssl->log = cf->log;

    if (ngx_ssl_create(ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(ssl);
        return NGX_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = ssl;

    ngx_str_set(&ciphers, "DEFAULT");

    if (ngx_ssl_ciphers(cf, ssl, &ciphers, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (conf->ssl_verify
        && ngx_ssl_trusted_certificate(cf, ssl,
                                       &conf->ssl_trusted_certificate, 4)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_ssl_client_session_cache(cf, ssl, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    conf->api_upstream.ssl = ssl;
    conf->cos_upstream.ssl = ssl;

    return NGX_OK;
}

#endif

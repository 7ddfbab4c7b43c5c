
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Checks of ApplyUpload parameters and of names that end up in host
 * names, done before anything is sent: media types, ISO 8601 times,
 * region and bucket names.
 */


#ifndef _NGX_VOD_PARAMS_H_INCLUDED_
#define _NGX_VOD_PARAMS_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_SOURCE_CONTEXT_MAX   250
#define NGX_VOD_SESSION_CONTEXT_MAX  1000
#define NGX_VOD_MEDIA_TYPE_MAX       8
#define NGX_VOD_MEDIA_NAME_MAX       1024
#define NGX_VOD_COVER_MAX            (5 * 1024 * 1024)
#define NGX_VOD_REGION_MAX           32
#define NGX_VOD_BUCKET_MAX           64

/* "<bucket>.cos.<region>.myqcloud.com" */
#define NGX_VOD_COS_HOST_MAX                                                  \
    (NGX_VOD_BUCKET_MAX + sizeof(".cos.") - 1 + NGX_VOD_REGION_MAX            \
     + sizeof(".myqcloud.com") - 1)


/* a media type VOD accepts, compared in lower case ("MP4" is "mp4") */
int ngx_vod_media_type_valid(const u_char *p, size_t len);

/* a cover image type VOD accepts (CoverType), in lower case */
int ngx_vod_cover_type_valid(const u_char *p, size_t len);

/* YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm), with a real date */
int ngx_vod_iso8601_valid(const u_char *p, size_t len);

/* a region such as "ap-guangzhou" or "ap-guangzhou-2": [a-z0-9-] */
int ngx_vod_region_valid(const u_char *p, size_t len);

/* a COS bucket such as "xadagzp111211-100922": [a-z0-9-] */
int ngx_vod_bucket_valid(const u_char *p, size_t len);

/* a decimal integer that fits in int64_t, optionally negative */
int ngx_vod_int64_parse(const u_char *p, size_t len, int64_t *value);

/*
 * The ApplyUpload parameters a directive sets: one table, whose checks
 * "nginx -t" applies to a value without variables and a request to the
 * value its variables make.  An empty value is not sent.
 */

typedef enum {
    NGX_VOD_PARAM_PROCEDURE = 0,
    NGX_VOD_PARAM_CLASS_ID,
    NGX_VOD_PARAM_SOURCE_CONTEXT,
    NGX_VOD_PARAM_SESSION_CONTEXT,
    NGX_VOD_PARAM_STORAGE_REGION,
    NGX_VOD_PARAM_MEDIA_NAME,
    NGX_VOD_PARAM_MEDIA_TYPE,
    NGX_VOD_PARAM_EXPIRE_TIME,
    NGX_VOD_PARAM_N
} ngx_vod_param_e;


typedef struct {
    const char             *what;       /* "the source context" */
    size_t                  max_len;
    int                   (*valid)(const u_char *p, size_t len);
    const char             *expected;   /* "a region name such as ..." */
    const char             *too_long;   /* the code of a value too long */
    const char             *invalid;    /* of one that is not valid */
} ngx_vod_param_t;


extern const ngx_vod_param_t  ngx_vod_params[NGX_VOD_PARAM_N];


#define NGX_VOD_PARAM_TOO_LONG  1
#define NGX_VOD_PARAM_INVALID   2

/* NGX_VOD_OK, NGX_VOD_PARAM_TOO_LONG or NGX_VOD_PARAM_INVALID */
int ngx_vod_param_check(const ngx_vod_param_t *param, const u_char *p,
    size_t len);

/* a task-flow name: no control characters */
int ngx_vod_printable_valid(const u_char *p, size_t len);

/* a category id: a decimal integer from 0 that fits in int64_t */
int ngx_vod_class_id_valid(const u_char *p, size_t len);


/*
 * Writes "<bucket>.cos.<region>.myqcloud.com" into buf (at least
 * NGX_VOD_COS_HOST_MAX bytes) after checking both names; returns its
 * length, or 0 when either name is not valid.
 */
size_t ngx_vod_cos_host(u_char *buf, const ngx_vod_str_t *bucket,
    const ngx_vod_str_t *region);


#endif /* _NGX_VOD_PARAMS_H_INCLUDED_ */


/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_params.h"


static int ngx_vod_digits(const u_char *p, size_t n, int *value);
static int ngx_vod_dns_label_chars(const u_char *p, size_t len, size_t max);


/* spec section 2: video and audio types ApplyUpload accepts */

static const char  *ngx_vod_media_types[] = {
    "wmv", "rm", "mov", "mpeg", "mp4", "3gp", "flv", "avi", "rmvb", "ts",
    "asf", "mpg", "webm", "mkv", "m3u8", "wm", "asx", "ram", "mpe", "vob",
    "dat", "mp4v", "m4v", "f4v", "mxf", "qt", "ogg",
    "mp3", "m4a", "flac", "wav", "ra", "aac", "amr",
    NULL
};


const ngx_vod_param_t  ngx_vod_params[NGX_VOD_PARAM_N] = {

    /* NGX_VOD_PARAM_PROCEDURE */
    { "the task-flow name", 256, ngx_vod_printable_valid,
      "a task-flow template name", "InvalidProcedure", "InvalidProcedure" },

    /* NGX_VOD_PARAM_CLASS_ID */
    { "the category id", 20, ngx_vod_class_id_valid,
      "a category id (an integer)", "InvalidClassId", "InvalidClassId" },

    /* NGX_VOD_PARAM_SOURCE_CONTEXT */
    { "the source context", NGX_VOD_SOURCE_CONTEXT_MAX, NULL,
      "a source context", "SourceContextTooLong", "SourceContextTooLong" },

    /* NGX_VOD_PARAM_SESSION_CONTEXT */
    { "the session context", NGX_VOD_SESSION_CONTEXT_MAX, NULL,
      "a session context", "SessionContextTooLong", "SessionContextTooLong" },

    /* NGX_VOD_PARAM_STORAGE_REGION */
    { "the storage region", NGX_VOD_REGION_MAX, ngx_vod_region_valid,
      "a region name such as \"ap-chongqing\"", "InvalidStorageRegion",
      "InvalidStorageRegion" },

    /* NGX_VOD_PARAM_MEDIA_NAME */
    { "the media name", NGX_VOD_MEDIA_NAME_MAX, NULL,
      "a media name", "MediaNameTooLong", "MediaNameTooLong" },

    /* NGX_VOD_PARAM_MEDIA_TYPE */
    { "the media type", NGX_VOD_MEDIA_TYPE_MAX, ngx_vod_media_type_valid,
      "a media type VOD accepts, such as \"mp4\"", "InvalidMediaType",
      "InvalidMediaType" },

    /* NGX_VOD_PARAM_EXPIRE_TIME */
    { "the expire time", 64, ngx_vod_iso8601_valid,
      "an ISO 8601 time such as \"2030-01-01T00:00:00Z\"",
      "InvalidExpireTime", "InvalidExpireTime" },
};


int
ngx_vod_param_check(const ngx_vod_param_t *param, const u_char *p,
    size_t len)
{
    if (len > param->max_len) {
        return NGX_VOD_PARAM_TOO_LONG;
    }

    if (param->valid && !param->valid(p, len)) {
        return NGX_VOD_PARAM_INVALID;
    }

    return NGX_VOD_OK;
}


int
ngx_vod_printable_valid(const u_char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
ngx_vod_class_id_valid(const u_char *p, size_t len)
{
    int64_t  n;

    return len > 0 && p[0] != '-' && p[0] != '+'
           && ngx_vod_int64_parse(p, len, &n) && n >= 0;
}


int
ngx_vod_media_type_valid(const u_char *p, size_t len)
{
    u_char        lower[NGX_VOD_MEDIA_TYPE_MAX];
    const char  **t;

    if (len == 0 || len > NGX_VOD_MEDIA_TYPE_MAX) {
        return 0;
    }

    ngx_vod_strlow(lower, p, len);

    for (t = ngx_vod_media_types; *t; t++) {
        if (strlen(*t) == len && memcmp(*t, lower, len) == 0) {
            return 1;
        }
    }

    return 0;
}


int
ngx_vod_cover_type_valid(const u_char *p, size_t len)
{
    const char  **t;

    static const char  *types[] = {
        "jpg", "jpeg", "png", "gif", "bmp", "tiff", "webp", NULL
    };

    for (t = types; *t; t++) {
        if (strlen(*t) == len && memcmp(*t, p, len) == 0) {
            return 1;
        }
    }

    return 0;
}


int
ngx_vod_iso8601_valid(const u_char *p, size_t len)
{
    int            year, month, day, hour, min, sec, leap, tzh, tzm;
    const u_char  *end;

    static const int  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len < sizeof("YYYY-MM-DDThh:mm:ssZ") - 1) {
        return 0;               /* and p may be NULL: no arithmetic on it */
    }

    end = p + len;

    if (!ngx_vod_digits(p, 4, &year) || p[4] != '-'
        || !ngx_vod_digits(p + 5, 2, &month) || p[7] != '-'
        || !ngx_vod_digits(p + 8, 2, &day) || p[10] != 'T'
        || !ngx_vod_digits(p + 11, 2, &hour) || p[13] != ':'
        || !ngx_vod_digits(p + 14, 2, &min) || p[16] != ':'
        || !ngx_vod_digits(p + 17, 2, &sec))
    {
        return 0;
    }

    if (month < 1 || month > 12 || hour > 23 || min > 59 || sec > 60) {
        return 0;
    }

    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (day < 1 || day > days[month - 1] + (month == 2 && leap)) {
        return 0;
    }

    p += sizeof("YYYY-MM-DDThh:mm:ss") - 1;

    if (*p == '.') {
        p++;

        if (p == end || *p < '0' || *p > '9') {
            return 0;
        }

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && *p == 'Z') {
        return p + 1 == end;
    }

    if (end - p != sizeof("+hh:mm") - 1 || (*p != '+' && *p != '-')
        || !ngx_vod_digits(p + 1, 2, &tzh) || p[3] != ':'
        || !ngx_vod_digits(p + 4, 2, &tzm))
    {
        return 0;
    }

    return tzh <= 23 && tzm <= 59;
}


int
ngx_vod_region_valid(const u_char *p, size_t len)
{
    return ngx_vod_dns_label_chars(p, len, NGX_VOD_REGION_MAX);
}


int
ngx_vod_bucket_valid(const u_char *p, size_t len)
{
    return ngx_vod_dns_label_chars(p, len, NGX_VOD_BUCKET_MAX);
}


int
ngx_vod_int64_parse(const u_char *p, size_t len, int64_t *value)
{
    int       negative;
    uint64_t  n;

    if (len == 0) {
        return 0;               /* and p may be NULL: no arithmetic on it */
    }

    negative = (p[0] == '-');

    if (!ngx_vod_decimal(p + negative, len - negative,
                         negative ? (uint64_t) INT64_MAX + 1
                                  : (uint64_t) INT64_MAX, &n))
    {
        return 0;
    }

    *value = negative ? (int64_t) (0 - n) : (int64_t) n;

    return 1;
}


size_t
ngx_vod_cos_host(u_char *buf, const ngx_vod_str_t *bucket,
    const ngx_vod_str_t *region)
{
    u_char  *p;

    if (!ngx_vod_bucket_valid(bucket->data, bucket->len)
        || !ngx_vod_region_valid(region->data, region->len))
    {
        return 0;
    }

    p = ngx_vod_cpymem(buf, bucket->data, bucket->len);
    p = ngx_vod_cpymem(p, ".cos.", sizeof(".cos.") - 1);
    p = ngx_vod_cpymem(p, region->data, region->len);
    p = ngx_vod_cpymem(p, ".myqcloud.com", sizeof(".myqcloud.com") - 1);

    return p - buf;
}


static int
ngx_vod_digits(const u_char *p, size_t n, int *value)
{
    size_t  i;

    *value = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }

        *value = *value * 10 + (p[i] - '0');
    }

    return 1;
}


/*
 * One DNS label of lower-case letters, digits and inner hyphens: such a
 * name cannot add a label, a port, a path or userinfo to the host name
 * it is put in.
 */

static int
ngx_vod_dns_label_chars(const u_char *p, size_t len, size_t max)
{
    size_t  i;

    if (len == 0 || len > max || p[0] == '-' || p[len - 1] == '-') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The module's counters: a shared zone ("vod_upload_status") that holds
 * ngx_vod_metrics_t and the list of the uploads in flight, added to by
 * every worker with atomic operations, kept across reloads (same size),
 * and answered by vod_status as JSON or in Prometheus' text format.
 * What counts is listed in docs/metrics.md.
 */


#include <signal.h>

#include "ngx_http_vod_upload_status.h"
#include "ngx_http_vod_upload_reply.h"


typedef struct {
    ngx_vod_metrics_t               metrics;
    uint64_t                        nuploads;
    uint64_t                        hint;       /* where to look next */
    ngx_vod_metrics_upload_t        uploads[1];
} ngx_http_vod_status_shm_t;


static ngx_int_t ngx_http_vod_status_zone_init(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_vod_status_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_status_log(ngx_http_request_t *r);
static void ngx_http_vod_status_count(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_status_protocol(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf);
static void ngx_http_vod_status_end(void *data);
static size_t ngx_http_vod_status_uploads(ngx_http_request_t *r,
    ngx_vod_metrics_upload_t **list);
static uint64_t ngx_http_vod_status_now(void);


ngx_vod_metrics_t  *ngx_http_vod_upload_metrics;

static ngx_http_vod_status_shm_t  *ngx_http_vod_status_shm;

static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* the zone, created with the first vod_status location */

ngx_int_t
ngx_http_vod_upload_status_zone(ngx_conf_t *cf)
{
    ngx_str_t                         name;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    vmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_vod_upload_module);

    if (vmcf->status_zone) {
        return NGX_OK;
    }

    if (vmcf->status_zone_size == NGX_CONF_UNSET_SIZE) {
        vmcf->status_zone_size = NGX_HTTP_VOD_STATUS_ZONE_SIZE;
    }

    ngx_str_set(&name, "vod_upload_status");

    vmcf->status_zone = ngx_shared_memory_add(cf, &name,
                                              vmcf->status_zone_size,
                                              &ngx_http_vod_upload_module);
    if (vmcf->status_zone == NULL) {
        return NGX_ERROR;
    }

    vmcf->status_zone->init = ngx_http_vod_status_zone_init;

    return NGX_OK;
}


/*
 * A reload keeps the zone of the same size and its counters; the list
 * takes what the zone has room for after the counters.
 */

static ngx_int_t
ngx_http_vod_status_zone_init(ngx_shm_zone_t *zone, void *data)
{
    size_t                      size, n;
    ngx_slab_pool_t            *shpool;
    ngx_http_vod_status_shm_t  *shm;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (data) {
        shm = data;

    } else if (zone->shm.exists) {
        shm = shpool->data;

    } else {
        shm = NULL;
        size = zone->shm.size - zone->shm.size / 8;
        n = (size - sizeof(ngx_http_vod_status_shm_t))
            / sizeof(ngx_vod_metrics_upload_t);

        while (n) {
            shm = ngx_slab_calloc(shpool, sizeof(ngx_http_vod_status_shm_t)
                                  + (n - 1) * sizeof(ngx_vod_metrics_upload_t));
            if (shm) {
                break;
            }

            n -= n / 8 + 1;
        }

        if (shm == NULL) {
            ngx_log_error(NGX_LOG_EMERG, zone->shm.log, 0,
                          "the zone \"vod_upload_status\" of %uz bytes is "
                          "too small (see vod_status_zone)", zone->shm.size);
            return NGX_ERROR;
        }

        shm->nuploads = n;
        shpool->data = shm;
    }

    /* a zone of another layout (another build of the module): anew */

    if (shm->metrics.magic != NGX_VOD_METRICS_MAGIC) {
        ngx_memzero(&shm->metrics, sizeof(ngx_vod_metrics_t));
        shm->metrics.magic = NGX_VOD_METRICS_MAGIC;
    }

    zone->data = shm;

    return NGX_OK;
}


/*
 * A worker counts into the zone of its own configuration, if it has one
 * (the master's variables may name the zone of another, or of none)
 */

void
ngx_http_vod_upload_status_init_process(ngx_cycle_t *cycle)
{
    ngx_http_vod_upload_main_conf_t  *vmcf;

    ngx_http_vod_status_shm = NULL;
    ngx_http_vod_upload_metrics = NULL;

    vmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_vod_upload_module);

    if (vmcf == NULL || vmcf->status_zone == NULL
        || vmcf->status_zone->data == NULL)
    {
        return;
    }

    ngx_http_vod_status_shm = vmcf->status_zone->data;
    ngx_http_vod_upload_metrics = &ngx_http_vod_status_shm->metrics;
}


ngx_int_t
ngx_http_vod_upload_status_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_vod_status_log;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_vod_status_header_filter;

    return NGX_OK;
}


/*
 * An upload request is counted with the status of its answer as the
 * answer goes out (before the client can see it, and so ask vod_status);
 * one that ends without an answer, in the log phase.
 */

static ngx_int_t
ngx_http_vod_status_header_filter(ngx_http_request_t *r)
{
    ngx_http_vod_status_count(r);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_vod_status_log(ngx_http_request_t *r)
{
    if (!r->header_sent) {
        ngx_http_vod_status_count(r);
    }

    return NGX_OK;
}


/* an upload request by its protocol and the status the access log shows */

static void
ngx_http_vod_status_count(ngx_http_request_t *r)
{
    ngx_uint_t                       status, protocol;
    ngx_http_vod_upload_loc_conf_t  *conf;

    if (ngx_http_vod_upload_metrics == NULL || r != r->main) {
        return;
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    if (conf == NULL || conf->upload != 1) {
        return;
    }

    protocol = ngx_http_vod_status_protocol(r, conf);

    if (protocol == NGX_VOD_METRICS_PROTOCOLS) {
        return;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status >= NGX_VOD_METRICS_STATUS_MIN
        && status < NGX_VOD_METRICS_STATUS_MIN + NGX_VOD_METRICS_STATUSES)
    {
        ngx_http_vod_upload_count(uploads[protocol]
                                      [status - NGX_VOD_METRICS_STATUS_MIN],
                                  1);
    }
}


/*
 * What carries media, as the content handler tells them apart: a PUT; a
 * POST of a form location; a tus PATCH, or a tus POST with a body
 * (creation with upload).  NGX_VOD_METRICS_PROTOCOLS: none of these.
 */

static ngx_int_t
ngx_http_vod_status_protocol(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf)
{
    if (r->method & NGX_HTTP_PUT) {
        return NGX_VOD_METRICS_PUT;
    }

    if (conf->form && (r->method & NGX_HTTP_POST)
        && ngx_http_vod_upload_form_is(r))
    {
        return NGX_VOD_METRICS_FORM;
    }

    if (conf->tus) {
        if (r->method & NGX_HTTP_PATCH) {
            return NGX_VOD_METRICS_TUS;
        }

        if ((r->method & NGX_HTTP_POST)
            && (r->headers_in.content_length_n > 0 || r->headers_in.chunked))
        {
            return NGX_VOD_METRICS_TUS;
        }

        return NGX_VOD_METRICS_PROTOCOLS;
    }

    if (conf->form && (r->method & NGX_HTTP_POST)) {
        return NGX_VOD_METRICS_FORM;
    }

    return NGX_VOD_METRICS_PROTOCOLS;
}


/* an upload request being relayed, until its pool goes */

ngx_vod_metrics_upload_t *
ngx_http_vod_upload_status_begin(ngx_http_request_t *r, ngx_uint_t protocol,
    off_t length)
{
    int64_t                     free;
    uint64_t                    i, n, k;
    ngx_str_t                   id;
    ngx_pool_cleanup_t         *cln;
    ngx_vod_metrics_upload_t   *u;
    ngx_http_variable_value_t  *vv;

    static ngx_str_t  request_id = ngx_string("request_id");
    static ngx_uint_t key;

    if (ngx_http_vod_upload_metrics == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_vod_status_end;
    cln->data = NULL;

    ngx_http_vod_upload_count(uploads_in_flight, 1);

    n = ngx_http_vod_status_shm->nuploads;
    k = __atomic_fetch_add(&ngx_http_vod_status_shm->hint, 1,
                           __ATOMIC_RELAXED);

    for (i = 0; i < n; i++) {
        u = &ngx_http_vod_status_shm->uploads[(k + i) % n];
        free = 0;

        if (__atomic_load_n(&u->pid, __ATOMIC_RELAXED) == 0
            && __atomic_compare_exchange_n(&u->pid, &free, (int64_t) ngx_pid,
                                           0, __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED))
        {
            goto found;
        }
    }

    /* the list is full: counted, not listed */

    return NULL;

found:

    if (key == 0) {
        key = ngx_hash_key(request_id.data, request_id.len);
    }

    vv = ngx_http_get_variable(r, &request_id, key);

    if (vv == NULL || vv->not_found) {
        ngx_str_null(&id);

    } else {
        id.data = vv->data;
        id.len = ngx_min(vv->len, NGX_VOD_METRICS_ID_LEN);
    }

    u->started_ms = ngx_http_vod_status_now();
    u->length = length;
    u->received = 0;
    u->parts_done = 0;
    u->protocol = (uint32_t) protocol;
    u->id_len = (uint32_t) id.len;
    ngx_memcpy(u->id, id.data, id.len);

    cln->data = u;

    return u;
}


static void
ngx_http_vod_status_end(void *data)
{
    ngx_vod_metrics_upload_t *u = data;

    ngx_http_vod_upload_count(uploads_in_flight, -1);

    if (u) {
        __atomic_store_n(&u->pid, 0, __ATOMIC_RELEASE);
    }
}


void
ngx_http_vod_upload_status_call(const char *name, ngx_uint_t cos,
    ngx_uint_t result, ngx_msec_t duration, size_t sent)
{
    int                           i;
    ngx_uint_t                    b;
    ngx_vod_metrics_histogram_t  *h;

    if (ngx_http_vod_upload_metrics == NULL) {
        return;
    }

    i = cos ? ngx_vod_metrics_cos_index(name)
            : ngx_vod_metrics_api_index(name);

    if (i < 0) {
        return;
    }

    b = ngx_vod_metrics_bucket(duration);

    if (cos) {
        ngx_http_vod_upload_count(cos[i][result], 1);

        /* media and covers; not the XML of a Complete */

        if (i == NGX_VOD_METRICS_COS_UPLOAD_PART
            || i == NGX_VOD_METRICS_COS_PUT_OBJECT)
        {
            ngx_http_vod_upload_count(cos_sent_bytes, sent);
        }

        h = &ngx_http_vod_upload_metrics->cos_duration[i];

    } else {
        ngx_http_vod_upload_count(api[i][result], 1);
        h = &ngx_http_vod_upload_metrics->api_duration[i];
    }

    (void) __atomic_fetch_add(&h->count[b], 1, __ATOMIC_RELAXED);
    (void) __atomic_fetch_add(&h->sum_ms, duration, __ATOMIC_RELAXED);
}


void
ngx_http_vod_upload_status_event(ngx_str_t *type, ngx_uint_t result)
{
    ngx_uint_t  i;

    i = ngx_vod_metrics_event_index(type->data, type->len);

    ngx_http_vod_upload_count(events[i][result], 1);
}


/* vod_status: the counters, as JSON or for Prometheus */

ngx_int_t
ngx_http_vod_upload_status_handler(ngx_http_request_t *r)
{
    u_char                    *p;
    size_t                     size, len, nuploads;
    ngx_int_t                  rc;
    ngx_str_t                  msg;
    ngx_uint_t                 tries;
    ngx_table_elt_t           *accept;
    ngx_vod_metrics_t          copy;
    ngx_vod_metrics_ask_t      ask;
    ngx_vod_metrics_upload_t  *list;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_vod_upload_allow(r, "GET, HEAD") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&msg, "vod_status answers GET and HEAD");

        return ngx_http_vod_upload_refuse(r, "vod status",
                                          NGX_HTTP_NOT_ALLOWED,
                                          "MethodNotAllowed", &msg);
    }

    /* a vod_status location has the zone: only a failed start has none */

    if (ngx_http_vod_upload_metrics == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "vod status: no counters in this worker");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /* ?format=prometheus|json, ?uploads; Prometheus' scrapes by Accept */

    accept = ngx_http_vod_upload_header_in(r, "Accept");

    if (ngx_vod_metrics_ask(r->args.data, r->args.len,
                            accept ? accept->value.data : NULL,
                            accept ? accept->value.len : 0, &ask)
        != NGX_VOD_OK)
    {
        ngx_str_set(&msg, "the format is \"json\" or \"prometheus\"");

        return ngx_http_vod_upload_refuse(r, "vod status",
                                          NGX_HTTP_BAD_REQUEST,
                                          "InvalidParameter", &msg);
    }

    nuploads = 0;
    list = NULL;

    if (ask.uploads && !ask.prometheus) {
        nuploads = ngx_http_vod_status_uploads(r, &list);

        if (list == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ngx_memcpy(&copy, ngx_http_vod_upload_metrics, sizeof(ngx_vod_metrics_t));

    size = 16384;

    for (tries = 0; tries < 4; tries++) {
        p = ngx_pnalloc(r->pool, size);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ask.prometheus
              ? ngx_vod_metrics_prometheus(&copy, p, size)
              : ngx_vod_metrics_json(&copy, list, nuploads,
                                     ngx_http_vod_status_now(), p, size);

        if (len < size) {
            break;
        }

        size = len + 1;
    }

    if (tries == 4) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    msg.data = p;
    msg.len = len;

    return ngx_http_vod_upload_send_text(r, NGX_HTTP_OK,
                                         ask.prometheus
                                         ? "text/plain; version=0.0.4; "
                                           "charset=utf-8"
                                         : "application/json",
                                         &msg);
}


/*
 * A copy of the list of uploads in flight; those of a worker that is no
 * more (it crashed) leave it now.
 */

static size_t
ngx_http_vod_status_uploads(ngx_http_request_t *r,
    ngx_vod_metrics_upload_t **list)
{
    int64_t                    pid;
    uint64_t                   i, n;
    ngx_vod_metrics_upload_t  *u, *out;

    n = ngx_http_vod_status_shm->nuploads;

    out = ngx_pcalloc(r->pool, (n ? n : 1) * sizeof(ngx_vod_metrics_upload_t));
    *list = out;

    if (out == NULL) {
        return 0;
    }

    for (i = 0, u = ngx_http_vod_status_shm->uploads; i < n; i++, u++) {
        pid = __atomic_load_n(&u->pid, __ATOMIC_ACQUIRE);

        if (pid == 0) {
            continue;
        }

        if (pid != ngx_pid && kill((pid_t) pid, 0) == -1
            && ngx_errno == NGX_ESRCH)
        {
            if (__atomic_compare_exchange_n(&u->pid, &pid, 0, 0,
                                            __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
            {
                ngx_http_vod_upload_count(uploads_in_flight, -1);
            }

            continue;
        }

        *out = *u;
        out->received = __atomic_load_n(&u->received, __ATOMIC_RELAXED);
        out->parts_done = __atomic_load_n(&u->parts_done, __ATOMIC_RELAXED);
        out++;
    }

    return out - *list;
}


/* milliseconds since the epoch */

static uint64_t
ngx_http_vod_status_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}

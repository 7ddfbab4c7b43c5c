
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The module's counters: a shared zone ("vod_upload_status") that holds
 * ngx_vod_metrics_t and the list of the uploads in flight, added to by
 * every worker with atomic operations, kept across reloads (same size),
 * and answered by vod_status as JSON or in Prometheus' text format.
 * What counts is listed in docs/metrics.md.
 */


#include "ngx_http_vod_upload_status.h"
#include "ngx_http_vod_upload_process.h"
#include "ngx_http_vod_upload_reply.h"


/*
 * A worker that counts: its uploads in flight (the gauge is the sum over
 * the workers alive, so that a worker that crashed leaves nothing
 * behind), known by its pid and its start time (a pid may be reused)
 */

#define NGX_HTTP_VOD_STATUS_WORKERS  256

typedef struct {
    int64_t                         pid;        /* 0: a free slot */
    uint64_t                        start;      /* /proc/PID/stat's */
    int64_t                         in_flight;
} ngx_http_vod_status_worker_t;


typedef struct {
    ngx_vod_metrics_t               metrics;
    ngx_http_vod_status_worker_t    workers[NGX_HTTP_VOD_STATUS_WORKERS];
    uint64_t                        nuploads;
    uint64_t                        hint;       /* where to look next */
    ngx_vod_metrics_upload_t        uploads[1];
} ngx_http_vod_status_shm_t;


static ngx_int_t ngx_http_vod_status_zone_init(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_vod_status_rewrite(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_status_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_status_log(ngx_http_request_t *r);
static void ngx_http_vod_status_count(ngx_http_request_t *r);
static void ngx_http_vod_status_marker(void *data);
static ngx_int_t ngx_http_vod_status_protocol(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf);
static void ngx_http_vod_status_end(void *data);
static void ngx_http_vod_status_join(void);
static ngx_uint_t ngx_http_vod_status_workers(int64_t *pids,
    int64_t *in_flight);
static size_t ngx_http_vod_status_uploads(ngx_http_request_t *r,
    int64_t *pids, ngx_uint_t npids, ngx_vod_metrics_upload_t **list);
static uint64_t ngx_http_vod_status_now(void);
static ngx_uint_t ngx_http_vod_status_alive(ngx_http_vod_status_worker_t *w);
static void ngx_http_vod_status_snapshot(ngx_vod_metrics_t *copy);


ngx_vod_metrics_t  *ngx_http_vod_upload_metrics;

static ngx_http_vod_status_shm_t     *ngx_http_vod_status_shm;
static ngx_http_vod_status_worker_t  *ngx_http_vod_status_worker;

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

    ngx_http_vod_status_join();
}


/*
 * The worker's slot: a free one, or one of a worker that is no more
 * (its uploads in flight go with it); and the entries of the list that
 * a worker of the same pid left
 */

static void
ngx_http_vod_status_join(void)
{
    int64_t                        pid;
    uint64_t                       i;
    ngx_vod_metrics_upload_t      *u;
    ngx_http_vod_status_worker_t  *w;

    ngx_http_vod_status_worker = NULL;

    for (i = 0; i < NGX_HTTP_VOD_STATUS_WORKERS; i++) {
        w = &ngx_http_vod_status_shm->workers[i];
        pid = __atomic_load_n(&w->pid, __ATOMIC_ACQUIRE);

        if (pid != 0 && ngx_http_vod_status_alive(w)) {
            continue;
        }

        /* taken with -pid: alive, not to be taken, until it is set up */

        if (__atomic_compare_exchange_n(&w->pid, &pid, -(int64_t) ngx_pid,
                                        0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
        {
            (void) ngx_http_vod_upload_process_runs(ngx_pid, &w->start);
            __atomic_store_n(&w->in_flight, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&w->pid, (int64_t) ngx_pid, __ATOMIC_RELEASE);
            ngx_http_vod_status_worker = w;
            break;
        }
    }

    if (ngx_http_vod_status_worker == NULL) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "vod status: more than %d workers, this one's "
                      "uploads are not in vod_uploads_in_flight",
                      NGX_HTTP_VOD_STATUS_WORKERS);
    }

    for (i = 0; i < ngx_http_vod_status_shm->nuploads; i++) {
        u = &ngx_http_vod_status_shm->uploads[i];
        pid = __atomic_load_n(&u->pid, __ATOMIC_ACQUIRE);

        if (pid == ngx_pid || pid == -ngx_pid) {
            (void) __atomic_compare_exchange_n(&u->pid, &pid, 0, 0,
                                               __ATOMIC_RELAXED,
                                               __ATOMIC_RELAXED);
        }
    }
}


void
ngx_http_vod_upload_status_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_vod_status_worker) {
        __atomic_store_n(&ngx_http_vod_status_worker->in_flight, 0,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&ngx_http_vod_status_worker->pid, 0,
                         __ATOMIC_RELEASE);
        ngx_http_vod_status_worker = NULL;
    }
}


ngx_int_t
ngx_http_vod_upload_status_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_vod_status_rewrite;

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
 * An upload request is known as one in its vod_upload location's rewrite
 * phase: a mark in its pool, which an internal redirect (error_page, a
 * named location) keeps, unlike the module's context.  It is counted,
 * once, with the status of its answer as the answer goes out (before the
 * client can see it, and so ask vod_status), or in the log phase when it
 * ends without one.
 */

typedef struct {
    ngx_uint_t                      protocol;
    ngx_uint_t                      counted;
} ngx_http_vod_status_mark_t;


static ngx_int_t
ngx_http_vod_status_rewrite(ngx_http_request_t *r)
{
    ngx_uint_t                       protocol;
    ngx_pool_cleanup_t              *cln;
    ngx_http_vod_status_mark_t      *mark;
    ngx_http_vod_upload_loc_conf_t  *conf;

    if (ngx_http_vod_upload_metrics == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    if (conf->upload != 1) {
        return NGX_DECLINED;
    }

    protocol = ngx_http_vod_status_protocol(r, conf);

    if (protocol == NGX_VOD_METRICS_PROTOCOLS) {
        return NGX_DECLINED;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_vod_status_marker) {
            return NGX_DECLINED;
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_vod_status_mark_t));
    if (cln == NULL) {
        return NGX_DECLINED;
    }

    mark = cln->data;
    mark->protocol = protocol;
    mark->counted = 0;

    cln->handler = ngx_http_vod_status_marker;

    return NGX_DECLINED;
}


static void
ngx_http_vod_status_marker(void *data)
{
    /* a mark only */
}


static ngx_int_t
ngx_http_vod_status_header_filter(ngx_http_request_t *r)
{
    ngx_http_vod_status_count(r);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_vod_status_log(ngx_http_request_t *r)
{
    ngx_http_vod_status_count(r);

    return NGX_OK;
}


/* an upload request by its protocol and the status the access log shows */

static void
ngx_http_vod_status_count(ngx_http_request_t *r)
{
    ngx_uint_t                   status;
    ngx_pool_cleanup_t          *cln;
    ngx_http_vod_status_mark_t  *mark;

    if (ngx_http_vod_upload_metrics == NULL || r != r->main) {
        return;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_vod_status_marker) {
            break;
        }
    }

    if (cln == NULL) {
        return;
    }

    mark = cln->data;

    if (mark->counted) {
        return;
    }

    mark->counted = 1;

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status >= NGX_VOD_METRICS_STATUS_MIN
        && status < NGX_VOD_METRICS_STATUS_MIN + NGX_VOD_METRICS_STATUSES)
    {
        ngx_http_vod_upload_count(uploads[mark->protocol]
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

    if (ngx_http_vod_status_worker) {
        (void) __atomic_fetch_add(&ngx_http_vod_status_worker->in_flight, 1,
                                  __ATOMIC_RELAXED);
    }

    n = ngx_http_vod_status_shm->nuploads;
    k = __atomic_fetch_add(&ngx_http_vod_status_shm->hint, 1,
                           __ATOMIC_RELAXED);

    for (i = 0; i < n; i++) {
        u = &ngx_http_vod_status_shm->uploads[(k + i) % n];
        free = 0;

        /* taken with -pid: readers skip it until it is filled in */

        if (__atomic_load_n(&u->pid, __ATOMIC_RELAXED) == 0
            && __atomic_compare_exchange_n(&u->pid, &free, -(int64_t) ngx_pid,
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

    __atomic_store_n(&u->pid, (int64_t) ngx_pid, __ATOMIC_RELEASE);

    cln->data = u;

    return u;
}


static void
ngx_http_vod_status_end(void *data)
{
    ngx_vod_metrics_upload_t *u = data;

    if (ngx_http_vod_status_worker) {
        (void) __atomic_fetch_add(&ngx_http_vod_status_worker->in_flight, -1,
                                  __ATOMIC_RELAXED);
    }

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
    int64_t                    pids[NGX_HTTP_VOD_STATUS_WORKERS];
    ngx_int_t                  rc;
    ngx_str_t                  msg, vary;
    ngx_uint_t                 tries, npids;
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

    ngx_http_vod_status_snapshot(&copy);

    npids = ngx_http_vod_status_workers(pids, &copy.uploads_in_flight);

    nuploads = 0;
    list = NULL;

    if (ask.uploads && !ask.prometheus) {
        nuploads = ngx_http_vod_status_uploads(r, pids, npids, &list);

        if (list == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

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

    /* the format may follow Accept */

    ngx_str_set(&vary, "Accept");

    if (ngx_http_vod_upload_header_out(r, "Vary", &vary) != NGX_OK) {
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
 * The workers alive (their pids, at most NGX_HTTP_VOD_STATUS_WORKERS) and
 * the sum of their uploads in flight; the slot of a worker that is no
 * more (it crashed) is freed.
 */

static ngx_uint_t
ngx_http_vod_status_workers(int64_t *pids, int64_t *in_flight)
{
    int64_t                        pid;
    ngx_uint_t                     i, n;
    ngx_http_vod_status_worker_t  *w;

    n = 0;
    *in_flight = 0;

    for (i = 0; i < NGX_HTTP_VOD_STATUS_WORKERS; i++) {
        w = &ngx_http_vod_status_shm->workers[i];
        pid = __atomic_load_n(&w->pid, __ATOMIC_ACQUIRE);

        if (pid == 0) {
            continue;
        }

        if (!ngx_http_vod_status_alive(w)) {
            (void) __atomic_compare_exchange_n(&w->pid, &pid, 0, 0,
                                               __ATOMIC_RELAXED,
                                               __ATOMIC_RELAXED);
            continue;
        }

        /* being set up: no upload yet */

        if (pid < 0) {
            continue;
        }

        pids[n++] = pid;
        *in_flight += __atomic_load_n(&w->in_flight, __ATOMIC_RELAXED);
    }

    return n;
}


/*
 * A copy of the list of uploads in flight, of the workers alive; the
 * entries of others (a worker that crashed) leave it now.  Sized by what
 * is in the list, not by its room.
 */

static size_t
ngx_http_vod_status_uploads(ngx_http_request_t *r, int64_t *pids,
    ngx_uint_t npids, ngx_vod_metrics_upload_t **list)
{
    int64_t                    pid, abs;
    uint64_t                   i, j, n, live;
    ngx_uint_t                 pass;
    ngx_vod_metrics_upload_t  *u, *out;

    n = ngx_http_vod_status_shm->nuploads;
    live = 0;
    out = NULL;

    for (pass = 0; pass < 2; pass++) {

        if (pass == 1) {
            out = ngx_pcalloc(r->pool, (live ? live : 1)
                                       * sizeof(ngx_vod_metrics_upload_t));
            *list = out;

            if (out == NULL) {
                return 0;
            }
        }

        for (i = 0, j = 0, u = ngx_http_vod_status_shm->uploads; i < n;
             i++, u++)
        {
            pid = __atomic_load_n(&u->pid, __ATOMIC_ACQUIRE);

            if (pid == 0) {
                continue;
            }

            abs = (pid < 0) ? -pid : pid;

            for (j = 0; j < npids; j++) {
                if (pids[j] == abs) {
                    break;
                }
            }

            if (j == npids) {
                (void) __atomic_compare_exchange_n(&u->pid, &pid, 0, 0,
                                                   __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED);
                continue;
            }

            /* being filled in */

            if (pid < 0) {
                continue;
            }

            if (pass == 0) {
                live++;
                continue;
            }

            if ((uint64_t) (out - *list) == live) {
                break;
            }

            *out = *u;
            out->received = __atomic_load_n(&u->received, __ATOMIC_RELAXED);
            out->parts_done = __atomic_load_n(&u->parts_done,
                                              __ATOMIC_RELAXED);

            /* taken again meanwhile: not this one */

            if (__atomic_load_n(&u->pid, __ATOMIC_ACQUIRE) != pid) {
                continue;
            }

            out++;
        }
    }

    return out - *list;
}


/* the counters, word by word (each may change meanwhile, none torn) */

static void
ngx_http_vod_status_snapshot(ngx_vod_metrics_t *copy)
{
    size_t     i;
    uint64_t  *from, *to;

    from = (uint64_t *) ngx_http_vod_upload_metrics;
    to = (uint64_t *) copy;

    for (i = 0; i < sizeof(ngx_vod_metrics_t) / sizeof(uint64_t); i++) {
        to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
    }
}


/*
 * A worker of another pid is alive when it runs with the start time it
 * had when it took its slot (not another process of its pid); one that
 * is taking its slot (-pid), when it runs
 */

static ngx_uint_t
ngx_http_vod_status_alive(ngx_http_vod_status_worker_t *w)
{
    int64_t   pid;
    uint64_t  start;

    pid = __atomic_load_n(&w->pid, __ATOMIC_ACQUIRE);

    if (pid == ngx_pid || pid == -ngx_pid) {
        return 1;
    }

    if (pid == 0
        || !ngx_http_vod_upload_process_runs((ngx_pid_t) (pid < 0 ? -pid
                                                                  : pid),
                                             &start))
    {
        return 0;
    }

    return start != 0 && (pid < 0 || start == w->start);
}


/* milliseconds since the epoch */

static uint64_t
ngx_http_vod_status_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The counters of vod_status as JSON and as Prometheus' text exposition
 * format 0.0.4: see ngx_vod_metrics.h and docs/metrics.md.
 */


#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>

#include "ngx_vod_metrics.h"


typedef struct {
    u_char      *p;         /* where the next byte goes */
    u_char      *end;
    size_t       len;       /* of the whole text, written or not */
} ngx_vod_metrics_out_t;


static void ngx_vod_metrics_printf(ngx_vod_metrics_out_t *o,
    const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void ngx_vod_metrics_family(ngx_vod_metrics_out_t *o,
    const char *name, const char *type, const char *help);
static void ngx_vod_metrics_counter(ngx_vod_metrics_out_t *o,
    const char *name, const char *help, uint64_t value);
static void ngx_vod_metrics_histogram(ngx_vod_metrics_out_t *o,
    const char *name, const char *label, const char *value,
    const ngx_vod_metrics_histogram_t *h);
static void ngx_vod_metrics_json_results(ngx_vod_metrics_out_t *o,
    const uint64_t *results);
static void ngx_vod_metrics_json_histogram(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_histogram_t *h);
static int ngx_vod_metrics_accepts_text(const u_char *p, size_t len);


/* the calls to COS or to the API: their names, metrics and labels */

typedef struct {
    const char                 *requests;
    const char                 *requests_help;
    const char                 *duration;
    const char                 *duration_help;
    const char                 *label;
    const char                **names;
    unsigned                    n;
} ngx_vod_metrics_calls_t;


static void ngx_vod_metrics_calls(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_calls_t *c, const uint64_t *results,
    const ngx_vod_metrics_histogram_t *h);
static void ngx_vod_metrics_json_calls(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_calls_t *c, const uint64_t *results,
    const ngx_vod_metrics_histogram_t *h);


const uint64_t  ngx_vod_metrics_bucket_ms[NGX_VOD_METRICS_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
    120000
};

static const char  *ngx_vod_metrics_le[NGX_VOD_METRICS_BUCKETS + 1] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
    "10", "30", "60", "120", "+Inf"
};

static const char  *ngx_vod_metrics_protocols[NGX_VOD_METRICS_PROTOCOLS] = {
    "put", "tus", "form"
};

static const char  *ngx_vod_metrics_cos_names[NGX_VOD_METRICS_COS_OPERATIONS]
= {
    "InitiateMultipartUpload", "UploadPart", "PutObject",
    "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts",
    "ListMultipartUploads", "HeadObject", "DeleteObject"
};

static const char  *ngx_vod_metrics_api_names[NGX_VOD_METRICS_API_ACTIONS] = {
    "ApplyUpload", "CommitUpload", "ProcessMedia", "ProcessMediaByProcedure",
    "PullEvents", "ConfirmEvents"
};

static const char  *ngx_vod_metrics_results[NGX_VOD_METRICS_RESULTS] = {
    "ok", "retried", "failed", "timeout"
};

static const ngx_vod_metrics_calls_t  ngx_vod_metrics_cos_calls = {
    "vod_cos_requests_total", "Requests to COS, by operation and result.",
    "vod_cos_request_duration_seconds",
    "Time from sending a request to COS to its answer (or its failure), "
    "by operation.",
    "operation", ngx_vod_metrics_cos_names, NGX_VOD_METRICS_COS_OPERATIONS
};

static const ngx_vod_metrics_calls_t  ngx_vod_metrics_api_calls = {
    "vod_api_requests_total", "Requests to the VOD API, by action and "
    "result.",
    "vod_api_request_duration_seconds",
    "Time from sending a request to the VOD API to its answer (or its "
    "failure), by action.",
    "action", ngx_vod_metrics_api_names, NGX_VOD_METRICS_API_ACTIONS
};

static const char  *ngx_vod_metrics_event_types[NGX_VOD_METRICS_EVENT_TYPES]
= {
    "NewFileUpload", "ProcedureStateChanged", "FileDeleted", "PullComplete",
    "EditMediaComplete", "other", "unknown"
};

static const char
    *ngx_vod_metrics_event_results[NGX_VOD_METRICS_EVENT_RESULTS] = {
    "accepted", "handed_on", "refused", "invalid", "failed"
};


const char *
ngx_vod_metrics_protocol_name(unsigned protocol)
{
    return protocol < NGX_VOD_METRICS_PROTOCOLS
           ? ngx_vod_metrics_protocols[protocol] : NULL;
}


/* "PutObject (cover)" is a PutObject: the name up to a space counts */

int
ngx_vod_metrics_cos_index(const char *name)
{
    int     i;
    size_t  len;

    len = strcspn(name, " ");

    for (i = 0; i < NGX_VOD_METRICS_COS_OPERATIONS; i++) {
        if (strlen(ngx_vod_metrics_cos_names[i]) == len
            && strncmp(ngx_vod_metrics_cos_names[i], name, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


int
ngx_vod_metrics_api_index(const char *name)
{
    int  i;

    for (i = 0; i < NGX_VOD_METRICS_API_ACTIONS; i++) {
        if (strcmp(ngx_vod_metrics_api_names[i], name) == 0) {
            return i;
        }
    }

    return -1;
}


unsigned
ngx_vod_metrics_event_index(const u_char *type, size_t len)
{
    unsigned  i;

    if (len == 0) {
        return NGX_VOD_METRICS_EVENT_UNKNOWN;
    }

    for (i = 0; i < NGX_VOD_METRICS_EVENT_OTHER; i++) {
        if (strlen(ngx_vod_metrics_event_types[i]) == len
            && memcmp(ngx_vod_metrics_event_types[i], type, len) == 0)
        {
            return i;
        }
    }

    return NGX_VOD_METRICS_EVENT_OTHER;
}


unsigned
ngx_vod_metrics_bucket(uint64_t ms)
{
    unsigned  i;

    for (i = 0; i < NGX_VOD_METRICS_BUCKETS; i++) {
        if (ms <= ngx_vod_metrics_bucket_ms[i]) {
            break;
        }
    }

    return i;
}


int
ngx_vod_metrics_ask(const u_char *args, size_t len, const u_char *accept,
    size_t accept_len, ngx_vod_metrics_ask_t *ask)
{
    size_t         n;
    const u_char  *p, *last, *name, *eq, *value;

    ask->prometheus = 0;
    ask->uploads = 0;

    p = args;
    last = args + len;

    while (p < last) {
        name = p;

        while (p < last && *p != '&') {
            p++;
        }

        eq = memchr(name, '=', p - name);

        if (eq == NULL) {
            eq = p;
        }

        value = (eq < p) ? eq + 1 : eq;
        n = p - value;

        if (eq - name == 7 && memcmp(name, "uploads", 7) == 0) {
            ask->uploads = 1;

        } else if (eq - name == 6 && memcmp(name, "format", 6) == 0) {

            if (n == 10 && memcmp(value, "prometheus", 10) == 0) {
                ask->prometheus = 1;

            } else if (n == 4 && memcmp(value, "json", 4) == 0) {
                ask->prometheus = 0;

            } else {
                return NGX_VOD_ERROR;
            }

            /* the format asked for, whatever Accept says */
            accept = NULL;
            accept_len = 0;
        }

        p++;
    }

    /* Prometheus' scrapes accept text/plain (among others) */

    ask->prometheus |= ngx_vod_metrics_accepts_text(accept, accept_len);

    return NGX_VOD_OK;
}


/*
 * Accept names text/plain as a media range of its own, with a q other
 * than 0 ("text/plain;version=0.0.4;q=0.3" yes, "text/plain;q=0" no)
 */

static int
ngx_vod_metrics_accepts_text(const u_char *p, size_t len)
{
    const u_char  *last, *end, *q;

    if (p == NULL) {
        return 0;
    }

    last = p + len;

    while (p < last) {
        end = memchr(p, ',', last - p);

        if (end == NULL) {
            end = last;
        }

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (ngx_vod_casestarts(p, end, "text/plain")
            && (p + 10 == end || p[10] == ';' || p[10] == ' '
                || p[10] == '\t'))
        {
            /* a q of 0, 0.0, 0.00 or 0.000: not acceptable */

            for (q = p + 10; q + 2 < end; q++) {
                if (q[0] == ';') {
                    q++;

                    while (q < end && (*q == ' ' || *q == '\t')) {
                        q++;
                    }

                    if (q + 2 <= end && (q[0] == 'q' || q[0] == 'Q')
                        && q[1] == '=')
                    {
                        q += 2;

                        if (q < end && *q == '0') {
                            q++;

                            if (q < end && *q == '.') {
                                q++;
                            }

                            while (q < end && *q == '0') {
                                q++;
                            }

                            while (q < end && (*q == ' ' || *q == '\t')) {
                                q++;
                            }

                            if (q == end || *q == ';') {
                                return 0;
                            }
                        }

                        return 1;
                    }

                    q--;
                }
            }

            return 1;
        }

        p = end + 1;
    }

    return 0;
}


size_t
ngx_vod_metrics_prometheus(const ngx_vod_metrics_t *m, u_char *buf,
    size_t size)
{
    unsigned               i, j;
    ngx_vod_metrics_out_t  out, *o;

    o = &out;
    o->p = buf;
    o->end = buf ? buf + size : NULL;     /* NULL: only the length */
    o->len = 0;

    ngx_vod_metrics_family(o, "vod_uploads_total", "counter",
                           "Upload requests (PUT, tus PATCH, form POST) "
                           "answered, by protocol and status.");

    for (i = 0; i < NGX_VOD_METRICS_PROTOCOLS; i++) {
        for (j = 0; j < NGX_VOD_METRICS_STATUSES; j++) {
            if (m->uploads[i][j]) {
                ngx_vod_metrics_printf(o,
                    "vod_uploads_total{protocol=\"%s\",status=\"%u\"} "
                    "%" PRIu64 "\n", ngx_vod_metrics_protocols[i],
                    j + NGX_VOD_METRICS_STATUS_MIN, m->uploads[i][j]);
            }
        }
    }

    ngx_vod_metrics_family(o, "vod_uploads_in_flight", "gauge",
                           "Upload requests being relayed now.");
    ngx_vod_metrics_printf(o, "vod_uploads_in_flight %" PRId64 "\n",
                           m->uploads_in_flight > 0 ? m->uploads_in_flight
                                                    : 0);

    ngx_vod_metrics_counter(o, "vod_upload_received_bytes_total",
                            "Bytes of media received from clients.",
                            m->received_bytes);

    ngx_vod_metrics_counter(o, "vod_cos_sent_bytes_total",
                            "Bytes of media and covers sent to COS, "
                            "retries included.",
                            m->cos_sent_bytes);

    ngx_vod_metrics_calls(o, &ngx_vod_metrics_cos_calls, &m->cos[0][0],
                          m->cos_duration);
    ngx_vod_metrics_calls(o, &ngx_vod_metrics_api_calls, &m->api[0][0],
                          m->api_duration);

    ngx_vod_metrics_counter(o, "vod_parts_retried_total",
                            "Parts sent to COS again after a failure.",
                            m->parts_retried);

    ngx_vod_metrics_counter(o, "vod_multipart_aborted_total",
                            "Multipart uploads aborted in COS after a "
                            "failure.",
                            m->multipart_aborted);

    ngx_vod_metrics_counter(o, "vod_crc_mismatch_total",
                            "Parts or objects that COS stored with another "
                            "CRC-64 than the one sent.",
                            m->crc_mismatch);

    ngx_vod_metrics_family(o, "vod_events_total", "counter",
                           "VOD events received (pushed or pulled), by "
                           "type and result.");

    for (i = 0; i < NGX_VOD_METRICS_EVENT_TYPES; i++) {
        for (j = 0; j < NGX_VOD_METRICS_EVENT_RESULTS; j++) {
            if (m->events[i][j]) {
                ngx_vod_metrics_printf(o,
                    "vod_events_total{type=\"%s\",result=\"%s\"} "
                    "%" PRIu64 "\n", ngx_vod_metrics_event_types[i],
                    ngx_vod_metrics_event_results[j], m->events[i][j]);
            }
        }
    }

    ngx_vod_metrics_counter(o, "vod_events_pulled_total",
                            "Events pulled from VOD's reliable queue.",
                            m->events_pulled);

    ngx_vod_metrics_counter(o, "vod_events_confirmed_total",
                            "Pulled events confirmed to VOD.",
                            m->events_confirmed);

    ngx_vod_metrics_family(o, "vod_process_media_total", "counter",
                           "Processing started on new files "
                           "(vod_callback_transcode, "
                           "vod_callback_procedure), by result.");

    for (j = 0; j < NGX_VOD_METRICS_RESULTS; j++) {
        ngx_vod_metrics_printf(o, "vod_process_media_total{result=\"%s\"} "
                               "%" PRIu64 "\n", ngx_vod_metrics_results[j],
                               m->process_media[j]);
    }

    return o->len;
}


size_t
ngx_vod_metrics_json(const ngx_vod_metrics_t *m,
    const ngx_vod_metrics_upload_t *uploads, size_t nuploads,
    uint64_t now_ms, u_char *buf, size_t size)
{
    size_t                           k;
    unsigned                         i, j, n;
    uint64_t                         age;
    const char                      *name;
    ngx_vod_metrics_out_t            out, *o;
    const ngx_vod_metrics_upload_t  *u;

    o = &out;
    o->p = buf;
    o->end = buf ? buf + size : NULL;     /* NULL: only the length */
    o->len = 0;

    ngx_vod_metrics_printf(o, "{\"uploads\":{\"in_flight\":%" PRId64
                           ",\"received_bytes\":%" PRIu64 ",\"total\":{",
                           m->uploads_in_flight > 0 ? m->uploads_in_flight
                                                    : 0,
                           m->received_bytes);

    for (i = 0; i < NGX_VOD_METRICS_PROTOCOLS; i++) {
        ngx_vod_metrics_printf(o, "%s\"%s\":{", i ? "," : "",
                               ngx_vod_metrics_protocols[i]);

        for (j = 0, n = 0; j < NGX_VOD_METRICS_STATUSES; j++) {
            if (m->uploads[i][j]) {
                ngx_vod_metrics_printf(o, "%s\"%u\":%" PRIu64,
                                       n++ ? "," : "",
                                       j + NGX_VOD_METRICS_STATUS_MIN,
                                       m->uploads[i][j]);
            }
        }

        ngx_vod_metrics_printf(o, "}");
    }

    ngx_vod_metrics_printf(o, "}},\"cos\":{\"sent_bytes\":%" PRIu64
                           ",\"parts_retried\":%" PRIu64
                           ",\"multipart_aborted\":%" PRIu64
                           ",\"crc_mismatch\":%" PRIu64 ",\"requests\":{",
                           m->cos_sent_bytes, m->parts_retried,
                           m->multipart_aborted, m->crc_mismatch);

    ngx_vod_metrics_json_calls(o, &ngx_vod_metrics_cos_calls, &m->cos[0][0],
                               m->cos_duration);

    ngx_vod_metrics_printf(o, "}},\"api\":{\"requests\":{");

    ngx_vod_metrics_json_calls(o, &ngx_vod_metrics_api_calls, &m->api[0][0],
                               m->api_duration);

    ngx_vod_metrics_printf(o, "}},\"events\":{\"total\":{");

    for (i = 0, n = 0; i < NGX_VOD_METRICS_EVENT_TYPES; i++) {
        for (j = 0; j < NGX_VOD_METRICS_EVENT_RESULTS; j++) {
            if (m->events[i][j]) {
                break;
            }
        }

        if (j == NGX_VOD_METRICS_EVENT_RESULTS) {
            continue;
        }

        ngx_vod_metrics_printf(o, "%s\"%s\":{", n++ ? "," : "",
                               ngx_vod_metrics_event_types[i]);

        for (j = 0; j < NGX_VOD_METRICS_EVENT_RESULTS; j++) {
            ngx_vod_metrics_printf(o, "%s\"%s\":%" PRIu64, j ? "," : "",
                                   ngx_vod_metrics_event_results[j],
                                   m->events[i][j]);
        }

        ngx_vod_metrics_printf(o, "}");
    }

    ngx_vod_metrics_printf(o, "},\"pulled\":%" PRIu64 ",\"confirmed\":%"
                           PRIu64 ",\"process_media\":",
                           m->events_pulled, m->events_confirmed);
    ngx_vod_metrics_json_results(o, m->process_media);
    ngx_vod_metrics_printf(o, "}}");

    if (uploads) {
        ngx_vod_metrics_printf(o, ",\"uploads_in_flight\":[");

        for (k = 0; k < nuploads; k++) {
            u = &uploads[k];
            name = ngx_vod_metrics_protocol_name(u->protocol);
            age = now_ms > u->started_ms ? now_ms - u->started_ms : 0;

            ngx_vod_metrics_printf(o, "%s{\"id\":\"%.*s\",\"protocol\":"
                                   "\"%s\",\"worker\":%" PRId64
                                   ",\"received\":%" PRIu64,
                                   k ? "," : "", (int) u->id_len, u->id,
                                   name ? name : "", u->pid, u->received);

            if (u->length >= 0) {
                ngx_vod_metrics_printf(o, ",\"length\":%" PRId64,
                                       u->length);
            } else {
                ngx_vod_metrics_printf(o, ",\"length\":null");
            }

            ngx_vod_metrics_printf(o, ",\"parts_done\":%" PRIu64
                                   ",\"age\":%" PRIu64 ".%03" PRIu64 "}",
                                   u->parts_done, age / 1000, age % 1000);
        }

        ngx_vod_metrics_printf(o, "]");
    }

    ngx_vod_metrics_printf(o, "}\n");

    return o->len;
}


static void
ngx_vod_metrics_printf(ngx_vod_metrics_out_t *o, const char *fmt, ...)
{
    int      n;
    size_t   room;
    va_list  args;

    room = o->p ? (size_t) (o->end - o->p) : 0;

    va_start(args, fmt);
    n = vsnprintf((char *) o->p, room, fmt, args);
    va_end(args);

    if (n < 0) {
        return;
    }

    o->len += n;

    /* once something did not fit, nothing more is written */

    if ((size_t) n < room) {
        o->p += n;

    } else {
        o->p = o->end;
    }
}


static void
ngx_vod_metrics_family(ngx_vod_metrics_out_t *o, const char *name,
    const char *type, const char *help)
{
    ngx_vod_metrics_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}


/* a counter without labels */

static void
ngx_vod_metrics_counter(ngx_vod_metrics_out_t *o, const char *name,
    const char *help, uint64_t value)
{
    ngx_vod_metrics_family(o, name, "counter", help);
    ngx_vod_metrics_printf(o, "%s %" PRIu64 "\n", name, value);
}


static void
ngx_vod_metrics_histogram(ngx_vod_metrics_out_t *o, const char *name,
    const char *label, const char *value,
    const ngx_vod_metrics_histogram_t *h)
{
    unsigned  i;
    uint64_t  n;

    for (i = 0, n = 0; i <= NGX_VOD_METRICS_BUCKETS; i++) {
        n += h->count[i];
        ngx_vod_metrics_printf(o, "%s_bucket{%s=\"%s\",le=\"%s\"} %" PRIu64
                               "\n", name, label, value,
                               ngx_vod_metrics_le[i], n);
    }

    ngx_vod_metrics_printf(o, "%s_sum{%s=\"%s\"} %" PRIu64 ".%03" PRIu64
                           "\n%s_count{%s=\"%s\"} %" PRIu64 "\n",
                           name, label, value, h->sum_ms / 1000,
                           h->sum_ms % 1000, name, label, value, n);
}


/* the requests_total counter and the duration histogram of some calls */

static void
ngx_vod_metrics_calls(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_calls_t *c, const uint64_t *results,
    const ngx_vod_metrics_histogram_t *h)
{
    unsigned  i, j;

    ngx_vod_metrics_family(o, c->requests, "counter", c->requests_help);

    for (i = 0; i < c->n; i++) {
        for (j = 0; j < NGX_VOD_METRICS_RESULTS; j++) {
            ngx_vod_metrics_printf(o, "%s{%s=\"%s\",result=\"%s\"} %" PRIu64
                                   "\n", c->requests, c->label, c->names[i],
                                   ngx_vod_metrics_results[j],
                                   results[i * NGX_VOD_METRICS_RESULTS + j]);
        }
    }

    ngx_vod_metrics_family(o, c->duration, "histogram", c->duration_help);

    for (i = 0; i < c->n; i++) {
        ngx_vod_metrics_histogram(o, c->duration, c->label, c->names[i],
                                  &h[i]);
    }
}


static void
ngx_vod_metrics_json_calls(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_calls_t *c, const uint64_t *results,
    const ngx_vod_metrics_histogram_t *h)
{
    unsigned  i;

    for (i = 0; i < c->n; i++) {
        ngx_vod_metrics_printf(o, "%s\"%s\":", i ? "," : "", c->names[i]);
        ngx_vod_metrics_json_results(o, results + i * NGX_VOD_METRICS_RESULTS);
        ngx_vod_metrics_json_histogram(o, &h[i]);
    }
}


static void
ngx_vod_metrics_json_results(ngx_vod_metrics_out_t *o,
    const uint64_t *results)
{
    unsigned  j;

    for (j = 0; j < NGX_VOD_METRICS_RESULTS; j++) {
        ngx_vod_metrics_printf(o, "%s\"%s\":%" PRIu64, j ? "," : "{",
                               ngx_vod_metrics_results[j], results[j]);
    }
}


/* closes the object ngx_vod_metrics_json_results() opened */

static void
ngx_vod_metrics_json_histogram(ngx_vod_metrics_out_t *o,
    const ngx_vod_metrics_histogram_t *h)
{
    unsigned  i;
    uint64_t  n;

    for (i = 0, n = 0; i <= NGX_VOD_METRICS_BUCKETS; i++) {
        n += h->count[i];
    }

    ngx_vod_metrics_printf(o, ",\"duration\":{\"count\":%" PRIu64
                           ",\"sum\":%" PRIu64 ".%03" PRIu64
                           ",\"buckets\":{", n, h->sum_ms / 1000,
                           h->sum_ms % 1000);

    for (i = 0, n = 0; i <= NGX_VOD_METRICS_BUCKETS; i++) {
        n += h->count[i];
        ngx_vod_metrics_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "",
                               ngx_vod_metrics_le[i], n);
    }

    ngx_vod_metrics_printf(o, "}}}");
}

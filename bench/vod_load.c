
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * vod_load: the upload benchmark's load client.  PUTs N bodies at once
 * with libcurl's multi interface, from memory: a pseudo-random pattern
 * of a prime length (so no two parts of a body are alike and a part
 * sent twice or out of order changes the CRC), each upload starting at
 * another place in it.  The CRC-64 of every body is computed before the
 * clock starts, to compare with what landed.
 *
 *     vod_load [--size BYTES] [--concurrency N] [--chunked] [--expect]
 *              [--buffer BYTES] [--rate BYTES] [--http2] [--quiet] URL
 *
 * BYTES takes k, m, g (powers of 1024).  "{n}" in URL is replaced by the
 * upload's number (1..N).  Prints one line per upload,
 *
 *     upload 1: status 200, 1073741824 bytes, 1.234 s, 870.1 MB/s,
 *     crc64 123
 *
 * (on one line), a line for all of them, and the answer of the first
 * upload (and of any that failed).  MB/s is 10^6 bytes per second.  The
 * exit code is 0 when every upload was sent whole and answered 2xx.
 *
 * --rate BYTES limits each upload to BYTES per second
 * (CURLOPT_MAX_SEND_SPEED_LARGE): a slow client.  --http2 speaks HTTP/2
 * over cleartext with prior knowledge (h2c, http:// URLs only), each
 * upload on a connection of its own (libcurl 7.88 cannot multiplex them,
 * below); --chunked then means no Content-Length (HTTP/2 has no chunked
 * coding).
 * --buffer is curl's upload buffer (CURLOPT_UPLOAD_BUFFERSIZE, 512k; at
 * least 16k): with --rate, curl sends about that much at a time.
 *
 * Thousands of uploads at once: RLIMIT_NOFILE is raised to what N
 * connections need, curl's connections are not limited in number, and
 * no upload has a timeout (connecting aside, curl's 300 s): a server
 * that stops reading an upload (backpressure) may hold it as long as it
 * wants, and the upload waits.
 *
 * With --tus, URL is a tus 1.0 creation URL (http://127.0.0.1:PORT/files/):
 * each upload is a POST (Upload-Length, Upload-Metadata "filename" NAME,
 * default "upload-{n}.mp4") answered 201 with a Location, then one PATCH
 * of the whole body from Upload-Offset 0, or with --chunk BYTES PATCHes of
 * that size, each from the Upload-Offset the one before answered; the
 * last one must answer 204 with Upload-Offset the length.  The time of an
 * upload runs from its POST to the last PATCH's answer; its line has the
 * length as bytes and MB/s of it, and a line more,
 *
 *     tus of upload 1: 1 POST, 16 PATCH(es), 1073741824 bytes sent,
 *     Upload-Offset 1073741824, X-VOD-File-Id 5285890780000000001
 *
 *     vod_load --tus [--chunk BYTES] [--name NAME] [the options above] URL
 */


#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/resource.h>
#include <curl/curl.h>

#include "ngx_vod_crc64.h"


#define NGX_VOD_LOAD_PATTERN    1048573         /* a prime */
#define NGX_VOD_LOAD_STRIDE     7919            /* between uploads */
#define NGX_VOD_LOAD_ANSWER_MAX (64 * 1024)
#define NGX_VOD_LOAD_LOCATION_MAX  4096
#define NGX_VOD_LOAD_FDS_SPARE  64      /* curl's own, stdio, the sink */


typedef struct {
    int                     n;          /* 1-based */
    CURL                   *easy;
    struct curl_slist      *headers;
    char                   *url;
    uint64_t                offset;     /* where it starts in the pattern */
    uint64_t                given;      /* bytes given to curl */
    uint64_t                crc;
    char                    answer[NGX_VOD_LOAD_ANSWER_MAX];
    size_t                  answer_len;
    CURLcode                result;
    long                    status;
    curl_off_t              sent;
    double                  seconds;
    int                     done;

    /* tus */
    const char             *error;      /* why it failed, not curl's */
    double                  start;
    uint64_t                from;       /* where the PATCH starts */
    uint64_t                limit;      /* and ends */
    int64_t                 upload_offset;  /* answered; -1: none */
    int                     patches;
    char                    location[NGX_VOD_LOAD_LOCATION_MAX];
    char                    file_id[64];
    char                    name[256];
} ngx_vod_load_upload_t;


static uint64_t ngx_vod_load_size(const char *s);
static int ngx_vod_load_nofile(int n);
static char *ngx_vod_load_url(const char *url, int n);
static int ngx_vod_load_tus_create(ngx_vod_load_upload_t *u);
static int ngx_vod_load_tus_next(CURLM *multi, ngx_vod_load_upload_t *u);
static int ngx_vod_load_tus_patch(ngx_vod_load_upload_t *u,
    uint64_t from);
static size_t ngx_vod_load_header(char *buf, size_t size, size_t nitems,
    void *data);
static void ngx_vod_load_base64(char *dst, const char *src);
static size_t ngx_vod_load_read(char *buf, size_t size, size_t nitems,
    void *data);
static size_t ngx_vod_load_write(char *buf, size_t size, size_t nitems,
    void *data);
static uint64_t ngx_vod_load_crc(uint64_t offset);
static double ngx_vod_load_now(void);
static void ngx_vod_load_usage(const char *name);


static u_char    *ngx_vod_load_pattern;
static uint64_t   ngx_vod_load_body_size = 1024 * 1024 * 1024;

/* the options the tus requests need */
static int        ngx_vod_load_chunked;
static int        ngx_vod_load_expect;
static long       ngx_vod_load_buffer = 512 * 1024;
static uint64_t   ngx_vod_load_chunk;           /* 0: one PATCH */
static int        ngx_vod_load_http2;


int
main(int argc, char **argv)
{
    int                     i, n, tus, quiet, running, left;
    int                     failed, done, queued;
    char                   *url, *name, *p;
    double                  start, wall;
    CURLM                  *multi;
    CURLMsg                *msg;
    uint64_t                x, total;
    curl_off_t              us;
    curl_off_t              rate;
    ngx_vod_load_upload_t  *up, *u;

    n = 1;
    rate = 0;
    tus = 0;
    quiet = 0;
    url = NULL;
    name = "upload-{n}.mp4";

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            ngx_vod_load_body_size = ngx_vod_load_size(argv[++i]);

        } else if (strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);

        } else if (strcmp(argv[i], "--buffer") == 0 && i + 1 < argc) {
            ngx_vod_load_buffer = (long) ngx_vod_load_size(argv[++i]);

        } else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
            rate = (curl_off_t) ngx_vod_load_size(argv[++i]);

            if (rate == 0) {
                ngx_vod_load_usage(argv[0]);
                return 2;
            }

        } else if (strcmp(argv[i], "--http2") == 0) {
            ngx_vod_load_http2 = 1;

        } else if (strcmp(argv[i], "--chunked") == 0) {
            ngx_vod_load_chunked = 1;

        } else if (strcmp(argv[i], "--expect") == 0) {
            ngx_vod_load_expect = 1;

        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;

        } else if (strcmp(argv[i], "--tus") == 0) {
            tus = 1;

        } else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) {
            ngx_vod_load_chunk = ngx_vod_load_size(argv[++i]);

            if (ngx_vod_load_chunk == 0) {
                ngx_vod_load_usage(argv[0]);
                return 2;
            }

        } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];

        } else if (argv[i][0] != '-' && url == NULL) {
            url = argv[i];

        } else {
            ngx_vod_load_usage(argv[0]);
            return 2;
        }
    }

    if (url == NULL || n < 1 || ngx_vod_load_body_size == 0
        || ngx_vod_load_buffer <= 0 || (ngx_vod_load_chunk && !tus)
        || (ngx_vod_load_http2 && strncmp(url, "http://", 7) != 0))
    {
        ngx_vod_load_usage(argv[0]);
        return 2;
    }

    if (ngx_vod_load_nofile(n) != 0) {
        return 2;
    }

    ngx_vod_crc64_init();

    /* the pattern, xorshift64 bytes */

    ngx_vod_load_pattern = malloc(NGX_VOD_LOAD_PATTERN);
    up = calloc(n, sizeof(ngx_vod_load_upload_t));

    if (ngx_vod_load_pattern == NULL || up == NULL) {
        fprintf(stderr, "vod_load: out of memory\n");
        return 2;
    }

    x = 88172645463325252ULL;

    for (i = 0; i < NGX_VOD_LOAD_PATTERN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ngx_vod_load_pattern[i] = (u_char) (x >> 24);
    }

    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "vod_load: curl_global_init() failed\n");
        return 2;
    }

    multi = curl_multi_init();
    if (multi == NULL) {
        fprintf(stderr, "vod_load: curl_multi_init() failed\n");
        return 2;
    }

    /*
     * As many connections as uploads, all kept (0: no limit); no two
     * uploads on one HTTP/2 connection: libcurl 7.88 fails the second
     * stream of h2c with prior knowledge ("Error in the HTTP2 framing
     * layer", curl/curl#10634)
     */

    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long) CURLPIPE_NOTHING);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long) n);

    for (i = 0; i < n; i++) {
        u = &up[i];

        u->n = i + 1;
        u->offset = ((uint64_t) i * NGX_VOD_LOAD_STRIDE)
                    % NGX_VOD_LOAD_PATTERN;
        u->crc = ngx_vod_load_crc(u->offset);
        u->url = ngx_vod_load_url(url, u->n);
        u->easy = curl_easy_init();

        if (u->url == NULL || u->easy == NULL) {
            fprintf(stderr, "vod_load: out of memory\n");
            return 2;
        }

        curl_easy_setopt(u->easy, CURLOPT_URL, u->url);
        curl_easy_setopt(u->easy, CURLOPT_HTTP_VERSION,
                         ngx_vod_load_http2
                         ? (long) CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                         : (long) CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(u->easy, CURLOPT_READFUNCTION, ngx_vod_load_read);
        curl_easy_setopt(u->easy, CURLOPT_READDATA, u);
        curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, ngx_vod_load_write);
        curl_easy_setopt(u->easy, CURLOPT_WRITEDATA, u);
        curl_easy_setopt(u->easy, CURLOPT_PRIVATE, u);
        curl_easy_setopt(u->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(u->easy, CURLOPT_UPLOAD_BUFFERSIZE,
                         ngx_vod_load_buffer);
        curl_easy_setopt(u->easy, CURLOPT_MAX_SEND_SPEED_LARGE, rate);

        /* no timeout: the server may hold an upload (0: none) */
        curl_easy_setopt(u->easy, CURLOPT_TIMEOUT_MS, 0L);

        if (tus) {
            u->limit = 0;
            u->upload_offset = -1;

            p = ngx_vod_load_url(name, u->n);

            if (p == NULL) {
                fprintf(stderr, "vod_load: out of memory\n");
                return 2;
            }

            snprintf(u->name, sizeof(u->name), "%s", p);
            free(p);

            curl_easy_setopt(u->easy, CURLOPT_HEADERFUNCTION,
                             ngx_vod_load_header);
            curl_easy_setopt(u->easy, CURLOPT_HEADERDATA, u);

            if (ngx_vod_load_tus_create(u) != 0) {
                fprintf(stderr, "vod_load: out of memory\n");
                return 2;
            }

        } else {
            u->limit = ngx_vod_load_body_size;

            u->headers = curl_slist_append(NULL, "Content-Type: video/mp4");

            if (!ngx_vod_load_expect) {
                u->headers = curl_slist_append(u->headers, "Expect:");
            }

            if (ngx_vod_load_chunked && !ngx_vod_load_http2) {
                u->headers = curl_slist_append(u->headers,
                                               "Transfer-Encoding: chunked");
            }

            curl_easy_setopt(u->easy, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(u->easy, CURLOPT_HTTPHEADER, u->headers);

            if (!ngx_vod_load_chunked) {
                curl_easy_setopt(u->easy, CURLOPT_INFILESIZE_LARGE,
                                 (curl_off_t) ngx_vod_load_body_size);
            }
        }
    }

    if (!quiet) {
        printf("vod_load: %d upload(s) of %" PRIu64 " bytes at once, %s, "
               "%s to %s, %s", n, ngx_vod_load_body_size,
               ngx_vod_load_chunked
               ? (ngx_vod_load_http2 ? "no length" : "chunked")
               : "Content-Length",
               tus ? "tus" : "PUT", url,
               ngx_vod_load_http2 ? "HTTP/2" : "HTTP/1.1");

        if (rate) {
            printf(", at most %" CURL_FORMAT_CURL_OFF_T " bytes/s each",
                   rate);
        }

        printf("\n");
        fflush(stdout);
    }

    start = ngx_vod_load_now();
    left = n;

    for (i = 0; i < n; i++) {
        up[i].start = start;
        curl_multi_add_handle(multi, up[i].easy);
    }

    do {
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            fprintf(stderr, "vod_load: curl_multi_perform() failed\n");
            return 1;
        }

        while ((msg = curl_multi_info_read(multi, &queued)) != NULL) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }

            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                              (char **) &u);

            u->result = msg->data.result;

            curl_easy_getinfo(u->easy, CURLINFO_RESPONSE_CODE, &u->status);

            if (tus) {
                if (ngx_vod_load_tus_next(multi, u)) {
                    continue;
                }

                u->done = 1;
                u->seconds = ngx_vod_load_now() - u->start;
                left--;
                continue;
            }

            u->done = 1;

            curl_easy_getinfo(u->easy, CURLINFO_SIZE_UPLOAD_T, &u->sent);

            /* curl counts the chunked framing: the body is what it read */

            if (ngx_vod_load_chunked && u->result == CURLE_OK) {
                u->sent = (curl_off_t) u->given;
            }
            curl_easy_getinfo(u->easy, CURLINFO_TOTAL_TIME_T, &us);
            u->seconds = us / 1e6;

            left--;
        }

        if (running && curl_multi_poll(multi, NULL, 0, 1000, NULL)
                       != CURLM_OK)
        {
            fprintf(stderr, "vod_load: curl_multi_poll() failed\n");
            return 1;
        }

    } while (running || left);

    wall = ngx_vod_load_now() - start;

    failed = 0;
    done = 0;
    total = 0;

    for (i = 0; i < n; i++) {
        u = &up[i];

        if (u->result != CURLE_OK) {
            printf("upload %d: failed: %s, %" CURL_FORMAT_CURL_OFF_T
                   " bytes sent, %.3f s\n", u->n,
                   curl_easy_strerror(u->result), u->sent, u->seconds);
            failed++;
            continue;
        }

        if (u->error) {
            printf("upload %d: failed: %s (status %ld), %"
                   CURL_FORMAT_CURL_OFF_T " bytes sent, %.3f s\n", u->n,
                   u->error, u->status, u->sent, u->seconds);
            failed++;
            continue;
        }

        /* a tus upload: its length, once the last PATCH reached it */

        x = tus ? (uint64_t) u->upload_offset : (uint64_t) u->sent;

        printf("upload %d: status %ld, %" PRIu64 " bytes, %.3f s, "
               "%.1f MB/s, crc64 %" PRIu64 "\n", u->n, u->status, x,
               u->seconds, u->seconds > 0 ? x / u->seconds / 1e6 : 0.0,
               u->crc);

        if (tus) {
            printf("tus of upload %d: 1 POST, %d PATCH(es), %"
                   CURL_FORMAT_CURL_OFF_T " bytes sent, Upload-Offset %"
                   PRId64 ", X-VOD-File-Id %s\n", u->n, u->patches, u->sent,
                   u->upload_offset, u->file_id[0] ? u->file_id : "-");
        }

        if (u->status < 200 || u->status > 299
            || x != ngx_vod_load_body_size)
        {
            failed++;

        } else {
            done++;
            total += x;
        }
    }

    printf("all: %d of %d upload(s) ok, %" PRIu64 " bytes, %.3f s, "
           "%.1f MB/s\n", done, n, total, wall,
           wall > 0 ? total / wall / 1e6 : 0.0);

    for (i = 0; i < n; i++) {
        u = &up[i];

        if (i == 0 || u->result != CURLE_OK || u->error != NULL
            || u->status < 200 || u->status > 299)
        {
            if (u->answer_len || u->result == CURLE_OK) {
                printf("answer of upload %d: %.*s\n", u->n,
                       (int) u->answer_len, u->answer);
            }
        }

        curl_multi_remove_handle(multi, u->easy);
        curl_easy_cleanup(u->easy);
        curl_slist_free_all(u->headers);
        free(u->url);
    }

    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(up);
    free(ngx_vod_load_pattern);

    return failed ? 1 : 0;
}


/* "1073741824", "1g", "8m", "16k" */

static uint64_t
ngx_vod_load_size(const char *s)
{
    char      *end;
    uint64_t   n;

    n = strtoull(s, &end, 10);

    switch (*end) {
    case 'k': case 'K': n <<= 10; end++; break;
    case 'm': case 'M': n <<= 20; end++; break;
    case 'g': case 'G': n <<= 30; end++; break;
    default: break;
    }

    return *end == '\0' ? n : 0;
}


/*
 * Room for n connections and some: the soft limit raised, and the hard
 * one if it must be and may be (root)
 */

static int
ngx_vod_load_nofile(int n)
{
    rlim_t         want;
    struct rlimit  rl;

    want = (rlim_t) n + NGX_VOD_LOAD_FDS_SPARE;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "vod_load: getrlimit(RLIMIT_NOFILE): %s\n",
                strerror(errno));
        return -1;
    }

    if (rl.rlim_cur >= want) {          /* RLIM_INFINITY is the largest */
        return 0;
    }

    rl.rlim_cur = want;

    if (rl.rlim_max < want) {
        rl.rlim_max = want;
    }

    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "vod_load: %d uploads need %lu file descriptors: "
                "setrlimit(RLIMIT_NOFILE, %lu): %s\n", n,
                (unsigned long) want, (unsigned long) want, strerror(errno));
        return -1;
    }

    return 0;
}


/* the URL with "{n}" replaced by the upload's number */

static char *
ngx_vod_load_url(const char *url, int n)
{
    char        *p, num[16];
    size_t       len;
    const char  *at;

    at = strstr(url, "{n}");

    if (at == NULL) {
        return strdup(url);
    }

    len = snprintf(num, sizeof(num), "%d", n);

    p = malloc(strlen(url) - 3 + len + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, url, at - url);
    memcpy(p + (at - url), num, len);
    strcpy(p + (at - url) + len, at + 3);

    return p;
}


/*
 * The body: the pattern from the upload's offset, round and round, up to
 * the limit (a PATCH's end, or the length)
 */

static size_t
ngx_vod_load_read(char *buf, size_t size, size_t nitems, void *data)
{
    ngx_vod_load_upload_t *u = data;

    size_t    n, len, want;
    uint64_t  at;

    want = size * nitems;

    if (want > u->limit - u->given) {
        want = (size_t) (u->limit - u->given);
    }

    len = 0;

    while (len < want) {
        at = (u->offset + u->given) % NGX_VOD_LOAD_PATTERN;
        n = NGX_VOD_LOAD_PATTERN - at;

        if (n > want - len) {
            n = want - len;
        }

        memcpy(buf + len, ngx_vod_load_pattern + at, n);
        len += n;
        u->given += n;
    }

    return len;
}

/* tus: the creation, a POST without bytes */

static int
ngx_vod_load_tus_create(ngx_vod_load_upload_t *u)
{
    char  line[512], b64[400];

    ngx_vod_load_base64(b64, u->name);

    snprintf(line, sizeof(line), "Upload-Length: %" PRIu64,
             ngx_vod_load_body_size);
    u->headers = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
    u->headers = curl_slist_append(u->headers, line);

    snprintf(line, sizeof(line), "Upload-Metadata: filename %s", b64);
    u->headers = curl_slist_append(u->headers, line);

    if (u->headers == NULL) {
        return -1;
    }

    curl_easy_setopt(u->easy, CURLOPT_HTTPHEADER, u->headers);
    curl_easy_setopt(u->easy, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(u->easy, CURLOPT_POSTFIELDSIZE, 0L);

    return 0;
}


/*
 * A request of a tus upload is done: the next PATCH goes (1), or the
 * upload is over (0), with u->error set when it failed
 */

static int
ngx_vod_load_tus_next(CURLM *multi, ngx_vod_load_upload_t *u)
{
    uint64_t    from;
    curl_off_t  sent;

    if (u->result != CURLE_OK) {
        return 0;
    }

    if (u->patches == 0) {

        /* the POST */

        if (u->status != 201) {
            u->error = "the creation was not answered 201";
            return 0;
        }

        if (u->location[0] == '\0') {
            u->error = "the creation's answer has no Location";
            return 0;
        }

        from = 0;

    } else {
        curl_easy_getinfo(u->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
        u->sent += sent;

        if (u->status != 204) {
            u->error = "a PATCH was not answered 204";
            return 0;
        }

        if (u->upload_offset < 0) {
            u->error = "a PATCH's answer has no Upload-Offset";
            return 0;
        }

        from = (uint64_t) u->upload_offset;

        if (from == ngx_vod_load_body_size) {
            return 0;
        }

        /* the next PATCH from the offset answered: maybe less was kept */

        if (from <= u->from || from > ngx_vod_load_body_size) {
            u->error = "a PATCH's Upload-Offset did not move on";
            return 0;
        }
    }

    curl_multi_remove_handle(multi, u->easy);

    if (ngx_vod_load_tus_patch(u, from) != 0) {
        u->error = "out of memory";
        return 0;
    }

    curl_multi_add_handle(multi, u->easy);

    return 1;
}


/* a PATCH from Upload-Offset from, of --chunk bytes or the rest */

static int
ngx_vod_load_tus_patch(ngx_vod_load_upload_t *u, uint64_t from)
{
    char  line[64];

    u->from = from;
    u->given = from;
    u->limit = ngx_vod_load_body_size;

    if (ngx_vod_load_chunk && from + ngx_vod_load_chunk < u->limit) {
        u->limit = from + ngx_vod_load_chunk;
    }

    u->upload_offset = -1;
    u->answer_len = 0;
    u->patches++;

    curl_slist_free_all(u->headers);

    snprintf(line, sizeof(line), "Upload-Offset: %" PRIu64, from);
    u->headers = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
    u->headers = curl_slist_append(u->headers, line);
    u->headers = curl_slist_append(u->headers,
                     "Content-Type: application/offset+octet-stream");

    if (!ngx_vod_load_expect) {
        u->headers = curl_slist_append(u->headers, "Expect:");
    }

    if (ngx_vod_load_chunked && !ngx_vod_load_http2) {
        u->headers = curl_slist_append(u->headers,
                                       "Transfer-Encoding: chunked");
    }

    if (u->headers == NULL) {
        return -1;
    }

    curl_easy_setopt(u->easy, CURLOPT_URL, u->location);
    curl_easy_setopt(u->easy, CURLOPT_HTTPHEADER, u->headers);
    curl_easy_setopt(u->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(u->easy, CURLOPT_CUSTOMREQUEST, "PATCH");

    if (!ngx_vod_load_chunked) {
        curl_easy_setopt(u->easy, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t) (u->limit - from));
    }

    return 0;
}


/*
 * The headers of a tus answer: Location (made absolute with the creation
 * URL's scheme and host), Upload-Offset, X-VOD-File-Id
 */

static size_t
ngx_vod_load_header(char *buf, size_t size, size_t nitems, void *data)
{
    ngx_vod_load_upload_t *u = data;

    char        *end, *colon, *value;
    size_t       len, n;
    const char  *host;

    len = size * nitems;
    end = buf + len;

    while (end > buf && (end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }

    colon = memchr(buf, ':', end - buf);
    if (colon == NULL) {
        return len;
    }

    value = colon + 1;

    while (value < end && *value == ' ') {
        value++;
    }

    n = end - value;

    if (colon - buf == 8 && strncasecmp(buf, "Location", 8) == 0) {
        host = strstr(u->url, "://");
        host = host ? strchr(host + 3, '/') : NULL;

        if (n && value[0] == '/' && host) {
            snprintf(u->location, sizeof(u->location), "%.*s%.*s",
                     (int) (host - u->url), u->url, (int) n, value);

        } else {
            snprintf(u->location, sizeof(u->location), "%.*s", (int) n,
                     value);
        }

    } else if (colon - buf == 13 && strncasecmp(buf, "Upload-Offset", 13) == 0)
    {
        u->upload_offset = strtoll(value, NULL, 10);

    } else if (colon - buf == 13 && strncasecmp(buf, "X-VOD-File-Id", 13) == 0)
    {
        snprintf(u->file_id, sizeof(u->file_id), "%.*s", (int) n, value);
    }

    return len;
}


static void
ngx_vod_load_base64(char *dst, const char *src)
{
    size_t        i, len;
    unsigned      v;
    const u_char *s;

    static const char  b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    s = (const u_char *) src;
    len = strlen(src);

    for (i = 0; i + 2 < len; i += 3) {
        v = (s[i] << 16) | (s[i + 1] << 8) | s[i + 2];
        *dst++ = b64[v >> 18];
        *dst++ = b64[(v >> 12) & 63];
        *dst++ = b64[(v >> 6) & 63];
        *dst++ = b64[v & 63];
    }

    if (i < len) {
        v = s[i] << 16;

        if (i + 1 < len) {
            v |= s[i + 1] << 8;
        }

        *dst++ = b64[v >> 18];
        *dst++ = b64[(v >> 12) & 63];
        *dst++ = (i + 1 < len) ? b64[(v >> 6) & 63] : '=';
        *dst++ = '=';
    }

    *dst = '\0';
}



static size_t
ngx_vod_load_write(char *buf, size_t size, size_t nitems, void *data)
{
    ngx_vod_load_upload_t *u = data;

    size_t  n;

    n = size * nitems;

    if (n > sizeof(u->answer) - u->answer_len) {
        n = sizeof(u->answer) - u->answer_len;
    }

    memcpy(u->answer + u->answer_len, buf, n);
    u->answer_len += n;

    return size * nitems;
}


/* the CRC-64 of the body an upload starting at offset sends */

static uint64_t
ngx_vod_load_crc(uint64_t offset)
{
    size_t    n;
    uint64_t  crc, rest, at;

    crc = 0;
    rest = ngx_vod_load_body_size;
    at = offset;

    while (rest) {
        n = NGX_VOD_LOAD_PATTERN - at;

        if (n > rest) {
            n = (size_t) rest;
        }

        crc = ngx_vod_crc64(crc, ngx_vod_load_pattern + at, n);
        rest -= n;
        at = 0;
    }

    return crc;
}


static double
ngx_vod_load_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
ngx_vod_load_usage(const char *name)
{
    fprintf(stderr, "usage: %s [--size BYTES] [--concurrency N] [--chunked]"
            " [--expect]\n          [--buffer BYTES] [--rate BYTES] "
            "[--http2] [--quiet]\n          "
            "[--tus [--chunk BYTES] [--name NAME]] URL\n"
            "  BYTES: a number, or with k, m, g; \"{n}\" in URL and NAME: "
            "the upload's number\n"
            "  --rate: bytes per second per upload; --http2: h2c with prior "
            "knowledge,\n  http:// URLs only\n", name);
}

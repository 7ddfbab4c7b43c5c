
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
 *              [--buffer BYTES] [--quiet] URL
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
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "ngx_vod_crc64.h"


#define NGX_VOD_LOAD_PATTERN    1048573         /* a prime */
#define NGX_VOD_LOAD_STRIDE     7919            /* between uploads */
#define NGX_VOD_LOAD_ANSWER_MAX (64 * 1024)


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
} ngx_vod_load_upload_t;


static uint64_t ngx_vod_load_size(const char *s);
static char *ngx_vod_load_url(const char *url, int n);
static size_t ngx_vod_load_read(char *buf, size_t size, size_t nitems,
    void *data);
static size_t ngx_vod_load_write(char *buf, size_t size, size_t nitems,
    void *data);
static uint64_t ngx_vod_load_crc(uint64_t offset);
static double ngx_vod_load_now(void);
static void ngx_vod_load_usage(const char *name);


static u_char    *ngx_vod_load_pattern;
static uint64_t   ngx_vod_load_body_size = 1024 * 1024 * 1024;


int
main(int argc, char **argv)
{
    int                     i, n, chunked, expect, quiet, running, left;
    int                     failed, done, queued;
    long                    buffer;
    char                   *url;
    double                  start, wall;
    CURLM                  *multi;
    CURLMsg                *msg;
    uint64_t                x, total;
    curl_off_t              us;
    ngx_vod_load_upload_t  *up, *u;

    n = 1;
    chunked = 0;
    expect = 0;
    quiet = 0;
    buffer = 512 * 1024;
    url = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            ngx_vod_load_body_size = ngx_vod_load_size(argv[++i]);

        } else if (strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);

        } else if (strcmp(argv[i], "--buffer") == 0 && i + 1 < argc) {
            buffer = (long) ngx_vod_load_size(argv[++i]);

        } else if (strcmp(argv[i], "--chunked") == 0) {
            chunked = 1;

        } else if (strcmp(argv[i], "--expect") == 0) {
            expect = 1;

        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;

        } else if (argv[i][0] != '-' && url == NULL) {
            url = argv[i];

        } else {
            ngx_vod_load_usage(argv[0]);
            return 2;
        }
    }

    if (url == NULL || n < 1 || ngx_vod_load_body_size == 0 || buffer <= 0) {
        ngx_vod_load_usage(argv[0]);
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

        u->headers = curl_slist_append(NULL, "Content-Type: video/mp4");

        if (!expect) {
            u->headers = curl_slist_append(u->headers, "Expect:");
        }

        if (chunked) {
            u->headers = curl_slist_append(u->headers,
                                           "Transfer-Encoding: chunked");
        }

        curl_easy_setopt(u->easy, CURLOPT_URL, u->url);
        curl_easy_setopt(u->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(u->easy, CURLOPT_HTTP_VERSION,
                         (long) CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(u->easy, CURLOPT_HTTPHEADER, u->headers);
        curl_easy_setopt(u->easy, CURLOPT_READFUNCTION, ngx_vod_load_read);
        curl_easy_setopt(u->easy, CURLOPT_READDATA, u);
        curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, ngx_vod_load_write);
        curl_easy_setopt(u->easy, CURLOPT_WRITEDATA, u);
        curl_easy_setopt(u->easy, CURLOPT_PRIVATE, u);
        curl_easy_setopt(u->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(u->easy, CURLOPT_UPLOAD_BUFFERSIZE, buffer);

        if (!chunked) {
            curl_easy_setopt(u->easy, CURLOPT_INFILESIZE_LARGE,
                             (curl_off_t) ngx_vod_load_body_size);
        }

        curl_multi_add_handle(multi, u->easy);
    }

    if (!quiet) {
        printf("vod_load: %d upload(s) of %" PRIu64 " bytes at once, %s, "
               "to %s\n", n, ngx_vod_load_body_size,
               chunked ? "chunked" : "Content-Length", url);
        fflush(stdout);
    }

    start = ngx_vod_load_now();
    left = n;

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
            u->done = 1;

            curl_easy_getinfo(u->easy, CURLINFO_RESPONSE_CODE, &u->status);
            curl_easy_getinfo(u->easy, CURLINFO_SIZE_UPLOAD_T, &u->sent);

            /* curl counts the chunked framing: the body is what it read */

            if (chunked && u->result == CURLE_OK) {
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

        printf("upload %d: status %ld, %" CURL_FORMAT_CURL_OFF_T " bytes, "
               "%.3f s, %.1f MB/s, crc64 %" PRIu64 "\n", u->n, u->status,
               u->sent, u->seconds,
               u->seconds > 0 ? u->sent / u->seconds / 1e6 : 0.0, u->crc);

        if (u->status < 200 || u->status > 299
            || (uint64_t) u->sent != ngx_vod_load_body_size)
        {
            failed++;

        } else {
            done++;
            total += u->sent;
        }
    }

    printf("all: %d of %d upload(s) ok, %" PRIu64 " bytes, %.3f s, "
           "%.1f MB/s\n", done, n, total, wall,
           wall > 0 ? total / wall / 1e6 : 0.0);

    for (i = 0; i < n; i++) {
        u = &up[i];

        if (i == 0 || u->result != CURLE_OK || u->status < 200
            || u->status > 299)
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


/* the body: the pattern from the upload's offset, round and round */

static size_t
ngx_vod_load_read(char *buf, size_t size, size_t nitems, void *data)
{
    ngx_vod_load_upload_t *u = data;

    size_t    n, len, want;
    uint64_t  at;

    want = size * nitems;

    if (want > ngx_vod_load_body_size - u->given) {
        want = (size_t) (ngx_vod_load_body_size - u->given);
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
            " [--expect]\n          [--buffer BYTES] [--quiet] URL\n"
            "  BYTES: a number, or with k, m, g; \"{n}\" in URL: the "
            "upload's number\n", name);
}

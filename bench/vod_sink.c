
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * vod_sink: a fast HTTP/1.1 sink for the upload benchmark.  It answers
 * just enough of the VOD API (ApplyUpload, CommitUpload) and of COS (PUT
 * Object, Initiate, UploadPart, Complete, Abort, and for resumable
 * uploads ListParts and HEAD Object) for the module to run an upload
 * against it, and takes any other PUT as a plain object (what proxy_pass
 * sends).  Every body is read computing its CRC-64/XZ (and
 * its MD5 with --md5); nothing is stored but those.  It checks no
 * signature: it is a sink, not the emulator (t/emulator).
 *
 *     vod_sink [--port N] [--md5]
 *
 * Prints "vod_sink: listening on 127.0.0.1:PORT ..." once ready (port 0,
 * the default, takes any free port).  One thread per connection,
 * keep-alive, Content-Length and chunked bodies, "Expect: 100-continue".
 *
 *     GET  /__sink/objects    what landed, JSON: key, kind, bytes, crc64
 *                             (decimal, as a string), md5, parts,
 *                             committed
 *     GET  /__sink/stats      objects, bytes, the sink's CPU seconds
 *     POST /__sink/reset      forgets the objects
 *
 * SIGINT or SIGTERM prints the objects to stderr and exits.
 */


#define _GNU_SOURCE                 /* strcasestr() */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "ngx_vod_crc64.h"


#define NGX_VOD_SINK_BUF_SIZE     (1024 * 1024)
#define NGX_VOD_SINK_LINE_MAX     (16 * 1024)
#define NGX_VOD_SINK_KEEP_MAX     (1024 * 1024)  /* API and XML bodies */
#define NGX_VOD_SINK_KEY_MAX      512
#define NGX_VOD_SINK_NAME_MAX     128
#define NGX_VOD_SINK_PARTS_MAX    10000
#define NGX_VOD_SINK_LIST_MAX     1000   /* parts in a page of ListParts */
#define NGX_VOD_SINK_LIST_PART    256    /* XML of a <Part>, at most */
#define NGX_VOD_SINK_MEM_CACHED   64     /* buffers kept for new threads */
#define NGX_VOD_SINK_BUCKET       "bench-1250000000"
#define NGX_VOD_SINK_REGION       "ap-guangzhou"
#define NGX_VOD_SINK_APPID        "1250000000"


typedef struct {
    char                        key[NGX_VOD_SINK_KEY_MAX];
    const char                 *kind;       /* "put", "multipart" */
    uint64_t                    bytes;
    uint64_t                    crc;
    u_char                      md5[16];
    unsigned                    has_md5:1;
    unsigned                    committed:1;
    unsigned                    parts;
    uint64_t                    seq;
    char                        etag[48];   /* as answered, quoted */
} ngx_vod_sink_object_t;


typedef struct {
    uint64_t                    bytes;
    uint64_t                    crc;
    u_char                      md5[16];
    unsigned                    set:1;
} ngx_vod_sink_part_t;


typedef struct {
    char                        id[64];
    char                        key[NGX_VOD_SINK_KEY_MAX];
    ngx_vod_sink_part_t        *parts;      /* [NGX_VOD_SINK_PARTS_MAX] */
    unsigned                    live:1;
} ngx_vod_sink_upload_t;


typedef struct {
    char                        path[NGX_VOD_SINK_KEY_MAX];
} ngx_vod_sink_session_t;


/*
 * A thread's memory, kept for the next thread: the module opens a
 * connection per part, and fresh buffers would be page faults each time.
 */

typedef struct {
    u_char                     *buf;        /* NGX_VOD_SINK_BUF_SIZE */
    u_char                     *keep;       /* NGX_VOD_SINK_KEEP_MAX */
    EVP_MD_CTX                 *md5;
} ngx_vod_sink_mem_t;


/* one connection, one thread */

typedef struct {
    int                         fd;
    u_char                     *start;
    u_char                     *end;
    u_char                     *pos;
    u_char                     *last;
} ngx_vod_sink_conn_t;


/* one request: what was parsed of its header, then its body */

typedef struct {
    char                        method[16];
    char                        path[NGX_VOD_SINK_KEY_MAX];
    char                        query[NGX_VOD_SINK_KEY_MAX];
    char                        action[64];
    int                         http10;
    int                         close;
    int                         chunked;
    int                         expect;
    int64_t                     length;     /* -1: none */

    /* the body */
    uint64_t                    bytes;
    uint64_t                    crc;
    EVP_MD_CTX                 *md5;
    u_char                     *keep;       /* POST bodies, kept */
    size_t                      kept;
    int                         keeping;
} ngx_vod_sink_req_t;


static int ngx_vod_sink_listen(int port, int *real);
static void *ngx_vod_sink_signals(void *data);
static void *ngx_vod_sink_thread(void *data);
static int ngx_vod_sink_mem_get(ngx_vod_sink_mem_t *m);
static void ngx_vod_sink_mem_put(ngx_vod_sink_mem_t *m);
static int ngx_vod_sink_request(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_header(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq);
static char *ngx_vod_sink_line(ngx_vod_sink_conn_t *c, size_t *len);
static int ngx_vod_sink_body(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_data(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    uint64_t len);
static void ngx_vod_sink_take(ngx_vod_sink_req_t *rq, u_char *p, size_t n);
static int ngx_vod_sink_route(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_api(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_initiate(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_part(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id, long n);
static int ngx_vod_sink_complete(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq, const char *id);
static int ngx_vod_sink_abort(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id);
static int ngx_vod_sink_list_parts(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq, const char *id);
static int ngx_vod_sink_head(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_put(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_objects(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq);
static int ngx_vod_sink_stats(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq);
static void ngx_vod_sink_record(ngx_vod_sink_object_t *o);
static ngx_vod_sink_upload_t *ngx_vod_sink_upload_find(const char *id);
static int ngx_vod_sink_param(const char *query, const char *name,
    char *value, size_t size);
static int ngx_vod_sink_json_str(const u_char *json, size_t len,
    const char *name, char *value, size_t size);
static void ngx_vod_sink_etag(char *etag, uint64_t crc, uint64_t bytes,
    u_char *md5);
static int ngx_vod_sink_answer(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq, int status, const char *headers,
    const char *type, const char *body, size_t len);
static int ngx_vod_sink_xml_error(ngx_vod_sink_conn_t *c,
    ngx_vod_sink_req_t *rq, int status, const char *code,
    const char *message);
static int ngx_vod_sink_send(int fd, const char *p, size_t len);
static char *ngx_vod_sink_hex(char *dst, const u_char *src, size_t len);
static size_t ngx_vod_sink_append(char *buf, size_t size, size_t len,
    const char *fmt, ...);


static int                      ngx_vod_sink_md5_on;
static pthread_mutex_t          ngx_vod_sink_lock = PTHREAD_MUTEX_INITIALIZER;

static ngx_vod_sink_object_t   *ngx_vod_sink_objs;
static size_t                   ngx_vod_sink_nobjs;
static size_t                   ngx_vod_sink_objs_size;
static uint64_t                 ngx_vod_sink_seq;

static ngx_vod_sink_upload_t   *ngx_vod_sink_uploads;
static size_t                   ngx_vod_sink_nuploads;

static ngx_vod_sink_session_t  *ngx_vod_sink_sessions;
static size_t                   ngx_vod_sink_nsessions;

static ngx_vod_sink_mem_t       ngx_vod_sink_mem[NGX_VOD_SINK_MEM_CACHED];
static size_t                   ngx_vod_sink_nmem;

static double                   ngx_vod_sink_started;


int
main(int argc, char **argv)
{
    int                  i, fd, cfd, port, real, one, *arg;
    sigset_t             set;
    pthread_t            tid;
    struct timeval       tv;
    pthread_attr_t       attr;

    port = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--md5") == 0) {
            ngx_vod_sink_md5_on = 1;

        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);

        } else {
            fprintf(stderr, "usage: %s [--port N] [--md5]\n", argv[0]);
            return 2;
        }
    }

    ngx_vod_crc64_init();

    /* the signals go to one thread, which prints the objects and exits */

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    fd = ngx_vod_sink_listen(port, &real);
    if (fd == -1) {
        return 1;
    }

    gettimeofday(&tv, NULL);
    ngx_vod_sink_started = tv.tv_sec + tv.tv_usec / 1e6;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    if (pthread_create(&tid, &attr, ngx_vod_sink_signals, NULL) != 0) {
        fprintf(stderr, "vod_sink: pthread_create() failed\n");
        return 1;
    }

    printf("vod_sink: listening on 127.0.0.1:%d (crc64 %s, md5 %s)\n",
           real, ngx_vod_crc64_implementation(),
           ngx_vod_sink_md5_on ? "on" : "off");
    fflush(stdout);

    for ( ;; ) {
        cfd = accept(fd, NULL, NULL);

        if (cfd == -1) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }

            perror("vod_sink: accept()");
            return 1;
        }

        one = 1;
        (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

        arg = malloc(sizeof(int));
        if (arg == NULL) {
            close(cfd);
            continue;
        }

        *arg = cfd;

        if (pthread_create(&tid, &attr, ngx_vod_sink_thread, arg) != 0) {
            fprintf(stderr, "vod_sink: pthread_create() failed\n");
            free(arg);
            close(cfd);
        }
    }
}


static int
ngx_vod_sink_listen(int port, int *real)
{
    int                  fd, one;
    socklen_t            len;
    struct sockaddr_in   sin;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        perror("vod_sink: socket()");
        return -1;
    }

    one = 1;
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) == -1) {
        fprintf(stderr, "vod_sink: bind() to 127.0.0.1:%d failed: %s\n",
                port, strerror(errno));
        close(fd);
        return -1;
    }

    if (listen(fd, 512) == -1) {
        perror("vod_sink: listen()");
        close(fd);
        return -1;
    }

    len = sizeof(sin);

    if (getsockname(fd, (struct sockaddr *) &sin, &len) == -1) {
        perror("vod_sink: getsockname()");
        close(fd);
        return -1;
    }

    *real = ntohs(sin.sin_port);

    return fd;
}


static void *
ngx_vod_sink_signals(void *data)
{
    int                     sig;
    char                    hex[33];
    size_t                  i;
    sigset_t                set;
    ngx_vod_sink_object_t  *o;

    (void) data;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);

    do {
        if (sigwait(&set, &sig) != 0) {
            return NULL;
        }
    } while (sig != SIGINT && sig != SIGTERM);

    pthread_mutex_lock(&ngx_vod_sink_lock);

    fprintf(stderr, "vod_sink: %zu object(s)\n", ngx_vod_sink_nobjs);

    for (i = 0; i < ngx_vod_sink_nobjs; i++) {
        o = &ngx_vod_sink_objs[i];

        if (o->has_md5) {
            *ngx_vod_sink_hex(hex, o->md5, 16) = '\0';

        } else {
            strcpy(hex, "-");
        }

        fprintf(stderr, "  %s %s %" PRIu64 " bytes, %u part(s), crc64 %"
                PRIu64 ", md5 %s%s\n", o->kind, o->key, o->bytes, o->parts,
                o->crc, hex, o->committed ? ", committed" : "");
    }

    fflush(stderr);
    _exit(0);
}


static void *
ngx_vod_sink_thread(void *data)
{
    int                  rc;
    ngx_vod_sink_mem_t   m;
    ngx_vod_sink_req_t   rq;
    ngx_vod_sink_conn_t  c;

    c.fd = *(int *) data;
    free(data);

    if (ngx_vod_sink_mem_get(&m) != 0) {
        fprintf(stderr, "vod_sink: out of memory\n");
        close(c.fd);
        return NULL;
    }

    c.start = m.buf;
    c.end = c.start + NGX_VOD_SINK_BUF_SIZE;
    c.pos = c.start;
    c.last = c.start;

    rq.keep = m.keep;
    rq.md5 = m.md5;

    do {
        rc = ngx_vod_sink_request(&c, &rq);
    } while (rc == 0);

    close(c.fd);
    ngx_vod_sink_mem_put(&m);

    return NULL;
}


static int
ngx_vod_sink_mem_get(ngx_vod_sink_mem_t *m)
{
    pthread_mutex_lock(&ngx_vod_sink_lock);

    if (ngx_vod_sink_nmem) {
        *m = ngx_vod_sink_mem[--ngx_vod_sink_nmem];
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return 0;
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    m->buf = malloc(NGX_VOD_SINK_BUF_SIZE);
    m->keep = malloc(NGX_VOD_SINK_KEEP_MAX);
    m->md5 = EVP_MD_CTX_new();

    if (m->buf == NULL || m->keep == NULL || m->md5 == NULL) {
        free(m->buf);
        free(m->keep);
        EVP_MD_CTX_free(m->md5);
        return -1;
    }

    return 0;
}


static void
ngx_vod_sink_mem_put(ngx_vod_sink_mem_t *m)
{
    pthread_mutex_lock(&ngx_vod_sink_lock);

    if (ngx_vod_sink_nmem < NGX_VOD_SINK_MEM_CACHED) {
        ngx_vod_sink_mem[ngx_vod_sink_nmem++] = *m;
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return;
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    free(m->buf);
    free(m->keep);
    EVP_MD_CTX_free(m->md5);
}


/* 0: the connection goes on; -1: it closes */

static int
ngx_vod_sink_request(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    int  rc;

    rc = ngx_vod_sink_header(c, rq);

    if (rc != 0) {
        return -1;
    }

    if (rq->expect && !rq->http10) {
        static const char  cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

        if (ngx_vod_sink_send(c->fd, cont, sizeof(cont) - 1) != 0) {
            return -1;
        }
    }

    return ngx_vod_sink_route(c, rq);
}


static int
ngx_vod_sink_header(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    char    *line, *p, *target, *version, *name, *value, *q;
    size_t   len;

    rq->method[0] = rq->path[0] = rq->query[0] = rq->action[0] = '\0';
    rq->http10 = rq->close = rq->chunked = rq->expect = 0;
    rq->length = -1;

    /* the request line; empty lines before it are allowed */

    do {
        line = ngx_vod_sink_line(c, &len);
        if (line == NULL) {
            return -1;
        }
    } while (len == 0);

    p = strchr(line, ' ');
    if (p == NULL || p - line >= (ssize_t) sizeof(rq->method)) {
        return -1;
    }

    *p++ = '\0';
    strcpy(rq->method, line);

    target = p;
    p = strchr(target, ' ');
    if (p == NULL) {
        return -1;
    }

    *p++ = '\0';
    version = p;

    rq->http10 = (strcmp(version, "HTTP/1.0") == 0);
    rq->close = rq->http10;

    q = strchr(target, '?');
    if (q) {
        *q++ = '\0';
        snprintf(rq->query, sizeof(rq->query), "%s", q);
    }

    if (strlen(target) >= sizeof(rq->path)) {
        return -1;
    }

    strcpy(rq->path, target);

    for ( ;; ) {
        line = ngx_vod_sink_line(c, &len);
        if (line == NULL) {
            return -1;
        }

        if (len == 0) {
            return 0;
        }

        name = line;
        p = strchr(line, ':');
        if (p == NULL) {
            return -1;
        }

        *p++ = '\0';

        while (*p == ' ' || *p == '\t') {
            p++;
        }

        value = p;

        if (strcasecmp(name, "Content-Length") == 0) {
            rq->length = strtoll(value, NULL, 10);

        } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
            rq->chunked = (strcasestr(value, "chunked") != NULL);

        } else if (strcasecmp(name, "Connection") == 0) {
            if (strcasestr(value, "close")) {
                rq->close = 1;

            } else if (strcasestr(value, "keep-alive")) {
                rq->close = 0;
            }

        } else if (strcasecmp(name, "Expect") == 0) {
            rq->expect = (strcasecmp(value, "100-continue") == 0);

        } else if (strcasecmp(name, "X-TC-Action") == 0) {
            snprintf(rq->action, sizeof(rq->action), "%s", value);
        }
    }
}


/* a line without its CRLF, NUL-terminated in the buffer; NULL: closed */

static char *
ngx_vod_sink_line(ngx_vod_sink_conn_t *c, size_t *len)
{
    u_char   *p, *line;
    size_t    have;
    ssize_t   n;

    for ( ;; ) {
        p = memchr(c->pos, '\n', c->last - c->pos);

        if (p) {
            line = c->pos;
            c->pos = p + 1;

            if (p > line && p[-1] == '\r') {
                p--;
            }

            *p = '\0';
            *len = p - line;

            return (char *) line;
        }

        have = c->last - c->pos;

        if (have >= NGX_VOD_SINK_LINE_MAX) {
            return NULL;
        }

        if (c->end - c->last < NGX_VOD_SINK_LINE_MAX) {
            memmove(c->start, c->pos, have);
            c->pos = c->start;
            c->last = c->start + have;
        }

        n = recv(c->fd, c->last, c->end - c->last, 0);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return NULL;
        }

        c->last += n;
    }
}


static int
ngx_vod_sink_body(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    char          *line;
    size_t         len;
    uint64_t       size;
    unsigned long  ul;

    rq->bytes = 0;
    rq->crc = 0;
    rq->kept = 0;
    rq->keep[0] = '\0';

    /* only the small bodies of POSTs (API, Complete) are kept */
    rq->keeping = (strcmp(rq->method, "POST") == 0);

    if (ngx_vod_sink_md5_on) {
        EVP_DigestInit_ex(rq->md5, EVP_md5(), NULL);
    }

    if (!rq->chunked) {
        return ngx_vod_sink_data(c, rq, rq->length > 0 ? rq->length : 0);
    }

    for ( ;; ) {
        line = ngx_vod_sink_line(c, &len);
        if (line == NULL) {
            return -1;
        }

        errno = 0;
        ul = strtoul(line, NULL, 16);
        if (errno || len == 0) {
            return -1;
        }

        size = ul;

        if (size == 0) {
            break;
        }

        if (ngx_vod_sink_data(c, rq, size) != 0) {
            return -1;
        }

        line = ngx_vod_sink_line(c, &len);
        if (line == NULL || len != 0) {
            return -1;
        }
    }

    /* the trailer, up to its empty line */

    do {
        line = ngx_vod_sink_line(c, &len);
        if (line == NULL) {
            return -1;
        }
    } while (len != 0);

    return 0;
}


/* len bytes of body data: what is buffered, then straight from recv() */

static int
ngx_vod_sink_data(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    uint64_t len)
{
    size_t   n;
    ssize_t  got;

    while (len) {

        if (c->pos == c->last) {
            c->pos = c->start;
            c->last = c->start;

            n = c->end - c->start;

            got = recv(c->fd, c->start, n, 0);

            if (got == -1 && errno == EINTR) {
                continue;
            }

            if (got <= 0) {
                return -1;
            }

            c->last += got;
        }

        n = c->last - c->pos;

        if (n > len) {
            n = (size_t) len;
        }

        ngx_vod_sink_take(rq, c->pos, n);

        c->pos += n;
        len -= n;
    }

    return 0;
}


static void
ngx_vod_sink_take(ngx_vod_sink_req_t *rq, u_char *p, size_t n)
{
    size_t  room;

    rq->crc = ngx_vod_crc64(rq->crc, p, n);
    rq->bytes += n;

    if (ngx_vod_sink_md5_on) {
        EVP_DigestUpdate(rq->md5, p, n);
    }

    if (rq->keeping) {
        room = NGX_VOD_SINK_KEEP_MAX - 1 - rq->kept;

        if (n > room) {
            n = room;
        }

        memcpy(rq->keep + rq->kept, p, n);
        rq->kept += n;
        rq->keep[rq->kept] = '\0';
    }
}


static int
ngx_vod_sink_route(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    long  n;
    char  id[64], number[16];

    if (ngx_vod_sink_body(c, rq) != 0) {
        return -1;
    }

    if (strcmp(rq->method, "GET") == 0) {

        if (strcmp(rq->path, "/__sink/objects") == 0) {
            return ngx_vod_sink_objects(c, rq);
        }

        if (strcmp(rq->path, "/__sink/stats") == 0) {
            return ngx_vod_sink_stats(c, rq);
        }

        if (ngx_vod_sink_param(rq->query, "uploadId", id, sizeof(id))) {
            return ngx_vod_sink_list_parts(c, rq, id);
        }

        return ngx_vod_sink_answer(c, rq, 404, NULL, NULL, NULL, 0);
    }

    if (strcmp(rq->method, "HEAD") == 0) {
        return ngx_vod_sink_head(c, rq);
    }

    if (strcmp(rq->method, "POST") == 0) {

        if (strcmp(rq->path, "/__sink/reset") == 0) {
            pthread_mutex_lock(&ngx_vod_sink_lock);
            ngx_vod_sink_nobjs = 0;
            pthread_mutex_unlock(&ngx_vod_sink_lock);

            return ngx_vod_sink_answer(c, rq, 204, NULL, NULL, NULL, 0);
        }

        if (strcmp(rq->path, "/") == 0) {
            return ngx_vod_sink_api(c, rq);
        }

        if (ngx_vod_sink_param(rq->query, "uploads", NULL, 0)) {
            return ngx_vod_sink_initiate(c, rq);
        }

        if (ngx_vod_sink_param(rq->query, "uploadId", id, sizeof(id))) {
            return ngx_vod_sink_complete(c, rq, id);
        }

        return ngx_vod_sink_xml_error(c, rq, 400, "InvalidRequest",
                                      "a POST the sink does not know");
    }

    if (strcmp(rq->method, "PUT") == 0) {

        if (ngx_vod_sink_param(rq->query, "uploadId", id, sizeof(id))) {

            if (!ngx_vod_sink_param(rq->query, "partNumber", number,
                                    sizeof(number)))
            {
                return ngx_vod_sink_xml_error(c, rq, 400, "InvalidArgument",
                                              "no partNumber");
            }

            n = strtol(number, NULL, 10);

            if (n < 1 || n > NGX_VOD_SINK_PARTS_MAX) {
                return ngx_vod_sink_xml_error(c, rq, 400, "InvalidArgument",
                                              "partNumber out of 1..10000");
            }

            return ngx_vod_sink_part(c, rq, id, n);
        }

        return ngx_vod_sink_put(c, rq);
    }

    if (strcmp(rq->method, "DELETE") == 0
        && ngx_vod_sink_param(rq->query, "uploadId", id, sizeof(id)))
    {
        return ngx_vod_sink_abort(c, rq, id);
    }

    return ngx_vod_sink_answer(c, rq, 405, NULL, NULL, NULL, 0);
}


/* ApplyUpload and CommitUpload, in the Cloud API 3.0 envelope */

static int
ngx_vod_sink_api(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    int                      found;
    char                     name[NGX_VOD_SINK_NAME_MAX];
    char                     type[NGX_VOD_SINK_NAME_MAX];
    char                     key[NGX_VOD_SINK_NAME_MAX], json[2048];
    size_t                   i, n, len;
    ngx_vod_sink_session_t  *s;

    pthread_mutex_lock(&ngx_vod_sink_lock);
    n = ++ngx_vod_sink_seq;
    pthread_mutex_unlock(&ngx_vod_sink_lock);

    if (strcmp(rq->action, "ApplyUpload") == 0) {

        if (!ngx_vod_sink_json_str(rq->keep, rq->kept, "MediaName", name,
                                   sizeof(name)))
        {
            strcpy(name, "media");
        }

        if (!ngx_vod_sink_json_str(rq->keep, rq->kept, "MediaType", type,
                                   sizeof(type)))
        {
            strcpy(type, "mp4");
        }

        pthread_mutex_lock(&ngx_vod_sink_lock);

        s = realloc(ngx_vod_sink_sessions,
                    (ngx_vod_sink_nsessions + 1)
                    * sizeof(ngx_vod_sink_session_t));
        if (s == NULL) {
            pthread_mutex_unlock(&ngx_vod_sink_lock);
            return -1;
        }

        ngx_vod_sink_sessions = s;
        s = &ngx_vod_sink_sessions[ngx_vod_sink_nsessions];

        snprintf(s->path, sizeof(s->path), "/bench/%zu/%s.%s", n, name,
                 type);

        len = snprintf(json, sizeof(json),
            "{\"Response\":{\"StorageBucket\":\"" NGX_VOD_SINK_BUCKET "\","
            "\"StorageRegion\":\"" NGX_VOD_SINK_REGION "\","
            "\"VodSessionKey\":\"bench-session-%zu\","
            "\"MediaStoragePath\":\"%s\",\"CoverStoragePath\":null,"
            "\"TempCertificate\":{\"SecretId\":\"AKIDbenchTemporary\","
            "\"SecretKey\":\"benchTemporarySecretKey\","
            "\"Token\":\"bench-token-%zu\",\"ExpiredTime\":%lld},"
            "\"RequestId\":\"00000000-0000-4000-8000-%012zx\"}}",
            ngx_vod_sink_nsessions, s->path, n,
            (long long) time(NULL) + 3600, n);

        ngx_vod_sink_nsessions++;

        pthread_mutex_unlock(&ngx_vod_sink_lock);

        return ngx_vod_sink_answer(c, rq, 200, NULL, "application/json",
                                   json, len);
    }

    if (strcmp(rq->action, "CommitUpload") == 0) {

        found = 0;

        if (ngx_vod_sink_json_str(rq->keep, rq->kept, "VodSessionKey", key,
                                  sizeof(key))
            && strncmp(key, "bench-session-", 14) == 0)
        {
            n = strtoul(key + 14, NULL, 10);

            pthread_mutex_lock(&ngx_vod_sink_lock);

            if (n < ngx_vod_sink_nsessions) {
                found = 1;
                s = &ngx_vod_sink_sessions[n];

                /* the object of the session, the last one of its key */

                for (i = ngx_vod_sink_nobjs; i; i--) {
                    if (strcmp(ngx_vod_sink_objs[i - 1].key, s->path) == 0) {
                        ngx_vod_sink_objs[i - 1].committed = 1;
                        break;
                    }
                }

                len = snprintf(json, sizeof(json),
                    "{\"Response\":{\"FileId\":\"%" PRIu64 "\","
                    "\"MediaUrl\":\"http://" NGX_VOD_SINK_APPID
                    ".vod2.myqcloud.com%s\",\"CoverUrl\":\"\","
                    "\"RequestId\":\"00000000-0000-4000-8000-%012zx\"}}",
                    (uint64_t) 5285890780000000000ULL + n, s->path,
                    ngx_vod_sink_seq);
            }

            pthread_mutex_unlock(&ngx_vod_sink_lock);
        }

        if (found) {
            return ngx_vod_sink_answer(c, rq, 200, NULL, "application/json",
                                       json, len);
        }

        len = snprintf(json, sizeof(json),
            "{\"Response\":{\"Error\":{\"Code\":"
            "\"InvalidParameterValue.VodSessionKey\",\"Message\":"
            "\"the sink knows no such session\"},"
            "\"RequestId\":\"00000000-0000-4000-8000-%012zx\"}}", n);

        return ngx_vod_sink_answer(c, rq, 200, NULL, "application/json",
                                   json, len);
    }

    len = snprintf(json, sizeof(json),
        "{\"Response\":{\"Error\":{\"Code\":\"InvalidAction\",\"Message\":"
        "\"the sink answers ApplyUpload and CommitUpload only\"},"
        "\"RequestId\":\"00000000-0000-4000-8000-%012zx\"}}", n);

    return ngx_vod_sink_answer(c, rq, 200, NULL, "application/json", json,
                               len);
}


static int
ngx_vod_sink_initiate(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    char                    xml[2048];
    size_t                  len;
    ngx_vod_sink_upload_t  *u;

    pthread_mutex_lock(&ngx_vod_sink_lock);

    u = realloc(ngx_vod_sink_uploads,
                (ngx_vod_sink_nuploads + 1) * sizeof(ngx_vod_sink_upload_t));
    if (u == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return -1;
    }

    ngx_vod_sink_uploads = u;
    u = &ngx_vod_sink_uploads[ngx_vod_sink_nuploads];

    u->parts = calloc(NGX_VOD_SINK_PARTS_MAX, sizeof(ngx_vod_sink_part_t));
    if (u->parts == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return -1;
    }

    snprintf(u->id, sizeof(u->id), "bench%016zx%08x", ngx_vod_sink_nuploads,
             (unsigned) rand());
    snprintf(u->key, sizeof(u->key), "%s", rq->path);
    u->live = 1;

    ngx_vod_sink_nuploads++;

    len = snprintf(xml, sizeof(xml),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<InitiateMultipartUploadResult>"
                   "<Bucket>" NGX_VOD_SINK_BUCKET "</Bucket>"
                   "<Key>%s</Key><UploadId>%s</UploadId>"
                   "</InitiateMultipartUploadResult>",
                   rq->path + 1, u->id);

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    return ngx_vod_sink_answer(c, rq, 200, NULL, "application/xml", xml, len);
}


static int
ngx_vod_sink_part(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id, long n)
{
    char                    etag[40], headers[128];
    u_char                  md5[16];
    unsigned int            mlen;
    ngx_vod_sink_part_t    *p;
    ngx_vod_sink_upload_t  *u;

    memset(md5, 0, sizeof(md5));

    if (ngx_vod_sink_md5_on) {
        EVP_DigestFinal_ex(rq->md5, md5, &mlen);
    }

    pthread_mutex_lock(&ngx_vod_sink_lock);

    u = ngx_vod_sink_upload_find(id);

    if (u == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return ngx_vod_sink_xml_error(c, rq, 404, "NoSuchUpload",
                                      "the upload id is unknown");
    }

    p = &u->parts[n - 1];
    p->bytes = rq->bytes;
    p->crc = rq->crc;
    memcpy(p->md5, md5, 16);
    p->set = 1;

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    ngx_vod_sink_etag(etag, rq->crc, rq->bytes, md5);

    snprintf(headers, sizeof(headers),
             "ETag: %s\r\nx-cos-hash-crc64ecma: %" PRIu64 "\r\n",
             etag, rq->crc);

    return ngx_vod_sink_answer(c, rq, 200, headers, NULL, NULL, 0);
}


/*
 * The parts in the order the body lists them; the object's CRC-64
 * combined from theirs, as COS reports it.
 */

static int
ngx_vod_sink_complete(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id)
{
    long                    n, prev;
    char                   *p, *next, xml[2048], headers[128], etag[48];
    size_t                  len;
    EVP_MD_CTX             *ctx;
    unsigned int            mlen;
    ngx_vod_sink_part_t    *part;
    ngx_vod_sink_upload_t  *u;
    ngx_vod_sink_object_t   o;

    memset(&o, 0, sizeof(o));
    o.kind = "multipart";

    ctx = NULL;

    if (ngx_vod_sink_md5_on) {
        ctx = EVP_MD_CTX_new();
        if (ctx == NULL) {
            return -1;
        }

        EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    }

    pthread_mutex_lock(&ngx_vod_sink_lock);

    u = ngx_vod_sink_upload_find(id);

    if (u == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        EVP_MD_CTX_free(ctx);
        return ngx_vod_sink_xml_error(c, rq, 404, "NoSuchUpload",
                                      "the upload id is unknown");
    }

    prev = 0;
    p = (char *) rq->keep;

    while ((p = strstr(p, "<PartNumber>")) != NULL) {
        p += sizeof("<PartNumber>") - 1;
        n = strtol(p, &next, 10);
        p = next;

        if (n <= prev || n > NGX_VOD_SINK_PARTS_MAX) {
            pthread_mutex_unlock(&ngx_vod_sink_lock);
            EVP_MD_CTX_free(ctx);
            return ngx_vod_sink_xml_error(c, rq, 400, "InvalidPartOrder",
                                          "the parts are not ascending");
        }

        part = &u->parts[n - 1];

        if (!part->set) {
            pthread_mutex_unlock(&ngx_vod_sink_lock);
            EVP_MD_CTX_free(ctx);
            return ngx_vod_sink_xml_error(c, rq, 400, "InvalidPart",
                                          "a part listed was not uploaded");
        }

        o.crc = ngx_vod_crc64_combine(o.crc, part->crc, part->bytes);
        o.bytes += part->bytes;
        o.parts++;

        if (ctx) {
            EVP_DigestUpdate(ctx, part->md5, 16);
        }

        prev = n;
    }

    snprintf(o.key, sizeof(o.key), "%s", u->key);

    free(u->parts);
    u->parts = NULL;
    u->live = 0;

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    if (o.parts == 0) {
        EVP_MD_CTX_free(ctx);
        return ngx_vod_sink_xml_error(c, rq, 400, "MalformedXML",
                                      "the Complete body lists no part");
    }

    /* COS's multipart ETag: the MD5 of the parts' MD5s, "-" the count */

    if (ctx) {
        EVP_DigestFinal_ex(ctx, o.md5, &mlen);
        EVP_MD_CTX_free(ctx);
        etag[0] = '"';
        len = ngx_vod_sink_hex(etag + 1, o.md5, 16) - etag;

    } else {
        len = snprintf(etag, sizeof(etag), "\"%016" PRIx64 "%016" PRIx64,
                       o.crc, o.bytes);
    }

    snprintf(etag + len, sizeof(etag) - len, "-%u\"", o.parts);
    memcpy(o.etag, etag, sizeof(o.etag));

    ngx_vod_sink_record(&o);

    len = snprintf(xml, sizeof(xml),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<CompleteMultipartUploadResult>"
                   "<Location>" NGX_VOD_SINK_BUCKET ".cos." NGX_VOD_SINK_REGION
                   ".myqcloud.com%s</Location>"
                   "<Bucket>" NGX_VOD_SINK_BUCKET "</Bucket>"
                   "<Key>%s</Key><ETag>%s</ETag>"
                   "</CompleteMultipartUploadResult>",
                   o.key, o.key + 1, etag);

    snprintf(headers, sizeof(headers), "x-cos-hash-crc64ecma: %" PRIu64
             "\r\n", o.crc);

    return ngx_vod_sink_answer(c, rq, 200, headers, "application/xml", xml,
                               len);
}


static int
ngx_vod_sink_abort(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id)
{
    ngx_vod_sink_upload_t  *u;

    pthread_mutex_lock(&ngx_vod_sink_lock);

    u = ngx_vod_sink_upload_find(id);

    if (u) {
        free(u->parts);
        u->parts = NULL;
        u->live = 0;
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    if (u == NULL) {
        return ngx_vod_sink_xml_error(c, rq, 404, "NoSuchUpload",
                                      "the upload id is unknown");
    }

    return ngx_vod_sink_answer(c, rq, 204, NULL, NULL, NULL, 0);
}


/*
 * ListParts: the parts received so far, a page of at most 1000 after
 * part-number-marker (max-parts may ask for fewer), as COS lists them.
 */

static int
ngx_vod_sink_list_parts(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    const char *id)
{
    int                     rc;
    long                    marker, max, n, next, listed;
    char                   *xml, value[16], etag[40];
    size_t                  size, len;
    ngx_vod_sink_part_t    *p;
    ngx_vod_sink_upload_t  *u;

    marker = 0;
    max = NGX_VOD_SINK_LIST_MAX;

    if (ngx_vod_sink_param(rq->query, "part-number-marker", value,
                           sizeof(value)))
    {
        marker = strtol(value, NULL, 10);
    }

    if (ngx_vod_sink_param(rq->query, "max-parts", value, sizeof(value))) {
        max = strtol(value, NULL, 10);

        if (max <= 0 || max > NGX_VOD_SINK_LIST_MAX) {
            max = NGX_VOD_SINK_LIST_MAX;
        }
    }

    if (marker < 0 || marker > NGX_VOD_SINK_PARTS_MAX) {
        return ngx_vod_sink_xml_error(c, rq, 400, "InvalidArgument",
                                      "part-number-marker out of range");
    }

    size = 2048 + max * NGX_VOD_SINK_LIST_PART;

    xml = malloc(size);
    if (xml == NULL) {
        return -1;
    }

    pthread_mutex_lock(&ngx_vod_sink_lock);

    u = ngx_vod_sink_upload_find(id);

    if (u == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        free(xml);
        return ngx_vod_sink_xml_error(c, rq, 404, "NoSuchUpload",
                                      "the upload id is unknown");
    }

    len = ngx_vod_sink_append(xml, size, 0,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<ListPartsResult>"
              "<Bucket>" NGX_VOD_SINK_BUCKET "</Bucket>"
              "<Key>%s</Key><UploadId>%s</UploadId>"
              "<StorageClass>STANDARD</StorageClass>"
              "<PartNumberMarker>%ld</PartNumberMarker>"
              "<MaxParts>%ld</MaxParts>",
              u->key + 1, u->id, marker, max);

    next = marker;
    listed = 0;

    for (n = marker + 1; n <= NGX_VOD_SINK_PARTS_MAX; n++) {
        p = &u->parts[n - 1];

        if (!p->set) {
            continue;
        }

        if (listed == max) {
            break;
        }

        ngx_vod_sink_etag(etag, p->crc, p->bytes, p->md5);

        /* the ETag's quotes escaped, as COS writes them */

        len = ngx_vod_sink_append(xml, size, len,
                  "<Part><PartNumber>%ld</PartNumber>"
                  "<LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                  "<ETag>&quot;%.*s&quot;</ETag><Size>%" PRIu64 "</Size>"
                  "</Part>",
                  n, (int) strlen(etag) - 2, etag + 1, p->bytes);

        next = n;
        listed++;
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    /* n stopped at a part left for the next page, or past the last one */

    len = ngx_vod_sink_append(xml, size, len,
              "<NextPartNumberMarker>%ld</NextPartNumberMarker>"
              "<IsTruncated>%s</IsTruncated></ListPartsResult>",
              next, n <= NGX_VOD_SINK_PARTS_MAX ? "true" : "false");

    rc = ngx_vod_sink_answer(c, rq, 200, NULL, "application/xml", xml, len);
    free(xml);

    return rc;
}


/* HEAD Object: the last object of the key, or 404 */

static int
ngx_vod_sink_head(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    int                     found;
    char                    headers[256];
    size_t                  i;
    uint64_t                bytes;
    ngx_vod_sink_object_t  *o;

    found = 0;
    bytes = 0;

    pthread_mutex_lock(&ngx_vod_sink_lock);

    for (i = ngx_vod_sink_nobjs; i; i--) {
        o = &ngx_vod_sink_objs[i - 1];

        if (strcmp(o->key, rq->path) == 0) {
            snprintf(headers, sizeof(headers),
                     "ETag: %s\r\nx-cos-hash-crc64ecma: %" PRIu64 "\r\n",
                     o->etag, o->crc);
            bytes = o->bytes;
            found = 1;
            break;
        }
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    if (!found) {
        return ngx_vod_sink_answer(c, rq, 404, NULL, NULL, NULL, 0);
    }

    return ngx_vod_sink_answer(c, rq, 200, headers,
                               "application/octet-stream", NULL,
                               (size_t) bytes);
}


/* PUT Object, or any PUT (proxy_pass): the body was read already */

static int
ngx_vod_sink_put(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    char                   etag[40], headers[128];
    u_char                 md5[16];
    unsigned int           mlen;
    ngx_vod_sink_object_t  o;

    memset(&o, 0, sizeof(o));
    memset(md5, 0, sizeof(md5));

    o.kind = "put";
    o.bytes = rq->bytes;
    o.crc = rq->crc;
    o.parts = 1;
    snprintf(o.key, sizeof(o.key), "%s", rq->path);

    if (ngx_vod_sink_md5_on) {
        EVP_DigestFinal_ex(rq->md5, md5, &mlen);
        memcpy(o.md5, md5, 16);
        o.has_md5 = 1;
    }

    ngx_vod_sink_etag(etag, rq->crc, rq->bytes, md5);
    snprintf(o.etag, sizeof(o.etag), "%s", etag);

    ngx_vod_sink_record(&o);

    snprintf(headers, sizeof(headers),
             "ETag: %s\r\nx-cos-hash-crc64ecma: %" PRIu64 "\r\n",
             etag, rq->crc);

    return ngx_vod_sink_answer(c, rq, 200, headers, NULL, NULL, 0);
}


static int
ngx_vod_sink_objects(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    int                     rc;
    char                   *buf, hex[34];
    size_t                  i, size, len;
    ngx_vod_sink_object_t  *o;

    pthread_mutex_lock(&ngx_vod_sink_lock);

    size = 64 + ngx_vod_sink_nobjs * (NGX_VOD_SINK_KEY_MAX + 256);

    buf = malloc(size);
    if (buf == NULL) {
        pthread_mutex_unlock(&ngx_vod_sink_lock);
        return -1;
    }

    len = ngx_vod_sink_append(buf, size, 0, "[");

    for (i = 0; i < ngx_vod_sink_nobjs; i++) {
        o = &ngx_vod_sink_objs[i];

        if (o->has_md5) {
            hex[0] = '"';
            *ngx_vod_sink_hex(hex + 1, o->md5, 16) = '\0';

        } else {
            strcpy(hex, "null");
        }

        /* keys are made of the path characters the requests had */

        len = ngx_vod_sink_append(buf, size, len,
                  "%s\n{\"seq\":%" PRIu64 ",\"key\":\"%s\",\"kind\":\"%s\","
                  "\"bytes\":%" PRIu64 ",\"crc64\":\"%" PRIu64 "\","
                  "\"md5\":%s%s,\"parts\":%u,\"committed\":%s}",
                  i ? "," : "", o->seq, o->key, o->kind, o->bytes, o->crc,
                  hex, o->has_md5 ? "\"" : "", o->parts,
                  o->committed ? "true" : "false");
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    len = ngx_vod_sink_append(buf, size, len, "\n]\n");

    rc = ngx_vod_sink_answer(c, rq, 200, NULL, "application/json", buf,
                             len);
    free(buf);

    return rc;
}


static int
ngx_vod_sink_stats(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq)
{
    char            json[512];
    size_t          i, len, n;
    uint64_t        bytes;
    struct rusage   ru;
    struct timeval  tv;

    getrusage(RUSAGE_SELF, &ru);
    gettimeofday(&tv, NULL);

    pthread_mutex_lock(&ngx_vod_sink_lock);

    n = ngx_vod_sink_nobjs;
    bytes = 0;

    for (i = 0; i < n; i++) {
        bytes += ngx_vod_sink_objs[i].bytes;
    }

    pthread_mutex_unlock(&ngx_vod_sink_lock);

    len = snprintf(json, sizeof(json),
                   "{\"objects\":%zu,\"bytes\":%" PRIu64 ","
                   "\"cpu_user\":%.6f,\"cpu_sys\":%.6f,\"uptime\":%.6f,"
                   "\"crc64\":\"%s\",\"md5\":%s}\n",
                   n, bytes,
                   ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
                   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
                   tv.tv_sec + tv.tv_usec / 1e6 - ngx_vod_sink_started,
                   ngx_vod_crc64_implementation(),
                   ngx_vod_sink_md5_on ? "true" : "false");

    return ngx_vod_sink_answer(c, rq, 200, NULL, "application/json", json,
                               len);
}


static void
ngx_vod_sink_record(ngx_vod_sink_object_t *o)
{
    size_t                  size;
    ngx_vod_sink_object_t  *objs;

    pthread_mutex_lock(&ngx_vod_sink_lock);

    if (ngx_vod_sink_nobjs == ngx_vod_sink_objs_size) {
        size = ngx_vod_sink_objs_size ? 2 * ngx_vod_sink_objs_size : 64;

        objs = realloc(ngx_vod_sink_objs,
                       size * sizeof(ngx_vod_sink_object_t));
        if (objs == NULL) {
            pthread_mutex_unlock(&ngx_vod_sink_lock);
            fprintf(stderr, "vod_sink: out of memory\n");
            return;
        }

        ngx_vod_sink_objs = objs;
        ngx_vod_sink_objs_size = size;
    }

    o->seq = ++ngx_vod_sink_seq;
    ngx_vod_sink_objs[ngx_vod_sink_nobjs++] = *o;

    pthread_mutex_unlock(&ngx_vod_sink_lock);
}


/* with the lock held */

static ngx_vod_sink_upload_t *
ngx_vod_sink_upload_find(const char *id)
{
    size_t  i;

    for (i = 0; i < ngx_vod_sink_nuploads; i++) {
        if (ngx_vod_sink_uploads[i].live
            && strcmp(ngx_vod_sink_uploads[i].id, id) == 0)
        {
            return &ngx_vod_sink_uploads[i];
        }
    }

    return NULL;
}


/* a query parameter, "name" or "name=value"; 1: present */

static int
ngx_vod_sink_param(const char *query, const char *name, char *value,
    size_t size)
{
    size_t       len, n;
    const char  *p, *end;

    len = strlen(name);
    p = query;

    while (*p) {
        end = strchr(p, '&');
        if (end == NULL) {
            end = p + strlen(p);
        }

        if ((size_t) (end - p) >= len && strncmp(p, name, len) == 0
            && (p[len] == '=' || p + len == end))
        {
            if (value) {
                p += len;
                p += (*p == '=');
                n = end - p;

                if (n >= size) {
                    n = size - 1;
                }

                memcpy(value, p, n);
                value[n] = '\0';
            }

            return 1;
        }

        p = *end ? end + 1 : end;
    }

    return 0;
}


/*
 * A string member of a flat JSON object, as the module writes it
 * ("Name":"value"); only the characters safe in a path are kept.
 */

static int
ngx_vod_sink_json_str(const u_char *json, size_t len, const char *name,
    char *value, size_t size)
{
    char        pattern[NGX_VOD_SINK_NAME_MAX];
    size_t      n;
    const char *p;

    if (json == NULL || len == 0) {
        return 0;
    }

    snprintf(pattern, sizeof(pattern), "\"%s\":\"", name);

    p = strstr((const char *) json, pattern);
    if (p == NULL) {
        return 0;
    }

    p += strlen(pattern);

    for (n = 0; *p && *p != '"' && n + 1 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
            || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
            || *p == '.')
        {
            value[n++] = *p;
        }
    }

    value[n] = '\0';

    return n > 0;
}


/* the ETag of a body: its MD5, or a stand-in made of its CRC-64 */

static void
ngx_vod_sink_etag(char *etag, uint64_t crc, uint64_t bytes, u_char *md5)
{
    char  *p;

    if (ngx_vod_sink_md5_on) {
        etag[0] = '"';
        p = ngx_vod_sink_hex(etag + 1, md5, 16);
        *p++ = '"';
        *p = '\0';
        return;
    }

    snprintf(etag, 40, "\"%016" PRIx64 "%016" PRIx64 "\"", crc, bytes);
}


static int
ngx_vod_sink_answer(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    int status, const char *headers, const char *type, const char *body,
    size_t len)
{
    int          n;
    char         head[1024];
    const char  *reason;

    switch (status) {
    case 200: reason = "OK"; break;
    case 204: reason = "No Content"; break;
    case 400: reason = "Bad Request"; break;
    case 404: reason = "Not Found"; break;
    case 405: reason = "Method Not Allowed"; break;
    default: reason = "Error"; break;
    }

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nServer: vod_sink\r\n"
                 "x-cos-request-id: vod-sink\r\n"
                 "%s%s%s%s",
                 status, reason,
                 headers ? headers : "",
                 type ? "Content-Type: " : "", type ? type : "",
                 type ? "\r\n" : "");

    if (status != 204) {
        n += snprintf(head + n, sizeof(head) - n, "Content-Length: %zu\r\n",
                      len);
    }

    n += snprintf(head + n, sizeof(head) - n, "%s\r\n",
                  rq->close ? "Connection: close\r\n" : "");

    /* a HEAD's answer has the Content-Length of the body it does not get */

    if (ngx_vod_sink_send(c->fd, head, n) != 0
        || (len && body && ngx_vod_sink_send(c->fd, body, len) != 0))
    {
        return -1;
    }

    return rq->close ? -1 : 0;
}


static int
ngx_vod_sink_xml_error(ngx_vod_sink_conn_t *c, ngx_vod_sink_req_t *rq,
    int status, const char *code, const char *message)
{
    char    xml[1024];
    size_t  len;

    len = snprintf(xml, sizeof(xml),
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<Error><Code>%s</Code><Message>%s</Message>"
                   "<Resource>%s</Resource><RequestId>vod-sink</RequestId>"
                   "<TraceId>vod-sink</TraceId></Error>",
                   code, message, rq->path);

    return ngx_vod_sink_answer(c, rq, status, NULL, "application/xml", xml,
                               len);
}


static int
ngx_vod_sink_send(int fd, const char *p, size_t len)
{
    ssize_t  n;

    while (len) {
        n = send(fd, p, len, MSG_NOSIGNAL);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return -1;
        }

        p += n;
        len -= n;
    }

    return 0;
}


static char *
ngx_vod_sink_hex(char *dst, const u_char *src, size_t len)
{
    return (char *) ngx_vod_hex((u_char *) dst, src, len);
}


/* appends to buf (size bytes, len used); returns the new length */

static size_t
ngx_vod_sink_append(char *buf, size_t size, size_t len, const char *fmt,
    ...)
{
    int      n;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(buf + len, size - len, fmt, args);
    va_end(args);

    if (n < 0 || (size_t) n >= size - len) {
        return size - 1;
    }

    return len + n;
}

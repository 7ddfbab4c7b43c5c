
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Whether another worker still runs, for what a worker that died left in
 * shared memory: a tus upload's lock, an entry of vod_status.
 */


#include "ngx_http_vod_upload_process.h"


ngx_uint_t
ngx_http_vod_upload_process_runs(ngx_pid_t pid, uint64_t *start)
{
    u_char      *p, *last;
    ssize_t      n;
    ngx_fd_t     fd;
    ngx_uint_t   field;
    u_char       name[64], stat[1024];

    *start = 0;

    if (kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH) {
        return 0;
    }

    *ngx_sprintf(name, "/proc/%P/stat", pid) = '\0';

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return 1;
    }

    n = ngx_read_fd(fd, stat, sizeof(stat));
    (void) ngx_close_file(fd);

    if (n <= 0) {
        return 1;
    }

    last = stat + n;

    /* "pid (comm) S ...": the state follows the last ")" */

    for (p = last - 1; p > stat && *p != ')'; p--) { /* void */ }

    if (p + 2 < last && (p[2] == 'Z' || p[2] == 'X')) {
        return 0;
    }

    /* the state is field 3: the start time 19 fields on */

    for (field = 2; p < last && field < 22; p++) {
        if (*p == ' ') {
            field++;
        }
    }

    while (p < last && *p >= '0' && *p <= '9') {
        *start = *start * 10 + (*p++ - '0');
    }

    return 1;
}

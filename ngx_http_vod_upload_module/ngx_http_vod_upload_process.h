
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_PROCESS_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_PROCESS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * Whether a process (another worker) still runs: it exists and is not a
 * zombie (a killed worker is one until the master reaps it); and its
 * start time, field 22 of /proc/PID/stat, which tells it from a later
 * process of the same pid (0 when /proc does not tell; the process is
 * then taken as running unless kill() finds none).
 */
ngx_uint_t ngx_http_vod_upload_process_runs(ngx_pid_t pid, uint64_t *start);


#endif /* _NGX_HTTP_VOD_UPLOAD_PROCESS_H_INCLUDED_ */

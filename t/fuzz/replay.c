
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Replays a fuzz target's corpus without libFuzzer (built with gcc, run
 * by make test): every file of FUZZ_CORPUS (t/fuzz/corpus/<name>), the
 * seeds and what fuzzing kept, among them every input that ever crashed
 * a unit, is fed to the target once; a TAP line a file.  A target aborts
 * on what it must not see, so a failure ends the program (prove reports
 * it, with the file named on the line before).
 */

#include <dirent.h>
#include <stdio.h>

#include "fuzz.h"


static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}


int
main(void)
{
    DIR            *dir;
    FILE           *f;
    char            path[4096], **names;
    long            len;
    size_t          n, size, i;
    u_char         *data;
    struct dirent  *de;

    dir = opendir(FUZZ_CORPUS);
    if (dir == NULL) {
        printf("1..0 # SKIP no corpus at %s\n", FUZZ_CORPUS);
        return 0;
    }

    names = NULL;
    n = 0;
    size = 0;

    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        if (n == size) {
            size = size ? size * 2 : 256;
            names = realloc(names, size * sizeof(char *));
            if (names == NULL) {
                abort();
            }
        }

        names[n++] = strdup(de->d_name);
    }

    closedir(dir);

    qsort(names, n, sizeof(char *), by_name);

    printf("1..%zu\n", n);

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", FUZZ_CORPUS, names[i]);

        f = fopen(path, "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0
            || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        {
            printf("not ok %zu - %s: cannot read it\n", i + 1, names[i]);
            continue;
        }

        data = malloc(len ? (size_t) len : 1);
        if (data == NULL || fread(data, 1, (size_t) len, f) != (size_t) len) {
            abort();
        }

        fclose(f);

        printf("# %s\n", names[i]);
        fflush(stdout);

        (void) LLVMFuzzerTestOneInput(data, (size_t) len);

        printf("ok %zu - %s\n", i + 1, names[i]);
        free(data);
        free(names[i]);
    }

    free(names);

    return 0;
}

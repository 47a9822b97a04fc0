#define _GNU_SOURCE
#include <unistd.h>
#include "CPosix.h"

int esync_syncfs(int fd) { return syncfs(fd); }

#include <malloc.h>

void esync_release_free_memory(void) {
    malloc_trim(0);
}

void esync_share_one_heap(void) {
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

#include <sys/vfs.h>

long esync_file_system_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}

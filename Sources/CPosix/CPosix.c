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
}

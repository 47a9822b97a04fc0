#define _GNU_SOURCE
#include <unistd.h>
#include "CPosix.h"

int esync_syncfs(int fd) { return syncfs(fd); }

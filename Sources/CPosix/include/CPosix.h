#ifndef ESYNC_CPOSIX_H
#define ESYNC_CPOSIX_H
/// POSIX and Linux calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
int esync_syncfs(int fd);
#endif

#ifndef ESYNC_CPOSIX_H
#define ESYNC_CPOSIX_H
/// POSIX and Linux calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
int esync_syncfs(int fd);
/// Gives freed heap pages back to the system (glibc's malloc_trim(0)).
void esync_release_free_memory(void);
/// One malloc arena for every thread (glibc's mallopt(M_ARENA_MAX, 1)), and every block of 256 KB or
/// more mapped on its own and given back when freed (M_MMAP_THRESHOLD, which also stops glibc from
/// raising that threshold by itself); call before threads start.
void esync_share_one_heap(void);
/// The file system type of the one holding `path` (statfs's f_type: 0xEF53 for ext2/3/4…), or -1.
long esync_file_system_type(const char *path);
#endif

#ifndef ESYNC_CSQLITESETUP_H
#define ESYNC_CSQLITESETUP_H
/// What SQLite answered when this process turned its memory statistics off, before anything
/// else could start SQLite (SQLITE_OK, 0, when it took). See CSQLiteSetup.c.
int esync_sqlite_statistics_off_result(void);
/// The bytes SQLite counts as allocated (sqlite3_memory_used): 0 while its statistics are off.
long long esync_sqlite_memory_counted(void);
#endif

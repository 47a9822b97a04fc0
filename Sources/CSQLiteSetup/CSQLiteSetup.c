#include <sqlite3.h>
#include "CSQLiteSetup.h"

// SQLite keeps memory statistics by default (SQLITE_DEFAULT_MEMSTATUS=1, as Debian builds it):
// every allocation and free it makes takes a process-wide mutex to count itself. The register
// never reads them. Turned off here, as the process loads, since sqlite3_config only works
// before SQLite starts (the first connection opened starts it), and since it is variadic, which
// Swift cannot call. Its mutex was 2–3 % of the province's CPU in a first upload of 100,000
// records, 4–5 % with what it held up.
static int statistics_off_result = -1;

__attribute__((constructor)) static void esync_sqlite_statistics_off(void) {
    statistics_off_result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int esync_sqlite_statistics_off_result(void) { return statistics_off_result; }

long long esync_sqlite_memory_counted(void) { return sqlite3_memory_used(); }

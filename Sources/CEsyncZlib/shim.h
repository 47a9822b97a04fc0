#ifndef ESYNC_CZLIB_SHIM_H
#define ESYNC_CZLIB_SHIM_H

// zlib for Swift: the gz* file functions the register's backups are written and read with.
#include <zlib.h>

#endif

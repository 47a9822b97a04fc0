#ifndef ESYNC_CZSTD_SHIM_H
#define ESYNC_CZSTD_SHIM_H
// zstd (RFC 8878), the change sets' Content-Encoding between an agent and a province that takes
// it (`ProvinceAccepts.zstd`): from Debian's libzstd-dev.
#include <zstd.h>
#endif

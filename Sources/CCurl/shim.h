#ifndef ESYNC_CCURL_SHIM_H
#define ESYNC_CCURL_SHIM_H

// libcurl and zlib for Swift.
// curl_easy_setopt/curl_easy_getinfo are variadic and deflateInit2/inflateInit2 are macros, so
// Swift cannot call them; these static inline wrappers give each argument type a fixed signature.

#include <curl/curl.h>
#include <zlib.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// MARK: - setopt / getinfo

static inline CURLcode esync_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
/// Whether this libcurl inflates zstd answers (Debian's does: `curl -V` lists zstd).
static inline int esync_curl_has_zstd(void) {
    const curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
    return d != NULL && (d->features & CURL_VERSION_ZSTD) != 0;
}
static inline CURLcode esync_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode esync_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode esync_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode esync_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode esync_setopt_write(CURL *h, CURLoption o, curl_write_callback f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode esync_setopt_xferinfo(CURL *h, CURLoption o, curl_xferinfo_callback f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode esync_setopt_debug(CURL *h, CURLoption o, curl_debug_callback f) { return curl_easy_setopt(h, o, f); }

static inline CURLcode esync_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode esync_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode esync_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }

static inline long esync_curl_global_default(void) { return CURL_GLOBAL_DEFAULT; }

// MARK: - gzip

static inline void esync_free(void *p) { free(p); }

/// Gzip-compresses `in` (level 3) into a malloc'd buffer the caller releases with esync_free.
/// Returns Z_OK, or a zlib error code with *out == NULL. Level 3, not zlib's default 6: on change
/// sets of records it spends half the CPU for a sixth more bytes (gzip was an eighth of the
/// agent's CPU in a first upload; still a seventh of the bytes rsync sends).
static inline int esync_gzip(const unsigned char *in, size_t inLen, unsigned char **out, size_t *outLen) {
    const size_t chunk = (size_t)1 << 30; // zlib counts in uInt; feed large inputs in pieces
    z_stream s;
    memset(&s, 0, sizeof s);
    *out = NULL;
    *outLen = 0;
    int rc = deflateInit2(&s, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) return rc;
    size_t cap = (size_t)deflateBound(&s, (uLong)inLen) + 64;
    unsigned char *buf = (unsigned char *)malloc(cap);
    if (buf == NULL) { deflateEnd(&s); return Z_MEM_ERROR; }
    size_t inRest = inLen;
    s.next_in = (Bytef *)in;
    s.next_out = buf;
    for (;;) {
        if (s.avail_in == 0 && inRest > 0) {
            uInt n = (uInt)(inRest > chunk ? chunk : inRest);
            s.avail_in = n;
            inRest -= n;
        }
        if (s.avail_out == 0) {
            size_t used = (size_t)(s.next_out - buf);
            if (used == cap) {
                unsigned char *bigger = (unsigned char *)realloc(buf, cap * 2);
                if (bigger == NULL) { free(buf); deflateEnd(&s); return Z_MEM_ERROR; }
                buf = bigger;
                cap *= 2;
                s.next_out = buf + used;
            }
            size_t room = cap - used;
            s.avail_out = (uInt)(room > chunk ? chunk : room);
        }
        rc = deflate(&s, inRest == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK) { free(buf); deflateEnd(&s); return rc == Z_BUF_ERROR ? Z_STREAM_ERROR : rc; }
    }
    *outLen = (size_t)(s.next_out - buf);
    *out = buf;
    deflateEnd(&s);
    return Z_OK;
}

/// Inflates one gzip stream into a malloc'd buffer (caller frees with esync_free), refusing to
/// produce more than maxOut bytes (returns Z_BUF_ERROR then): the guard against gzip bombs.
/// Returns Z_OK, or a zlib error code with *out == NULL.
static inline int esync_gunzip(const unsigned char *in, size_t inLen, size_t maxOut, unsigned char **out, size_t *outLen) {
    const size_t chunk = (size_t)1 << 30;
    z_stream s;
    memset(&s, 0, sizeof s);
    *out = NULL;
    *outLen = 0;
    if (maxOut > SIZE_MAX / 2) maxOut = SIZE_MAX / 2;
    int rc = inflateInit2(&s, 15 + 16);
    if (rc != Z_OK) return rc;
    // one spare byte beyond maxOut detects "more than maxOut"
    size_t cap = inLen < maxOut / 4 ? inLen * 4 + 64 : maxOut + 1;
    if (cap > maxOut + 1) cap = maxOut + 1;
    unsigned char *buf = (unsigned char *)malloc(cap);
    if (buf == NULL) { inflateEnd(&s); return Z_MEM_ERROR; }
    size_t inRest = inLen;
    s.next_in = (Bytef *)in;
    s.next_out = buf;
    for (;;) {
        if (s.avail_in == 0 && inRest > 0) {
            uInt n = (uInt)(inRest > chunk ? chunk : inRest);
            s.avail_in = n;
            inRest -= n;
        }
        size_t used = (size_t)(s.next_out - buf);
        if (used > maxOut) { free(buf); inflateEnd(&s); return Z_BUF_ERROR; }
        if (s.avail_out == 0) {
            if (used == cap) {
                size_t next = cap * 2 > maxOut + 1 ? maxOut + 1 : cap * 2;
                unsigned char *bigger = (unsigned char *)realloc(buf, next);
                if (bigger == NULL) { free(buf); inflateEnd(&s); return Z_MEM_ERROR; }
                buf = bigger;
                cap = next;
                s.next_out = buf + used;
            }
            size_t room = cap - used;
            s.avail_out = (uInt)(room > chunk ? chunk : room);
        }
        rc = inflate(&s, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && s.avail_in == 0 && inRest == 0) rc = Z_DATA_ERROR; // truncated input
        if (rc != Z_OK) { free(buf); inflateEnd(&s); return rc == Z_NEED_DICT ? Z_DATA_ERROR : rc; }
    }
    *outLen = (size_t)(s.next_out - buf);
    inflateEnd(&s);
    if (*outLen > maxOut) { free(buf); *outLen = 0; return Z_BUF_ERROR; }
    *out = buf;
    return Z_OK;
}

#endif

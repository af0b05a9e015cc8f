#ifndef EVCSM_CCURL_SHIM_H
#define EVCSM_CCURL_SHIM_H
// libcurl, loaded on first use with dlopen (no DT_NEEDED entry: a process that never makes an https, SigV4 or
// proxied request — every evcsm-local worker — never maps libcurl, OpenSSL, GnuTLS, Kerberos, LDAP...), and
// typed wrappers for its variadic calls, which Swift cannot import (see ../shared/NOTES.md). The header is only
// for the types and constants; every call goes through `evcsm_curl`, which evcsm_curl_load() fills. Only
// FunctionRuntime's CurlHTTPClient.swift calls it: the table is per object file that uses it.
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

typedef size_t (*evcsm_curl_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef size_t (*evcsm_curl_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

typedef struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
} evcsm_curl_api;

/// The resolved calls (a function-local static: Swift's importer emits it with the inline function that owns it,
/// which it does not do for a file-scope `static`).
static inline evcsm_curl_api *evcsm_curl_table(void) {
    static evcsm_curl_api table;
    return &table;
}
#define evcsm_curl (*evcsm_curl_table())

/// Loads libcurl (`libcurl.so.4`, the soname of every libcurl 7 and 8) and resolves the calls above. NULL when
/// done, else dlerror()'s text. Call once (the Swift side does, from a `static let`), before any other call here.
static inline const char *evcsm_curl_load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return dlerror();
#define EVCSM_CURL_RESOLVE(field, symbol) \
    if ((*(void **)&evcsm_curl.field = dlsym(library, symbol)) == NULL) return dlerror();
    EVCSM_CURL_RESOLVE(global_init, "curl_global_init")
    EVCSM_CURL_RESOLVE(easy_init, "curl_easy_init")
    EVCSM_CURL_RESOLVE(easy_cleanup, "curl_easy_cleanup")
    EVCSM_CURL_RESOLVE(easy_reset, "curl_easy_reset")
    EVCSM_CURL_RESOLVE(easy_perform, "curl_easy_perform")
    EVCSM_CURL_RESOLVE(easy_strerror, "curl_easy_strerror")
    EVCSM_CURL_RESOLVE(easy_setopt, "curl_easy_setopt")
    EVCSM_CURL_RESOLVE(easy_getinfo, "curl_easy_getinfo")
    EVCSM_CURL_RESOLVE(slist_append, "curl_slist_append")
    EVCSM_CURL_RESOLVE(slist_free_all, "curl_slist_free_all")
#undef EVCSM_CURL_RESOLVE
    return NULL;
}

static inline CURLcode evcsm_curl_global_init_default(void) { return evcsm_curl.global_init(CURL_GLOBAL_DEFAULT); }
static inline CURL *evcsm_curl_easy_init(void) { return evcsm_curl.easy_init(); }
static inline void evcsm_curl_easy_cleanup(CURL *handle) { evcsm_curl.easy_cleanup(handle); }
static inline void evcsm_curl_easy_reset(CURL *handle) { evcsm_curl.easy_reset(handle); }
static inline CURLcode evcsm_curl_easy_perform(CURL *handle) { return evcsm_curl.easy_perform(handle); }
static inline const char *evcsm_curl_easy_strerror(CURLcode code) { return evcsm_curl.easy_strerror(code); }
static inline struct curl_slist *evcsm_curl_slist_append(struct curl_slist *list, const char *string) {
    return evcsm_curl.slist_append(list, string);
}
static inline void evcsm_curl_slist_free_all(struct curl_slist *list) { evcsm_curl.slist_free_all(list); }

static inline CURLcode evcsm_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_write_callback(CURL *handle, CURLoption option,
                                                             evcsm_curl_write_callback value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_read_callback(CURL *handle, CURLoption option,
                                                            evcsm_curl_read_callback value) {
    return evcsm_curl.easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return evcsm_curl.easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return evcsm_curl.easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return evcsm_curl.easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return evcsm_curl.easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_setopt_errorbuffer(CURL *handle, char *buffer) {
    return evcsm_curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, buffer);
}
static inline size_t evcsm_curl_error_size(void) { return CURL_ERROR_SIZE; }
#endif

#ifndef EVCSM_CCURL_SHIM_H
#define EVCSM_CCURL_SHIM_H
// Typed wrappers for libcurl's variadic calls, which Swift cannot import (see ../shared/NOTES.md).
#include <curl/curl.h>

typedef size_t (*evcsm_curl_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef size_t (*evcsm_curl_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

static inline CURLcode evcsm_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_write_callback(CURL *handle, CURLoption option,
                                                             evcsm_curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_setopt_read_callback(CURL *handle, CURLoption option,
                                                            evcsm_curl_read_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode evcsm_curl_global_init_default(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}
static inline CURLcode evcsm_curl_easy_setopt_errorbuffer(CURL *handle, char *buffer) {
    return curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, buffer);
}
static inline size_t evcsm_curl_error_size(void) { return CURL_ERROR_SIZE; }
#endif

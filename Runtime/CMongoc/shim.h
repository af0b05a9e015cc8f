#ifndef EVCSM_CMONGOC_SHIM_H
#define EVCSM_CMONGOC_SHIM_H
// libmongoc / libbson for DataAPIServer's MongoDB backend, plus small helpers for what Swift cannot
// express directly (see ../shared/NOTES.md): bson_t needs 128-byte aligned storage, and
// bson_error_t's message is a fixed char array.
#include <mongoc/mongoc.h>
#include <bson/bson.h>
#include <stdlib.h>

/// A heap bson_t, initialized empty, for mongoc "reply" out-parameters. Free with evcsm_bson_reply_free.
static inline bson_t *evcsm_bson_reply_new(void) {
    void *storage = NULL;
    if (posix_memalign(&storage, 128, sizeof(bson_t)) != 0) {
        return NULL;
    }
    bson_init((bson_t *)storage);
    return (bson_t *)storage;
}

static inline void evcsm_bson_reply_free(bson_t *reply) {
    if (reply != NULL) {
        bson_destroy(reply);
        free(reply);
    }
}

/// The NUL-terminated message of a bson_error_t.
static inline const char *evcsm_bson_error_message(const bson_error_t *error) {
    return error->message;
}

#endif

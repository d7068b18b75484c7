/*
 * A JSON writer for cJSON trees: compact output appended to a kith_buf.
 * Same text as cJSON_PrintUnformatted, without its per-call allocation and
 * with integers printed directly (cJSON prints every number through
 * sprintf and checks it with sscanf, which showed in profiles of writes).
 */
#ifndef KITH_UTIL_JSONW_H
#define KITH_UTIL_JSONW_H

#include "util/buf.h"

#include <cJSON.h>

/* Appends the compact JSON text of `v` (NULL writes null).  Returns 0 or
 * KITH_ENOMEM. */
int kith_json_write(kith_buf *out, const cJSON *v);

#endif

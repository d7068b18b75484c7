/*
 * See pubsub.h.
 */
#include "pubsub/pubsub.h"
#include "util/error.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kith_sub *kith_sub_new(void)
{
    return calloc(1, sizeof(kith_sub));
}

void kith_sub_clear(kith_sub *s)
{
    for (int i = 0; i < s->npatterns; i++)
        free(s->patterns[i]);
    s->npatterns = 0;
}

void kith_sub_free(kith_sub *s)
{
    if (!s) return;
    kith_sub_clear(s);
    free(s);
}

static int valid_pattern(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 128) return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '*' || *p == '@'))
            return 0;
    return 1;
}

int kith_sub_add(kith_sub *s, const char *pattern)
{
    if (!valid_pattern(pattern)) return KITH_EPARAMS;
    for (int i = 0; i < s->npatterns; i++)
        if (strcmp(s->patterns[i], pattern) == 0) return 0;
    if (s->npatterns == KITH_SUB_MAX_PATTERNS) return KITH_ECONFLICT;
    char *copy = strdup(pattern);
    if (!copy) return KITH_ENOMEM;
    s->patterns[s->npatterns++] = copy;
    return 0;
}

int kith_sub_remove(kith_sub *s, const char *pattern)
{
    for (int i = 0; i < s->npatterns; i++)
        if (strcmp(s->patterns[i], pattern) == 0) {
            free(s->patterns[i]);
            s->patterns[i] = s->patterns[--s->npatterns];
            return 1;
        }
    return 0;
}

cJSON *kith_sub_patterns(const kith_sub *s)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; s && i < s->npatterns; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(s->patterns[i]));
    return a;
}

int kith_glob_match(const char *pat, const char *s)
{
    /* Iterative matcher with one backtrack point: linear for one star,
     * and never worse than quadratic. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

/* The events also published per owner (note 3): the event type and the
 * kind of the record in its data whose owner names the channel. */
static const struct {
    const char *type, *kind;
} owned_events[] = {{"reminder.due", "task"}, {"visit.upcoming", "visit"}};

static const char *owned_kind(const char *type)
{
    for (size_t i = 0; i < sizeof(owned_events) / sizeof(owned_events[0]); i++)
        if (strcmp(type, owned_events[i].type) == 0) return owned_events[i].kind;
    return NULL;
}

int kith_sub_matches(const kith_sub *s, const char *type, const char *owner)
{
    char owned[256] = "";
    if (owner && owner[0] && owned_kind(type)) snprintf(owned, sizeof(owned), "%s.%s", type, owner);
    for (int i = 0; i < s->npatterns; i++) {
        if (kith_glob_match(s->patterns[i], type)) return 1;
        if (owned[0] && kith_glob_match(s->patterns[i], owned)) return 1;
    }
    return 0;
}

int kith_pubsub_encode(kith_buf *out, const char *type, int64_t seq, int64_t at,
                       const char *data_json, size_t data_len)
{
    char when[KITH_TIME_BUFSZ];
    kith_time_format(at, when);
    /* The type and time are plain ASCII names and digits: no escaping is
     * needed; data is already JSON text from the log. */
    int rc = kith_buf_appendf(out,
                              "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"channel\":"
                              "\"%s\",\"seq\":%lld,\"at\":\"%s\",\"data\":",
                              type, (long long)seq, when);
    if (!rc) rc = kith_buf_append(out, data_json, data_len);
    if (!rc) rc = kith_buf_append(out, "}}\n", 3);
    return rc;
}

void kith_pubsub_owner(const char *type, const char *data_json, char *owner, size_t len)
{
    owner[0] = '\0';
    const char *kind = owned_kind(type);
    if (!kind) return;
    cJSON *d = cJSON_Parse(data_json);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(d, kind);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(rec, "owner");
    if (cJSON_IsString(o)) snprintf(owner, len, "%s", o->valuestring);
    cJSON_Delete(d);
}

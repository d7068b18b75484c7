/*
 * See import_map.h.  The field lists mirror what customer.import and
 * order.import accept (core/commands/cmd_import.c); the read-only lists are
 * what `kith export` writes besides them, so an export imports back.
 */
#include "cli/import_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct field_def {
    const char *name;
    enum kith_col_kind kind;
} field_def;

static const field_def customer_fields[] = {
    {"name", KITH_COL_TEXT},        {"email", KITH_COL_TEXT},
    {"phone", KITH_COL_TEXT},       {"company", KITH_COL_TEXT},
    {"external_id", KITH_COL_TEXT}, {"owner", KITH_COL_TEXT},
    {"stage", KITH_COL_TEXT},       {"tags", KITH_COL_TAGS},
    {"attrs", KITH_COL_JSON},       {NULL, 0},
};
static const field_def order_fields[] = {
    {"customer_id", KITH_COL_NUMBER},
    {"customer_external_id", KITH_COL_TEXT},
    {"customer_email", KITH_COL_TEXT},
    {"amount", KITH_COL_NUMBER},
    {"currency", KITH_COL_TEXT},
    {"items", KITH_COL_JSON},
    {"at", KITH_COL_TEXT},
    {"external_id", KITH_COL_TEXT},
    {NULL, 0},
};
static const char *const customer_readonly[] = {
    "id",   "created_at", "updated_at", "stats", "points", "lifetime_points",
    "tier", "segments",   "churn_risk", NULL,
};
static const char *const order_readonly[] = {"id", "created_at", NULL};

/* "Full Name " -> "full_name": how a header is compared with field names. */
static void normalise(const char *in, char *out, size_t len)
{
    while (isspace((unsigned char)*in))
        in++;
    size_t n = 0;
    for (; *in && n + 1 < len; in++)
        out[n++] = *in == ' ' || *in == '-' ? '_' : (char)tolower((unsigned char)*in);
    while (n && out[n - 1] == '_')
        n--;
    out[n] = '\0';
}

static const field_def *find_field(const field_def *defs, const char *name)
{
    for (; defs->name; defs++)
        if (strcmp(defs->name, name) == 0) return defs;
    return NULL;
}

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

/* The --map entry naming header `h`, or NULL: copies its field into f. */
static int mapped(const char *maps, const char *h, char *f, size_t flen)
{
    char want[128], got[128];
    normalise(h, want, sizeof(want));
    for (const char *p = maps; p && *p;) {
        const char *end = strchr(p, ','), *eq = strchr(p, '=');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (eq && eq < p + n) {
            size_t hn = (size_t)(p + n - eq - 1);
            char header[128];
            snprintf(header, sizeof(header), "%.*s", (int)hn, eq + 1);
            normalise(header, got, sizeof(got));
            if (strcmp(got, want) == 0) {
                snprintf(f, flen, "%.*s", (int)(eq - p), p);
                return 1;
            }
        }
        p = end ? end + 1 : p + n;
    }
    return 0;
}

/* Checks that every --map entry is field=Header with a known field whose
 * header is in the file. */
static int check_maps(const char *maps, const field_def *defs, const char *const *headers, size_t n,
                      char *err, size_t errlen)
{
    for (const char *p = maps; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char entry[192], field[192];
        snprintf(entry, sizeof(entry), "%.*s", (int)len, p);
        char *eq = strchr(entry, '=');
        if (!eq || eq == entry || !eq[1]) {
            snprintf(err, errlen, "--map entries are field=Header, not \"%s\"", entry);
            return -1;
        }
        *eq = '\0';
        snprintf(field, sizeof(field), "%s", entry);
        if (!find_field(defs, field)) {
            snprintf(err, errlen, "--map: no field %s", field);
            return -1;
        }
        int found = 0;
        char want[128], got[128];
        normalise(eq + 1, want, sizeof(want));
        for (size_t i = 0; i < n && !found; i++) {
            normalise(headers[i], got, sizeof(got));
            found = strcmp(got, want) == 0;
        }
        if (!found) {
            snprintf(err, errlen, "--map: the file has no column \"%s\"", eq + 1);
            return -1;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

int kith_import_map_build(kith_import_map *m, int orders, const char *const *headers, size_t n,
                          const char *maps, char *err, size_t errlen)
{
    const field_def *defs = orders ? order_fields : customer_fields;
    memset(m, 0, sizeof(*m));
    m->orders = orders;
    if (check_maps(maps, defs, headers, n, err, errlen) < 0) return -1;
    m->cols = calloc(n ? n : 1, sizeof(*m->cols));
    if (!m->cols) return snprintf(err, errlen, "out of memory"), -1;
    m->ncols = n;
    const char *id_prefix = orders ? "customer_identity:" : "identity:";
    for (size_t i = 0; i < n; i++) {
        kith_import_col *c = &m->cols[i];
        char norm[128];
        snprintf(c->header, sizeof(c->header), "%s", headers[i]);
        normalise(headers[i], norm, sizeof(norm));
        const field_def *d = NULL;
        if (mapped(maps, headers[i], c->field, sizeof(c->field)))
            d = find_field(defs, c->field);
        else if ((d = find_field(defs, norm)))
            snprintf(c->field, sizeof(c->field), "%s", d->name);
        if (d) {
            c->kind = d->kind;
        } else if (strncasecmp(headers[i], id_prefix, strlen(id_prefix)) == 0 &&
                   headers[i][strlen(id_prefix)]) {
            c->kind = KITH_COL_IDENTITY;
            snprintf(c->field, sizeof(c->field), "%s", headers[i] + strlen(id_prefix));
        } else if (in_list(orders ? order_readonly : customer_readonly, norm)) {
            c->kind = KITH_COL_IGNORED;
        } else if (orders) {
            snprintf(err, errlen,
                     "column \"%s\" is not an order field (customer_id, customer_external_id, "
                     "customer_email, customer_identity:SOURCE, amount, currency, items, at, "
                     "external_id); rename it or use --map",
                     headers[i]);
            kith_import_map_release(m);
            return -1;
        } else {
            c->kind = KITH_COL_ATTR; /* "Birth Day" -> attrs.birth_day */
            snprintf(c->field, sizeof(c->field), "%s", norm);
        }
        for (size_t j = 0; j < i; j++)
            if (c->kind != KITH_COL_ATTR && c->kind != KITH_COL_IGNORED &&
                c->kind == m->cols[j].kind && strcmp(c->field, m->cols[j].field) == 0) {
                snprintf(err, errlen, "columns \"%s\" and \"%s\" both give %s", m->cols[j].header,
                         headers[i], c->field);
                kith_import_map_release(m);
                return -1;
            }
    }
    return 0;
}

void kith_import_map_release(kith_import_map *m)
{
    free(m->cols);
    memset(m, 0, sizeof(*m));
}

static cJSON *tags_of(const char *cell)
{
    if (cell[0] == '[') return cJSON_Parse(cell);
    cJSON *a = cJSON_CreateArray();
    for (const char *p = cell; a && *p;) {
        size_t n = strcspn(p, ",;");
        const char *s = p, *e = p + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            char *t = strndup(s, (size_t)(e - s));
            cJSON_AddItemToArray(a, cJSON_CreateString(t));
            free(t);
        }
        p += n + (p[n] != '\0');
    }
    return a;
}

/* The number in `cell`, or the cell as a string when it is not one (the
 * server then says what is wrong with it, for that row). */
static cJSON *number_of(const char *cell)
{
    char *end;
    double v = strtod(cell, &end);
    while (isspace((unsigned char)*end))
        end++;
    return end != cell && !*end ? cJSON_CreateNumber(v) : cJSON_CreateString(cell);
}

cJSON *kith_import_map_record(const kith_import_map *m, const char *const *cells, char *err,
                              size_t errlen)
{
    cJSON *rec = cJSON_CreateObject(), *attrs = NULL, *ids = NULL;
    for (size_t i = 0; rec && i < m->ncols; i++) {
        const kith_import_col *c = &m->cols[i];
        const char *cell = cells[i];
        if (!cell[0] || c->kind == KITH_COL_IGNORED) continue;
        cJSON *v = NULL;
        switch (c->kind) {
        case KITH_COL_TEXT: v = cJSON_CreateString(cell); break;
        case KITH_COL_NUMBER: v = number_of(cell); break;
        case KITH_COL_TAGS: v = tags_of(cell); break;
        case KITH_COL_JSON: v = cJSON_Parse(cell); break;
        case KITH_COL_ATTR:
            if (!attrs) attrs = cJSON_CreateObject();
            cJSON_DeleteItemFromObjectCaseSensitive(attrs, c->field);
            cJSON_AddItemToObject(attrs, c->field, cJSON_CreateString(cell));
            continue;
        case KITH_COL_IDENTITY: {
            cJSON *id = cJSON_CreateObject();
            cJSON_AddStringToObject(id, "source", c->field);
            cJSON_AddStringToObject(id, "key", cell);
            if (m->orders) {
                cJSON_AddItemToObject(rec, "customer_identity", id);
            } else {
                if (!ids) ids = cJSON_CreateArray();
                cJSON_AddItemToArray(ids, id);
            }
            continue;
        }
        case KITH_COL_IGNORED: continue;
        }
        if (!v || (c->kind == KITH_COL_TAGS && !cJSON_IsArray(v)) ||
            (c->kind == KITH_COL_JSON && strcmp(c->field, "attrs") == 0 && !cJSON_IsObject(v))) {
            snprintf(err, errlen, "column \"%s\": %s", c->header,
                     c->kind == KITH_COL_TAGS ? "tags must be a JSON array or words separated "
                                                "by , or ;"
                                              : "not valid JSON");
            cJSON_Delete(v);
            cJSON_Delete(rec);
            cJSON_Delete(attrs);
            cJSON_Delete(ids);
            return NULL;
        }
        cJSON_AddItemToObject(rec, c->field, v);
    }
    if (attrs) {
        /* Unknown columns join an attrs column's object; theirs wins. */
        cJSON *base = cJSON_GetObjectItemCaseSensitive(rec, "attrs");
        if (!base) base = cJSON_AddObjectToObject(rec, "attrs");
        cJSON *a;
        while ((a = attrs->child)) {
            cJSON_DetachItemViaPointer(attrs, a);
            cJSON_DeleteItemFromObjectCaseSensitive(base, a->string);
            cJSON_AddItemToObject(base, a->string, a);
        }
        cJSON_Delete(attrs);
    }
    if (ids) cJSON_AddItemToObject(rec, "identities", ids);
    return rec;
}

void kith_import_map_ignored(const kith_import_map *m, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->ncols && n < len; i++)
        if (m->cols[i].kind == KITH_COL_IGNORED)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", m->cols[i].header);
}

/*
 * How `kith import` turns a CSV row into a record: the header's columns
 * matched to the record's fields (case-insensitively, or as --map says),
 * unknown columns of a customer file into attrs, read-only columns of an
 * export (id, created_at, stats, ...) ignored, `identity:SOURCE` columns
 * into identities, and each cell converted to its field's type.
 */
#ifndef KITH_CLI_IMPORT_MAP_H
#define KITH_CLI_IMPORT_MAP_H

#include <cJSON.h>
#include <stddef.h>

enum kith_col_kind {
    KITH_COL_TEXT,     /* a string field */
    KITH_COL_NUMBER,   /* amount, customer_id */
    KITH_COL_TAGS,     /* a JSON array, or words split on , or ; */
    KITH_COL_JSON,     /* attrs, items: JSON text */
    KITH_COL_ATTR,     /* an unknown column of a customer file: attrs[header] */
    KITH_COL_IDENTITY, /* identity:SOURCE (customers) or customer_identity:SOURCE (orders) */
    KITH_COL_IGNORED,  /* read-only in an export: id, created_at, stats, ... */
};

typedef struct kith_import_col {
    enum kith_col_kind kind;
    char field[128];  /* the record's field (or the attr's name, the identity's source) */
    char header[128]; /* as written in the file */
} kith_import_col;

typedef struct kith_import_map {
    int orders; /* an order file (else customers) */
    size_t ncols;
    kith_import_col *cols;
} kith_import_map;

/* Builds the map for a header row.  `maps` is the --map text
 * ("field=Header,field=Header", may be NULL).  Returns 0, or -1 with why
 * in err (an unknown field in --map, a header --map names that is missing,
 * an unknown column in an order file, a field given twice). */
int kith_import_map_build(kith_import_map *m, int orders, const char *const *headers, size_t n,
                          const char *maps, char *err, size_t errlen);
void kith_import_map_release(kith_import_map *m);
/* The record for one row of m->ncols cells (owned), or NULL with why in err
 * (a JSON cell that does not parse). */
cJSON *kith_import_map_record(const kith_import_map *m, const char *const *cells, char *err,
                              size_t errlen);
/* The columns ignored, comma-separated, into buf ("" when none). */
void kith_import_map_ignored(const kith_import_map *m, char *buf, size_t len);

#endif

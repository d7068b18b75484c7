/*
 * See survey_model.h.
 */
#include "commands/survey_model.h"
#include "util/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUESTIONS 100
#define MAX_OPTIONS   100
#define MAX_QTEXT     1000
#define MAX_OPTION    200

static const char *const types[] = {"rating", "nps",   "ces",  "choice", "multi",
                                    "number", "yesno", "text", NULL};
static const char *const fields[] = {"key",       "text",    "type",  "required",   "overall",
                                     "dimension", "options", "scale", "touchpoint", NULL};

static int fault(kith_survey_fault *f, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fault(kith_survey_fault *f, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    snprintf(f->param, sizeof(f->param), "%s", param);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0) return 1;
    return 0;
}

int kith_survey_slug_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    return 1;
}

static const char *type_of(const cJSON *q)
{
    return kith_json_get_str(q, "type");
}

static int is_type(const cJSON *q, const char *t)
{
    const char *qt = type_of(q);
    return qt && strcmp(qt, t) == 0;
}

static int is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && kith_json_is_int(v->valuedouble);
}

/* Reads `scale` (an object {min, max} or a number max with min 1) of a
 * rating or number question.  Returns 1 when given, 0 when absent, -1 when
 * malformed. */
static int scale_of(const cJSON *q, double *min, double *max)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(q, "scale");
    if (!s || cJSON_IsNull(s)) return 0;
    if (is_int(s)) {
        *min = 1;
        *max = s->valuedouble;
    } else if (cJSON_IsObject(s)) {
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(s, "min");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(s, "max");
        if (!is_int(lo) || !is_int(hi)) return -1;
        *min = lo->valuedouble;
        *max = hi->valuedouble;
    } else {
        return -1;
    }
    return *min < *max && *max - *min <= 1000 ? 1 : -1;
}

int kith_survey_scale(const cJSON *q, double *min, double *max)
{
    const char *t = type_of(q);
    if (!t) return 0;
    double lo = 0, hi = 0;
    if (strcmp(t, "rating") == 0) {
        lo = 1;
        hi = 5;
        scale_of(q, &lo, &hi);
    } else if (strcmp(t, "nps") == 0) {
        hi = 10;
    } else if (strcmp(t, "ces") == 0) {
        lo = 1;
        hi = 7;
    } else if (strcmp(t, "yesno") == 0) {
        hi = 1;
    } else if (strcmp(t, "number") == 0) {
        scale_of(q, &lo, &hi);
    } else {
        return 0;
    }
    *min = lo;
    *max = hi;
    return 1;
}

static int check_options(const cJSON *q, const char *where, kith_survey_fault *f)
{
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(q, "options");
    int n = cJSON_GetArraySize(opts);
    if (!cJSON_IsArray(opts) || n < 1 || n > MAX_OPTIONS)
        return fault(f, where, "%s: a %s question needs options, an array of 1-%d strings", where,
                     type_of(q), MAX_OPTIONS);
    for (int i = 0; i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(opts, i);
        if (!cJSON_IsString(o) || !o->valuestring[0] || strlen(o->valuestring) > MAX_OPTION)
            return fault(f, where, "%s: options[%d] must be a string of 1-%d bytes", where, i,
                         MAX_OPTION);
        for (int j = 0; j < i; j++)
            if (strcmp(cJSON_GetArrayItem(opts, j)->valuestring, o->valuestring) == 0)
                return fault(f, where, "%s: option '%s' is listed twice", where, o->valuestring);
    }
    return 0;
}

static int check_question(const cJSON *q, int i, const cJSON *questions, int *overalls,
                          kith_survey_fault *f)
{
    char where[32];
    snprintf(where, sizeof(where), "questions[%d]", i);
    if (!cJSON_IsObject(q)) return fault(f, where, "%s must be an object", where);
    const cJSON *field;
    cJSON_ArrayForEach(field, q)
    {
        if (!in_list(field->string, fields))
            return fault(f, where,
                         "%s: unknown field '%s' (a question has key, text, type, required, "
                         "overall, dimension, options, scale, touchpoint)",
                         where, field->string);
    }
    const char *key = kith_json_get_str(q, "key");
    if (!kith_survey_slug_ok(key))
        return fault(f, where, "%s: key must be a name of 1-64 of a-z 0-9 _ -", where);
    for (int j = 0; j < i; j++)
        if (strcmp(kith_json_get_str(cJSON_GetArrayItem(questions, j), "key"), key) == 0)
            return fault(f, where, "%s: key '%s' is used twice", where, key);
    const char *text = kith_json_get_str(q, "text");
    if (!text || !text[0] || strlen(text) > MAX_QTEXT)
        return fault(f, where, "%s: text must be a string of 1-%d bytes", where, MAX_QTEXT);
    const char *type = type_of(q);
    if (!in_list(type, types))
        return fault(f, where,
                     "%s: type must be one of rating, nps, ces, choice, multi, number, yesno, "
                     "text",
                     where);
    static const char *const flags[] = {"required", "overall"};
    for (int k = 0; k < 2; k++) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(q, flags[k]);
        if (b && !cJSON_IsBool(b) && !cJSON_IsNull(b))
            return fault(f, where, "%s: %s must be true or false", where, flags[k]);
    }
    int overall = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "overall"));
    if (overall && !in_list(type, (const char *const[]){"rating", "nps", "ces", NULL}))
        return fault(f, where, "%s: the overall question must be of type rating, nps or ces",
                     where);
    if (overall && ++*overalls > 1)
        return fault(f, where, "%s: only one question may be marked overall", where);
    static const char *const slugs[] = {"dimension", "touchpoint"};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, slugs[k]);
        if (v && !cJSON_IsNull(v) && !kith_survey_slug_ok(cJSON_GetStringValue(v)))
            return fault(f, where, "%s: %s must be a name of 1-64 of a-z 0-9 _ -", where, slugs[k]);
    }
    const cJSON *dim = cJSON_GetObjectItemCaseSensitive(q, "dimension");
    double lo, hi;
    if (dim && !cJSON_IsNull(dim) && (overall || !kith_survey_scale(q, &lo, &hi)))
        return fault(f, where,
                     "%s: a dimension belongs on a numeric question (rating, nps, ces, number, "
                     "yesno) other than the overall one",
                     where);
    if (strcmp(type, "choice") == 0 || strcmp(type, "multi") == 0)
        return check_options(q, where, f);
    if (cJSON_GetObjectItemCaseSensitive(q, "options"))
        return fault(f, where, "%s: only choice and multi questions have options", where);
    int sc = scale_of(q, &lo, &hi);
    if (sc != 0 && strcmp(type, "rating") != 0 && strcmp(type, "number") != 0)
        return fault(f, where, "%s: only rating and number questions have a scale", where);
    if (sc < 0)
        return fault(f, where,
                     "%s: scale must be {min, max} (integers, min < max, at most 1000 apart) or "
                     "an integer max",
                     where);
    return 0;
}

int kith_survey_check_questions(const cJSON *questions, kith_survey_fault *f)
{
    int n = cJSON_GetArraySize(questions);
    if (!cJSON_IsArray(questions) || n < 1 || n > MAX_QUESTIONS)
        return fault(f, "questions", "questions must be an array of 1-%d questions", MAX_QUESTIONS);
    int overalls = 0;
    for (int i = 0; i < n; i++)
        if (check_question(cJSON_GetArrayItem(questions, i), i, questions, &overalls, f)) return -1;
    return 0;
}

const cJSON *kith_survey_overall(const cJSON *questions)
{
    const cJSON *q, *first = NULL;
    cJSON_ArrayForEach(q, questions)
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "overall"))) return q;
        if (!first && (is_type(q, "nps") || is_type(q, "rating") || is_type(q, "ces"))) first = q;
    }
    return first;
}

int kith_survey_value(const cJSON *q, const cJSON *answer, double *x)
{
    double lo, hi;
    if (!answer || cJSON_IsNull(answer) || !kith_survey_scale(q, &lo, &hi)) return 0;
    if (is_type(q, "yesno")) {
        if (!cJSON_IsBool(answer)) return 0;
        *x = cJSON_IsTrue(answer) ? 1 : 0;
        return 1;
    }
    if (!cJSON_IsNumber(answer)) return 0;
    *x = answer->valuedouble;
    return 1;
}

static int in_options(const cJSON *q, const cJSON *v)
{
    const cJSON *o;
    if (!cJSON_IsString(v)) return 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(q, "options"))
    {
        if (cJSON_IsString(o) && strcmp(o->valuestring, v->valuestring) == 0) return 1;
    }
    return 0;
}

static int check_answer(const cJSON *q, const cJSON *a, const char *param, kith_survey_fault *f)
{
    const char *t = type_of(q);
    double lo, hi;
    if (strcmp(t, "text") == 0) {
        if (!cJSON_IsString(a) || strlen(a->valuestring) > KITH_SURVEY_TEXT_MAX)
            return fault(f, param, "%s must be a text of at most %d bytes", param,
                         KITH_SURVEY_TEXT_MAX);
        return 0;
    }
    if (strcmp(t, "yesno") == 0)
        return cJSON_IsBool(a) ? 0 : fault(f, param, "%s must be true or false", param);
    if (strcmp(t, "choice") == 0)
        return in_options(q, a) ? 0 : fault(f, param, "%s must be one of the options", param);
    if (strcmp(t, "multi") == 0) {
        const cJSON *v;
        if (!cJSON_IsArray(a)) return fault(f, param, "%s must be an array of the options", param);
        int i = 0;
        cJSON_ArrayForEach(v, a)
        {
            if (!in_options(q, v))
                return fault(f, param, "%s[%d] must be one of the options", param, i);
            for (const cJSON *w = a->child; w != v; w = w->next)
                if (strcmp(w->valuestring, v->valuestring) == 0)
                    return fault(f, param, "%s lists '%s' twice", param, v->valuestring);
            i++;
        }
        return 0;
    }
    kith_survey_scale(q, &lo, &hi);
    if (strcmp(t, "number") == 0) {
        if (!cJSON_IsNumber(a) || !isfinite(a->valuedouble))
            return fault(f, param, "%s must be a number", param);
        if (hi > lo && (a->valuedouble < lo || a->valuedouble > hi))
            return fault(f, param, "%s must be from %g to %g", param, lo, hi);
        return 0;
    }
    /* rating, nps, ces: a whole number on the scale. */
    if (!is_int(a) || a->valuedouble < lo || a->valuedouble > hi)
        return fault(f, param, "%s must be a whole number from %g to %g", param, lo, hi);
    return 0;
}

static const cJSON *question_of(const cJSON *questions, const char *key)
{
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const char *k = kith_json_get_str(q, "key");
        if (k && strcmp(k, key) == 0) return q;
    }
    return NULL;
}

int kith_survey_check_answers(const cJSON *questions, const cJSON *answers, kith_survey_fault *f)
{
    char param[96];
    const cJSON *a, *q;
    if (!cJSON_IsObject(answers)) return fault(f, "answers", "answers must be an object");
    cJSON_ArrayForEach(a, answers)
    {
        snprintf(param, sizeof(param), "answers.%s", a->string);
        if (!question_of(questions, a->string))
            return fault(f, param, "%s: the survey has no question '%s'", param, a->string);
    }
    cJSON_ArrayForEach(q, questions)
    {
        const char *key = kith_json_get_str(q, "key");
        snprintf(param, sizeof(param), "answers.%s", key);
        a = cJSON_GetObjectItemCaseSensitive(answers, key);
        if (!a || cJSON_IsNull(a)) {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(q, "required")))
                return fault(f, param, "%s is required", param);
            continue;
        }
        if (check_answer(q, a, param, f)) return -1;
    }
    return 0;
}

const char *kith_survey_nps_class(double nps)
{
    return nps >= 9 ? "promoter" : nps >= 7 ? "passive" : "detractor";
}

static void add_num_or_null(cJSON *o, const char *key, int has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* The value of the first answered question of type `t`, preferring the
 * overall one. */
static int score_of(const cJSON *questions, const cJSON *overall, const cJSON *answers,
                    const char *t, double *x)
{
    const cJSON *q;
    if (overall && is_type(overall, t))
        return kith_survey_value(
            overall, cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(overall, "key")),
            x);
    cJSON_ArrayForEach(q, questions)
    {
        if (is_type(q, t) &&
            kith_survey_value(
                q, cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(q, "key")), x))
            return 1;
    }
    return 0;
}

cJSON *kith_survey_scores(const cJSON *questions, const cJSON *answers)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *dims = cJSON_CreateObject();
    if (!s || !dims) {
        cJSON_Delete(s);
        cJSON_Delete(dims);
        return NULL;
    }
    const cJSON *overall = kith_survey_overall(questions);
    double x = 0;
    int has = overall &&
              kith_survey_value(
                  overall,
                  cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(overall, "key")), &x);
    add_num_or_null(s, "overall", has, x);
    has = score_of(questions, overall, answers, "nps", &x);
    add_num_or_null(s, "nps", has, x);
    if (has)
        cJSON_AddStringToObject(s, "nps_class", kith_survey_nps_class(x));
    else
        cJSON_AddNullToObject(s, "nps_class");
    /* CSAT is the overall question when it is a rating. */
    has = overall && is_type(overall, "rating") &&
          kith_survey_value(
              overall, cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(overall, "key")),
              &x);
    add_num_or_null(s, "csat", has, x);
    has = score_of(questions, overall, answers, "ces", &x);
    add_num_or_null(s, "ces", has, x);
    /* Each dimension: the mean of its answered questions. */
    const cJSON *q;
    cJSON_ArrayForEach(q, questions)
    {
        const char *dim = kith_json_get_str(q, "dimension");
        if (!dim || cJSON_GetObjectItemCaseSensitive(dims, dim)) continue;
        double sum = 0;
        int n = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, questions)
        {
            const char *d2 = kith_json_get_str(r, "dimension");
            if (d2 && strcmp(d2, dim) == 0 &&
                kith_survey_value(
                    r, cJSON_GetObjectItemCaseSensitive(answers, kith_json_get_str(r, "key")),
                    &x)) {
                sum += x;
                n++;
            }
        }
        if (n) cJSON_AddNumberToObject(dims, dim, sum / n);
    }
    cJSON_AddItemToObject(s, "dimensions", dims);
    return s;
}

int kith_survey_pearson(double n, double sx, double sy, double sxx, double syy, double sxy,
                        double *r)
{
    if (n < 2) return 0;
    double vx = n * sxx - sx * sx, vy = n * syy - sy * sy;
    if (!(vx > 0) || !(vy > 0)) return 0;
    *r = (n * sxy - sx * sy) / sqrt(vx * vy);
    if (*r > 1) *r = 1;
    if (*r < -1) *r = -1;
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double fraction(const kith_driver *d)
{
    return d->high > d->low ? (d->mean - d->low) / (d->high - d->low) : d->mean;
}

static int rank(const char *quadrant)
{
    static const char *const order[] = {"fix_first", "keep", "secondary", "overdone", NULL};
    for (int i = 0; quadrant && order[i]; i++)
        if (strcmp(quadrant, order[i]) == 0) return i;
    return 4;
}

static int cmp_driver(const void *a, const void *b)
{
    const kith_driver *x = a, *y = b;
    int rx = rank(x->quadrant), ry = rank(y->quadrant);
    if (rx != ry) return rx - ry;
    if (x->has_correlation && y->has_correlation && x->correlation != y->correlation)
        return x->correlation > y->correlation ? -1 : 1;
    return strcmp(x->dimension, y->dimension);
}

void kith_survey_quadrants(kith_driver *d, size_t n)
{
    double *corr = calloc(n ? n : 1, sizeof(double));
    double *perf = calloc(n ? n : 1, sizeof(double));
    size_t m = 0;
    for (size_t i = 0; corr && perf && i < n; i++) {
        d[i].quadrant = NULL;
        if (!d[i].has_correlation) continue;
        corr[m] = d[i].correlation;
        perf[m] = fraction(&d[i]);
        m++;
    }
    if (m) {
        double mc = median(corr, m), mp = median(perf, m);
        for (size_t i = 0; i < n; i++) {
            if (!d[i].has_correlation) continue;
            int important = d[i].correlation >= mc, high = fraction(&d[i]) >= mp;
            d[i].quadrant =
                important ? (high ? "keep" : "fix_first") : (high ? "overdone" : "secondary");
        }
    }
    free(corr);
    free(perf);
    qsort(d, n, sizeof(*d), cmp_driver);
}

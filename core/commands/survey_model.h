/*
 * The survey model without a database: what a question may be, what an
 * answer to it may be, the scores a response carries, and how drivers are
 * sorted into quadrants.  Pure functions, so the rules are unit-tested
 * (tests/unit/test_survey_model.c) and shared by the commands, results and
 * rollups alike.
 *
 * A question is {key, text, type, required?, overall?, dimension?, options?,
 * scale?, touchpoint?}; types rating (scale, default 1-5), nps (0-10), ces
 * (1-7), choice / multi (one / several of options), text (<= 10,000 bytes),
 * number (scale optional) and yesno (a boolean).  The numeric types (rating,
 * nps, ces, number, yesno as 1/0) give a value that results average; the
 * overall question is the one marked overall, else the first of type nps,
 * rating or ces.
 */
#ifndef KITH_COMMANDS_SURVEY_MODEL_H
#define KITH_COMMANDS_SURVEY_MODEL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define KITH_SURVEY_TEXT_MAX 10000

/* A failure to describe: the param (e.g. "answers.speed", "questions[2]")
 * and a message. */
typedef struct kith_survey_fault {
    char param[96];
    char message[256];
} kith_survey_fault;

/* 1 when s is a name of 1-64 of a-z 0-9 _ -, else 0. */
int kith_survey_slug_ok(const char *s);
/* Checks a definition's questions (an array, borrowed).  Returns 0, or -1
 * with *f naming the question and what is wrong. */
int kith_survey_check_questions(const cJSON *questions, kith_survey_fault *f);
/* The overall question of `questions` (borrowed from it), or NULL. */
const cJSON *kith_survey_overall(const cJSON *questions);
/* The scale of a numeric question: rating 1-5 unless its scale says
 * otherwise, nps 0-10, ces 1-7, yesno 0-1, number its scale or 0-0 when it
 * has none.  Returns 1 for a numeric type, 0 otherwise (min/max untouched). */
int kith_survey_scale(const cJSON *q, double *min, double *max);
/* The numeric value of `answer` to question `q` (yesno: 1 or 0): 1 with *x,
 * or 0 when the question is not numeric or the answer is null/absent. */
int kith_survey_value(const cJSON *q, const cJSON *answer, double *x);
/* Checks `answers` (an object, borrowed) against `questions`: every key is
 * a question, every value fits its type, every required question has one.
 * Returns 0, or -1 with *f (param "answers.<key>"). */
int kith_survey_check_answers(const cJSON *questions, const cJSON *answers, kith_survey_fault *f);
/* The scores of a valid response: {overall, nps, nps_class, csat, ces,
 * dimensions: {dimension: mean}} with null where the survey or the answers
 * give none.  Returns an owned object, or NULL when out of memory. */
cJSON *kith_survey_scores(const cJSON *questions, const cJSON *answers);
/* "promoter" (9-10), "passive" (7-8) or "detractor" (0-6). */
const char *kith_survey_nps_class(double nps);

/* One driver: a dimension's performance (mean) and importance
 * (correlation with the overall score). */
typedef struct kith_driver {
    const char *dimension; /* borrowed */
    int64_t n;
    double mean;
    double low, high;    /* the scale of the dimension's first question */
    int has_correlation; /* 0 when n < 2 or either side never varies */
    double correlation;
    const char *quadrant; /* set by kith_survey_quadrants; NULL without a correlation */
} kith_driver;

/* Sorts drivers into quadrants and orders them (the split rule):
 *   important = correlation >= the median correlation of the drivers that
 *               have one; high = the mean, as a fraction of its scale, >=
 *               the median of those fractions.
 *   important + low  -> fix_first    important + high   -> keep
 *   unimportant + low -> secondary   unimportant + high -> overdone
 * The median of an even count is the mean of the middle two, so with two
 * drivers the stronger correlation is important.  Drivers without a
 * correlation get no quadrant.  Order: fix_first, keep, secondary,
 * overdone, none; within one, by correlation, strongest first, then name. */
void kith_survey_quadrants(kith_driver *d, size_t n);
/* Pearson's r from the moments: 1 with *r, or 0 when undefined. */
int kith_survey_pearson(double n, double sx, double sy, double sxx, double syy, double sxy,
                        double *r);

#endif

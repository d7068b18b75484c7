/*
 * The survey model (commands/survey_model.h): question definitions, answer
 * checks with the param they name, scores, Pearson's r and the drivers'
 * quadrant split.
 */
#include "check.h"
#include "commands/survey_model.h"

#include <math.h>

static cJSON *questions(void)
{
    return cJSON_Parse(
        "[{\"key\":\"overall\",\"text\":\"?\",\"type\":\"rating\",\"overall\":true,"
        "\"required\":true},"
        "{\"key\":\"rec\",\"text\":\"?\",\"type\":\"nps\"},"
        "{\"key\":\"effort\",\"text\":\"?\",\"type\":\"ces\"},"
        "{\"key\":\"q\",\"text\":\"?\",\"type\":\"rating\",\"scale\":{\"min\":0,\"max\":10},"
        "\"dimension\":\"quality\"},"
        "{\"key\":\"p\",\"text\":\"?\",\"type\":\"rating\",\"dimension\":\"quality\"},"
        "{\"key\":\"pick\",\"text\":\"?\",\"type\":\"choice\",\"options\":[\"a\",\"b\"]},"
        "{\"key\":\"many\",\"text\":\"?\",\"type\":\"multi\",\"options\":[\"a\",\"b\"]},"
        "{\"key\":\"yes\",\"text\":\"?\",\"type\":\"yesno\"},"
        "{\"key\":\"num\",\"text\":\"?\",\"type\":\"number\"},"
        "{\"key\":\"why\",\"text\":\"?\",\"type\":\"text\"}]");
}

/* The param a check of `answers` names, or "" when they pass. */
static const char *answer_fault(const cJSON *qs, const char *answers)
{
    static kith_survey_fault f;
    cJSON *a = cJSON_Parse(answers);
    int rc = kith_survey_check_answers(qs, a, &f);
    cJSON_Delete(a);
    return rc ? f.param : "";
}

static void test_answers(void)
{
    cJSON *qs = questions();
    kith_survey_fault f;
    CHECK_INT(kith_survey_check_questions(qs, &f), 0);
    CHECK_STR(answer_fault(qs, "{\"overall\":5,\"rec\":0,\"effort\":7,\"q\":10,\"p\":1,"
                               "\"pick\":\"b\",\"many\":[\"a\",\"b\"],\"yes\":false,"
                               "\"num\":-2.5,\"why\":\"\"}"),
              "");
    CHECK_STR(answer_fault(qs, "{}"), "answers.overall");
    CHECK_STR(answer_fault(qs, "{\"overall\":null}"), "answers.overall");
    CHECK_STR(answer_fault(qs, "{\"overall\":0}"), "answers.overall");
    CHECK_STR(answer_fault(qs, "{\"overall\":4.5}"), "answers.overall");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"rec\":11}"), "answers.rec");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"effort\":0}"), "answers.effort");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"q\":0}"), "");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"q\":11}"), "answers.q");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"pick\":\"c\"}"), "answers.pick");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"many\":[\"a\",\"a\"]}"), "answers.many");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"yes\":1}"), "answers.yes");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"num\":\"1\"}"), "answers.num");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"why\":7}"), "answers.why");
    CHECK_STR(answer_fault(qs, "{\"overall\":4,\"nope\":1}"), "answers.nope");

    cJSON *a = cJSON_Parse("{\"overall\":4,\"rec\":6,\"effort\":3,\"q\":8,\"p\":4}");
    cJSON *s = kith_survey_scores(qs, a);
    CHECK(cJSON_GetObjectItem(s, "overall")->valuedouble == 4);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "nps_class")), "detractor");
    CHECK(cJSON_GetObjectItem(s, "csat")->valuedouble == 4);
    CHECK(cJSON_GetObjectItem(s, "ces")->valuedouble == 3);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "dimensions"), "quality")->valuedouble == 6);
    cJSON_Delete(s);
    cJSON_Delete(a);
    CHECK_STR(kith_survey_nps_class(9), "promoter");
    CHECK_STR(kith_survey_nps_class(8), "passive");
    CHECK_STR(kith_survey_nps_class(7), "passive");
    CHECK_STR(kith_survey_nps_class(6), "detractor");
    cJSON_Delete(qs);
}

static void test_definitions(void)
{
    static const char *const bad[] = {
        "[]",
        "[{\"key\":\"x\",\"text\":\"?\",\"type\":\"stars\"}]",
        "[{\"key\":\"X\",\"text\":\"?\",\"type\":\"nps\"}]",
        "[{\"key\":\"x\",\"text\":\"\",\"type\":\"nps\"}]",
        "[{\"key\":\"x\",\"text\":\"?\",\"type\":\"multi\",\"options\":[]}]",
        "[{\"key\":\"x\",\"text\":\"?\",\"type\":\"nps\",\"scale\":5}]",
        "[{\"key\":\"x\",\"text\":\"?\",\"type\":\"text\",\"overall\":true}]",
        "[{\"key\":\"x\",\"text\":\"?\",\"type\":\"nps\",\"overall\":true},"
        "{\"key\":\"y\",\"text\":\"?\",\"type\":\"nps\",\"overall\":true}]",
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        cJSON *q = cJSON_Parse(bad[i]);
        kith_survey_fault f;
        CHECK_INT(kith_survey_check_questions(q, &f), -1);
        cJSON_Delete(q);
    }
}

static void test_pearson(void)
{
    /* x = 1..5, y = 2x: r = 1; y constant: undefined. */
    double r = 0;
    CHECK_INT(kith_survey_pearson(5, 15, 30, 55, 220, 110, &r), 1);
    CHECK(fabs(r - 1) < 1e-12);
    CHECK_INT(kith_survey_pearson(5, 15, 10, 55, 20, 30, &r), 0);
    CHECK_INT(kith_survey_pearson(1, 1, 1, 1, 1, 1, &r), 0);
}

static void test_quadrants(void)
{
    /* Medians: r 0.5 (of .2 .4 .6 .8), mean fraction (of scale 1-5) .5. */
    kith_driver d[] = {
        {.dimension = "price",
         .mean = 4.6,
         .low = 1,
         .high = 5,
         .has_correlation = 1,
         .correlation = 0.2},
        {.dimension = "delivery",
         .mean = 2.0,
         .low = 1,
         .high = 5,
         .has_correlation = 1,
         .correlation = 0.8},
        {.dimension = "staff",
         .mean = 4.0,
         .low = 1,
         .high = 5,
         .has_correlation = 1,
         .correlation = 0.6},
        {.dimension = "none", .mean = 3.0, .low = 1, .high = 5, .has_correlation = 0},
        {.dimension = "quality",
         .mean = 2.5,
         .low = 1,
         .high = 5,
         .has_correlation = 1,
         .correlation = 0.4},
    };
    kith_survey_quadrants(d, 5);
    CHECK_STR(d[0].dimension, "delivery");
    CHECK_STR(d[0].quadrant, "fix_first");
    CHECK_STR(d[1].dimension, "staff");
    CHECK_STR(d[1].quadrant, "keep");
    CHECK_STR(d[2].dimension, "quality");
    CHECK_STR(d[2].quadrant, "secondary");
    CHECK_STR(d[3].dimension, "price");
    CHECK_STR(d[3].quadrant, "overdone");
    CHECK_STR(d[4].dimension, "none");
    CHECK(d[4].quadrant == NULL);
    /* Means compare as fractions of their own scales: 7 of 0-10 (.7) is
     * above 3 of 1-5 (.5). */
    kith_driver e[] = {
        {.dimension = "a",
         .mean = 7,
         .low = 0,
         .high = 10,
         .has_correlation = 1,
         .correlation = 0.9},
        {.dimension = "b",
         .mean = 3,
         .low = 1,
         .high = 5,
         .has_correlation = 1,
         .correlation = 0.1},
    };
    kith_survey_quadrants(e, 2);
    CHECK_STR(e[0].quadrant, "keep");
    CHECK_STR(e[1].quadrant, "secondary");
}

int main(void)
{
    test_answers();
    test_definitions();
    test_pearson();
    test_quadrants();
    return check_done();
}

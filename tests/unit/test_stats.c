/*
 * The per-customer stats arithmetic: totals exact to the cent, first/last
 * under out-of-order orders, the mean gap between orders.
 */
#include "check.h"
#include "store/stats.h"
#include "util/error.h"
#include "util/json.h"

#include <math.h>

#define DAY 86400000LL

int main(void)
{
    kith_customer_stats st;
    kith_stats_init(&st);
    double avg;
    CHECK_INT(kith_stats_avg_days_between_orders(&st, &avg), -1);

    /* Money: 0.1 three times is 0.3 exactly, not 0.30000000000000004. */
    int64_t cents;
    CHECK_INT(kith_money_from_double(0.1, &cents), 0);
    CHECK_INT(cents, 10);
    kith_stats_add_order(&st, cents, 10 * DAY);
    kith_stats_add_order(&st, cents, 40 * DAY);
    kith_stats_add_order(&st, cents, 20 * DAY); /* backdated */
    CHECK_INT(st.orders, 3);
    CHECK_INT(st.total_spent_cents, 30);
    CHECK_INT(st.first_order_at, 10 * DAY);
    CHECK_INT(st.last_order_at, 40 * DAY);
    CHECK_INT(kith_stats_avg_days_between_orders(&st, &avg), 0);
    CHECK(fabs(avg - 15.0) < 1e-9);

    cJSON *j = kith_stats_to_json(&st);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "total_spent"));
    CHECK_STR(text, "0.3");
    cJSON_free(text);
    CHECK(fabs(cJSON_GetObjectItem(j, "avg_days_between_orders")->valuedouble - 15.0) < 1e-9);
    cJSON_Delete(j);

    /* One order: no mean gap yet. */
    kith_stats_init(&st);
    kith_stats_add_order(&st, 1999, 5 * DAY);
    CHECK_INT(kith_stats_avg_days_between_orders(&st, &avg), -1);

    kith_stats_add_interaction(&st, 0, 7 * DAY);
    kith_stats_add_interaction(&st, 1, 6 * DAY);
    CHECK_INT(st.interactions, 2);
    CHECK_INT(st.complaints, 1);
    CHECK_INT(st.last_interaction_at, 7 * DAY);

    /* Amounts: two decimals pass, a third fails, huge and non-finite fail. */
    CHECK_INT(kith_money_from_double(19.99, &cents), 0);
    CHECK_INT(cents, 1999);
    CHECK_INT(kith_money_from_double(1234567.89, &cents), 0);
    CHECK_INT(cents, 123456789);
    CHECK_INT(kith_money_from_double(0.105, &cents), KITH_EPARAMS);
    CHECK_INT(kith_money_from_double(1e14, &cents), KITH_EPARAMS);
    CHECK_INT(kith_money_from_double(INFINITY, &cents), KITH_EPARAMS);
    CHECK_INT(kith_money_from_double(NAN, &cents), KITH_EPARAMS);
    return check_done();
}

/*
 * The per-customer stats arithmetic: totals exact to the cent, first/last
 * under out-of-order orders, the mean gap between orders.
 */
#include "check.h"
#include "store/stats.h"
#include "store/store.h"
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

    /* The order path's one-statement form agrees with the arithmetic,
     * backdated order and all. */
    kith_store *store;
    CHECK_INT(kith_store_open(":memory:", KITH_SYNC_OFF, &store), 0);
    CHECK_INT(kith_store_exec(store, "INSERT INTO customers(id, name, created_at, updated_at) "
                                     "VALUES (1, 'a', 0, 0); "
                                     "INSERT INTO customer_stats(customer_id) VALUES (1)"),
              0);
    CHECK_INT(kith_store_request_begin(store), 0);
    CHECK_INT(kith_store_stats_add_order(store, 1, 10, 10 * DAY), 0);
    CHECK_INT(kith_store_stats_add_order(store, 1, 10, 40 * DAY), 0);
    CHECK_INT(kith_store_stats_add_order(store, 1, 10, 20 * DAY), 0);
    CHECK_INT(kith_store_stats_add_order(store, 2, 10, 20 * DAY), KITH_ENOTFOUND);
    kith_store_request_end(store, 1);
    kith_customer_stats db;
    CHECK_INT(kith_store_stats_get(store, 1, &db), 0);
    CHECK_INT(db.orders, st.orders);
    CHECK_INT(db.total_spent_cents, st.total_spent_cents);
    CHECK_INT(db.first_order_at, st.first_order_at);
    CHECK_INT(db.last_order_at, st.last_order_at);
    CHECK(isnan(db.last_nps) && db.last_complaint_at == KITH_TIME_NONE);
    kith_store_close(store);

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

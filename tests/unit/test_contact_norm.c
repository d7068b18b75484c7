/*
 * The comparable forms of e-mail addresses and phone numbers: what folds to
 * one form, and what has none.
 */
#include "check.h"
#include "util/contact_norm.h"

#include <string.h>

static const char *email(const char *in)
{
    static char out[KITH_NORM_MAX];
    return kith_norm_email(in, out, sizeof(out)) == 0 ? out : NULL;
}

static const char *phone(const char *in)
{
    static char out[KITH_NORM_MAX];
    return kith_norm_phone(in, out, sizeof(out)) == 0 ? out : NULL;
}

int main(void)
{
    CHECK_STR(email("Ann@Example.COM"), "ann@example.com");
    CHECK_STR(email("  ann@example.com \t"), "ann@example.com");
    CHECK_STR(email("\xe3\x80\x80"
                    "ann@example.com"),
              "ann@example.com"); /* ideographic space */
    CHECK_STR(email("\xef\xbc\xa1\xef\xbd\x8e\xef\xbd\x8e\xef\xbc\xa0x.cn"),
              "ann@x.cn");                                                  /* Ａｎｎ＠ */
    CHECK_STR(email("\xe5\xbc\xa0@example.cn"), "\xe5\xbc\xa0@example.cn"); /* 张@: kept */
    CHECK(email("ann") == NULL);
    CHECK(email("@example.com") == NULL);
    CHECK(email("ann@") == NULL);
    CHECK(email("a@b@c") == NULL);
    CHECK(email("ann smith@example.com") == NULL);
    CHECK(email("") == NULL);
    char small[8];
    CHECK(kith_norm_email("ann@example.com", small, sizeof(small)) == -1);

    CHECK_STR(phone("138 0013 8000"), "13800138000");
    CHECK_STR(phone("\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98-0013-8000"), "13800138000"); /* １３８ */
    CHECK_STR(phone("+86 138-0013-8000"), "+8613800138000");
    CHECK_STR(phone("\xef\xbc\x8b"
                    "86 13800138000"),
              "+8613800138000"); /* ＋ */
    CHECK_STR(phone("0086 138 0013 8000"), "+8613800138000");
    CHECK_STR(phone("(020) 8888.1234"), "02088881234");
    CHECK(phone("12345") == NULL);            /* too short */
    CHECK(phone("1234567890123456") == NULL); /* too long */
    CHECK(phone("138 0013 8000 ext 5") == NULL);
    CHECK(phone("86+13800138000") == NULL); /* '+' only first */
    CHECK(phone("") == NULL);
    CHECK(kith_norm_phone("13800138000", small, sizeof(small)) == -1);
    return check_done();
}

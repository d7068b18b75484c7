/*
 * The comparable forms of e-mail addresses and phone numbers that the store
 * keeps beside the written values (customers.email_norm and phone_norm), so
 * that lookups and duplicate detection see "Ann@Example.COM " and
 * "ann@example.com", or "１３８ 0013-8000" and "13800138000", as one.
 *
 * DESIGN NOTES
 *   1. These do not rewrite what users wrote: the shipped cleaning rule
 *      (scripts/cleaning.lua) does that, with a default country for phones.
 *      Core only needs a form stable enough to compare, and knows no
 *      country: a number is "+" and digits when written internationally
 *      ("+" or "00" first), else its digits.
 *   2. Full-width forms (U+FF01..U+FF5E) fold to ASCII and the ideographic
 *      space (U+3000) counts as a space: Chinese input methods produce them.
 *   3. A value that cannot be an address or a number has no form (the
 *      functions fail); data.quality counts those as invalid.
 */
#ifndef KITH_UTIL_CONTACT_NORM_H
#define KITH_UTIL_CONTACT_NORM_H

#include <stddef.h>

/* Room for any form of a value of up to 254 (e-mail) or 64 (phone) bytes. */
#define KITH_NORM_MAX 256

/* Writes the comparable form of e-mail address `in` to out[cap]: spaces
 * trimmed, full-width folded, ASCII lower-cased.  Returns 0, or -1 when it
 * is not one name@domain or does not fit. */
int kith_norm_email(const char *in, char *out, size_t cap);
/* Writes the comparable form of phone number `in` to out[cap] (note 1):
 * "+" and 6-15 digits, or 6-15 digits.  Spaces, '-', '.', '/' and
 * parentheses are dropped.  Returns 0, or -1 when anything else is in it,
 * the digit count is out of range or it does not fit. */
int kith_norm_phone(const char *in, char *out, size_t cap);

#endif

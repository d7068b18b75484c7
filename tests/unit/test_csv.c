/*
 * Unit test for kith import's CSV reader (core/cli/csv.c): RFC 4180 quoting,
 * embedded newlines and CRLF, the byte order mark, blank lines, and the
 * errors a user must be able to act on, each naming its line: an unbalanced
 * quote, a stray quote, text after a closing quote, invalid UTF-8 (a GBK
 * file), a cell over the limit.  Also the writer's quoting, read back.
 *
 * csv.c lives in the `kith` executable, not kithcore, so it is compiled in.
 */
#include "../../core/cli/csv.c"
#include "check.h"

/* Reads `text` whole; returns the records as "a|b|c" lines joined by "\n",
 * or "ERR <message>" at the first error. */
static const char *read_all(const char *text, size_t max_cell)
{
    static char out[4096];
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    out[0] = '\0';
    kith_csv_skip_bom(f);
    kith_csv c;
    kith_csv_init(&c, f, max_cell, 1);
    int rc;
    while ((rc = kith_csv_next(&c)) == 1) {
        if (out[0]) strcat(out, "\n");
        char head[32];
        snprintf(head, sizeof(head), "%ld:", c.line);
        strcat(out, head);
        for (size_t i = 0; i < c.nfields; i++) {
            if (i) strcat(out, "|");
            strcat(out, kith_csv_field(&c, i));
        }
    }
    if (rc < 0) snprintf(out, sizeof(out), "ERR %s", c.err);
    kith_csv_release(&c);
    fclose(f);
    return out;
}

int main(void)
{
    CHECK_STR(read_all("a,b,c\n1,2,3\n", 100), "1:a|b|c\n2:1|2|3");
    CHECK_STR(read_all("a,b\r\n1,2\r\n", 100), "1:a|b\n2:1|2");
    CHECK_STR(read_all("a,b\n1,2", 100), "1:a|b\n2:1|2");                 /* no final newline */
    CHECK_STR(read_all("\xEF\xBB\xBFname\nAnn\n", 100), "1:name\n2:Ann"); /* BOM */
    CHECK_STR(read_all("\xEF\xBC\xA1,b\n", 100), "1:\xEF\xBC\xA1|b");     /* full-width A */
    CHECK_STR(read_all("a\n\n\r\nb\n", 100), "1:a\n4:b");                 /* blank lines */
    CHECK_STR(read_all("a,,\n", 100), "1:a||");
    CHECK_STR(read_all("\"x, y\",\"he said \"\"hi\"\"\"\n", 100), "1:x, y|he said \"hi\"");
    CHECK_STR(read_all("\"line1\nline2\",b\nnext,c\n", 100), "1:line1\nline2|b\n3:next|c");
    CHECK_STR(read_all("\"a\r\nb\",c\r\nd,e\r\n", 100), "1:a\r\nb|c\n3:d|e");
    CHECK_STR(read_all("\"\",x\n", 100), "1:|x");
    CHECK_STR(read_all("\xe5\xbc\xa0\xe4\xb8\x89,Shanghai\n", 100),
              "1:\xe5\xbc\xa0\xe4\xb8\x89|Shanghai");

    /* Errors name the line. */
    CHECK_STR(read_all("a,b\n1,\"open\n2,3\n", 100),
              "ERR line 2: a quoted field opened here never closes (unbalanced quote)");
    CHECK_STR(read_all("a,b\n1,ab\"c\n", 100),
              "ERR line 2: a quote inside an unquoted field (quote the whole field and double "
              "the quote)");
    CHECK_STR(read_all("a\n\"x\"y\n", 100),
              "ERR line 2: text after a closing quote (a quote inside a quoted field must be "
              "doubled: \"\")");
    CHECK_STR(read_all("name\nok\n\xd5\xc5\xc8\xfd\n", 100),
              "ERR line 3: field 1 is not valid UTF-8 (byte 0xd5 at offset 0; a GBK or Latin-1 "
              "file? convert it with iconv -t UTF-8)");
    CHECK_STR(read_all("a\n\xed\xa0\x80\n", 100),
              "ERR line 2: field 1 is not valid UTF-8 (byte 0xed at offset 0; a GBK or Latin-1 "
              "file? convert it with iconv -t UTF-8)");
    CHECK_STR(read_all("a,b\n1,0123456789A\n", 10), "ERR line 2: field 2 is longer than 10 bytes");
    CHECK_STR(read_all("a\n\"0123456789A\"\n", 10), "ERR line 2: field 1 is longer than 10 bytes");

    /* Offsets: a reader started at a kept offset continues from there. */
    const char *text = "h\n\"x\ny\"\nz\n";
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    kith_csv c;
    kith_csv_init(&c, f, 100, 1);
    CHECK_INT(kith_csv_next(&c), 1);
    CHECK_INT(kith_csv_next(&c), 1);
    CHECK_INT(c.offset, 8);
    CHECK_INT(c.next_line, 4);
    kith_csv_release(&c);
    fseek(f, 8, SEEK_SET);
    kith_csv_init(&c, f, 100, 4);
    CHECK_INT(kith_csv_next(&c), 1);
    CHECK_STR(kith_csv_field(&c, 0), "z");
    CHECK_INT(c.line, 4);
    CHECK_INT(kith_csv_next(&c), 0);
    kith_csv_release(&c);
    fclose(f);

    /* The writer quotes what needs it, and the reader reads it back. */
    char buf[256];
    FILE *w = fmemopen(buf, sizeof(buf), "w");
    const char *cells[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " pad", ""};
    for (size_t i = 0; i < 6; i++) {
        if (i) putc(',', w);
        kith_csv_write_field(w, cells[i]);
    }
    putc('\n', w);
    fclose(w);
    CHECK_STR(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\n");
    CHECK_STR(read_all(buf, 100), "1:plain|a,b|say \"hi\"|two\nlines| pad|");
    return check_done();
}

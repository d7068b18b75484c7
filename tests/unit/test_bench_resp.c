/*
 * kith-bench's RESP2 framing (the Redis side of the race): commands encode
 * as arrays of bulk strings; a reply's end is found whether it arrives whole
 * or in pieces, nested or not; bytes that are not RESP2 are refused.  The
 * bench is not part of the core library, so its one file is compiled in.
 */
#include "../../core/bench/bench_resp.c"
#include "check.h"

static int frame(const char *s, size_t *size)
{
    return kith_bench_resp_frame(s, strlen(s), size);
}

int main(void)
{
    kith_buf b;
    kith_buf_init(&b);
    const char *argv[] = {"FCALL", "order_create", "1", "customer:42", "12.50"};
    CHECK_INT(kith_bench_resp_append(&b, 5, argv), 0);
    CHECK_STR(kith_buf_head(&b), "*5\r\n$5\r\nFCALL\r\n$12\r\norder_create\r\n$1\r\n1\r\n"
                                 "$11\r\ncustomer:42\r\n$5\r\n12.50\r\n");
    kith_buf_release(&b);

    size_t size = 0;
    CHECK_INT(frame("+PONG\r\n", &size), 1);
    CHECK_INT(size, 7);
    CHECK_INT(frame("-ERR no such function\r\n", &size), 1);
    CHECK_INT(frame(":1234\r\n", &size), 1);
    CHECK_INT(frame("$-1\r\n", &size), 1);
    CHECK_INT(frame("*-1\r\n", &size), 1);
    CHECK_INT(frame("*0\r\n", &size), 1);
    const char *hash = "*4\r\n$4\r\nname\r\n$3\r\nAda\r\n$5\r\nemail\r\n$9\r\na@b.c.org\r\n:7\r\n";
    CHECK_INT(frame(hash, &size), 1);
    CHECK_INT(size, strlen(hash) - 4); /* the trailing :7 is the next reply */
    const char *nested = "*2\r\n*2\r\n:1\r\n:2\r\n$2\r\nok\r\n";
    CHECK_INT(frame(nested, &size), 1);
    CHECK_INT(size, strlen(nested));
    /* Every proper prefix is incomplete, never an error. */
    for (size_t n = 0; n < strlen(hash) - 4; n++) {
        size_t s2;
        CHECK_INT(kith_bench_resp_frame(hash, n, &s2), 0);
    }
    /* Not RESP2. */
    CHECK_INT(frame("{\"jsonrpc\":\"2.0\"}\r\n", &size), -1);
    CHECK_INT(frame("$3\r\nabcd\r\n", &size), -1);
    CHECK_INT(frame(":12x\r\n", &size), -1);
    /* A hostile array count cannot make it read past the bytes it has. */
    CHECK_INT(frame("*999999999999\r\n:1\r\n", &size), 0);
    return check_done();
}

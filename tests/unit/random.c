/* random_bytes: the kernel's generator fills whole buffers, also past
 * getrandom(2)'s 256-byte single-call guarantee, and never repeats. */
#include <string.h>

#include "random.h"
#include "tap/basic.h"

/* Bytes of buf[0..len) equal to zero: about len/256 for random data. */
static size_t zero_bytes(const unsigned char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += buf[i] == 0;
	return n;
}

int main(void)
{
	unsigned char a[4096], b[4096];
	unsigned char guard[8];
	unsigned seen[256] = {0};
	size_t i, distinct = 0;

	plan(8);
	is_int(0, random_bytes(a, 0), "an empty request succeeds");

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	is_int(0, random_bytes(a, sizeof(a)), "4096 bytes in one call");
	is_int(0, random_bytes(b, sizeof(b)), "and again");
	ok(memcmp(a, b, sizeof(a)) != 0, "two draws differ");
	/* A buffer left partly unwritten would show a run of zeros: 4096
	 * random bytes hold 16 on average, more than 64 about never. */
	ok(zero_bytes(a, sizeof(a)) < 64 && zero_bytes(b, sizeof(b)) < 64,
	   "the whole buffer is written (%zu and %zu zero bytes)",
	   zero_bytes(a, sizeof(a)), zero_bytes(b, sizeof(b)));
	for (i = 0; i < sizeof(a); i++)
		seen[a[i]]++;
	for (i = 0; i < 256; i++)
		distinct += seen[i] != 0;
	/* 4096 draws miss a given value with p = (255/256)^4096 ~ 1e-7 */
	ok(distinct >= 250, "every byte value occurs (%zu of 256)", distinct);

	memset(guard, 0xa5, sizeof(guard));
	is_int(0, random_bytes(guard, 3), "3 bytes");
	ok(guard[3] == 0xa5 && guard[7] == 0xa5, "nothing past the request");
	return 0;
}

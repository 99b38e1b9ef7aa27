/* Random bytes from getrandom(2). Kept apart from OpenSSL's generator on
 * purpose: setting up its DRBG costs a one-off tool more start-up time
 * than everything else it does, and a ws:// run needs no OpenSSL. */
#include "random.h"

#include <errno.h>

#include <sys/random.h>

int random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

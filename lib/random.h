/* Unpredictable bytes from the kernel's CSPRNG (getrandom(2)), for SIP
 * tags, branches, Call-IDs, instance ids and digest cnonces. */
#ifndef SIPWS_RANDOM_H
#define SIPWS_RANDOM_H

#include <stddef.h>

/* Fill buf[0..len) with random bytes: 0, or the errno of getrandom(2)
 * (EIO if it returns no bytes). It blocks only until the kernel's pool is
 * first seeded after boot, never afterwards. */
int random_bytes(void *buf, size_t len);

#endif

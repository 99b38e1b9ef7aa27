/* The remote DTLS certificate against the SDP's a=fingerprint: webrtcbin
 * 1.22 does not compare them, so media.c calls this when DTLS connects. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "media.h"

/* "sha-256" -> "SHA256": the IANA hash names of RFC 4572 without dashes. */
static const EVP_MD *fingerprint_digest(const char *name, size_t len)
{
	char buf[32];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(buf); i++)
		if (name[i] != '-')
			buf[n++] = name[i];
	if (n == 0 || n + 1 >= sizeof(buf))
		return NULL;
	buf[n] = '\0';
	return EVP_get_digestbyname(buf);
}

int media_fingerprint_check(const char *pem, const char *fingerprint)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const EVP_MD *digest;
	const char *sp, *hex;
	X509 *cert;
	BIO *bio;
	size_t i;
	int ok;

	if (!pem || !fingerprint)
		return EINVAL;
	sp = strchr(fingerprint, ' ');
	if (!sp)
		return EINVAL;
	digest = fingerprint_digest(fingerprint, (size_t)(sp - fingerprint));
	if (!digest)
		return EINVAL;
	bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return ENOMEM;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!cert)
		return EINVAL;
	ok = X509_digest(cert, digest, md, &md_len);
	X509_free(cert);
	if (!ok)
		return EINVAL;
	hex = sp;
	while (*hex == ' ')
		hex++;
	/* "AB:CD:...": md_len pairs separated by colons, nothing after. */
	for (i = 0; i < md_len; i++) {
		char pair[3];

		if (i > 0 && *hex++ != ':')
			return EKEYREJECTED;
		if (!hex[0] || !hex[1])
			return EKEYREJECTED;
		snprintf(pair, sizeof(pair), "%02X", md[i]);
		if (strncasecmp(pair, hex, 2) != 0)
			return EKEYREJECTED;
		hex += 2;
	}
	while (*hex == ' ' || *hex == '\r' || *hex == '\n')
		hex++;
	return *hex ? EKEYREJECTED : 0;
}

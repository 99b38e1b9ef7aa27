/* webrtc-check's system suite: the GStreamer elements the media session
 * needs, a DTLS 1.2 handshake with ECDSA P-256 certificates negotiating
 * each SRTP profile (OpenSSL between two in-memory BIOs), and a libsrtp2
 * protect/unprotect round trip per profile with the keys that handshake
 * exported (RFC 5764 §4.2). */
#include "check-system.h"

#include <errno.h>
#include <string.h>

#include <gst/gst.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

static const char suite[] = "system";

/* The elements lib/media*.c makes, and the Debian package of each. */
static const struct element {
	const char *name;
	const char *package;
} elements[] = {
	{"webrtcbin", "gstreamer1.0-plugins-bad"},
	{"nicesrc", "gstreamer1.0-nice"},
	{"nicesink", "gstreamer1.0-nice"},
	{"dtlsdec", "gstreamer1.0-plugins-bad"},
	{"dtlsenc", "gstreamer1.0-plugins-bad"},
	{"srtpenc", "gstreamer1.0-plugins-bad"},
	{"srtpdec", "gstreamer1.0-plugins-bad"},
	{"rtpbin", "gstreamer1.0-plugins-good"},
	{"opusenc", "gstreamer1.0-plugins-base"},
	{"opusdec", "gstreamer1.0-plugins-base"},
	{"rtpopuspay", "gstreamer1.0-plugins-good"},
	{"rtpopusdepay", "gstreamer1.0-plugins-good"},
	{"rtppcmudepay", "gstreamer1.0-plugins-good"},
	{"rtppcmadepay", "gstreamer1.0-plugins-good"},
	{"mulawdec", "gstreamer1.0-plugins-good"},
	{"alawdec", "gstreamer1.0-plugins-good"},
	{"rtpdtmfsrc", "gstreamer1.0-plugins-good"},
	{"rtpdtmfmux", "gstreamer1.0-plugins-good"},
	{"rtpdtmfdepay", "gstreamer1.0-plugins-good"},
	{"vp8enc", "gstreamer1.0-plugins-good"},
	{"vp8dec", "gstreamer1.0-plugins-good"},
	{"rtpvp8pay", "gstreamer1.0-plugins-good"},
	{"rtpvp8depay", "gstreamer1.0-plugins-good"},
	{"audiotestsrc", "gstreamer1.0-plugins-base"},
	{"audioconvert", "gstreamer1.0-plugins-base"},
	{"audioresample", "gstreamer1.0-plugins-base"},
	{"valve", "libgstreamer1.0-0"},
	{"queue", "libgstreamer1.0-0"},
	{"fakesink", "libgstreamer1.0-0"},
	{"wavenc", "gstreamer1.0-plugins-good"},
};

/* The SRTP profiles of RFC 5764 and RFC 7714, with their key sizes. */
enum srtp_suite { AES_CM_80, AES_CM_32, GCM_128, GCM_256 };

static const struct profile {
	const char *name; /* OpenSSL's, as SDP and RFC 5764 spell it */
	enum srtp_suite suite;
	size_t key_len, salt_len;
} profiles[] = {
	{"SRTP_AES128_CM_SHA1_80", AES_CM_80, 16, 14},
	{"SRTP_AES128_CM_SHA1_32", AES_CM_32, 16, 14},
	{"SRTP_AEAD_AES_128_GCM", GCM_128, 16, 12},
	{"SRTP_AEAD_AES_256_GCM", GCM_256, 32, 12},
};
#define KEYING_MAX (2 * (32 + 14))

static void check_elements(const struct check_sink *sink)
{
	struct check_result r;
	size_t i;

	for (i = 0; i < sizeof(elements) / sizeof(elements[0]); i++) {
		const struct element *e = &elements[i];
		GstElementFactory *f;
		GstPluginFeature *feature;
		GstPlugin *plugin = NULL;

		check_init(&r, suite, "element %s", e->name);
		check_start(sink, &r);
		f = gst_element_factory_find(e->name);
		if (!f) {
			check_set(&r, CHECK_FAIL, "missing: install %s", e->package);
			check_report(sink, &r);
			continue;
		}
		feature = GST_PLUGIN_FEATURE(f);
		plugin = gst_plugin_feature_get_plugin(feature);
		check_set(&r, CHECK_PASS, "plugin %s %s",
			  plugin ? gst_plugin_get_name(plugin) : "?",
			  plugin ? gst_plugin_get_version(plugin) : "?");
		if (plugin)
			gst_object_unref(plugin);
		gst_object_unref(f);
		check_report(sink, &r);
	}
}

/* ---- DTLS ------------------------------------------------------------ */

/* A self-signed certificate on a fresh ECDSA P-256 key, as browsers make
 * for WebRTC. */
static int make_identity(EVP_PKEY **keyp, X509 **certp)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int ok = key && x;

	ok = ok && X509_set_version(x, 2) &&
	     ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
	     X509_set_pubkey(x, key);
	name = ok ? X509_get_subject_name(x) : NULL;
	ok = ok && name &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"webrtc-check", -1,
					-1, 0) &&
	     X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256());
	if (!ok) {
		EVP_PKEY_free(key);
		X509_free(x);
		return ENOMEM;
	}
	*keyp = key;
	*certp = x;
	return 0;
}

/* WebRTC checks the fingerprint from the SDP, not a CA: any certificate
 * is taken here, and looked at after the handshake. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static SSL *make_end(const char *profile, bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	SSL *ssl = NULL;

	if (!ctx || make_identity(&key, &cert))
		goto out;
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   accept_any);
	/* 0 is success here */
	if (SSL_CTX_set_tlsext_use_srtp(ctx, profile) != 0 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		goto out;
	ssl = SSL_new(ctx);
	if (!ssl)
		goto out;
	SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(ssl, 1200);
	SSL_set_bio(ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	SSL_CTX_free(ctx); /* the SSL keeps its reference */
	return ssl;
}

/* Move what one end wrote to the other end, one datagram at a time. */
static void carry(SSL *from, SSL *to)
{
	BIO *w = SSL_get_wbio(from), *r = SSL_get_rbio(to);
	char buf[4096];
	int n;

	while ((n = BIO_read(w, buf, sizeof(buf))) > 0)
		BIO_write(r, buf, n);
}

static bool hard_error(SSL *ssl, int ret)
{
	int e = SSL_get_error(ssl, ret);

	return ret <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

static bool peer_is_p256(SSL *ssl)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	EVP_PKEY *key = peer ? X509_get0_pubkey(peer) : NULL;
	char group[32] = "";
	bool ok = key && EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) &&
		  strcmp(group, "prime256v1") == 0;

	X509_free(peer);
	return ok;
}

/* One handshake offering only profile p; on success the client's keying
 * material for SRTP (RFC 5764 §4.2) in keying. */
static bool dtls_handshake(const struct profile *p, unsigned char *keying,
			   size_t keying_len, struct check_result *r)
{
	SSL *client = make_end(p->name, false), *server = make_end(p->name, true);
	SRTP_PROTECTION_PROFILE *got;
	double t0 = check_now_ms();
	bool done = false;
	int i, rc, rs;

	if (!client || !server) {
		check_set(r, CHECK_FAIL, "OpenSSL refused %s with an ECDSA P-256 "
					 "certificate", p->name);
		goto out;
	}
	for (i = 0; i < 20 && !done; i++) {
		rc = SSL_do_handshake(client);
		if (hard_error(client, rc))
			break;
		carry(client, server);
		rs = SSL_do_handshake(server);
		if (hard_error(server, rs))
			break;
		carry(server, client);
		done = rc == 1 && rs == 1;
	}
	if (!done) {
		unsigned long e = ERR_peek_last_error();
		char why[200] = "no progress";

		if (e)
			ERR_error_string_n(e, why, sizeof(why));
		check_set(r, CHECK_FAIL, "DTLS handshake failed: %s", why);
		goto out;
	}
	check_figure_add(r, "ms", check_now_ms() - t0, "ms");
	got = SSL_get_selected_srtp_profile(client);
	if (SSL_version(client) != DTLS1_2_VERSION)
		check_set(r, CHECK_FAIL, "negotiated %s, not DTLS 1.2",
			  SSL_get_version(client));
	else if (!got || strcmp(got->name, p->name) != 0)
		check_set(r, CHECK_FAIL, "%s not negotiated", p->name);
	else if (!peer_is_p256(client) || !peer_is_p256(server))
		check_set(r, CHECK_FAIL, "peer certificate not ECDSA P-256");
	else if (SSL_export_keying_material(client, keying, keying_len,
					    "EXTRACTOR-dtls_srtp", 19, NULL, 0,
					    0) != 1)
		check_set(r, CHECK_FAIL, "no SRTP keying material exported");
	else {
		check_set(r, CHECK_PASS, "DTLS 1.2, ECDSA P-256, %s", p->name);
		done = true;
		goto free;
	}
out:
	done = false;
free:
	ERR_clear_error();
	SSL_free(client);
	SSL_free(server);
	return done;
}

/* ---- SRTP ------------------------------------------------------------ */

static void set_policy(srtp_policy_t *pol, const struct profile *p,
		       unsigned char *key)
{
	memset(pol, 0, sizeof(*pol));
	switch (p->suite) {
	case AES_CM_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case AES_CM_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case GCM_128:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
		break;
	case GCM_256:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
		break;
	}
	pol->key = key;
	pol->window_size = 128;
}

/* Protect an RTP packet with the client's key and unprotect it with the
 * same key on the other side; a flipped bit must then be refused. */
static void srtp_round_trip(const struct profile *p,
			    const unsigned char *keying, struct check_result *r)
{
	unsigned char key[32 + 14], pkt[12 + 160 + SRTP_MAX_TRAILER_LEN],
		plain[12 + 160];
	srtp_t tx = NULL, rx = NULL;
	srtp_policy_t pol;
	srtp_err_status_t st;
	double t0 = check_now_ms();
	int len = (int)sizeof(plain), len2;
	size_t i;

	/* client_write_key, then client_write_salt (RFC 5764 §4.2) */
	memcpy(key, keying, p->key_len);
	memcpy(key + p->key_len, keying + 2 * p->key_len, p->salt_len);
	memset(plain, 0, sizeof(plain));
	plain[0] = 0x80;
	plain[1] = 111;
	plain[3] = 1;
	plain[11] = 0x42; /* SSRC */
	for (i = 12; i < sizeof(plain); i++)
		plain[i] = (unsigned char)i;
	memcpy(pkt, plain, sizeof(plain));

	set_policy(&pol, p, key);
	pol.ssrc.type = ssrc_any_outbound;
	st = srtp_create(&tx, &pol);
	if (st == srtp_err_status_ok) {
		set_policy(&pol, p, key);
		pol.ssrc.type = ssrc_any_inbound;
		st = srtp_create(&rx, &pol);
	}
	if (st != srtp_err_status_ok) {
		check_set(r, CHECK_FAIL, "libsrtp2 %s does not take %s (error %d)",
			  srtp_get_version_string(), p->name, (int)st);
		goto out;
	}
	st = srtp_protect(tx, pkt, &len);
	if (st != srtp_err_status_ok) {
		check_set(r, CHECK_FAIL, "protect failed (error %d)", (int)st);
		goto out;
	}
	len2 = len;
	if (memcmp(pkt + 12, plain + 12, sizeof(plain) - 12) == 0) {
		check_set(r, CHECK_FAIL, "protect left the payload in clear");
		goto out;
	}
	{
		unsigned char copy[sizeof(pkt)];
		int clen = len;

		memcpy(copy, pkt, (size_t)len);
		copy[20] ^= 1;
		st = srtp_unprotect(rx, copy, &clen);
		if (st != srtp_err_status_auth_fail) {
			check_set(r, CHECK_FAIL, "a tampered packet was not "
						 "refused (status %d)", (int)st);
			goto out;
		}
	}
	st = srtp_unprotect(rx, pkt, &len);
	if (st != srtp_err_status_ok || len != (int)sizeof(plain) ||
	    memcmp(pkt, plain, sizeof(plain)) != 0) {
		check_set(r, CHECK_FAIL, "unprotect did not give the packet back "
					 "(error %d)", (int)st);
		goto out;
	}
	check_figure_add(r, "ms", check_now_ms() - t0, "ms");
	check_figure_add(r, "overhead_bytes", len2 - (int)sizeof(plain), "B");
	check_set(r, CHECK_PASS, "protect/unprotect round trip, tampering "
				 "detected");
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
}

int check_system_run(const struct check_config *cfg,
		     const struct check_sink *sink)
{
	unsigned char keying[sizeof(profiles) / sizeof(profiles[0])][KEYING_MAX];
	bool have[sizeof(profiles) / sizeof(profiles[0])];
	struct check_result r;
	GError *error = NULL;
	size_t i;

	(void)cfg;
	check_init(&r, suite, "gstreamer");
	check_start(sink, &r);
	if (!gst_init_check(NULL, NULL, &error)) {
		check_set(&r, CHECK_FAIL, "GStreamer does not start: %s",
			  error ? error->message : "?");
		g_clear_error(&error);
		check_report(sink, &r);
	} else {
		guint major, minor, micro, nano;

		gst_version(&major, &minor, &micro, &nano);
		check_set(&r, CHECK_PASS, "GStreamer %u.%u.%u", major, minor, micro);
		check_report(sink, &r);
		check_elements(sink);
	}

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		const struct profile *p = &profiles[i];

		check_init(&r, suite, "dtls %s", p->name);
		check_start(sink, &r);
		have[i] = dtls_handshake(p, keying[i],
					 2 * (p->key_len + p->salt_len), &r);
		check_report(sink, &r);
	}

	if (srtp_init() != srtp_err_status_ok) {
		check_init(&r, suite, "srtp");
		check_set(&r, CHECK_FAIL, "libsrtp2 does not start");
		check_report(sink, &r);
		return 0;
	}
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		const struct profile *p = &profiles[i];

		check_init(&r, suite, "srtp %s", p->name);
		check_start(sink, &r);
		if (!have[i])
			check_set(&r, CHECK_SKIP, "no keys: the DTLS check failed");
		else
			srtp_round_trip(p, keying[i], &r);
		check_report(sink, &r);
	}
	srtp_shutdown();
	return 0;
}

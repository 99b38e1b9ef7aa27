/* libFuzzer target for the SIP message module: decode under every framing
 * mode, run every getter and the request check, and require that
 * decode(encode(m)) gives the same fields and that every decoded field is
 * accepted again by the builder. Any mismatch aborts. */
#include "sipmsg.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const supported[] = {"path", "outbound", NULL};
static const char *const accepted[] = {"application/sdp", "text/plain",
				       NULL};
static const struct sipmsg_caps caps = {supported, accepted, accepted};

static void require(int cond)
{
	if (!cond)
		abort();
}

static bool same_span(struct span a, struct span b)
{
	return (a.p == NULL) == (b.p == NULL) && span_eq_span(a, b);
}

/* Touch every getter; results are checked for self-consistency only. */
static void run_getters(const struct sipmsg *m)
{
	struct sipmsg_via via;
	struct sipmsg_party party;
	struct sipmsg_cseq cseq;
	struct sipmsg_contact ct;
	struct sipmsg_media media;
	struct sipmsg_auth auth;
	struct sipmsg_event ev;
	struct sipmsg_substate ss;
	struct sipmsg_header h;
	struct uri_addr addr;
	struct span v, name;
	uint32_t u32;
	unsigned mf;
	size_t i, n, pos, cl;
	int status;
	const char *reason;

	n = sipmsg_via_count(m);
	for (i = 0; i <= n; i++) {
		int err = sipmsg_via_get(m, i, &via);

		require(i < n ? err == 0 : err == ENOENT);
		if (err == 0) {
			(void)sipmsg_via_branch_is_rfc3261(&via);
			pos = 0;
			while (sipmsg_param_next(via.params, &pos, &name, &v) ==
			       0)
				;
		}
	}
	n = sipmsg_contact_count(m);
	for (i = 0; i <= n; i++)
		require((sipmsg_contact_get(m, i, &ct) == 0) == (i < n));
	n = sipmsg_route_count(m);
	for (i = 0; i <= n; i++)
		require((sipmsg_route_get(m, i, &addr) == 0) == (i < n));
	n = sipmsg_record_route_count(m);
	for (i = 0; i <= n; i++)
		require((sipmsg_record_route_get(m, i, &addr) == 0) == (i < n));
	/* Decoding checked these, so the getters must not fail on them. */
	require(sipmsg_from_get(m, &party) != EBADMSG);
	require(sipmsg_to_get(m, &party) != EBADMSG);
	require(sipmsg_call_id_get(m, &v) != EBADMSG);
	require(sipmsg_cseq_get(m, &cseq) != EBADMSG);
	require(sipmsg_content_type_get(m, &media) != EBADMSG);
	require(sipmsg_content_length_get(m, &cl) != EBADMSG);
	(void)sipmsg_max_forwards_get(m, &mf);
	for (i = 0; i < 3; i++) {
		(void)sipmsg_auth_get(m, SIPMSG_HDR_WWW_AUTHENTICATE, i, &auth);
		(void)sipmsg_auth_get(m, SIPMSG_HDR_AUTHORIZATION, i, &auth);
		(void)sipmsg_auth_get(m, SIPMSG_HDR_AUTHENTICATION_INFO, i,
				      &auth);
		(void)sipmsg_token_get(m, SIPMSG_HDR_SUPPORTED, i, &v);
		(void)sipmsg_token_get(m, SIPMSG_HDR_REQUIRE, i, &v);
		(void)sipmsg_token_get(m, SIPMSG_HDR_ALLOW, i, &v);
		if (sipmsg_value_get_id(m, SIPMSG_HDR_ACCEPT, i, &v) == 0)
			(void)sipmsg_media_parse(v, &media);
	}
	(void)sipmsg_token_has(m, SIPMSG_HDR_SUPPORTED, "path");
	(void)sipmsg_expires_get(m, &u32);
	(void)sipmsg_event_get(m, &ev);
	(void)sipmsg_substate_get(m, &ss);
	(void)sipmsg_date_get(m, &v);
	(void)sipmsg_defects(m);
	for (i = 0; sipmsg_header_at(m, i, &h) == 0; i++) {
		struct sipmsg_header g;

		require(sipmsg_hdr_lookup(h.name) == h.id);
		if (h.id != SIPMSG_HDR_OTHER)
			require(sipmsg_header_get_id(m, h.id, 0, &g) == 0);
	}
	require(i == sipmsg_header_count(m));
	if (sipmsg_is_request(m)) {
		require(sipmsg_check_request(m, &caps, &status, &reason) == 0);
		require(status == 0 || (status >= 400 && status <= 599 &&
					reason != NULL));
		if (status == 420)
			require(sipmsg_unsupported_get(m, &caps, 0, &v) == 0);
	} else {
		require(sipmsg_check_request(m, &caps, &status, &reason) ==
			EINVAL);
	}
}

static bool same_fields(const struct sipmsg *a, const struct sipmsg *b)
{
	struct sipmsg_header ha, hb;
	struct sipmsg_cseq ca, cb;
	struct sipmsg_via va, vb;
	size_t i = 0, j = 0, n;

	if (sipmsg_is_request(a) != sipmsg_is_request(b) ||
	    !same_span(sipmsg_method(a), sipmsg_method(b)) ||
	    !same_span(sipmsg_request_uri_text(a), sipmsg_request_uri_text(b)) ||
	    sipmsg_status(a) != sipmsg_status(b) ||
	    !span_eq_span(sipmsg_reason(a), sipmsg_reason(b)) ||
	    !span_eq_span(sipmsg_version(a), sipmsg_version(b)) ||
	    !span_eq_span(sipmsg_body(a), sipmsg_body(b)))
		return false;
	for (;;) {
		while (sipmsg_header_at(a, i, &ha) == 0 &&
		       ha.id == SIPMSG_HDR_CONTENT_LENGTH)
			i++;
		while (sipmsg_header_at(b, j, &hb) == 0 &&
		       hb.id == SIPMSG_HDR_CONTENT_LENGTH)
			j++;
		if (i >= sipmsg_header_count(a) || j >= sipmsg_header_count(b)) {
			if (i < sipmsg_header_count(a) ||
			    j < sipmsg_header_count(b))
				return false;
			break;
		}
		if (!span_eq_span(ha.name, hb.name) ||
		    !span_eq_span(ha.value, hb.value))
			return false;
		i++;
		j++;
	}
	n = sipmsg_via_count(a);
	if (n != sipmsg_via_count(b) ||
	    sipmsg_contact_count(a) != sipmsg_contact_count(b))
		return false;
	if (n > 0) {
		if (sipmsg_via_get(a, 0, &va) != 0 ||
		    sipmsg_via_get(b, 0, &vb) != 0 ||
		    !same_span(va.branch, vb.branch) ||
		    !span_eq_span(va.host, vb.host) || va.port != vb.port)
			return false;
	}
	if ((sipmsg_cseq_get(a, &ca) == 0) != (sipmsg_cseq_get(b, &cb) == 0))
		return false;
	if (sipmsg_cseq_get(a, &ca) == 0 &&
	    (ca.number != cb.number || !span_eq_span(ca.method, cb.method)))
		return false;
	/* Conflicting lengths are resolved by encoding: the rest must match. */
	return (sipmsg_defects(a) & ~(SIPMSG_DEFECT_LENGTH_CONFLICT |
				      SIPMSG_DEFECT_SHORT_BODY)) ==
	       sipmsg_defects(b);
}

static void round_trip(const struct sipmsg *m)
{
	struct sipmsg *again = NULL;
	char small[16], *out;
	size_t len, need;
	int err;

	require(sipmsg_encode_alloc(m, &out, &len) == 0);
	require(len == strlen(out) || memchr(out, '\0', len) != NULL);
	err = sipmsg_encode(m, small, sizeof(small), &need);
	require(need == len && (err == 0) == (len < sizeof(small)));
	err = sipmsg_decode(&again, out, len, NULL, 0);
	/* Encoding adds a Content-Length field and a space after each colon,
	 * which can push a message at a limit over it. */
	require(err == 0 || err == E2BIG);
	if (err == 0)
		require(same_fields(m, again));
	sipmsg_free(again);
	free(out);
}

/* Everything decoding accepted, the builder must accept too. */
static void rebuild(const struct sipmsg *m)
{
	struct sipmsg *b = NULL, *reply = NULL;
	struct sipmsg_header h;
	size_t i;
	int err;

	if (sipmsg_is_request(m)) {
		char *method = span_dup(sipmsg_method(m));
		char *ruri = span_dup(sipmsg_request_uri_text(m));

		require(method != NULL && ruri != NULL);
		err = sipmsg_new_request(&b, method, ruri);
		free(method);
		free(ruri);
		require(err == 0);
		err = sipmsg_new_reply(&reply, m, 200, NULL, "fz1");
		require(err == 0);
		round_trip(reply);
		sipmsg_free(reply);
	} else {
		require(sipmsg_new_response(&b, sipmsg_status(m), NULL) == 0);
	}
	for (i = 0; sipmsg_header_at(m, i, &h) == 0; i++) {
		char *name, *value;

		if (memchr(h.value.p, '\0', h.value.len) != NULL)
			continue;
		name = span_dup(h.name);
		value = span_dup(h.value);
		require(name != NULL && value != NULL);
		err = sipmsg_header_add(b, name, value);
		free(name);
		free(value);
		require(err == 0 || err == E2BIG);
	}
	round_trip(b);
	sipmsg_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sipmsg *m = NULL;
	char reason[128];
	int err;

	err = sipmsg_decode_flags(&m, p, size, SIPMSG_STREAM, reason,
				  sizeof(reason));
	require(err == 0 || err == EAGAIN || err == EBADMSG || err == E2BIG);
	if (err == 0) {
		require(sipmsg_wire_len(m) <= size);
		run_getters(m);
		sipmsg_free(m);
		m = NULL;
	}
	err = sipmsg_decode_flags(&m, p, size, SIPMSG_LENIENT_LENGTH, reason,
				  sizeof(reason));
	sipmsg_free(m);
	m = NULL;
	err = sipmsg_decode(&m, p, size, reason, sizeof(reason));
	require(err == 0 || err == EBADMSG || err == E2BIG);
	require(err != 0 || m != NULL);
	if (err != 0) {
		require(reason[0] != '\0');
		return 0;
	}
	require(sipmsg_wire_len(m) <= size);
	run_getters(m);
	round_trip(m);
	rebuild(m);
	sipmsg_free(m);
	return 0;
}

/* SIP dialogs (RFC 3261 §12): dialog state, matching, in-dialog request
 * building with loose and strict routing, and the CANCEL / non-2xx ACK
 * header-copy helper. */
#include "dialog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsx.h"
#include "uri.h"

struct dialog {
	enum dialog_state state;
	bool uac;
	bool secure;
	bool invite_out;       /* our (re-)INVITE awaits its final response */
	bool invite_in;        /* the peer's re-INVITE awaits our final */
	char *call_id;
	char *local_tag;
	char *remote_tag;
	char *local_party;     /* From of our requests, tag included */
	char *remote_party;    /* To of our requests, tag included */
	char *remote_target;   /* a URI */
	char *local_contact;   /* a Contact value, may be NULL */
	char *routes[DIALOG_MAX_ROUTES];
	size_t route_count;
	uint32_t local_cseq;
	uint32_t remote_cseq;
	uint32_t invite_cseq;  /* CSeq of the last INVITE we sent (for ACK) */
};

static int replace(char **slot, char *value)
{
	if (value == NULL)
		return ENOMEM;
	free(*slot);
	*slot = value;
	return 0;
}

static int header_dup(const struct sipmsg *msg, enum sipmsg_hdr_id id,
		      char **out)
{
	struct sipmsg_header hdr;

	if (sipmsg_header_get_id(msg, id, 0, &hdr) != 0)
		return EBADMSG;
	return replace(out, span_dup(hdr.value));
}

/* The text of a URI (re-encoded from its decoded parts). */
static int uri_dup(const struct uri *uri, char **out)
{
	char *buf = malloc(URI_MAX_LEN + 1);
	int err;

	if (buf == NULL)
		return ENOMEM;
	err = uri_encode(uri, buf, URI_MAX_LEN + 1, NULL);
	if (err != 0) {
		free(buf);
		return err == ENOSPC ? E2BIG : err;
	}
	return replace(out, buf);
}

static void routes_clear(struct dialog *d)
{
	size_t i;

	for (i = 0; i < d->route_count; i++)
		free(d->routes[i]);
	d->route_count = 0;
}

/* Route set from Record-Route: reversed for a UAC, in order for a UAS. */
static int routes_set(struct dialog *d, const struct sipmsg *msg, bool reverse)
{
	size_t i, n = sipmsg_record_route_count(msg);

	routes_clear(d);
	if (n > DIALOG_MAX_ROUTES)
		return E2BIG;
	for (i = 0; i < n; i++) {
		struct span v;

		if (sipmsg_value_get_id(msg, SIPMSG_HDR_RECORD_ROUTE,
					reverse ? n - 1 - i : i, &v) != 0)
			return EBADMSG;
		d->routes[i] = span_dup(v);
		if (d->routes[i] == NULL)
			return ENOMEM;
		d->route_count = i + 1;
	}
	return 0;
}

/* Remote target from the first Contact; ENOENT when there is none. */
static int target_set(struct dialog *d, const struct sipmsg *msg)
{
	struct sipmsg_contact c;
	int err = sipmsg_contact_get(msg, 0, &c);

	if (err != 0)
		return err;
	if (c.star)
		return EBADMSG;
	return uri_dup(&c.addr.uri, &d->remote_target);
}

static int tag_dup(struct span tag, char **out)
{
	if (!span_is_set(tag) || tag.len == 0)
		return EPROTO;
	return replace(out, span_dup(tag));
}

static bool secure_uri(const struct sipmsg *req, unsigned flags)
{
	const struct uri *ruri = sipmsg_request_uri(req);

	return (flags & DIALOG_SECURE_TRANSPORT) != 0 && ruri != NULL &&
	       ruri->scheme == URI_SCHEME_SIPS;
}

int dialog_alloc_uac(struct dialog **dp, const struct sipmsg *req,
		     const struct sipmsg *resp, unsigned flags)
{
	struct sipmsg_party from, to;
	struct sipmsg_cseq cseq;
	struct dialog *d;
	unsigned status;
	int err;

	if (dp == NULL || req == NULL || resp == NULL ||
	    !sipmsg_is_request(req) || sipmsg_is_request(resp))
		return EINVAL;
	status = sipmsg_status(resp);
	if (status <= 100 || status >= 300)
		return EPROTO;
	if (sipmsg_from_get(req, &from) != 0 || sipmsg_to_get(resp, &to) != 0 ||
	    sipmsg_cseq_get(req, &cseq) != 0)
		return EBADMSG;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return ENOMEM;
	d->uac = true;
	d->state = status < 200 ? DIALOG_EARLY : DIALOG_CONFIRMED;
	d->secure = secure_uri(req, flags);
	d->local_cseq = cseq.number;
	d->invite_cseq = cseq.number;
	err = tag_dup(from.tag, &d->local_tag);
	if (err == 0)
		err = tag_dup(to.tag, &d->remote_tag);
	if (err == 0)
		err = header_dup(req, SIPMSG_HDR_CALL_ID, &d->call_id);
	if (err == 0)
		err = header_dup(req, SIPMSG_HDR_FROM, &d->local_party);
	if (err == 0)
		err = header_dup(resp, SIPMSG_HDR_TO, &d->remote_party);
	if (err == 0 && sipmsg_contact_count(req) > 0)
		err = header_dup(req, SIPMSG_HDR_CONTACT, &d->local_contact);
	if (err == 0)
		err = routes_set(d, resp, true);
	if (err == 0) {
		err = target_set(d, resp);
		if (err == ENOENT && status < 200)
			err = replace(&d->remote_target,
				      span_dup(sipmsg_request_uri_text(req)));
		else if (err == ENOENT)
			err = EBADMSG;
	}
	if (err != 0) {
		dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

int dialog_alloc_uas(struct dialog **dp, const struct sipmsg *req,
		     const char *local_tag, const char *local_contact,
		     unsigned flags)
{
	struct sipmsg_party from, to;
	struct sipmsg_cseq cseq;
	struct sipmsg_header hdr;
	char tag[TSX_TOKEN_SIZE];
	struct dialog *d;
	size_t n;
	int err;

	if (dp == NULL || req == NULL || !sipmsg_is_request(req))
		return EINVAL;
	if (sipmsg_from_get(req, &from) != 0 || sipmsg_to_get(req, &to) != 0 ||
	    sipmsg_cseq_get(req, &cseq) != 0 ||
	    sipmsg_header_get_id(req, SIPMSG_HDR_TO, 0, &hdr) != 0)
		return EBADMSG;
	if (span_is_set(to.tag))
		return EPROTO;
	if (local_tag == NULL) {
		err = tsx_token_new(tag, sizeof(tag), TSX_TAG_CHARS);
		if (err != 0)
			return err;
		local_tag = tag;
	}
	if (*local_tag == '\0')
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return ENOMEM;
	d->state = DIALOG_EARLY;
	d->secure = secure_uri(req, flags);
	d->remote_cseq = cseq.number;
	err = tag_dup(from.tag, &d->remote_tag);
	if (err == 0)
		err = replace(&d->local_tag, strdup(local_tag));
	if (err == 0)
		err = header_dup(req, SIPMSG_HDR_CALL_ID, &d->call_id);
	if (err == 0)
		err = header_dup(req, SIPMSG_HDR_FROM, &d->remote_party);
	if (err == 0) {
		n = hdr.value.len + strlen(local_tag) + 6;
		d->local_party = malloc(n);
		if (d->local_party == NULL)
			err = ENOMEM;
		else
			snprintf(d->local_party, n, "%.*s;tag=%s",
				 (int)hdr.value.len, hdr.value.p, local_tag);
	}
	if (err == 0)
		err = dialog_local_contact_set(d, local_contact);
	if (err == 0)
		err = routes_set(d, req, false);
	if (err == 0) {
		err = target_set(d, req);
		if (err == ENOENT)
			err = EBADMSG;
	}
	if (err != 0) {
		dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void dialog_free(struct dialog *d)
{
	if (d == NULL)
		return;
	routes_clear(d);
	free(d->call_id);
	free(d->local_tag);
	free(d->remote_tag);
	free(d->local_party);
	free(d->remote_party);
	free(d->remote_target);
	free(d->local_contact);
	free(d);
}

int dialog_local_contact_set(struct dialog *d, const char *contact)
{
	if (d == NULL)
		return EINVAL;
	if (contact == NULL) {
		free(d->local_contact);
		d->local_contact = NULL;
		return 0;
	}
	return replace(&d->local_contact, strdup(contact));
}

enum dialog_state dialog_state(const struct dialog *d) { return d->state; }
bool dialog_is_uac(const struct dialog *d) { return d->uac; }
bool dialog_secure(const struct dialog *d) { return d->secure; }
const char *dialog_call_id(const struct dialog *d) { return d->call_id; }
const char *dialog_local_tag(const struct dialog *d) { return d->local_tag; }
const char *dialog_remote_tag(const struct dialog *d) { return d->remote_tag; }
const char *dialog_remote_target(const struct dialog *d)
{
	return d->remote_target;
}
size_t dialog_route_count(const struct dialog *d) { return d->route_count; }
uint32_t dialog_local_cseq(const struct dialog *d) { return d->local_cseq; }
uint32_t dialog_remote_cseq(const struct dialog *d) { return d->remote_cseq; }

const char *dialog_route_at(const struct dialog *d, size_t index)
{
	return index < d->route_count ? d->routes[index] : NULL;
}

void dialog_confirm(struct dialog *d)
{
	if (d->state == DIALOG_EARLY)
		d->state = DIALOG_CONFIRMED;
}

void dialog_terminate(struct dialog *d)
{
	d->state = DIALOG_TERMINATED;
}

bool dialog_match(const struct dialog *d, const struct sipmsg *msg)
{
	struct sipmsg_party from, to;
	struct span call_id;
	const char *from_tag, *to_tag;

	if (d == NULL || msg == NULL || sipmsg_call_id_get(msg, &call_id) != 0 ||
	    sipmsg_from_get(msg, &from) != 0 || sipmsg_to_get(msg, &to) != 0)
		return false;
	/* a request comes from the remote side, a response answers us */
	from_tag = sipmsg_is_request(msg) ? d->remote_tag : d->local_tag;
	to_tag = sipmsg_is_request(msg) ? d->local_tag : d->remote_tag;
	return span_eq(call_id, d->call_id) && span_eq(from.tag, from_tag) &&
	       span_eq(to.tag, to_tag);
}

unsigned dialog_unmatched_status(const struct sipmsg *req)
{
	struct sipmsg_party to;

	if (req == NULL || !sipmsg_is_request(req) ||
	    span_eq(sipmsg_method(req), "ACK") ||
	    sipmsg_to_get(req, &to) != 0 || !span_is_set(to.tag))
		return 0;
	return 481;
}

int dialog_request_receive(struct dialog *d, const struct sipmsg *req,
			   unsigned *status)
{
	struct sipmsg_cseq cseq;
	struct span m;
	int err;

	if (d == NULL || req == NULL || status == NULL ||
	    !sipmsg_is_request(req))
		return EINVAL;
	if (sipmsg_cseq_get(req, &cseq) != 0)
		return EBADMSG;
	m = sipmsg_method(req);
	*status = 0;
	if (span_eq(m, "ACK") || span_eq(m, "CANCEL"))
		return 0;
	/* §12.2.2: a UAS that has sent nothing yet keeps no remote number
	 * (UAC dialogs start empty) */
	if (d->remote_cseq != 0 && cseq.number < d->remote_cseq) {
		*status = 500;
		return 0;
	}
	if (span_eq(m, "INVITE")) {
		if (d->invite_out) {
			*status = 491;
			return 0;
		}
		if (d->invite_in) {
			*status = 500;
			return 0;
		}
	}
	d->remote_cseq = cseq.number;
	if (span_eq(m, "INVITE") || span_eq(m, "UPDATE")) {
		if (span_eq(m, "INVITE"))
			d->invite_in = true;
		err = target_set(d, req);
		if (err != 0 && err != ENOENT)
			return err;
	}
	return 0;
}

int dialog_response_receive(struct dialog *d, const struct sipmsg *resp)
{
	struct sipmsg_cseq cseq;
	unsigned status;
	int err = 0;

	if (d == NULL || resp == NULL || sipmsg_is_request(resp))
		return EINVAL;
	if (sipmsg_cseq_get(resp, &cseq) != 0)
		return EBADMSG;
	status = sipmsg_status(resp);
	if (span_eq(cseq.method, "INVITE") && status >= 200 &&
	    cseq.number == d->invite_cseq)
		d->invite_out = false;
	if (status < 101 || status >= 300)
		return 0;
	if (status < 200 && d->state != DIALOG_EARLY)
		return 0;
	if (!span_eq(cseq.method, "INVITE") && !span_eq(cseq.method, "UPDATE"))
		return 0;
	if (d->uac && d->state == DIALOG_EARLY && status >= 200 &&
	    span_eq(cseq.method, "INVITE")) {
		err = routes_set(d, resp, true);
		if (err != 0)
			return err;
		d->state = DIALOG_CONFIRMED;
	}
	err = target_set(d, resp);
	return err == ENOENT ? 0 : err;
}

void dialog_invite_done(struct dialog *d, bool outgoing)
{
	if (outgoing)
		d->invite_out = false;
	else
		d->invite_in = false;
}

bool dialog_invite_pending(const struct dialog *d, bool outgoing)
{
	return outgoing ? d->invite_out : d->invite_in;
}

/* ---- building ---------------------------------------------------------- */

static int add_cseq(struct sipmsg *msg, uint32_t number, const char *method)
{
	char cseq[64];

	if (snprintf(cseq, sizeof(cseq), "%lu %s", (unsigned long)number,
		     method) >= (int)sizeof(cseq))
		return EINVAL;
	return sipmsg_header_add(msg, "CSeq", cseq);
}

static int add_via(struct sipmsg *msg, const char *via)
{
	char branch[TSX_BRANCH_SIZE], *v;
	size_t n;
	int err;

	err = tsx_branch_new(branch, sizeof(branch));
	if (err != 0)
		return err;
	n = strlen(via) + strlen(branch) + 9;
	v = malloc(n);
	if (v == NULL)
		return ENOMEM;
	snprintf(v, n, "%s;branch=%s", via, branch);
	err = sipmsg_header_add(msg, "Via", v);
	free(v);
	return err;
}

/* The URI of a route entry (name-addr) and whether it has ;lr. */
static int route_uri(const char *route, char **uri, bool *lr)
{
	struct uri_addr a;
	struct uri u;
	struct span lrv;
	char reason[64];
	int err;

	err = uri_addr_decode(&a, route, strlen(route), reason, sizeof(reason));
	if (err != 0)
		return err;
	*lr = uri_param_get(&a.uri, "lr", &lrv) == 0;
	/* §12.2.1.1: a Request-URI carries no headers */
	u = a.uri;
	u.headers = SPAN_NULL;
	return uri_dup(&u, uri);
}

int dialog_request_new(struct dialog *d, const char *method, const char *via,
		       struct sipmsg **msgp)
{
	struct sipmsg *m = NULL;
	char *ruri = NULL, *last = NULL;
	bool ack, lr = true;
	uint32_t number;
	size_t i, first = 0;
	int err;

	if (d == NULL || method == NULL || msgp == NULL ||
	    d->state == DIALOG_TERMINATED)
		return EINVAL;
	ack = strcmp(method, "ACK") == 0;
	if (strcmp(method, "CANCEL") == 0)
		return EINVAL;  /* not an in-dialog request: dialog_derive */
	if (d->route_count > 0) {
		err = route_uri(d->routes[0], &ruri, &lr);
		if (err != 0)
			return err;
		if (lr) {
			free(ruri);
			ruri = NULL;
		}
	}
	if (lr) {
		/* loose: the remote target, Route = the route set */
		err = sipmsg_new_request(&m, method, d->remote_target);
	} else {
		/* strict: the first route, Route = the rest + remote target */
		err = sipmsg_new_request(&m, method, ruri);
		first = 1;
	}
	free(ruri);
	if (err != 0)
		return err;
	if (via != NULL)
		err = add_via(m, via);
	if (err == 0)
		err = sipmsg_header_add(m, "Max-Forwards", "70");
	for (i = first; err == 0 && i < d->route_count; i++)
		err = sipmsg_header_add(m, "Route", d->routes[i]);
	if (err == 0 && !lr) {
		size_t n = strlen(d->remote_target) + 3;

		last = malloc(n);
		if (last == NULL)
			err = ENOMEM;
		else {
			snprintf(last, n, "<%s>", d->remote_target);
			err = sipmsg_header_add(m, "Route", last);
			free(last);
		}
	}
	if (err == 0)
		err = sipmsg_header_add(m, "From", d->local_party);
	if (err == 0)
		err = sipmsg_header_add(m, "To", d->remote_party);
	if (err == 0)
		err = sipmsg_header_add(m, "Call-ID", d->call_id);
	if (ack) {
		number = d->invite_cseq;
	} else {
		/* §12.2.1.1: an empty local number starts at 1 here */
		number = d->local_cseq + 1;
		if (number >= 0x80000000u)
			err = err != 0 ? err : ERANGE;
	}
	if (err == 0)
		err = add_cseq(m, number, method);
	if (err == 0 && d->local_contact != NULL &&
	    (strcmp(method, "INVITE") == 0 || strcmp(method, "UPDATE") == 0))
		err = sipmsg_header_add(m, "Contact", d->local_contact);
	if (err != 0) {
		sipmsg_free(m);
		return err;
	}
	if (!ack) {
		d->local_cseq = number;
		if (strcmp(method, "INVITE") == 0) {
			d->invite_cseq = number;
			d->invite_out = true;
		}
	}
	*msgp = m;
	return 0;
}

int dialog_derive(struct sipmsg **msgp, enum dialog_derive kind,
		  const struct sipmsg *inv, const struct sipmsg *resp)
{
	const char *method = kind == DIALOG_DERIVE_ACK ? "ACK" : "CANCEL";
	struct sipmsg_derive from_inv;
	struct sipmsg_cseq cseq;
	struct span top;
	char *ruri;
	int err;

	if (msgp == NULL || inv == NULL || !sipmsg_is_request(inv) ||
	    (kind != DIALOG_DERIVE_CANCEL && kind != DIALOG_DERIVE_ACK) ||
	    (kind == DIALOG_DERIVE_ACK &&
	     (resp == NULL || sipmsg_is_request(resp))))
		return EINVAL;
	if (sipmsg_cseq_get(inv, &cseq) != 0 ||
	    sipmsg_value_get_id(inv, SIPMSG_HDR_VIA, 0, &top) != 0)
		return EBADMSG;
	/* §9.1 and §17.1.1.3: the INVITE's Request-URI, top Via, Route,
	 * From, Call-ID and CSeq number; To from the INVITE (CANCEL) or the
	 * response (ACK, for its tag). */
	memset(&from_inv, 0, sizeof(from_inv));
	from_inv.via = top;
	from_inv.route = inv;
	from_inv.from = inv;
	from_inv.to = kind == DIALOG_DERIVE_ACK ? resp : inv;
	from_inv.call_id = inv;
	from_inv.cseq = cseq.number;
	from_inv.to_first = true;
	ruri = span_dup(sipmsg_request_uri_text(inv));
	if (ruri == NULL)
		return ENOMEM;
	err = sipmsg_request_derive(msgp, method, ruri, &from_inv);
	free(ruri);
	return err == ENOENT ? EBADMSG : err;
}

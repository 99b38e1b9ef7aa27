/* The client side of the WebSocket protocol (RFC 6455) as pure, bounded
 * functions: the opening handshake (request builder, response check), an
 * incremental frame decoder fed whatever chunks TCP delivers, and the
 * encoder of masked client frames. Nothing here does I/O or prints.
 * ws.c's own (private: not installed). */
#ifndef SIPWS_WSFRAME_H
#define SIPWS_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WSFRAME_KEY_SIZE 25    /* base64 of 16 bytes, NUL */
#define WSFRAME_ACCEPT_SIZE 29 /* base64 of a SHA-1, NUL */
#define WSFRAME_HEAD_MAX 8192  /* largest upgrade response head */
#define WSFRAME_HEADER_MAX 14  /* largest frame header (client, masked) */
#define WSFRAME_CONTROL_MAX 125

enum wsframe_opcode {
	WSFRAME_CONTINUATION = 0x0,
	WSFRAME_TEXT = 0x1,
	WSFRAME_BINARY = 0x2,
	WSFRAME_CLOSE = 0x8,
	WSFRAME_PING = 0x9,
	WSFRAME_PONG = 0xa,
};

/* Close codes we send (RFC 6455 §7.4.1). */
#define WSFRAME_CLOSE_NORMAL 1000
#define WSFRAME_CLOSE_PROTOCOL 1002
#define WSFRAME_CLOSE_NO_STATUS 1005 /* reported, never sent */
#define WSFRAME_CLOSE_INVALID_DATA 1007
#define WSFRAME_CLOSE_TOO_BIG 1009

/* ---- opening handshake ---------------------------------------------- */

/* A fresh Sec-WebSocket-Key: base64 of 16 bytes from getrandom(2).
 * Returns 0 or an errno of getrandom. */
int wsframe_key_generate(char key[WSFRAME_KEY_SIZE]);
/* The Sec-WebSocket-Accept value the server must answer to key. */
void wsframe_accept_compute(const char *key, char accept[WSFRAME_ACCEPT_SIZE]);

/* The GET request asking for the "sip" subprotocol; origin NULL for none.
 * Returns 0, or ENOSPC when it does not fit size bytes (*lenp: its length,
 * without the NUL). */
int wsframe_upgrade_request(char *buf, size_t size, size_t *lenp,
			    const char *path, const char *host,
			    const char *origin, const char *key);

/* Check the server's answer, data being everything received so far.
 * Returns EAGAIN while the head is incomplete; 0 when it accepts the
 * upgrade, *head_len then being its length (frames may follow); EPROTO
 * otherwise with a reason ("WebSocket upgrade refused: HTTP 404", "server
 * did not accept the sip subprotocol", ...). *status: the HTTP status, 0
 * before a status line was read. A head over WSFRAME_HEAD_MAX fails. */
int wsframe_upgrade_response(const char *data, size_t len, const char *key,
			     size_t *head_len, int *status, char *reason,
			     size_t reason_size);

/* ---- frames from the server ----------------------------------------- */

enum wsframe_event_type {
	WSFRAME_EVENT_MESSAGE, /* a whole text or binary message */
	WSFRAME_EVENT_PING,    /* answer with a Pong carrying data */
	WSFRAME_EVENT_PONG,
	WSFRAME_EVENT_CLOSE,   /* nothing is decoded after it */
};

struct wsframe_event {
	enum wsframe_event_type type;
	const char *data; /* valid during the call only */
	size_t len;
	bool binary;         /* MESSAGE */
	unsigned close_code; /* CLOSE: WSFRAME_CLOSE_NO_STATUS if none;
				data/len: its reason, valid UTF-8 */
};

/* Return non-zero to stop decoding at once (wsframe_decode then returns
 * ECANCELED; the rest of the chunk is not looked at). */
typedef int(wsframe_event_h)(const struct wsframe_event *ev, void *arg);

/* The decoder's state; fields are private to wsframe.c. */
struct wsframe_decoder {
	size_t max_message;
	unsigned char hdr[10];
	size_t hdr_len, hdr_need;
	unsigned opcode;
	bool fin;
	uint64_t remaining; /* payload bytes of the current frame to come */
	unsigned char ctl[WSFRAME_CONTROL_MAX];
	size_t ctl_len;
	char *msg; /* a message being reassembled */
	size_t msg_len, msg_cap;
	bool in_message, msg_binary;
	unsigned utf8_need;            /* continuation bytes still due */
	unsigned char utf8_lo, utf8_hi; /* range of the next one */
	bool closed;
	int err;
	unsigned close_code;
};

void wsframe_decoder_init(struct wsframe_decoder *d, size_t max_message);
/* Forget any frame or message in progress (a new connection). */
void wsframe_decoder_reset(struct wsframe_decoder *d);
void wsframe_decoder_fini(struct wsframe_decoder *d);

/* Feed the next len bytes from the server; events go to h. Returns 0 (all
 * of it taken; after a Close the rest is ignored), ECANCELED (h stopped
 * it), or a failure of the connection, with a reason and the close code
 * to send (wsframe_decoder_close_code); every later call returns it again:
 *   EMSGSIZE  a message over max_message (1009), found from the frame
 *             header before any of its payload is buffered
 *   EBADMSG   a protocol violation (1002): masked frame, reserved bits,
 *             unknown opcode, bad control frame, bad fragmentation, a
 *             64-bit length with its top bit set, a bad Close frame
 *   EILSEQ    a text message that is not UTF-8 (1007)
 *   ENOMEM */
int wsframe_decode(struct wsframe_decoder *d, const void *data, size_t len,
		   wsframe_event_h *h, void *arg, char *reason,
		   size_t reason_size);
unsigned wsframe_decoder_close_code(const struct wsframe_decoder *d);

/* ---- frames to the server ------------------------------------------- */

/* Mask keys from getrandom(2), drawn a pool at a time. */
struct wsframe_masker {
	unsigned char pool[256];
	size_t pos;
};
void wsframe_masker_init(struct wsframe_masker *m);
void wsframe_mask_key(struct wsframe_masker *m, unsigned char key[4]);

/* One final, masked frame into out (size at least len +
 * WSFRAME_HEADER_MAX). Returns the number of bytes written, 0 when out is
 * too small. */
size_t wsframe_encode(void *out, size_t size, enum wsframe_opcode op,
		      const void *payload, size_t len,
		      const unsigned char key[4]);

/* The payload of a Close frame: code, then reason cut to fit 125 bytes
 * (on a UTF-8 boundary). Returns its length. */
size_t wsframe_close_payload(unsigned char out[WSFRAME_CONTROL_MAX],
			     unsigned code, const char *reason);

/* Whether p[0..len) is UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool wsframe_utf8_valid(const void *p, size_t len);

#endif

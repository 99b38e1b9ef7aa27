/* The configuration of the sipws tools: the file syntax (sipws.conf(5)),
 * the table of keys with their types and defaults, and the layers from
 * the built-in defaults up to the command line, each value with its origin. */
#ifndef SIPWS_CONF_H
#define SIPWS_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* Limits; going over one is an error with a reason. */
#define CONF_MAX_LINE 4096          /* bytes in one line of a file */
#define CONF_MAX_FILE (1024 * 1024) /* bytes in one file */
#define CONF_MAX_ENTRIES 1024       /* key = value lines in one file */
#define CONF_MAX_ITEMS 64           /* entries in one list value */
#define CONF_MAX_KEY 128            /* bytes in a key, section included */
#define CONF_MAX_PASSWORD 1024      /* bytes of a password (file or stdin) */
#define CONF_MAX_WARNINGS 32        /* kept; the last says more were dropped */

/* What secrets look like in printable output. */
#define CONF_MASK "********"
/* The system-wide file; the environment variable SIPWS_SYSTEM_CONFIG
 * names another one (tests and packagers). */
#define CONF_SYSTEM_FILE "/etc/sipws/config"

/* Layers, lowest first: a value from a higher layer replaces one from a
 * lower layer. "-c FILE" is read as the user layer. */
enum conf_layer {
	CONF_LAYER_DEFAULT,
	CONF_LAYER_SYSTEM,
	CONF_LAYER_USER,
	CONF_LAYER_PROFILE,
	CONF_LAYER_ENV,
	CONF_LAYER_CMDLINE,
};

struct conf;

/* Where conf_load reads from. Every field may be zero. */
struct conf_sources {
	/* -c FILE: read this instead of the system and user files; it must
	 * exist. */
	const char *config_file;
	/* -p NAME: $XDG_CONFIG_HOME/sipws/profiles/NAME, or a path when NAME
	 * holds a '/'; it must exist. */
	const char *profile;
	/* "NAME=value" strings as in environ; NULL reads no variables. Gives
	 * SIPWS_* keys, SIPWS_SYSTEM_CONFIG, XDG_CONFIG_HOME and HOME. */
	char *const *env;
	/* Read the system and user files (ignored with config_file). */
	bool read_files;
	/* "KEY=VALUE" strings for the command-line layer (--set). */
	const char *const *sets;
	size_t nsets;
};

int conf_alloc(struct conf **confp);
void conf_free(struct conf *conf);

/* Read every layer of src in order onto conf (fresh from conf_alloc), then
 * conf_check. Missing system and user files are skipped; every other
 * problem returns an errno value (ENOENT, EACCES, EISDIR, E2BIG, EINVAL,
 * EPERM, ENOMEM ...) with a reason such as
 * "/home/u/.config/sipws/config:12: user.uri: not a SIP URI: ...".
 * Warnings (unknown keys, a secret in a file others can read) are kept,
 * see conf_warning. */
int conf_load(struct conf *conf, const struct conf_sources *src,
	      char *reason, size_t reason_size);

/* Parse a file's contents from memory as the user layer; name stands for
 * the path in origins and reasons. No permission check. */
int conf_parse(struct conf *conf, const char *name, const char *data,
	       size_t len, char *reason, size_t reason_size);

/* Set a key in the command-line layer; origin says where from (NULL:
 * "command line"). Secrets are refused with EPERM (passwords never travel
 * in argv); an unknown key is EINVAL. A list key set again here adds to
 * the list. Call conf_check afterwards. */
int conf_set(struct conf *conf, const char *key, const char *value,
	     const char *origin, char *reason, size_t reason_size);

/* Read user.sip_auth_password from one line of fd (e.g. standard input
 * for --password-stdin), as the command-line layer. EINVAL when there is
 * no line or it is empty, E2BIG above CONF_MAX_PASSWORD, or the read
 * errno. */
int conf_read_password(struct conf *conf, int fd);

/* Checks that span keys (max interval >= min, HA1 length for its
 * algorithm) and reads user.sip_auth_password_file when it is the
 * effective password source. conf_load calls it. */
int conf_check(struct conf *conf, char *reason, size_t reason_size);

/* Typed access. EINVAL for an unknown key or a key of another type,
 * ENOENT when the key has no value. Strings stay owned by conf. */
int conf_get_str(const struct conf *conf, const char *key, const char **value);
int conf_get_int(const struct conf *conf, const char *key, long long *value);
int conf_get_bool(const struct conf *conf, const char *key, bool *value);
/* A list key's entries (count 0 when empty), each as written in normal
 * form, secrets included. */
int conf_get_list(const struct conf *conf, const char *key,
		  const char *const **items, size_t *count);
/* "default", "file:PATH:LINE", "profile:PATH:LINE", "env:SIPWS_X",
 * "command line", "stdin"; NULL for an unknown key. */
const char *conf_origin(const struct conf *conf, const char *key);

/* Resolved values that other keys feed. */
struct conf_ws_server {
	const char *url;
	unsigned weight; /* 0 when not given */
};
/* websocket.servers entry i; ENOENT past the end. */
int conf_ws_server(const struct conf *conf, size_t i,
		   struct conf_ws_server *server);

struct conf_turn_server {
	const char *url;      /* turn:... or turns:... */
	const char *username; /* NULL when neither the entry nor SIP has one */
	const char *password;
	bool sip_credentials; /* taken from the SIP account (JSCommunicator) */
};
/* turn_servers entry i, credentials resolved; ENOENT past the end. */
int conf_turn_server(const struct conf *conf, size_t i,
		     struct conf_turn_server *server);

/* user.sip_auth_user, or derived from user.uri: "user@domain" when
 * user.sip_auth_user_full_uri is true, else "user". ENOENT if neither. */
int conf_auth_user(const struct conf *conf, const char **user);
/* The password from whichever of user.sip_auth_password and
 * user.sip_auth_password_file comes from the higher layer (the password
 * itself on a tie). ENOENT when none. */
int conf_password(const struct conf *conf, const char **password);
/* registration.server, or "sip:domain[:port]" from user.uri. */
int conf_registration_server(const struct conf *conf, const char **uri);

size_t conf_warning_count(const struct conf *conf);
const char *conf_warning(const struct conf *conf, size_t i);

/* The key table, in the order sipws-config prints it. */
size_t conf_key_count(void);
const char *conf_key_name(size_t i);
bool conf_key_known(const char *key);
/* True for keys whose whole value is a secret; turn_servers is not one,
 * but its password= parts are masked too. */
bool conf_key_secret(const char *key);
/* SIPWS_USER_URI for user.uri. ENOSPC when buf is too small, EINVAL for
 * an unknown key. */
int conf_env_name(const char *key, char *buf, size_t size);

/* One key as sipws-config shows it: values with secrets masked. */
struct conf_entry {
	const char *key;
	const char *const *values; /* nvalues 0: no value */
	size_t nvalues;
	const char *origin;
	bool list;
	bool secret;
	bool derived; /* shown value derived from user.uri, origin says so */
};
int conf_entry(const struct conf *conf, const char *key,
	       struct conf_entry *entry);

/* Write value as it must appear after "key = " to read back the same:
 * double-quoted with \" \\ \n \t escapes when needed, else as is.
 * ENOSPC when buf is too small. */
int conf_quote(const char *value, char *buf, size_t size);

#endif

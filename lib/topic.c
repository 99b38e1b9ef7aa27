/* Event topic names and Arbiter-style pattern matching for --topic. */
#include "topic.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const topic_names[] = {
	TOPIC_UA_IDLE,
	TOPIC_UA_NOTREADY,
	TOPIC_UA_INCALL,
	TOPIC_TRANSPORT_CONNECTED,
	TOPIC_TRANSPORT_DISCONNECTED,
	TOPIC_REG_REGISTERED,
	TOPIC_REG_UNREGISTERED,
	TOPIC_REG_FAILED,
	TOPIC_CALL_INCOMING,
	TOPIC_CALL_OUTGOING,
	TOPIC_CALL_PROGRESS,
	TOPIC_CALL_CONNECTED,
	TOPIC_CALL_MEDIA,
	TOPIC_CALL_FAILED,
	TOPIC_CALL_END,
	TOPIC_CALL_DTMF,
	TOPIC_CALL_HOLD,
	TOPIC_CALL_UNHOLD,
	TOPIC_MESSAGE_INCOMING,
	NULL,
};

/* One pattern given as pointer + length (a piece of a list). */
static bool match_one(const char *pat, size_t len, const char *topic)
{
	if (len > 0 && pat[len - 1] == '*')
		return strncmp(topic, pat, len - 1) == 0;
	return strlen(topic) == len && memcmp(topic, pat, len) == 0;
}

bool topic_match(const char *pattern, const char *topic)
{
	if (pattern == NULL || topic == NULL)
		return false;
	return match_one(pattern, strlen(pattern), topic);
}

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\f' || c == '\v';
}

/* Next pattern of a list: *start and *len, or false at the end. */
static bool next_pattern(const char **cursor, const char **start, size_t *len)
{
	const char *p = *cursor;

	while (*p != '\0' && is_separator(*p))
		p++;
	if (*p == '\0') {
		*cursor = p;
		return false;
	}
	*start = p;
	while (*p != '\0' && !is_separator(*p))
		p++;
	*len = (size_t)(p - *start);
	*cursor = p;
	return true;
}

bool topic_list_match(const char *patterns, const char *topic)
{
	const char *cursor = patterns, *pat;
	size_t len;

	if (patterns == NULL || topic == NULL)
		return false;
	while (next_pattern(&cursor, &pat, &len))
		if (match_one(pat, len, topic))
			return true;
	return false;
}

int topic_list_check(const char *patterns, bool *unknown, char *reason,
		     size_t reason_size)
{
	const char *cursor = patterns, *pat;
	size_t len, i, n = 0;

	if (unknown != NULL)
		*unknown = false;
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (patterns == NULL) {
		if (reason != NULL && reason_size > 0)
			snprintf(reason, reason_size, "no topic pattern");
		return EINVAL;
	}
	while (next_pattern(&cursor, &pat, &len)) {
		bool known = false;

		n++;
		for (i = 0; i < len; i++)
			if ((unsigned char)pat[i] < 0x20 || pat[i] == 0x7f) {
				if (reason != NULL && reason_size > 0)
					snprintf(reason, reason_size,
						 "control character in topic pattern");
				return EINVAL;
			}
		for (i = 0; topic_names[i] != NULL && !known; i++)
			known = match_one(pat, len, topic_names[i]);
		if (!known && unknown != NULL)
			*unknown = true;
	}
	if (n == 0) {
		if (reason != NULL && reason_size > 0)
			snprintf(reason, reason_size, "empty topic pattern list");
		return EINVAL;
	}
	return 0;
}

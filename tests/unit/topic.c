/* Topic names and Arbiter-style pattern matching (--topic). */
#include "topic.h"
#include "tap/basic.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static const struct {
	const char *pattern;
	const char *topic;
	bool match;
} one_cases[] = {
	/* a trailing '*' is a prefix match (Arbiter strips it) */
	{"call/*", "call/incoming", true},
	{"call/*", "call/end", true},
	{"call/*", "call/x/y", true},
	{"call/*", "call", false},
	{"call/*", "calls/incoming", false},
	{"call*", "calls/incoming", true},
	{"call/*", "registration/ok", false},
	{"*", "call/incoming", true},
	{"*", "ua/idle", true},
	{"*", "", true},
	/* no wildcard: exact, case-sensitive */
	{"call/incoming", "call/incoming", true},
	{"call/incoming", "call/incoming2", false},
	{"call/incoming", "call/incomin", false},
	{"Call/incoming", "call/incoming", false},
	/* '*' elsewhere is an ordinary character, as in Arbiter */
	{"*/incoming", "call/incoming", false},
	{"*/incoming", "*/incoming", true},
	{"c*ll/*", "call/incoming", false},
	{"c*ll/*", "c*ll/x", true},
	{"", "", true},
	{"", "call/incoming", false},
};

static const struct {
	const char *patterns;
	const char *topic;
	bool match;
} list_cases[] = {
	{"call/*,message/*", "message/incoming", true},
	{"call/*,message/*", "call/end", true},
	{"call/*,message/*", "registration/failed", false},
	{"call/incoming, registration/*", "registration/failed", true},
	{"  call/end  ua/* ", "ua/idle", true},
	{"call/end\tua/idle", "ua/idle", true},
	{",,call/end,,", "call/end", true},
	{"call/end", "call/end/x", false},
	{"", "call/end", false},
	{",  ,", "call/end", false},
	{"*", "transport/connected", true},
};

int main(void)
{
	size_t n1 = sizeof(one_cases) / sizeof(one_cases[0]);
	size_t n2 = sizeof(list_cases) / sizeof(list_cases[0]);
	size_t i, count = 0;
	bool unknown;
	char reason[64];

	plan(n1 + n2 + 14);
	for (i = 0; i < n1; i++)
		ok(topic_match(one_cases[i].pattern, one_cases[i].topic) ==
			   one_cases[i].match,
		   "'%s' %s '%s'", one_cases[i].pattern,
		   one_cases[i].match ? "matches" : "does not match",
		   one_cases[i].topic);
	for (i = 0; i < n2; i++)
		ok(topic_list_match(list_cases[i].patterns, list_cases[i].topic) ==
			   list_cases[i].match,
		   "list '%s' %s '%s'", list_cases[i].patterns,
		   list_cases[i].match ? "matches" : "does not match",
		   list_cases[i].topic);

	ok(!topic_match(NULL, "call/end") && !topic_match("*", NULL),
	   "NULL never matches");
	ok(!topic_list_match(NULL, "call/end"), "NULL list never matches");

	for (i = 0; topic_names[i] != NULL; i++)
		count += strchr(topic_names[i], '/') != NULL;
	is_int((long long)i, (long long)count, "every topic name is area/event");
	ok(i >= 15, "the table lists the topics (%zu)", i);
	is_string("call/incoming", TOPIC_CALL_INCOMING,
		  "JSCommunicator's jsc/call/incoming is call/incoming");
	is_string("call/end", TOPIC_CALL_END, "jsc/call/end is call/end");
	is_string("ua/idle", TOPIC_UA_IDLE, "jsc/ua/idle is ua/idle");

	is_int(0, topic_list_check("call/*,message/incoming", &unknown, reason,
				   sizeof(reason)), "a good list checks");
	ok(!unknown, "... and every pattern matches a known topic");
	is_int(0, topic_list_check("call/*,sms/*", &unknown, NULL, 0),
	       "a pattern for no known topic is not an error");
	ok(unknown, "... but it is flagged");
	is_int(EINVAL, topic_list_check(" , ", &unknown, reason, sizeof(reason)),
	       "an empty list is refused");
	ok(reason[0] != '\0', "... with a reason (%s)", reason);
	is_int(EINVAL, topic_list_check("call/\001", NULL, reason, sizeof(reason)),
	       "a control character is refused");
	return 0;
}

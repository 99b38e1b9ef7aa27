/* The JSON line writer: structure, escaping, invalid UTF-8. */
#include "json.h"
#include "tap/basic.h"

#include <string.h>

int main(void)
{
	struct json j;

	plan(10);
	json_init(&j);

	json_object_begin(&j);
	json_member_str(&j, "topic", "message/incoming");
	json_member_int(&j, "status", 200);
	json_member_bool(&j, "ok", true);
	json_member_span(&j, "none", SPAN_NULL);
	json_key(&j, "list");
	json_array_begin(&j);
	json_int(&j, 1);
	json_cstring(&j, "two");
	json_object_begin(&j);
	json_object_end(&j);
	json_array_end(&j);
	json_member_str(&j, "after", "x");
	json_object_end(&j);
	is_string("{\"topic\":\"message/incoming\",\"status\":200,\"ok\":true,"
		  "\"none\":null,\"list\":[1,\"two\",{}],\"after\":\"x\"}",
		  json_text(&j), "nested object and array");

	json_reset(&j);
	json_object_begin(&j);
	json_member_str(&j, "body", "line 1\r\nline \"2\"\t\\ end\x01\x7f");
	json_object_end(&j);
	is_string("{\"body\":\"line 1\\r\\nline \\\"2\\\"\\t\\\\ end\\u0001\\u007f\"}",
		  json_text(&j), "control characters and quotes escaped");

	json_reset(&j);
	json_cstring(&j, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x93\x9e");
	is_string("\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x93\x9e\"",
		  json_text(&j), "valid UTF-8 passes through");

	json_reset(&j);
	json_cstring(&j, "a\xff" "b\xc3" "c\xed\xa0\x80");
	is_string("\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffd\"", json_text(&j),
		  "invalid bytes and surrogates become U+FFFD");

	json_reset(&j);
	json_cstring(&j, "a\xc2\x9b" "2J\xc2\x80 \xc2\xa0");
	is_string("\"a\\u009b2J\\u0080 \xc2\xa0\"", json_text(&j),
		  "C1 controls are escaped, U+00A0 is not");

	json_reset(&j);
	json_string(&j, span_make("a\0b", 3));
	is_string("\"a\\u0000b\"", json_text(&j), "NUL bytes are escaped");

	json_reset(&j);
	{
		int i;

		for (i = 0; i < JSON_MAX_DEPTH + 2; i++)
			json_array_begin(&j);
	}
	ok(json_text(&j) == NULL, "too deep is an error");
	ok(j.err != 0, "error is kept");

	json_reset(&j);
	json_object_begin(&j);
	json_object_end(&j);
	is_string("{}", json_text(&j), "reset clears the error");

	json_reset(&j);
	json_array_begin(&j);
	json_double(&j, 12.5);
	json_double(&j, 3.0);
	json_double(&j, -0.125);
	json_double(&j, 1.23456);
	json_double(&j, -0.0001);
	json_double(&j, 0.0 / 0.0);
	json_double(&j, 1e308 * 10);
	json_array_end(&j);
	is_string("[12.5,3,-0.125,1.235,0,null,null]", json_text(&j),
		  "numbers: three decimals at most, no trailing zeros, "
		  "null for NaN and infinities");
	json_free(&j);
	return 0;
}

// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/protocol.h"

/* Decode text; returns the result, with the message in err. */
static int decode(const char *text, struct protocol_message *m, char *err)
{
	return protocol_decode(text, strlen(text), m, err, 256);
}

static void assert_refused(const char *text, const char *reason)
{
	struct protocol_message m;
	char err[256] = "";

	assert_int_equal(decode(text, &m, err), -EINVAL);
	if (!strstr(err, reason))
		fail_msg("'%s': got '%s', expected it to say '%s'", text, err, reason);
}

static void test_protocol_decode_signal_by_name_and_number(void **state)
{
	struct protocol_message m;
	char err[256];

	(void)state;
	assert_int_equal(
		decode("{\"type\":\"signal\",\"seq\":3,\"ts_us\":7,\"signal\":\"TERM\"}", &m, err),
		0);
	assert_int_equal(m.type, PROTOCOL_SIGNAL);
	assert_int_equal(m.seq, 3);
	assert_int_equal(m.ts_us, 7);
	assert_int_equal(m.signal.signal, SIGTERM);
	protocol_message_release(&m);

	assert_int_equal(
		decode("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":\"SIGUSR1\"}", &m,
		       err),
		0);
	assert_int_equal(m.signal.signal, SIGUSR1);
	protocol_message_release(&m);

	assert_int_equal(
		decode("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":9}", &m, err), 0);
	assert_int_equal(m.signal.signal, SIGKILL);
	protocol_message_release(&m);
}

static void test_protocol_decode_stop_with_and_without_grace(void **state)
{
	struct protocol_message m;
	char err[256];

	(void)state;
	assert_int_equal(decode("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0}", &m, err), 0);
	assert_int_equal(m.type, PROTOCOL_STOP);
	assert_false(m.stop.has_grace);
	protocol_message_release(&m);

	assert_int_equal(
		decode("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0,\"grace_ms\":1500}", &m, err), 0);
	assert_true(m.stop.has_grace);
	assert_int_equal(m.stop.grace_ms, 1500);
	protocol_message_release(&m);
}

static void test_protocol_decode_ack_and_guest_events(void **state)
{
	struct protocol_message m;
	char err[256];

	(void)state;
	assert_int_equal(decode("{\"type\":\"ack\",\"seq\":2,\"ts_us\":5,\"ack\":7}", &m, err), 0);
	assert_int_equal(m.type, PROTOCOL_ACK);
	assert_int_equal(m.ack.seq, 7);
	protocol_message_release(&m);

	/* The guest's events: only the envelope is checked; their fields are the host's. */
	assert_int_equal(decode("{\"type\":\"exit\",\"seq\":9,\"ts_us\":1,\"status\":3}", &m, err),
			 0);
	assert_int_equal(m.type, PROTOCOL_EXIT);
	assert_int_equal(json_integer_value(json_object_get(m.json, "status")), 3);
	protocol_message_release(&m);
}

static void test_protocol_decode_unknown_type_is_not_an_error(void **state)
{
	struct protocol_message m;
	char err[256];

	(void)state;
	assert_int_equal(decode("{\"type\":\"resize\",\"seq\":1,\"ts_us\":0,\"rows\":24}", &m, err),
			 0);
	assert_int_equal(m.type, PROTOCOL_UNKNOWN);
	protocol_message_release(&m);
}

static void test_protocol_decode_refuses_bad_envelopes(void **state)
{
	(void)state;
	assert_refused("", "column");
	assert_refused("[1,2]", "not a JSON object");
	assert_refused("{\"seq\":1,\"ts_us\":0}", "'type' is missing");
	assert_refused("{\"type\":5,\"seq\":1,\"ts_us\":0}", "'type' is not a string");
	assert_refused("{\"type\":\"stop\",\"ts_us\":0}", "'seq' is missing");
	assert_refused("{\"type\":\"stop\",\"seq\":\"1\",\"ts_us\":0}",
		       "'seq' is not a whole number");
	assert_refused("{\"type\":\"stop\",\"seq\":1.5,\"ts_us\":0}",
		       "'seq' is not a whole number");
	assert_refused("{\"type\":\"stop\",\"seq\":0,\"ts_us\":0}", "'seq' is 0");
	assert_refused("{\"type\":\"stop\",\"seq\":-4,\"ts_us\":0}", "'seq' is -4");
	assert_refused("{\"type\":\"stop\",\"seq\":9007199254740992,\"ts_us\":0}",
		       "not between 1 and 9007199254740991");
	assert_refused("{\"type\":\"stop\",\"seq\":1}", "'ts_us' is missing");
	assert_refused("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0} x", "column");
}

static void test_protocol_decode_refuses_duplicates_bad_utf8_and_nul(void **state)
{
	(void)state;
	assert_refused("{\"type\":\"stop\",\"seq\":1,\"seq\":2,\"ts_us\":0}", "duplicate");
	assert_refused("{\"type\":\"st\xff\",\"seq\":1,\"ts_us\":0}", "column");
	assert_refused("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0,\"x\":\"\xc0\xaf\"}", "column");
	assert_refused("{\"type\":\"stop\\u0000\",\"seq\":1,\"ts_us\":0}", "column");
	/* Past 64 bits: jansson's own range check. */
	assert_refused("{\"type\":\"stop\",\"seq\":99999999999999999999,\"ts_us\":0}", "column");
}

static void test_protocol_decode_refuses_bad_request_fields(void **state)
{
	(void)state;
	assert_refused("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0}", "'signal' is missing");
	assert_refused("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":\"NOPE\"}",
		       "'NOPE' is not a signal");
	assert_refused("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":0}", "'signal' is 0");
	assert_refused("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":65}",
		       "'signal' is 65");
	assert_refused("{\"type\":\"signal\",\"seq\":1,\"ts_us\":0,\"signal\":[15]}",
		       "neither a name nor a number");
	assert_refused("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0,\"grace_ms\":3600001}",
		       "'grace_ms' is 3600001");
	assert_refused("{\"type\":\"stop\",\"seq\":1,\"ts_us\":0,\"grace_ms\":true}",
		       "'grace_ms' is not a whole number");
	assert_refused("{\"type\":\"ack\",\"seq\":1,\"ts_us\":0}", "'ack' is missing");
	assert_refused("{\"type\":\"ack\",\"seq\":1,\"ts_us\":0,\"ack\":0}", "'ack' is 0");
}

static void test_protocol_decode_refuses_overlong_line(void **state)
{
	struct protocol_message m;
	char err[256];
	char *line = malloc(PROTOCOL_LINE_MAX);

	(void)state;
	memset(line, ' ', PROTOCOL_LINE_MAX);
	assert_int_equal(protocol_decode(line, PROTOCOL_LINE_MAX, &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than 65535"));
	free(line);
}

static void test_protocol_encode_puts_envelope_first_and_ends_in_newline(void **state)
{
	json_t *body = json_pack("{s:i, s:s}", "status", 42, "note", "a\nb");
	char *line;
	size_t length;

	(void)state;
	assert_int_equal(protocol_encode(PROTOCOL_EXIT, 7, 123, body, &line, &length), 0);
	json_decref(body);
	assert_string_equal(line, "{\"type\":\"exit\",\"seq\":7,\"ts_us\":123,\"status\":42,"
				  "\"note\":\"a\\nb\"}\n");
	assert_int_equal(length, strlen(line));
	free(line);
}

static void test_protocol_encode_refuses_envelope_keys_and_overlong(void **state)
{
	json_t *body = json_pack("{s:i}", "seq", 1);
	char *big = malloc(PROTOCOL_LINE_MAX), *line = NULL;
	size_t length;

	(void)state;
	assert_int_equal(protocol_encode(PROTOCOL_EXIT, 1, 0, body, &line, &length), -EINVAL);
	json_decref(body);

	memset(big, 'x', PROTOCOL_LINE_MAX - 1);
	big[PROTOCOL_LINE_MAX - 1] = '\0';
	body = json_pack("{s:s}", "blob", big);
	assert_int_equal(protocol_encode(PROTOCOL_IMAGE, 1, 0, body, &line, &length), -E2BIG);
	assert_null(line);
	json_decref(body);
	free(big);
}

static void test_protocol_roundtrip(void **state)
{
	json_t *body = json_pack("{s:s}", "signal", "HUP");
	struct protocol_message m;
	char *line, err[256];
	size_t length;

	(void)state;
	assert_int_equal(protocol_encode(PROTOCOL_SIGNAL, 5, 99, body, &line, &length), 0);
	json_decref(body);
	assert_int_equal(protocol_decode(line, length - 1, &m, err, sizeof(err)), 0);
	assert_int_equal(m.type, PROTOCOL_SIGNAL);
	assert_int_equal(m.seq, 5);
	assert_int_equal(m.ts_us, 99);
	assert_int_equal(m.signal.signal, SIGHUP);
	protocol_message_release(&m);
	free(line);
}

static void test_protocol_string_replaces_bytes_that_are_not_utf8(void **state)
{
	json_t *s;

	(void)state;
	s = protocol_string("caf\xc3\xa9");
	assert_string_equal(json_string_value(s), "caf\xc3\xa9");
	json_decref(s);
	/* A lone continuation byte, an overlong '/', a surrogate, a truncated sequence. */
	s = protocol_string("a\x80"
			    "b\xc0\xaf"
			    "c\xed\xa0\x80"
			    "d\xe2\x82");
	assert_string_equal(json_string_value(s), "a\xef\xbf\xbd"
						  "b\xef\xbf\xbd\xef\xbf\xbd"
						  "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
						  "d\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(s);
	s = protocol_string(NULL);
	assert_true(json_is_null(s));
}

/* Feed text into the reader in pieces of size step; collect the lines and errors. */
static void feed(struct protocol_reader *reader, const char *text, size_t size, size_t step,
		 char lines[][64], size_t *n_lines, size_t *n_errors)
{
	for (size_t at = 0; at < size;) {
		char *space;
		size_t room = protocol_reader_space(reader, &space);
		size_t n = size - at < step ? size - at : step;
		const char *line;
		size_t length;
		int r;

		if (n > room)
			n = room;
		memcpy(space, text + at, n);
		protocol_reader_commit(reader, n);
		at += n;
		while ((r = protocol_reader_next(reader, &line, &length)) != 0) {
			if (r < 0) {
				(*n_errors)++;
				continue;
			}
			snprintf(lines[(*n_lines)++], 64, "%.*s", (int)length, line);
		}
	}
}

static void test_protocol_reader_joins_partial_lines(void **state)
{
	static const char text[] = "{\"a\":1}\n{\"b\":2}\n\n{\"c\":";
	struct protocol_reader reader;
	char lines[8][64];
	size_t n_lines = 0, n_errors = 0;

	(void)state;
	for (size_t step = 1; step <= sizeof(text); step++) {
		assert_int_equal(protocol_reader_init(&reader), 0);
		n_lines = n_errors = 0;
		feed(&reader, text, strlen(text), step, lines, &n_lines, &n_errors);
		assert_int_equal(n_lines, 3);
		assert_string_equal(lines[0], "{\"a\":1}");
		assert_string_equal(lines[1], "{\"b\":2}");
		assert_string_equal(lines[2], "");
		assert_int_equal(n_errors, 0);
		/* The rest of the last line comes later. */
		feed(&reader, "3}\n", 3, 1, lines, &n_lines, &n_errors);
		assert_int_equal(n_lines, 4);
		assert_string_equal(lines[3], "{\"c\":3}");
		protocol_reader_free(&reader);
	}
}

static void test_protocol_reader_drops_overlong_line_and_goes_on(void **state)
{
	struct protocol_reader reader;
	size_t size = 3 * PROTOCOL_LINE_MAX + 32, n_lines = 0, n_errors = 0;
	char *text = malloc(size), lines[8][64];
	size_t at;

	(void)state;
	/* A line exactly at the limit (newline included) passes; one byte more does not. */
	at = (size_t)snprintf(text, size, "{\"first\":1}\n");
	memset(text + at, 'x', PROTOCOL_LINE_MAX - 1);
	at += PROTOCOL_LINE_MAX - 1;
	text[at++] = '\n';
	memset(text + at, 'y', PROTOCOL_LINE_MAX);
	at += PROTOCOL_LINE_MAX;
	text[at++] = '\n';
	at += (size_t)snprintf(text + at, size - at, "{\"last\":1}\n");

	assert_int_equal(protocol_reader_init(&reader), 0);
	feed(&reader, text, at, 4096, lines, &n_lines, &n_errors);
	assert_int_equal(n_lines, 3);
	assert_string_equal(lines[0], "{\"first\":1}");
	assert_int_equal(lines[1][0], 'x');
	assert_string_equal(lines[2], "{\"last\":1}");
	assert_int_equal(n_errors, 1);
	protocol_reader_free(&reader);
	free(text);
}

static void test_protocol_type_names_round_trip(void **state)
{
	(void)state;
	for (int t = PROTOCOL_HELLO; t <= PROTOCOL_ACK; t++)
		assert_int_equal(protocol_type_from_name(protocol_type_name(t)), t);
	assert_int_equal(protocol_type_from_name("HELLO"), PROTOCOL_UNKNOWN);
	assert_null(protocol_type_name(PROTOCOL_UNKNOWN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol_decode_signal_by_name_and_number),
		cmocka_unit_test(test_protocol_decode_stop_with_and_without_grace),
		cmocka_unit_test(test_protocol_decode_ack_and_guest_events),
		cmocka_unit_test(test_protocol_decode_unknown_type_is_not_an_error),
		cmocka_unit_test(test_protocol_decode_refuses_bad_envelopes),
		cmocka_unit_test(test_protocol_decode_refuses_duplicates_bad_utf8_and_nul),
		cmocka_unit_test(test_protocol_decode_refuses_bad_request_fields),
		cmocka_unit_test(test_protocol_decode_refuses_overlong_line),
		cmocka_unit_test(test_protocol_encode_puts_envelope_first_and_ends_in_newline),
		cmocka_unit_test(test_protocol_encode_refuses_envelope_keys_and_overlong),
		cmocka_unit_test(test_protocol_roundtrip),
		cmocka_unit_test(test_protocol_string_replaces_bytes_that_are_not_utf8),
		cmocka_unit_test(test_protocol_reader_joins_partial_lines),
		cmocka_unit_test(test_protocol_reader_drops_overlong_line_and_goes_on),
		cmocka_unit_test(test_protocol_type_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

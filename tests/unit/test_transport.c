// SPDX-License-Identifier: MIT
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tether/transport.h"

/* Parse text and give it back as written, or "error: REASON". */
static const char *roundtrip(const char *text)
{
	static char out[256];
	struct transport t;
	char err[192];

	if (transport_parse(text, &t, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	return transport_format(&t, out, sizeof(out));
}

static void test_transport_parse_accepts_each_kind(void **state)
{
	(void)state;
	assert_string_equal(roundtrip("virtio-serial"), "virtio-serial:org.tether.control");
	assert_string_equal(roundtrip("virtio-serial:my.port"), "virtio-serial:my.port");
	assert_string_equal(roundtrip("vsock:1024"), "vsock:2:1024");
	assert_string_equal(roundtrip("vsock:1:5000"), "vsock:1:5000");
	assert_string_equal(roundtrip("serial"), "serial:ttyS1");
	assert_string_equal(roundtrip("serial:hvc1"), "serial:hvc1");
	assert_string_equal(roundtrip("none"), "none");
}

static void test_transport_parse_refuses_bad_forms(void **state)
{
	(void)state;
	assert_string_equal(roundtrip("tcp:1"),
			    "error: 'tcp:1' is not virtio-serial[:NAME], vsock:[CID:]PORT, "
			    "serial[:DEVICE] or none");
	assert_string_equal(roundtrip("vsock"), "error: 'vsock' is not virtio-serial[:NAME], "
						"vsock:[CID:]PORT, serial[:DEVICE] or none");
	assert_string_equal(roundtrip("none:x"), "error: 'none:x' is not virtio-serial[:NAME], "
						 "vsock:[CID:]PORT, serial[:DEVICE] or none");
	assert_string_equal(roundtrip("vsock:x"),
			    "error: 'vsock:x' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(roundtrip("vsock:0:5"),
			    "error: 'vsock:0:5' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(roundtrip("vsock:2:0"),
			    "error: 'vsock:2:0' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(
		roundtrip("vsock:2:4294967295"),
		"error: 'vsock:2:4294967295' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(roundtrip("vsock:-1:5"),
			    "error: 'vsock:-1:5' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(roundtrip("vsock::5"),
			    "error: 'vsock::5' is not vsock:[CID:]PORT with whole numbers");
	assert_string_equal(roundtrip("serial:../ttyS0"),
			    "error: 'serial:../ttyS0' does not name a device under /dev");
	assert_string_equal(roundtrip("serial:.."),
			    "error: 'serial:..' does not name a device under /dev");
	assert_string_equal(roundtrip("virtio-serial:"),
			    "error: 'virtio-serial:' does not name a port");
	assert_string_equal(roundtrip("virtio-serial:a b"),
			    "error: 'virtio-serial:...' has a space or control character");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_parse_accepts_each_kind),
		cmocka_unit_test(test_transport_parse_refuses_bad_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* The progress of a pull as a person sees it on a terminal and as a program reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../imagec/progress.h"

#define LAYER_A "sha256:aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000"
#define LAYER_B "sha256:bbbbbbbbbbbb1111111111111111111111111111111111111111111111111111"

#define A_EMPTY "aaaaaaaaaaaa [                        ]"
#define A_QUARTER "aaaaaaaaaaaa [======                  ]"
#define B_EMPTY "bbbbbbbbbbbb [                        ]"
#define B_FULL "bbbbbbbbbbbb [========================]"

static char *output;
static size_t output_size;

static FILE *open_output(void)
{
	FILE *out = open_memstream(&output, &output_size);

	assert_non_null(out);
	return out;
}

static void close_output(FILE *out)
{
	assert_int_equal(fclose(out), 0);
}

static void test_progress_json_lines_on_each_change_of_state(void **state)
{
	FILE *out = open_output();
	struct progress *progress = progress_new(PROGRESS_JSON, out);
	int a, b;

	(void)state;
	a = progress_add(progress, LAYER_A, 2048);
	b = progress_add(progress, LAYER_B, 10);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	progress_state(progress, a, "downloading");
	/* Bytes within a second of the last line about a blob wait for the next change. */
	progress_bytes(progress, a, 1024);
	progress_state(progress, a, "done");
	progress_state(progress, b, "present");
	progress_free(progress);
	close_output(out);
	assert_string_equal(
		output,
		"{\"event\":\"blob\",\"digest\":\"" LAYER_A "\",\"size\":2048,\"bytes\":0,"
		"\"status\":\"waiting\"}\n"
		"{\"event\":\"blob\",\"digest\":\"" LAYER_B "\",\"size\":10,\"bytes\":0,"
		"\"status\":\"waiting\"}\n"
		"{\"event\":\"blob\",\"digest\":\"" LAYER_A "\",\"size\":2048,\"bytes\":0,"
		"\"status\":\"downloading\"}\n"
		"{\"event\":\"blob\",\"digest\":\"" LAYER_A "\",\"size\":2048,\"bytes\":2048,"
		"\"status\":\"done\"}\n"
		"{\"event\":\"blob\",\"digest\":\"" LAYER_B "\",\"size\":10,\"bytes\":10,"
		"\"status\":\"present\"}\n");
	free(output);
}

static void test_progress_terminal_redraws_every_bar_in_place(void **state)
{
	FILE *out = open_output();
	struct progress *progress = progress_new(PROGRESS_TERMINAL, out);
	int a, b;

	(void)state;
	a = progress_add(progress, LAYER_A, 4 * 1024 * 1024);
	b = progress_add(progress, LAYER_B, 100);
	progress_state(progress, a, "downloading");
	progress_bytes(progress, a, 1024 * 1024); /* held back: too soon after the last draw */
	progress_state(progress, b, "done");
	progress_free(progress);
	close_output(out);
	/* Up over the lines drawn before, each line cleared and written anew, 12 hex digits. */
	assert_string_equal(output, "\r\033[K" A_EMPTY "       0 B / 4.0 MiB   waiting\n"
				    "\033[1A"
				    "\r\033[K" A_EMPTY "       0 B / 4.0 MiB   waiting\n"
				    "\r\033[K" B_EMPTY "       0 B / 100 B     waiting\n"
				    "\033[2A"
				    "\r\033[K" A_EMPTY "       0 B / 4.0 MiB   downloading\n"
				    "\r\033[K" B_EMPTY "       0 B / 100 B     waiting\n"
				    "\033[2A"
				    "\r\033[K" A_QUARTER "   1.0 MiB / 4.0 MiB   downloading\n"
				    "\r\033[K" B_FULL "     100 B / 100 B     done\n");
	free(output);
}

static void test_progress_none_writes_nothing_and_null_is_harmless(void **state)
{
	FILE *out = open_output();
	struct progress *progress = progress_new(PROGRESS_NONE, out);

	(void)state;
	progress_state(progress, progress_add(progress, LAYER_A, 1), "done");
	progress_free(progress);
	close_output(out);
	assert_int_equal(output_size, 0);
	free(output);

	progress_bytes(NULL, 0, 1);
	progress_state(NULL, 0, "done");
	progress_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_json_lines_on_each_change_of_state),
		cmocka_unit_test(test_progress_terminal_redraws_every_bar_in_place),
		cmocka_unit_test(test_progress_none_writes_nothing_and_null_is_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
#include "progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "digest.h"

/* A terminal is redrawn at most this often while bytes arrive; JSON lines are rarer still. */
#define PROGRESS_REDRAW_NS (100 * 1000 * 1000LL)
#define PROGRESS_JSON_NS (1000 * 1000 * 1000LL)
#define PROGRESS_BAR_WIDTH 24

struct progress_entry {
	char digest[DIGEST_STRING_LEN + 1];
	long long size;
	long long have;
	const char *state;
	long long reported_ns; /* when the last JSON line about it went out */
};

struct progress {
	enum progress_mode mode;
	FILE *out;
	pthread_mutex_t lock;
	struct progress_entry *entries;
	int count;
	int drawn;	    /* lines of the terminal display on screen */
	long long drawn_ns; /* when they were drawn */
	bool held_back;	    /* a change came too soon after drawing and is not shown yet */
};

static long long progress_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000LL + now.tv_nsec;
}

struct progress *progress_new(enum progress_mode mode, FILE *out)
{
	struct progress *progress = calloc(1, sizeof(*progress));

	if (!progress)
		return NULL;
	progress->mode = mode;
	progress->out = out;
	pthread_mutex_init(&progress->lock, NULL);
	return progress;
}

/* "12.3 MiB": sizes in the units a person reads at a glance. */
static void progress_format_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double value = (double)bytes;
	size_t unit = 0;

	while (value >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024;
		unit++;
	}
	if (unit == 0)
		snprintf(buf, size, "%lld B", bytes);
	else
		snprintf(buf, size, "%.1f %s", value, units[unit]);
}

/* One line of the terminal display, cut to the terminal's width so that it never wraps. */
static void progress_draw_entry(const struct progress *progress, const struct progress_entry *entry,
				int columns)
{
	char bar[PROGRESS_BAR_WIDTH + 1], have[32], size[32], line[256];
	int filled = 0;

	if (entry->size > 0)
		filled = (int)(entry->have * PROGRESS_BAR_WIDTH / entry->size);
	if (filled > PROGRESS_BAR_WIDTH || strcmp(entry->state, "present") == 0 ||
	    strcmp(entry->state, "verifying") == 0 || strcmp(entry->state, "done") == 0)
		filled = PROGRESS_BAR_WIDTH;
	memset(bar, '=', (size_t)filled);
	memset(bar + filled, ' ', (size_t)(PROGRESS_BAR_WIDTH - filled));
	bar[PROGRESS_BAR_WIDTH] = '\0';
	progress_format_size(entry->have, have, sizeof(have));
	progress_format_size(entry->size, size, sizeof(size));
	snprintf(line, sizeof(line), "%.12s [%s] %9s / %-9s %s", digest_hex(entry->digest), bar,
		 have, size, entry->state);
	fprintf(progress->out, "\r\033[K%.*s\n", columns > 1 ? columns - 1 : 0, line);
}

/* Which entries a display too short for all shows first: those moving, failed, waiting. */
static int progress_rank(const struct progress_entry *entry)
{
	if (strcmp(entry->state, "downloading") == 0 || strcmp(entry->state, "verifying") == 0)
		return 0;
	if (strcmp(entry->state, "failed") == 0)
		return 1;
	if (strcmp(entry->state, "waiting") == 0)
		return 2;
	return 3;
}

/* "+ 6 more layers: 2 downloading, 4 done": the entries that did not fit, by state. */
static void progress_draw_summary(const struct progress *progress, const bool *shown, int columns)
{
	static const char *const states[] = { "downloading", "verifying", "failed",
					      "waiting",     "present",	  "done" };
	char line[256];
	int hidden = 0, length;

	for (int i = 0; i < progress->count; i++)
		hidden += !shown[i];
	length = snprintf(line, sizeof(line), "+ %d more layer%s:", hidden, hidden == 1 ? "" : "s");
	for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		int count = 0;

		for (int i = 0; i < progress->count; i++)
			count += !shown[i] && strcmp(progress->entries[i].state, states[s]) == 0;
		if (count > 0 && length < (int)sizeof(line))
			length += snprintf(line + length, sizeof(line) - (size_t)length, "%s %d %s",
					   line[length - 1] == ':' ? "" : ",", count, states[s]);
	}
	fprintf(progress->out, "\r\033[K%.*s\n", columns > 1 ? columns - 1 : 0, line);
}

/*
 * Redraw the display in place: up over the lines drawn before, then each line anew. It never
 * takes more lines than the terminal has rows, less one (moving up stops at the top row, and
 * each redraw would scroll the terminal and leave a copy of the bars in its scrollback): with
 * more entries than that, the most telling are shown and a line counts the others.
 */
static void progress_draw(struct progress *progress, bool force)
{
	long long now = progress_now_ns();
	_cleanup_free_ bool *shown = NULL;
	struct winsize window;
	int columns = 80, room = progress->count, lines = 0;

	if (!force && now - progress->drawn_ns < PROGRESS_REDRAW_NS) {
		progress->held_back = true;
		return;
	}
	/* Asked at every redraw: the terminal may have been resized. */
	if (ioctl(fileno(progress->out), TIOCGWINSZ, &window) == 0) {
		if (window.ws_col > 0)
			columns = window.ws_col;
		if (window.ws_row > 0)
			room = window.ws_row > 2 ? window.ws_row - 1 : 1;
	}
	shown = calloc((size_t)progress->count + 1, sizeof(*shown));
	if (!shown)
		return;
	if (progress->drawn > 0)
		fprintf(progress->out, "\033[%dA", progress->drawn);
	if (progress->count <= room) {
		for (int i = 0; i < progress->count; i++)
			shown[i] = true;
	} else {
		for (int rank = 0, left = room - 1; rank < 4; rank++) {
			for (int i = 0; i < progress->count && left > 0; i++) {
				if (progress_rank(&progress->entries[i]) == rank) {
					shown[i] = true;
					left--;
				}
			}
		}
	}
	for (int i = 0; i < progress->count; i++) {
		if (shown[i]) {
			progress_draw_entry(progress, &progress->entries[i], columns);
			lines++;
		}
	}
	if (lines < progress->count) {
		progress_draw_summary(progress, shown, columns);
		lines++;
	}
	/* Fewer lines than before (the terminal got shorter): clear what is left below. */
	if (lines < progress->drawn)
		fprintf(progress->out, "\033[J");
	fflush(progress->out);
	progress->drawn = lines;
	progress->drawn_ns = now;
	progress->held_back = false;
}

static void progress_report_json(struct progress *progress, struct progress_entry *entry,
				 bool force)
{
	long long now = progress_now_ns();

	if (!force && now - entry->reported_ns < PROGRESS_JSON_NS)
		return;
	fprintf(progress->out,
		"{\"event\":\"blob\",\"digest\":\"%s\",\"size\":%lld,\"bytes\":%lld,"
		"\"status\":\"%s\"}\n",
		entry->digest, entry->size, entry->have, entry->state);
	fflush(progress->out);
	entry->reported_ns = now;
}

/* Show entry's change; force for a change of state, which is never held back. */
static void progress_show(struct progress *progress, struct progress_entry *entry, bool force)
{
	if (progress->mode == PROGRESS_TERMINAL)
		progress_draw(progress, force);
	else if (progress->mode == PROGRESS_JSON)
		progress_report_json(progress, entry, force);
}

int progress_add(struct progress *progress, const char *digest, long long size)
{
	struct progress_entry *bigger;
	int entry;

	if (!progress)
		return 0;
	pthread_mutex_lock(&progress->lock);
	bigger = realloc(progress->entries, (size_t)(progress->count + 1) * sizeof(*bigger));
	if (!bigger) {
		pthread_mutex_unlock(&progress->lock);
		return -ENOMEM;
	}
	progress->entries = bigger;
	entry = progress->count++;
	bigger[entry] = (struct progress_entry){ .size = size, .state = "waiting" };
	snprintf(bigger[entry].digest, sizeof(bigger[entry].digest), "%s", digest);
	progress_show(progress, &bigger[entry], true);
	pthread_mutex_unlock(&progress->lock);
	return entry;
}

void progress_bytes(struct progress *progress, int entry, long long have)
{
	if (!progress || entry < 0)
		return;
	pthread_mutex_lock(&progress->lock);
	if (entry < progress->count) {
		progress->entries[entry].have = have;
		progress_show(progress, &progress->entries[entry], false);
	}
	pthread_mutex_unlock(&progress->lock);
}

void progress_state(struct progress *progress, int entry, const char *state)
{
	if (!progress || entry < 0)
		return;
	pthread_mutex_lock(&progress->lock);
	if (entry < progress->count) {
		struct progress_entry *e = &progress->entries[entry];

		e->state = state;
		if (strcmp(state, "present") == 0 || strcmp(state, "done") == 0)
			e->have = e->size;
		progress_show(progress, e, true);
	}
	pthread_mutex_unlock(&progress->lock);
}

void progress_free(struct progress *progress)
{
	if (!progress)
		return;
	if (progress->mode == PROGRESS_TERMINAL && progress->held_back)
		progress_draw(progress, true);
	pthread_mutex_destroy(&progress->lock);
	free(progress->entries);
	free(progress);
}

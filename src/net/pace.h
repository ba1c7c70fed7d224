/* Write pacing: how long a busy socket's broadcasts rest before they are written (the write
 * interval), so that under load several frames share one write. A write costs a TLS record,
 * a send() and the kernel's work for one segment whatever it carries, so when the loop is busy
 * a socket written less than an interval ago waits, and the frames that arrive meanwhile leave
 * together; a quiet loop gets interval 0 and adds no latency at all. net/ws.c applies the
 * decision to sockets; this file only decides, every window (~100 ms), from the loop's load
 * and what resting bought in that window. No sockets, no clock: the unit tests drive it with
 * made-up windows (tests/unit/test_write_interval.c). Service thread only. */
#ifndef MINGSHI_NET_PACE_H
#define MINGSHI_NET_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/metrics.h"

#define PACE_WINDOWS 4 /* the load that moves the interval is the mean of this many windows */

struct pace {
	int64_t interval_ns;	    /* how long broadcasts rest now (0: never) */
	uint32_t rest_frames;	    /* >= 2: a socket writes as its rest_frames-th frame arrives */
	int64_t rest_late_ns;	    /* then: how long past the interval it may wait (one gap) */
	uint32_t settled;	    /* windows since the interval last changed */
	double loads[PACE_WINDOWS]; /* the loads of the last windows at this interval */
};

/* What happened in one window. */
struct pace_window {
	double load;	   /* fraction of the window the loop spent working, not waiting */
	int64_t window_ns; /* its length */
	uint64_t frames;   /* frames written to WebSockets in it */
	uint64_t writes;   /* writes that carried them */
	uint64_t sockets;  /* distinct sockets written */
};

/* The starting state: interval 0, or the fixed one when ws_write_adaptive is off (published
 * in m). */
void pace_init(struct pace *p, const struct config *cfg, struct metrics *m);

/* Decides the interval (and resting by count) after window w, within cfg's
 * ws_write_interval_ms (fixed at that, never resting by count, when ws_write_adaptive is off),
 * and publishes the load and the interval in m. */
void pace_adapt(struct pace *p, const struct pace_window *w, const struct config *cfg,
		struct metrics *m);

#endif

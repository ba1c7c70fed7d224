/* Write pacing; see pace.h.
 *
 * The rule:
 *  - The loop's load is kept between WS_LOAD_LOW and WS_LOAD_HIGH of its time: above, the
 *    interval doubles (from WS_INTERVAL_MIN_NS up to ws_write_interval_ms), below it halves (to
 *    0 under the minimum). Writes are most of a busy loop's work, so resting lowers the load;
 *    the band between the bounds keeps it from swinging.
 *  - Doubling needs resting to pay: a write carries WS_REST_PAYS frames or more over the
 *    window, or would at the longest interval (a room's messages further apart than the
 *    current interval batch nothing yet, but would at a longer one). When even the longest
 *    interval would not pay, resting only delays, and the interval halves.
 *  - The load that moves the interval is the mean of the last PACE_WINDOWS windows at the
 *    current interval; the first window after a change counts for nothing, since the change
 *    itself swings it (halving makes every resting socket due at once, doubling idles the ones
 *    just written). Under WS_INTERVAL_LONG_NS one window over WS_LOAD_URGENT also doubles at
 *    once: a real overload is met at once. A busy window whose longer interval would pay holds
 *    the interval rather than halving it for not paying yet.
 *  - From WS_INTERVAL_LONG_NS on, a doubling doubles the wait people see, so for sockets that
 *    get fewer than WS_FLOOD_FRAMES frames per 32 ms the interval grows only on a mean over
 *    WS_LOAD_HIGH_LONG (a loop near saturation) and, beyond it, halves on a mean under
 *    WS_LOAD_LOW_LONG. A room flooding its sockets faster keeps the usual bounds: there the
 *    writes saved are what keeps the loop from saturating.
 *  - Where each written socket gets n >= 2 frames per interval (rounded), sockets rest *by
 *    count*: a socket writes as its n-th frame arrives rather than when the interval ends (the
 *    same frames per write, but the first waits n - 1 gaps instead of up to n), and waits at
 *    most the interval plus one gap (rest_late_ns) when its frames come unsteadily.
 * The commits that set the bounds hold the measurements behind them. */
#include "net/pace.h"

#define WS_LOAD_HIGH 0.45
#define WS_LOAD_LOW 0.25
#define WS_LOAD_URGENT 0.65
#define WS_INTERVAL_LONG_NS 32000000
#define WS_LOAD_HIGH_LONG 0.6
#define WS_LOAD_LOW_LONG 0.35
#define WS_FLOOD_FRAMES 6.0
#define WS_INTERVAL_MIN_NS 2000000
#define WS_REST_PAYS 1.5

/* A socket's frames per interval of `interval` ns at the window's rate per socket written;
 * 0 for a window without writes. */
static double frames_per(const struct pace_window *w, int64_t interval)
{
	if (w->frames == 0 || w->sockets == 0)
		return 0;
	return (double)w->frames * (double)interval / ((double)w->sockets * (double)w->window_ns);
}

/* How many of a socket's frames arrive in one interval: rounded, the frames per write when
 * resting by count; under WS_REST_PAYS, resting goes by time alone. max: the longest
 * interval in ns. */
static void rest_by_count(struct pace *p, const struct pace_window *w, int64_t max)
{
	double per_interval = frames_per(w, p->interval_ns);
	int64_t gap;

	p->rest_frames = per_interval >= WS_REST_PAYS ? (uint32_t)(per_interval + 0.5) : 0;
	gap = p->rest_frames ? (int64_t)((double)p->interval_ns / per_interval) : 0;
	p->rest_late_ns = gap < max - p->interval_ns ? gap : max - p->interval_ns;
}

/* The mean load of the last PACE_WINDOWS windows at the current interval, this one included
 * and the change's own not counted; -1 until there are that many. */
static double steady_load(struct pace *p, double load)
{
	uint32_t n = p->settled; /* windows at this interval before this one */
	double sum = 0;

	if (n == 0)
		return -1;
	p->loads[(n - 1) % PACE_WINDOWS] = load;
	if (n < PACE_WINDOWS)
		return -1;
	for (int i = 0; i < PACE_WINDOWS; i++)
		sum += p->loads[i];
	return sum / PACE_WINDOWS;
}

/* The interval below w: half of it, 0 under the minimum, and from the cap the step the
 * doublings took before it (64 ms under a 100 ms cap, not 50: the steps stay 2 ms × 2^k). */
static int64_t shorter(int64_t w, int64_t max)
{
	int64_t step = WS_INTERVAL_MIN_NS;

	if (w < 2 * WS_INTERVAL_MIN_NS)
		return 0;
	if (w < max)
		return w / 2;
	while (step * 2 < max)
		step *= 2;
	return step;
}

/* The interval the window asks for, from the current one (cur) and the cap (max). */
static int64_t next_interval(struct pace *p, const struct pace_window *win, int64_t cur,
			     int64_t max)
{
	bool pays = win->writes == 0 || (double)win->frames >= WS_REST_PAYS * (double)win->writes;
	bool could_pay = win->writes == 0 || frames_per(win, max) >= WS_REST_PAYS;
	double steady = steady_load(p, win->load);
	bool flood = frames_per(win, WS_INTERVAL_LONG_NS) >= WS_FLOOD_FRAMES;
	bool past = cur >= WS_INTERVAL_LONG_NS;
	bool busy = win->load > WS_LOAD_HIGH, grow = cur == 0 || pays || could_pay;
	bool high = past ? steady > (flood ? WS_LOAD_HIGH : WS_LOAD_HIGH_LONG)
			 : win->load > WS_LOAD_URGENT || steady > WS_LOAD_HIGH;
	bool low = steady >= 0 &&
		   steady < (cur > WS_INTERVAL_LONG_NS && !flood ? WS_LOAD_LOW_LONG : WS_LOAD_LOW);

	if (p->settled == 0)
		return cur; /* the change's own window */
	if (high && grow)
		return cur < WS_INTERVAL_MIN_NS ? WS_INTERVAL_MIN_NS : cur * 2;
	if (low || (!pays && !(busy && grow)))
		return shorter(cur, max);
	return cur;
}

void pace_init(struct pace *p, const struct config *cfg, struct metrics *m)
{
	*p = (struct pace){ 0 };
	if (!cfg->ws_write_adaptive)
		p->interval_ns = (int64_t)cfg->ws_write_interval_ms * 1000000;
	m->ws_write_interval_ns = p->interval_ns;
}

void pace_adapt(struct pace *p, const struct pace_window *w, const struct config *cfg,
		struct metrics *m)
{
	int64_t max = (int64_t)cfg->ws_write_interval_ms * 1000000;
	int64_t next = cfg->ws_write_adaptive ? next_interval(p, w, p->interval_ns, max) : max;

	next = next > max ? max : next;
	p->settled = next == p->interval_ns ? p->settled + 1 : 0;
	p->interval_ns = next;
	if (cfg->ws_write_adaptive) /* a fixed interval is always the whole interval */
		rest_by_count(p, w, max);
	m->loop_load = w->load;
	m->ws_write_interval_ns = p->interval_ns;
}

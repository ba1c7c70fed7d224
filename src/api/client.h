/* One WebSocket connection as api/ sees it (DESIGN §7): who is connected, and the two things a
 * handler may do to the connection. This is the seam frames pass through, as api/req.h is for
 * HTTP requests: net/ owns the socket and embeds a struct client in it; it binds the signed-in
 * user at the handshake (api_client_bind), registers the client once the connection is up
 * (api_client_open), hands over every complete text message (api_client_message), and ends it
 * (api_client_closed). api/ answers through client->ops, which net/ lends — queue a frame,
 * close the connection — so handlers never see lws, and a unit test can stand in for net/.
 *
 * Messages are routed by `type` through the tables that api files declare with API_FRAMES()
 * beside their handlers (mk/tables.sh collects them); a type no table names is refused with an
 * `error` frame. Service thread only. */
#ifndef MINGSHI_API_CLIENT_H
#define MINGSHI_API_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/app.h"
#include "core/err.h"
#include "core/frame.h"
#include "domain/user.h"

/* WebSocket close codes (RFC 6455 §7.4.1) that api/ asks for. */
#define CLOSE_GOING_AWAY 1001
#define CLOSE_POLICY 1008 /* the session ended, or the account was disabled */
#define CLOSE_TRY_AGAIN_LATER 1013

struct client;
struct sub;

/* What net/ lends each client. */
struct client_ops {
	/* Queues f, taking a new reference. A reply (urgent: an ack, an error, a join answer)
	 * goes out at the next pass of the loop; a room's broadcast may wait for the socket's
	 * write interval, so that under load several share one write. */
	void (*send)(struct client *c, struct frame *f, bool urgent);
	/* Closes the connection with code and reason once the frame being written is out. */
	void (*close)(struct client *c, int code, const char *reason);
};

/* Who a connection belongs to: what rooms show and check. The whole struct user (2 KiB, with
 * the password hash) is read where access is decided, not kept per socket. */
struct client_user {
	int64_t id;
	enum role role;
	char name[NAME_MAX_CHARS * 4 + 1];
};

/* What a writer job keeps of a client: the client while it is open, NULL after. */
struct client_ref {
	struct client *c;
	int refs;
};

struct client {
	struct app *app;
	const struct client_ops *ops;
	struct client_user user;
	int64_t session_id;
	struct client_ref *ref;	    /* NULL until api_client_open() */
	struct client *prev, *next; /* every open client (api/hub.c) */
	struct sub *subs;	    /* rooms joined (api/hub.c) */
	size_t nsubs;
};

/* A frame type and its handler: msg is the whole message, a JSON object whose "type" is the
 * type (borrowed for the call). */
struct frame_route {
	const char *type;
	void (*handler)(struct client *c, json_t *msg);
};

/* Declares an api file's frame table, ended by FRAMES_END; mk/tables.sh finds the line. */
#define API_FRAMES(name) const struct frame_route api_frames_##name[]
#define FRAMES_END         \
	{                  \
		NULL, NULL \
	}

/* ---- net/ → api/ ------------------------------------------------------------------------ */

/* Fills c (zeroed first) with the user and session the session cookie's token names, for a
 * handshake that passed its checks. ERR_UNAUTHENTICATED when no live session has it. */
enum err api_client_bind(struct client *c, struct app *a, const char *token);

/* The connection is up: ops are how to reach it. ERR_NOMEM when c cannot be registered (the
 * connection should be dropped). */
enum err api_client_open(struct client *c, const struct client_ops *ops);

/* One complete message of len bytes (binary: a binary frame, which is refused). */
void api_client_message(struct client *c, const char *text, size_t len, bool binary);

/* The connection is gone: c leaves its rooms, and jobs still in flight find it gone. */
void api_client_closed(struct client *c);

/* ---- for handlers ----------------------------------------------------------------------- */

/* v serialised and queued on c as a reply. */
void client_send_json(struct client *c, const json_t *v);

/* The n bytes of JSON text at text, queued on c as a reply. */
void client_send_text(struct client *c, const char *text, size_t n);

/* An `error` frame with the code of e (err_ws_code), echoing client_id and room when not
 * NULL. */
void client_send_error(struct client *c, const struct error *e, const char *client_id,
		       const char *room);

/* Closes c with code and reason. */
void client_close(struct client *c, int code, const char *reason);

/* A new reference to c's ref / dropping one (NULL is ignored). */
struct client_ref *client_ref_take(struct client *c);
void client_ref_drop(struct client_ref *r);

#endif

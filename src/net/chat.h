/* The discussion messages of the mingshi.v1 protocol (DESIGN §7): join, leave, send, upvote,
 * moderate, typing. Each handler validates its frame, re-checks room access against the
 * database (not only at join), and for writes queues a writer job: the sender's ack and the
 * fan-out happen only after COMMIT. */
#ifndef MINGSHI_NET_CHAT_H
#define MINGSHI_NET_CHAT_H

#include <jansson.h>

struct ws_conn;
struct server;

void chat_join(struct ws_conn *c, json_t *msg);
void chat_leave(struct ws_conn *c, json_t *msg);
void chat_send(struct ws_conn *c, json_t *msg);
void chat_upvote(struct ws_conn *c, json_t *msg);
void chat_moderate(struct ws_conn *c, json_t *msg);
void chat_typing(struct ws_conn *c, json_t *msg);

/* How many freed chat jobs the server keeps for reuse (struct server chat_jobs). */
#define CHAT_JOBS_KEPT 256

#endif

/* What the load generator puts on the wire and reads back, for each protocol it speaks:
 *  - the payload: "t<send time, ns, hex> p<publisher> s<sequence> " padded with 'x' to the
 *    message size, so any receiver can compute latency and check order without state shared
 *    with the sender;
 *  - mingshi.v1 JSON frames (also spoken by the Node peer): join, send, and the server's
 *    joined / message / ack / error frames, classified without a full JSON parse (the server's
 *    frames have a fixed field order and the generator must stay far cheaper than any server);
 *  - MQTT 3.1.1 packets for mosquitto: CONNECT, SUBSCRIBE, PUBLISH (QoS 0) and a stream parser.
 * Pure functions over caller buffers; unit-tested in tests/bench/test_gen.c. */
#ifndef MSGEN_PROTO_H
#define MSGEN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PAYLOAD_MIN 40 /* "t" + 16 hex + " p" + 10 + " s" + ... fits */

struct payload {
	uint64_t t_ns;
	uint32_t pub;
	uint64_t seq;
};

/* Writes exactly size (>= PAYLOAD_MIN) bytes of payload into buf (no NUL). Returns size, or 0
 * if size is too small for the fields. */
size_t payload_make(char *buf, size_t size, const struct payload *p);

/* Parses a payload at s (len bytes, not NUL-terminated). Returns 0 or -1 if malformed. */
int payload_parse(const char *s, size_t len, struct payload *out);

/* ---- mingshi.v1 ---------------------------------------------------------------------------- */

enum mframe { MF_OTHER, MF_MESSAGE, MF_ACK, MF_JOINED, MF_ERROR, MF_PONG };

/* The join frame for room with since (the generator joins at the newest id so that no history
 * is replayed). Returns its length, 0 if cap is too small. */
size_t mingshi_join(char *out, size_t cap, const char *room, uint64_t since);

/* The send frame of message seq from connection conn of run (client_id
 * "r<run, hex>g<conn>-<seq>": mingshi stores a (user, client_id) once, so ids must not repeat
 * across runs that share accounts). */
size_t mingshi_send(char *out, size_t cap, const char *room, uint32_t run, uint32_t conn,
		    uint64_t seq, const char *text, size_t text_len);

/* Classifies a server frame. For MF_MESSAGE fills *p from the message text; for MF_ACK fills
 * *conn and *seq from the client_id (of any run). Returns MF_OTHER for anything it does not know, and for
 * a message whose text is not a generator payload. */
enum mframe mingshi_classify(const char *f, size_t len, struct payload *p, uint32_t *conn,
			     uint64_t *seq);

/* ---- MQTT 3.1.1 ---------------------------------------------------------------------------- */

enum { MQTT_CONNECT = 1, MQTT_CONNACK = 2, MQTT_PUBLISH = 3, MQTT_SUBSCRIBE = 8, MQTT_SUBACK = 9 };

struct mqtt_packet {
	unsigned type; /* MQTT_* */
	unsigned flags;
	const uint8_t *body; /* variable header + payload, borrowed from the parsed buffer */
	size_t body_len;
	/* PUBLISH only */
	const uint8_t *topic, *payload;
	size_t topic_len, payload_len;
};

/* CONNECT with a clean session, no keep-alive, client_id. Returns its length or 0. */
size_t mqtt_connect(uint8_t *out, size_t cap, const char *client_id);

/* SUBSCRIBE to topic at QoS 0 with packet id. */
size_t mqtt_subscribe(uint8_t *out, size_t cap, uint16_t id, const char *topic);

/* PUBLISH at QoS 0. */
size_t mqtt_publish(uint8_t *out, size_t cap, const char *topic, const void *payload, size_t len);

/* Parses one packet from the start of buf. Returns the bytes it used, 0 if buf holds only part
 * of a packet (read more), -1 if malformed. */
long mqtt_parse(const uint8_t *buf, size_t len, struct mqtt_packet *out);

#endif

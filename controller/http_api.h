/*
 * The HTTP endpoint's read-only JSON views, built from the controller's
 * memory (http_api.c), and the JSON writer they share with http.c.
 *
 * Each view appends one JSON document to out and returns an HTTP status
 * (200, or 400/404 with {"error": "..."} in out).  query is the request's
 * parsed query string (evhttp_parse_query_str); unknown parameters are
 * ignored.
 */
#ifndef CONTROLLER_HTTP_API_H
#define CONTROLLER_HTTP_API_H

#include <stdint.h>

struct ctl;
struct evbuffer;
struct evkeyvalq;

/* Halls, pods and racks with a summary state per rack (the rack map). */
int http_api_racks(struct ctl *ctl, const struct evkeyvalq *query,
		   struct evbuffer *out);
/* Nodes (?rack=NAME, ?node=HOSTLIST, ?job=ID, or all in pages of
 * ?limit= (default 1000, at most 5000) from ?offset=) with their GPUs. */
int http_api_nodes(struct ctl *ctl, const struct evkeyvalq *query,
		   struct evbuffer *out);
/* Jobs in memory, newest first (?id=ID[,ID...], ?user=, ?state=a,b or
 * active, ?q=name-substring, ?limit=). */
int http_api_jobs(struct ctl *ctl, const struct evkeyvalq *query,
		  struct evbuffer *out);

/* {"error": msg} */
int http_api_error(struct evbuffer *out, int code, const char *msg);

/* JSON string (quoted).  Bytes outside printable ASCII are \u00XX, so
 * the document stays valid whatever an agent put in a reason. */
void json_str(struct evbuffer *out, const char *s);
/* "key": (with a leading comma unless first) */
void json_key(struct evbuffer *out, const char *key, int first);

#endif

/*
 * struct err: a fixed buffer carrying one human-readable error message up
 * from the layer that found the problem to the layer that reports it.
 * Lower layers fill it and return -1; only the handler logs or replies.
 */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#include "common/util.h"

struct err {
	char msg[512];
};

/* Format the message into e (e may be NULL).  Always returns -1. */
int err_set(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Prefix an existing message: "prefix: old message".  Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Clear the message. */
void err_clear(struct err *e);

#endif

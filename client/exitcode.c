/*
 * Mapping from protocol statuses to exit codes (see exitcode.h).
 */
#include "config.h"

#include "client/exitcode.h"
#include "common/util.h"
#include "proto/rpc.h"

int exitcode_from_status(int status)
{
	switch (status) {
	case COLOSSUS__STATUS__STATUS_OK:
		return EXITCODE_OK;
	case COLOSSUS__STATUS__STATUS_INVALID:
		return EXITCODE_INVALID;
	case COLOSSUS__STATUS__STATUS_NOT_FOUND:
		return EXITCODE_NOT_FOUND;
	case COLOSSUS__STATUS__STATUS_PERMISSION:
		return EXITCODE_PERMISSION;
	case COLOSSUS__STATUS__STATUS_CONFLICT:
		return EXITCODE_CONFLICT;
	/* Transient: the same command may work in a moment. */
	case COLOSSUS__STATUS__STATUS_UNAVAILABLE:
	case COLOSSUS__STATUS__STATUS_BUSY:
	case COLOSSUS__STATUS__STATUS_NOT_ACTIVE:
		return EXITCODE_UNAVAILABLE;
	/* Version skew and bugs: retrying will not help. */
	case COLOSSUS__STATUS__STATUS_UNSUPPORTED:
	case COLOSSUS__STATUS__STATUS_VERSION:
	case COLOSSUS__STATUS__STATUS_INTERNAL:
	default:
		return EXITCODE_ERROR;
	}
}

static const char *const exitcode_text[] = {
	[EXITCODE_OK] = "success",
	[EXITCODE_ERROR] = "error (controller-side failure or other error)",
	[EXITCODE_USAGE] = "usage or configuration error",
	[EXITCODE_NOT_FOUND] = "not found (no such job or node)",
	[EXITCODE_PERMISSION] = "permission denied",
	[EXITCODE_UNAVAILABLE] = "controller unreachable, unavailable or busy",
	[EXITCODE_INVALID] = "invalid request (rejected by the controller)",
	[EXITCODE_CONFLICT] = "conflict (the job's state does not allow it)",
};

const char *exitcode_describe(int code)
{
	if (code >= 0 && (size_t)code < ARRAY_SIZE(exitcode_text))
		return exitcode_text[code];
	return "unknown";
}

int exitcode_combine(int acc, int code)
{
	if (code == EXITCODE_OK)
		return acc;
	if (acc == EXITCODE_OK || acc == code)
		return code;
	return EXITCODE_ERROR;
}

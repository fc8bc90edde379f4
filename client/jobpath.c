/*
 * Output path patterns (see jobpath.h).  Must agree with
 * nodeagent/shepherd.c shepherd_expand_path().
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/jobpath.h"

int jobpath_expand(const char *pattern, const char *workdir, uint64_t job,
		   unsigned rank, unsigned epoch, const char *node, char *out,
		   size_t len)
{
	const char *pat =
		pattern && *pattern ? pattern : JOBPATH_DEFAULT_STDOUT;
	size_t o = 0;

	if (len == 0)
		return -1;
	if (pat[0] != '/' && workdir && *workdir) {
		int n = snprintf(out, len, "%s%s", workdir,
				 workdir[strlen(workdir) - 1] == '/' ? ""
								     : "/");

		if (n < 0 || (size_t)n >= len)
			return -1;
		o = (size_t)n;
	}
	for (const char *p = pat; *p; p++) {
		char tmp[32];
		const char *add = tmp;
		size_t alen;

		if (*p != '%') {
			tmp[0] = *p;
			tmp[1] = '\0';
		} else {
			switch (*++p) {
			case 'j':
				snprintf(tmp, sizeof(tmp), "%" PRIu64, job);
				break;
			case 'r':
				snprintf(tmp, sizeof(tmp), "%u", rank);
				break;
			case 'e':
				snprintf(tmp, sizeof(tmp), "%u", epoch);
				break;
			case 'n':
				add = node ? node : "";
				break;
			case '%':
				add = "%";
				break;
			default:
				return -1;
			}
		}
		alen = strlen(add);
		if (o + alen >= len)
			return -1;
		memcpy(out + o, add, alen);
		o += alen;
	}
	out[o] = '\0';
	return 0;
}

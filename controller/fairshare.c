/*
 * Fair-share accounting.  See fairshare.h.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/xalloc.h"
#include "controller/fairshare.h"

struct fs_account {
	char name[64];
	double usage;
};

struct fairshare {
	struct smap *by_name;
	struct fs_account **v;
	size_t n, cap;
	double total;
	double halflife;
	double last_decay;
};

struct fairshare *fairshare_create(double halflife_sec)
{
	struct fairshare *f = xcalloc(1, sizeof(*f));

	f->by_name = smap_create();
	f->halflife = halflife_sec > 0 ? halflife_sec : 7 * 86400.0;
	return f;
}

void fairshare_destroy(struct fairshare *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	smap_destroy(f->by_name);
	free(f);
}

void fairshare_set_halflife(struct fairshare *f, double halflife_sec)
{
	if (halflife_sec > 0)
		f->halflife = halflife_sec;
}

static struct fs_account *fairshare_get(struct fairshare *f,
					const char *account)
{
	struct fs_account *a = smap_get(f->by_name, account);

	if (a)
		return a;
	a = xcalloc(1, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", account);
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	f->v[f->n++] = a;
	smap_put(f->by_name, a->name, a);
	return a;
}

void fairshare_charge(struct fairshare *f, const char *account,
		      double gpu_seconds)
{
	struct fs_account *a = fairshare_get(f, account);

	a->usage += gpu_seconds;
	f->total += gpu_seconds;
}

void fairshare_set(struct fairshare *f, const char *account, double usage)
{
	struct fs_account *a = fairshare_get(f, account);

	f->total += usage - a->usage;
	a->usage = usage;
}

void fairshare_decay(struct fairshare *f, double now)
{
	double k;

	if (f->last_decay == 0) {
		f->last_decay = now;
		return;
	}
	if (now <= f->last_decay)
		return;
	k = pow(0.5, (now - f->last_decay) / f->halflife);
	f->last_decay = now;
	f->total = 0;
	for (size_t i = 0; i < f->n; i++) {
		f->v[i]->usage *= k;
		f->total += f->v[i]->usage;
	}
}

double fairshare_usage(const struct fairshare *f, const char *account)
{
	const struct fs_account *a = smap_get(f->by_name, account);

	return a ? a->usage : 0;
}

double fairshare_factor(const struct fairshare *f, const char *account)
{
	const struct fs_account *a = smap_get(f->by_name, account);
	double share, used;
	size_t accounts = f->n ? f->n : 1;

	if (!a || f->total <= 0)
		return 1.0;
	/* Equal shares: each account is entitled to 1/accounts of the use. */
	share = 1.0 / (double)accounts;
	used = a->usage / f->total;
	return pow(2.0, -used / share);
}

int fairshare_next(const struct fairshare *f, size_t *pos, const char **account,
		   double *usage)
{
	if (*pos >= f->n)
		return 0;
	*account = f->v[*pos]->name;
	*usage = f->v[*pos]->usage;
	(*pos)++;
	return 1;
}

/*
 * Fair share: each account's recent GPU usage, decayed with a half-life,
 * turned into a priority factor that favours accounts that used little.
 * Usage lives in memory and is saved to PostgreSQL (account_usage)
 * periodically; losing a minute of it on a crash is harmless.
 */
#ifndef CONTROLLER_FAIRSHARE_H
#define CONTROLLER_FAIRSHARE_H

#include <stdint.h>

struct fairshare;

struct fairshare *fairshare_create(double halflife_sec);
void fairshare_destroy(struct fairshare *f);
void fairshare_set_halflife(struct fairshare *f, double halflife_sec);
/* Add gpu_seconds of use to account. */
void fairshare_charge(struct fairshare *f, const char *account,
		      double gpu_seconds);
/* Decay every account's usage to time now (monotonic seconds). */
void fairshare_decay(struct fairshare *f, double now);
/* Set an account's usage (loading). */
void fairshare_set(struct fairshare *f, const char *account, double usage);
double fairshare_usage(const struct fairshare *f, const char *account);
/*
 * The factor in [0, 1]: 2^(-usage share / fair share), with every
 * account entitled to an equal share.  1 for an account with no usage.
 */
double fairshare_factor(const struct fairshare *f, const char *account);
/* Iterate accounts (pos starts at 0); 1 while entries remain. */
int fairshare_next(const struct fairshare *f, size_t *pos, const char **account,
		   double *usage);

#endif

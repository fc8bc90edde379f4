/*
 * The colossus subcommands.  Each returns an exit code (exitcode.h);
 * argv holds the words after the command's name.  main.c's command table
 * refers to these functions and to their option and column tables, from
 * which `colossus CMD --help` is generated.
 */
#ifndef CLIENT_CMD_H
#define CLIENT_CMD_H

#include "client/cli.h"
#include "client/format.h"
#include "client/opts.h"

/* cmd_submit.c (options: submitopts_defs) */
int cmd_submit(struct cli *cli, int argc, char **argv);

/* cmd_job.c */
int cmd_cancel(struct cli *cli, int argc, char **argv);
int cmd_jobs(struct cli *cli, int argc, char **argv);
int cmd_job_show(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_cancel_defs[];
extern const struct opts_def cmd_jobs_defs[];
extern const struct format_col cmd_jobs_cols[];
extern const char cmd_jobs_default_cols[];

/* cmd_node.c */
int cmd_nodes(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_nodes_defs[];
extern const struct format_col cmd_nodes_cols[];
extern const char cmd_nodes_default_cols[];

/* cmd_admin.c */
int cmd_whoami(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_topology_apply(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_topology_defs[];

/* cmd_sched.c: holds, why, priority override, QOS, reservations. */
int cmd_hold(struct cli *cli, int argc, char **argv);
int cmd_release(struct cli *cli, int argc, char **argv);
int cmd_job_why(struct cli *cli, int argc, char **argv);
int cmd_job_priority(struct cli *cli, int argc, char **argv);
int cmd_qos_list(struct cli *cli, int argc, char **argv);
int cmd_qos_set(struct cli *cli, int argc, char **argv);
int cmd_qos_remove(struct cli *cli, int argc, char **argv);
int cmd_resv_create(struct cli *cli, int argc, char **argv);
int cmd_resv_list(struct cli *cli, int argc, char **argv);
int cmd_resv_delete(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_qos_set_defs[];
extern const struct opts_def cmd_resv_create_defs[];

/* cmd_racks.c */
int cmd_racks(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_racks_defs[];
extern const struct format_col cmd_racks_cols[];
extern const char cmd_racks_default_cols[];

/* cmd_power.c: draw, limits and ramp; limits for admins. */
int cmd_power(struct cli *cli, int argc, char **argv);
int cmd_power_limit(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_power_defs[];

/* cmd_acct.c: history and report. */
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_history_defs[];
extern const struct format_col cmd_history_cols[];
extern const char cmd_history_default_cols[];
extern const struct opts_def cmd_report_defs[];

/* cmd_drain.c: drain, resume, the breaker, rack readings (admins). */
int cmd_drain(struct cli *cli, int argc, char **argv);
int cmd_resume(struct cli *cli, int argc, char **argv);
int cmd_breaker_reset(struct cli *cli, int argc, char **argv);
int cmd_rack_readings(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_drain_defs[];
extern const struct opts_def cmd_resume_defs[];
extern const struct opts_def cmd_rack_readings_defs[];

/* cmd_events.c: the event log. */
int cmd_events(struct cli *cli, int argc, char **argv);
extern const struct opts_def cmd_events_defs[];
extern const struct format_col cmd_events_cols[];
extern const char cmd_events_default_cols[];
struct json;
/* One event as a JSON object (stable field names, docs/cli.md). */
void cmd_events_json_event(struct json *j, const Colossus__Event *ev);
/* A table of events in time order; evs is oldest first if oldest_first. */
void cmd_events_table(struct cli *cli, const struct format_sel *sel,
		      Colossus__Event *const *evs, size_t n, bool oldest_first,
		      bool header);

/* cmd_health.c: health of a node or rack; node why. */
int cmd_health(struct cli *cli, int argc, char **argv);
int cmd_node_why(struct cli *cli, int argc, char **argv);

/* Job ids from "12" and "12,13" words, appended to *ids.  Exit code. */
int cmd_parse_job_ids(struct cli *cli, char **words, size_t nwords,
		      uint64_t **ids, size_t *n);

/* cmd_jobfmt.c: how jobs look in tables and JSON. */
struct json;
struct output_table;
void cmd_jobfmt_json(struct json *j, const Colossus__JobInfo *ji, bool full);
void cmd_jobfmt_json_attempt(struct json *j, const Colossus__Attempt *a);
/* Fill one row of a jobs table with the selected columns. */
void cmd_jobfmt_row(struct output_table *t, const struct format_sel *sel,
		    const Colossus__JobInfo *ji, int64_t now);
enum output_color cmd_jobfmt_state_color(int state);
bool cmd_jobfmt_waiting(int state);
/* Seconds of the current or last run; 0 if it never started. */
int64_t cmd_jobfmt_elapsed(const Colossus__JobInfo *ji, int64_t now);

/* cmd_jobshow.c: the `job show` report. */
void cmd_jobfmt_show(const Colossus__JobInfo *ji, bool color, int64_t now);
/* "0-3,6" for a list of GPU indexes. */
void cmd_jobfmt_gpus(char *buf, size_t len, const uint32_t *g, size_t n);

#endif

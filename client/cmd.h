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

/* cmd_jobfmt.c: how jobs look in tables, JSON and `job show`. */
struct json;
struct output_table;
void cmd_jobfmt_json(struct json *j, const Colossus__JobInfo *ji, bool full);
/* Fill one row of a jobs table with the selected columns. */
void cmd_jobfmt_row(struct output_table *t, const struct format_sel *sel,
		    const Colossus__JobInfo *ji, int64_t now);
void cmd_jobfmt_show(const Colossus__JobInfo *ji, bool color, int64_t now);

#endif

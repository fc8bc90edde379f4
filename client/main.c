/*
 * colossus: the command-line client.  This file holds the command table
 * (name, alias, handler, help), global option parsing, help output and
 * dispatch; each command lives in a cmd_*.c file.
 *
 * Global options may come before or after the command: the command's own
 * parser accepts them too.  -h/--help anywhere before "--" prints the
 * command's help, so a half-typed command line still gets help.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/cmd.h"
#include "client/exitcode.h"
#include "client/format.h"
#include "client/submitopts.h"

struct cmd_entry {
	const char *name;  /* "submit" or "job show" */
	const char *alias; /* a second name, or NULL */
	cli_cmd_fn fn;
	const char *summary;
	const char *usage; /* one or more "colossus ..." lines */
	const char *description;
	const char *examples;
	const struct opts_def *opts;
	const struct format_col *cols;
	const char *default_cols;
};

static const struct cmd_entry main_cmds[] = {
	{ "submit", NULL, cmd_submit,
	  "submit a job: a command or a batch script",
	  "colossus submit [OPTIONS] -- COMMAND [ARGS...]\n"
	  "colossus submit [OPTIONS] SCRIPT",
	  "Submit a gang job: every rank starts together or none does.\n"
	  "The command runs once per rank in the working directory\n"
	  "(default: the current one) with RANK, WORLD_SIZE,\n"
	  "LOCAL_RANK, MASTER_ADDR, MASTER_PORT, COLOSSUS_JOB_ID and\n"
	  "COLOSSUS_EPOCH set. The job does not inherit this shell's\n"
	  "environment: pass variables with --export.\n"
	  "\n"
	  "A SCRIPT must start with a #! line. Its leading #COLOSSUS\n"
	  "lines carry the same options as the command line, which\n"
	  "wins. Directives end at the first line that is neither blank\n"
	  "nor a comment. SCRIPT '-' reads the script from standard\n"
	  "input.\n"
	  "\n"
	  "Prints \"Submitted job ID\"; only the id with --quiet (for\n"
	  "scripts); {\"job_id\": ID, ...} with --json. -q is --qos, as\n"
	  "in sbatch. An unavailable controller is retried for up to 30\n"
	  "s with the same submit key, so a retry never makes two jobs.",
	  "  colossus submit -N 4 -J pretrain -t 2-00:00:00 -- python "
	  "train.py\n"
	  "  colossus submit -G 4 --rank-per-gpu --gpu-model H200 -- "
	  "./bench\n"
	  "  colossus submit --within pod@30m -N 64 --export "
	  "WANDB_MODE=offline job.sh\n"
	  "  id=$(colossus submit --quiet --hold -- /bin/true)\n"
	  "\n"
	  "  job.sh:\n"
	  "    #!/bin/bash\n"
	  "    #COLOSSUS -N 8 --gpus-per-node 8\n"
	  "    #COLOSSUS --name \"llama 70b\" -t 48h -o logs/%j-%r.out\n"
	  "    exec python train.py",
	  submitopts_defs, NULL, NULL },
	{ "cancel", NULL, cmd_cancel, "cancel jobs, or send them a signal",
	  "colossus cancel [OPTIONS] ID...\n"
	  "colossus cancel [OPTIONS] --me|--user U|--name N|--state S",
	  "Cancel jobs by id, or every job that matches the filters\n"
	  "(they combine with AND). Users may cancel only their own\n"
	  "jobs. With --signal the jobs are not cancelled: their ranks\n"
	  "get the signal. One line per job. The exit code is not 0\n"
	  "when a job failed: it is that failure's code when all failed\n"
	  "alike, else 1.",
	  "  colossus cancel 4711 4712\n"
	  "  colossus cancel --me --state pending\n"
	  "  colossus cancel --signal USR1 4711",
	  cmd_cancel_defs, NULL, NULL },
	{ "jobs", "queue", cmd_jobs, "list jobs", "colossus jobs [OPTIONS]",
	  "List active jobs (pending, held, starting, running,\n"
	  "completing), or those in the states given with --state;\n"
	  "--all adds recently finished jobs. Waiting jobs show (the\n"
	  "reason) in the NODELIST(REASON) column.",
	  "  colossus jobs --me\n"
	  "  colossus queue --state pending -o id,name,reason\n"
	  "  colossus jobs --all --json | jq '.jobs[] | select(.state == "
	  "\"failed\")'",
	  cmd_jobs_defs, cmd_jobs_cols, cmd_jobs_default_cols },
	{ "job show", "show", cmd_job_show, "show everything about one job",
	  "colossus job show [--json] ID",
	  "Show a job's request, state, reason, times, exit code,\n"
	  "epoch, restarts, allocation and attempts. Works for finished\n"
	  "jobs.",
	  "  colossus job show 4711\n"
	  "  colossus show 4711 --json",
	  NULL, NULL, NULL },
	{ "job why", "why", cmd_job_why,
	  "why a job waits, and when it should start",
	  "colossus job why [--json] ID",
	  "Explain why a job is pending or held: its place in the\n"
	  "queue, the reason the last scheduling pass gave, the\n"
	  "evidence at the level it needs (free nodes in the best rack\n"
	  "or pod, the jobs holding the rest and until when), when the\n"
	  "backfill plan expects it to start, and the state of every job\n"
	  "it depends on. A job that is not waiting says so.",
	  "  colossus job why 4711\n"
	  "  colossus why 4711 --json | jq .expected_start",
	  NULL, NULL, NULL },
	{ "hold", NULL, cmd_hold,
	  "hold pending jobs (not scheduled until released)",
	  "colossus hold ID...",
	  "Hold pending jobs: the scheduler ignores them until they are\n"
	  "released. Users may hold only their own jobs; admins any.\n"
	  "One line per job; the exit code follows the results as for\n"
	  "cancel.",
	  "  colossus hold 4711 4712\n"
	  "  colossus hold 4711,4712 --json",
	  NULL, NULL, NULL },
	{ "release", NULL, cmd_release, "release held jobs",
	  "colossus release ID...",
	  "Release held jobs (held with colossus hold or submitted with\n"
	  "--hold): they wait for resources again, in their old place\n"
	  "(priority comes from the submit time).",
	  "  colossus release 4711", NULL, NULL, NULL },
	{ "job priority", NULL, cmd_job_priority,
	  "add to a job's priority (admins)", "colossus job priority ID BOOST",
	  "Set an admin priority boost on a job: BOOST (may be negative,\n"
	  "up to +-10,000,000) is added to its computed priority; 0\n"
	  "removes it. colossus job show lists every factor.",
	  "  colossus job priority 4711 5000\n"
	  "  colossus job priority 4711 -- -1000",
	  NULL, NULL, NULL },
	{ "nodes", NULL, cmd_nodes, "list nodes and their state",
	  "colossus nodes [OPTIONS] [HOSTLIST...]",
	  "List nodes (all, or those named by hostlist expressions) and\n"
	  "a summary of counts by state. STATE is the agent's liveness,\n"
	  "ADMIN the drain state, HEALTH the health policy's verdict.",
	  "  colossus nodes\n"
	  "  colossus nodes 'n[00001-00064]' --problems\n"
	  "  colossus nodes -o name,state,free --no-header",
	  cmd_nodes_defs, cmd_nodes_cols, cmd_nodes_default_cols },
	{ "racks", NULL, cmd_racks,
	  "rack state counts and a map of the cluster",
	  "colossus racks [--list] [--format COLUMNS] [--width N]",
	  "Count racks by state and draw the whole cluster, one cell per\n"
	  "rack, pods side by side, one block of lines per hall, wrapped\n"
	  "to the terminal (or $COLUMNS, or --width). A legend follows.\n"
	  "--list prints one line per rack instead; --json every field.",
	  "  colossus racks\n"
	  "  colossus racks --list --format name,state,down,reason\n"
	  "  colossus racks --json | jq '.racks[] | select(.state != "
	  "\"busy\")'",
	  cmd_racks_defs, cmd_racks_cols, cmd_racks_default_cols },
	{ "drain", NULL, cmd_drain, "take hardware out of service (admins)",
	  "colossus drain node|rack|pod|hall NAME... --reason TEXT [--now]",
	  "Drain: nothing new starts there. Running jobs finish (the\n"
	  "state is draining until the last one ends, then drained);\n"
	  "with --now they are requeued at once, each gang elsewhere and\n"
	  "only the gangs that use the drained hardware. Node names may\n"
	  "be hostlists. The drain is recorded before the command returns\n"
	  "and survives controller restarts. Only admins may drain.",
	  "  colossus drain node n00042 --reason 'GPU 3 fan noise'\n"
	  "  colossus drain node 'n[00329-00336]' --reason 'tray swap'\n"
	  "  colossus drain rack r0042 --reason 'CDU pump swap' --now\n"
	  "  colossus drain pod p017 --reason 'switch firmware' --json",
	  cmd_drain_defs, NULL, NULL },
	{ "resume", NULL, cmd_resume,
	  "put drained hardware back in service (admins)",
	  "colossus resume node|rack|pod|hall NAME... [--repaired]",
	  "Return drained hardware to service: new work may start there\n"
	  "from the next scheduling pass. After a hardware repair use\n"
	  "--repaired: the node's replacement flag is cleared and it\n"
	  "runs its validation check (the site command, or the agent's\n"
	  "GPU self-check) first; it returns only if that passes. Only\n"
	  "admins may resume.",
	  "  colossus resume node n00042\n"
	  "  colossus resume node n00042 --repaired\n"
	  "  colossus resume rack r0042",
	  cmd_resume_defs, NULL, NULL },
	{ "events", NULL, cmd_events, "the event log: drains, faults, requeues",
	  "colossus events [OPTIONS]",
	  "List events, oldest first: every drain and resume, health\n"
	  "verdict, XID, node lost or back, requeue and alarm, with who\n"
	  "did it and why. By default the newest 100; filters combine\n"
	  "with AND. --follow then prints new events as they are\n"
	  "recorded until Ctrl-C (with --json: one object per line).\n"
	  "TIME is now-1h, 2026-11-24T08:00 (local; Z or +02:00 for\n"
	  "other zones), a date, or Unix seconds.",
	  "  colossus events --since now-1h\n"
	  "  colossus events --node n00042 --kind node_\n"
	  "  colossus events --rack r0042 --follow\n"
	  "  colossus events --job 4711 --json | jq '.events[].reason'",
	  cmd_events_defs, cmd_events_cols, cmd_events_default_cols },
	{ "health", NULL, cmd_health, "a node's or rack's readings and state",
	  "colossus health NODE|RACK\n"
	  "colossus health node|rack NAME",
	  "Show what the controller holds for a node (its state, drain,\n"
	  "health verdict and reason, and the agent's last GPU and NIC\n"
	  "readings: temperature, power, ECC, row remapping, PCIe,\n"
	  "NVLink, clocks, throttle reasons) or a rack (its cooling and\n"
	  "power readings from the rack monitor, its state and reason,\n"
	  "and each node's state). A name is looked up as a node first.",
	  "  colossus health n00042\n"
	  "  colossus health rack r0042\n"
	  "  colossus health n00042 --json | jq '.nodes[0].gpus[].temp_c'",
	  NULL, NULL, NULL },
	{ "node why", NULL, cmd_node_why, "why a node gets no new work",
	  "colossus node why NAME",
	  "Explain a node's state: drained (by whom and why: the health\n"
	  "rule or the admin's reason), draining, down, degraded or in\n"
	  "service; its flags (rma: flagged for hardware replacement;\n"
	  "lemon; validating), its latest readings, the last events\n"
	  "that concern it, and what to do next.",
	  "  colossus node why n00042\n"
	  "  colossus node why n00042 --json | jq .verdict",
	  NULL, NULL, NULL },
	{ "breaker reset", NULL, cmd_breaker_reset,
	  "let automatic drains resume (admins)", "colossus breaker reset",
	  "The health circuit breaker stops automatic drains when too\n"
	  "many happen in a short window (a bad policy or a fabric outage\n"
	  "must not drain the cluster) and raises a breaker_open event.\n"
	  "After looking (colossus events --kind breaker), reset it.",
	  "  colossus events --kind breaker\n"
	  "  colossus breaker reset",
	  NULL, NULL, NULL },
	{ "rack readings", NULL, cmd_rack_readings,
	  "report a rack's cooling readings (monitors)",
	  "colossus rack readings RACK [OPTIONS]",
	  "Report a rack's cooling and power readings as a rack monitor\n"
	  "does: the health policy acts on them at once (low flow, warm\n"
	  "coolant, a leak or lost power drain the rack). Readings not\n"
	  "given count as not measured. For sites without a monitor\n"
	  "integration yet, and to check the policy.",
	  "  colossus rack readings r0042 --flow 180 --supply-temp 32 "
	  "--pumps 2/2\n"
	  "  colossus rack readings r0042 --leak warning",
	  cmd_rack_readings_defs, NULL, NULL },
	/* Before "power": the first entry whose words match wins. */
	{ "power limit", NULL, cmd_power_limit,
	  "set the power limit of the site, a hall or a rack (admins)",
	  "colossus power limit site VALUE|default\n"
	  "colossus power limit hall NAME VALUE|default\n"
	  "colossus power limit rack NAME VALUE|default",
	  "Set a power limit at run time (a grid or battery event): it\n"
	  "is recorded before the answer, survives restarts, and holds\n"
	  "back new starts that would take the draw above it from the\n"
	  "next scheduling pass; running jobs keep running. VALUE is\n"
	  "a power (38MW, 750kW) or 0 for unlimited; default goes back\n"
	  "to the controller's [power] configuration.",
	  "  colossus power limit site 120MW\n"
	  "  colossus power limit hall h2 28.5MW\n"
	  "  colossus power limit rack r0042 default",
	  NULL, NULL, NULL },
	{ "power", NULL, cmd_power, "power draw, limits and headroom",
	  "colossus power [--racks] [--json]",
	  "Show the site's and each hall's power limit, the draw the\n"
	  "scheduler budgets with (PREDICTED: GPU readings where recent,\n"
	  "the node model elsewhere, new starts counted in full), the\n"
	  "sum of recent readings and how many nodes it covers, the\n"
	  "headroom, the ramp limit and its headroom in each direction,\n"
	  "the gangs launching or stopping in waves, and the jobs\n"
	  "waiting for power. A limit marked * was set by an admin.",
	  "  colossus power\n"
	  "  colossus power --racks\n"
	  "  colossus power --json | jq .site.headroom_w",
	  cmd_power_defs, NULL, NULL },
	{ "qos list", NULL, cmd_qos_list, "qualities of service",
	  "colossus qos list [--json]",
	  "List the QOS levels: priority, which QOS each may preempt,\n"
	  "what happens to its jobs when preempted (requeue or cancel),\n"
	  "the grace between SIGTERM and SIGKILL, and its limits.",
	  "  colossus qos list", NULL, NULL, NULL },
	{ "qos set", NULL, cmd_qos_set, "create or change a QOS (admins)",
	  "colossus qos set NAME [OPTIONS]",
	  "Create a QOS or change an existing one. Options not given keep\n"
	  "their current values (a new QOS: requeue, 60 s grace, no\n"
	  "limits).",
	  "  colossus qos set hero --priority 10000 --preempt low,normal\n"
	  "  colossus qos set low --preempt-mode cancel --grace 30s\n"
	  "  colossus qos set short --max-time 4h --max-nodes 64 "
	  "--description 'quick jobs'",
	  cmd_qos_set_defs, NULL, NULL },
	{ "qos remove", NULL, cmd_qos_remove, "remove a QOS (admins)",
	  "colossus qos remove NAME",
	  "Remove a QOS. The default QOS, normal, cannot be removed.",
	  "  colossus qos remove short", NULL, NULL, NULL },
	{ "reservation create", NULL, cmd_resv_create,
	  "set nodes aside for a time window (admins)",
	  "colossus reservation create NAME --nodes HOSTLIST "
	  "[--start TIME] --end TIME|--duration D [OPTIONS]",
	  "Reserve nodes for a window: for given users or accounts (a\n"
	  "hero run: only their jobs that name the reservation with\n"
	  "submit --reservation run there), or with --maint for nobody\n"
	  "(maintenance: until it starts, only jobs that end in time\n"
	  "use the nodes). TIME is now, now+2h, 2026-12-01T08:00 (local;\n"
	  "Z or +02:00 for other zones) or Unix seconds.",
	  "  colossus reservation create cdu-r0042 --nodes "
	  "'n[00329-00336]' --start now+2h --duration 4h --maint "
	  "--reason 'CDU pump swap'\n"
	  "  colossus reservation create hero1 --nodes 'n[00001-00512]' "
	  "--start 2026-12-01T08:00 --end 2026-12-03T08:00 --users alice,bob",
	  cmd_resv_create_defs, NULL, NULL },
	{ "reservation list", NULL, cmd_resv_list, "reservations",
	  "colossus reservation list [--json]",
	  "List reservations: nodes, window, whether active or in the\n"
	  "future, who may use them, and why.",
	  "  colossus reservation list", NULL, NULL, NULL },
	{ "reservation delete", NULL, cmd_resv_delete,
	  "delete a reservation (admins)", "colossus reservation delete NAME",
	  "Delete a reservation: its nodes are free for everyone again;\n"
	  "jobs waiting for it keep waiting with a reason.",
	  "  colossus reservation delete cdu-r0042", NULL, NULL, NULL },
	{ "history", NULL, cmd_history, "finished jobs and their attempts",
	  "colossus history [OPTIONS] [ID...]",
	  "List finished jobs from the database, newest first: how they\n"
	  "ended, on which nodes, and with --attempts every attempt\n"
	  "(requeues included) with its nodes and GPUs by UUID. Users\n"
	  "see only their own jobs; admins and monitors everyone's.",
	  "  colossus history --since now-1d\n"
	  "  colossus history --state failed --attempts\n"
	  "  colossus history -A llm --since 2026-11-01 --json",
	  cmd_history_defs, cmd_history_cols, cmd_history_default_cols },
	{ "report", NULL, cmd_report, "GPU-hours by account and user",
	  "colossus report [--since TIME] [--until TIME] [OPTIONS]",
	  "GPU-hours used in a period (default: the last 30 days) by\n"
	  "account and user, and the part lost to attempts that failed\n"
	  "or were requeued. Attempts are clipped to the period. Users\n"
	  "see only their own usage; admins and monitors everyone's.",
	  "  colossus report\n"
	  "  colossus report --since 2026-11-01 --until 2026-12-01 -A llm\n"
	  "  colossus report --json | jq .total.gpu_hours",
	  cmd_report_defs, NULL, NULL },
	{ "whoami", NULL, cmd_whoami, "who the controller thinks you are",
	  "colossus whoami [--json]",
	  "Show the name and role the controller reads from your\n"
	  "certificate, and which controller answered.",
	  "  colossus whoami", NULL, NULL, NULL },
	{ "version", NULL, cmd_version, "client and controller versions",
	  "colossus version [--json]",
	  "Print this client's version and, when it can be reached, the\n"
	  "controller's. Exits 0 even when the controller is\n"
	  "unreachable.",
	  "  colossus version", NULL, NULL, NULL },
	{ "topology apply", NULL, cmd_topology_apply,
	  "add or update halls, pods, racks and nodes (admins)",
	  "colossus topology apply [--dry-run] FILE",
	  "Send a topology file (docs/topology.md) to the controller,\n"
	  "which adds what is new and updates nodes that changed. Needs\n"
	  "an admin certificate.",
	  "  colossus topology apply site.topo\n"
	  "  colossus topology apply --dry-run site.topo",
	  cmd_topology_defs, NULL, NULL },
};

enum { M_VERSION = 1 };

static const struct opts_def main_defs[] = {
	{ "version", 'V', OPTS_FLAG, M_VERSION, NULL,
	  "print the client's version and exit" },
	OPTS_END,
};

static int main_opt(void *arg, int id, const char *name, const char *val,
		    struct err *e)
{
	*(bool *)arg = true;
	return 0;
}

static void main_help_global(FILE *out)
{
	fprintf(out, "Global options (before or after the command):\n");
	opts_help(out, cli_global_defs);
}

static void main_help(FILE *out)
{
	fprintf(out, "colossus: submit and manage jobs on a Colossus GPU "
		     "cluster.\n\n"
		     "Usage: colossus [GLOBAL OPTIONS] COMMAND [OPTIONS] "
		     "[ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(main_cmds); i++) {
		char left[40];

		snprintf(left, sizeof(left), "%s%s%s%s", main_cmds[i].name,
			 main_cmds[i].alias ? " (" : "",
			 main_cmds[i].alias ? main_cmds[i].alias : "",
			 main_cmds[i].alias ? ")" : "");
		fprintf(out, "  %-20s  %s\n", left, main_cmds[i].summary);
	}
	fprintf(out, "  %-20s  %s\n\n", "help [COMMAND]",
		"this text, or a command's help");
	main_help_global(out);
	opts_help(out, main_defs);
	fprintf(out,
		"\nConfiguration, later wins: built-in defaults, %s/colossus/"
		"client.conf,\n"
		"~/.config/colossus/client.conf (or only the file named by -c "
		"or\n"
		"COLOSSUS_CONFIG), the environment (COLOSSUS_CONTROLLER, "
		"COLOSSUS_CERT,\n"
		"COLOSSUS_KEY, COLOSSUS_CA), then the command line.  Keys: "
		"controller,\n"
		"ca_file, cert_file, key_file, connect_timeout, timeout.\n",
		SYSCONFDIR);
	fprintf(out, "\nExit codes:\n");
	for (int c = EXITCODE_OK; c <= EXITCODE_CONFLICT; c++)
		fprintf(out, "  %d  %s\n", c, exitcode_describe(c));
	fprintf(out, "\nRun 'colossus COMMAND --help' for a command's options "
		     "and examples.\n");
}

static void main_cmd_help(FILE *out, const struct cmd_entry *c)
{
	const char *u = c->usage;

	fprintf(out, "Usage: ");
	while (*u) {
		const char *nl = strchr(u, '\n');
		size_t len = nl ? (size_t)(nl - u) : strlen(u);

		fprintf(out, "%s%.*s\n", u == c->usage ? "" : "       ",
			(int)len, u);
		u += len + (nl ? 1 : 0);
	}
	if (c->alias)
		fprintf(out, "Alias: colossus %s\n", c->alias);
	fprintf(out, "\n%s\n", c->description);
	if (c->opts) {
		fprintf(out, "\nOptions:\n");
		opts_help(out, c->opts);
	}
	if (c->cols) {
		fprintf(out, "\nColumns for --format (any case; NAME:WIDTH "
			     "sets a width, 0 = unlimited):\n");
		format_help(out, c->cols);
		fprintf(out, "  default: %s\n", c->default_cols);
	}
	fprintf(out, "\n");
	main_help_global(out);
	fprintf(out, "\nExamples:\n%s\n", c->examples);
}

/* Does the name ("job show") match argv?  *used gets its word count. */
static bool main_match(const char *name, int argc, char **argv, int *used)
{
	const char *sp = strchr(name, ' ');

	if (!sp) {
		*used = 1;
		return argc >= 1 && !strcmp(argv[0], name);
	}
	*used = 2;
	return argc >= 2 && strlen(argv[0]) == (size_t)(sp - name) &&
	       !strncmp(argv[0], name, (size_t)(sp - name)) &&
	       !strcmp(argv[1], sp + 1);
}

static const struct cmd_entry *main_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < ARRAY_SIZE(main_cmds); i++) {
		const struct cmd_entry *c = &main_cmds[i];

		if (main_match(c->name, argc, argv, used))
			return c;
		if (c->alias && main_match(c->alias, argc, argv, used))
			return c;
	}
	return NULL;
}

/* Edit distance, for "did you mean"; small strings only. */
static size_t main_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	return row[lb];
}

static int main_unknown(int argc, char **argv)
{
	const char *best = NULL;
	size_t bestd = 3;

	/* A group word with a wrong or missing subcommand. */
	for (size_t i = 0; i < ARRAY_SIZE(main_cmds); i++) {
		const char *n = main_cmds[i].name, *sp = strchr(n, ' ');

		if (sp && strlen(argv[0]) == (size_t)(sp - n) &&
		    !strncmp(argv[0], n, (size_t)(sp - n))) {
			fprintf(stderr,
				"colossus %s: %s%s%s (try 'colossus %s')\n",
				argv[0], argc > 1 ? "unknown subcommand '" : "",
				argc > 1 ? argv[1] : "missing subcommand",
				argc > 1 ? "'" : "", n);
			return EXITCODE_USAGE;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(main_cmds); i++) {
		const char *names[2] = { main_cmds[i].name,
					 main_cmds[i].alias };

		for (size_t k = 0; k < 2; k++) {
			size_t d;

			if (!names[k])
				continue;
			d = main_distance(argv[0], names[k]);
			if (d < bestd) {
				bestd = d;
				best = names[k];
			}
		}
	}
	fprintf(stderr, "colossus: unknown command '%s'", argv[0]);
	if (best)
		fprintf(stderr, " (did you mean '%s'?)", best);
	fprintf(stderr, "\nRun 'colossus --help' for the list of commands.\n");
	return EXITCODE_USAGE;
}

/* -h or --help before any "--"? */
static bool main_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

static int main_help_cmd(int argc, char **argv)
{
	const struct cmd_entry *c;
	int used;

	if (argc == 0 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
		main_help(stdout);
		return EXITCODE_OK;
	}
	c = main_find(argc, argv, &used);
	if (!c)
		return main_unknown(argc, argv);
	main_cmd_help(stdout, c);
	return EXITCODE_OK;
}

/* Flush stdout; a reader that went away (| head) is not an error. */
static int main_flush(int rc)
{
	if (fflush(stdout) != 0 && errno != EPIPE) {
		fprintf(stderr, "colossus: writing output: %s\n",
			strerror(errno));
		return rc ? rc : EXITCODE_ERROR;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts_set sets[2];
	struct opts_rest rest;
	const struct cmd_entry *c;
	bool version = false;
	struct cli cli;
	struct err e;
	int used, rc;

	/* A controller closing the socket must be an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	cli_init(&cli);
	sets[0] = (struct opts_set){ main_defs, main_opt, &version };
	sets[1] = (struct opts_set){ cli_global_defs, cli_global_apply, &cli };
	if (opts_parse(argc - 1, argv + 1, sets, 2, OPTS_STOP_AT_POSITIONAL,
		       &rest, &e) < 0) {
		fprintf(stderr,
			"colossus: %s\nRun 'colossus --help' for "
			"usage.\n",
			e.msg);
		return EXITCODE_USAGE;
	}
	if (version) {
		printf("colossus %s (protocol %d.%d)\n", PACKAGE_VERSION,
		       RPC_VERSION_MAJOR, RPC_VERSION_MINOR);
		rc = EXITCODE_OK;
	} else if (rest.n == 0) {
		if (cli.help) {
			main_help(stdout);
			rc = EXITCODE_OK;
		} else {
			fprintf(stderr,
				"Usage: colossus [GLOBAL OPTIONS] COMMAND "
				"[OPTIONS] [ARGS]\n"
				"Run 'colossus --help' for the commands.\n");
			rc = EXITCODE_USAGE;
		}
	} else if (!strcmp(rest.args[0], "help")) {
		rc = main_help_cmd((int)rest.n - 1, rest.args + 1);
	} else if (!(c = main_find((int)rest.n, rest.args, &used))) {
		rc = main_unknown((int)rest.n, rest.args);
	} else if (cli.help ||
		   main_wants_help((int)rest.n - used, rest.args + used)) {
		main_cmd_help(stdout, c);
		rc = EXITCODE_OK;
	} else {
		cli.cmd = c->name;
		rc = c->fn(&cli, (int)rest.n - used, rest.args + used);
	}
	opts_rest_free(&rest);
	cli_fini(&cli);
	return main_flush(rc);
}

/*
 * The control socket.  Line protocol over a Unix stream socket; each
 * connection may send several commands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "nodeagent/agent.h"
#include "nodeagent/nic.h"
#include "nodeagent/control.h"
#include "nodeagent/nicwatch.h"
#include "nodeagent/workload.h"

struct control {
	struct agent *ag;
	struct evconnlistener *evl;
	char path[108];
};

static void control_status(struct agent *ag, struct evbuffer *out)
{
	const struct gpu_inventory *inv = gpu_backend_inventory(ag->gpu);
	char nics[NIC_MAX * (NIC_NAME_LEN + 16)];

	nicwatch_describe(ag, nics, sizeof(nics));
	evbuffer_add_printf(out,
			    "ok node=%s registered=%d controller=%s gpus=%u "
			    "backend=%s workloads=%d running_ranks=%u "
			    "cgroups=%d nics=%s",
			    ag->node, ag->registered,
			    ag->cfg.controllers.n
				    ? ag->cfg.controllers.items[ag->ctl_index]
				    : "-",
			    inv->count, inv->backend, ag->nworkloads,
			    workload_running_ranks(ag), ag->cg.usable, nics);
	for (struct workload *w = ag->workloads; w; w = w->next)
		evbuffer_add_printf(out, " job=%" PRIu64 ":%u:%s", w->job_id,
				    w->epoch,
				    w->state == WL_PREPARED ? "prepared"
				    : workload_finished(w)  ? "exited"
							    : "running");
	evbuffer_add_printf(out, "\n");
}

/* "nic NAME up|down|none" */
static void control_nic(struct agent *ag, char *args, struct evbuffer *out)
{
	char *save = NULL;
	char *name = strtok_r(args, " \t", &save);
	char *state = name ? strtok_r(NULL, " \t", &save) : NULL;
	struct err e;

	if (!name || !state || strtok_r(NULL, " \t", &save)) {
		evbuffer_add_printf(out,
				    "error: usage: nic NAME up|down|none\n");
		return;
	}
	if (nicwatch_override(ag, name, state, &e) < 0) {
		evbuffer_add_printf(out, "error: %s\n", e.msg);
		return;
	}
	evbuffer_add_printf(out, "ok nic %s %s\n", name, state);
}

static void control_command(struct agent *ag, char *line, struct evbuffer *out)
{
	struct err e;

	err_clear(&e);
	if (!strcmp(line, "status")) {
		control_status(ag, out);
	} else if (!strncmp(line, "gpu ", 4)) {
		if (gpu_backend_command(ag->gpu, line + 4, &e) < 0)
			evbuffer_add_printf(out, "error: %s\n", e.msg);
		else
			evbuffer_add_printf(out, "ok %s\n", e.msg);
	} else if (!strncmp(line, "nic ", 4)) {
		control_nic(ag, line + 4, out);
	} else {
		char esc[128];

		evbuffer_add_printf(out,
				    "error: unknown command '%s' (status, gpu "
				    "..., nic ...)\n",
				    log_escape(line, esc, sizeof(esc)));
	}
}

static void control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (len > 1024)
			evbuffer_add_printf(bufferevent_get_output(bev),
					    "error: line too long\n");
		else
			control_command(c->ag, line,
					bufferevent_get_output(bev));
		free(line);
	}
	if (evbuffer_get_length(in) > 4096)
		bufferevent_free(bev);
}

static void control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		bufferevent_free(bev);
}

static void control_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
			      struct sockaddr *sa, int salen, void *arg)
{
	struct control *c = arg;
	struct bufferevent *bev;
	struct timeval tv = { 30, 0 };

	(void)evl;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(c->ag->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, control_read_cb, NULL, control_event_cb, c);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct control *control_create(struct agent *ag, const char *path,
			       struct err *e)
{
	struct control *c;
	struct sockaddr_un sun;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		err_set(e, "control socket path too long: %s", path);
		return NULL;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	c = xcalloc(1, sizeof(*c));
	c->ag = ag;
	memcpy(c->path, path, strlen(path) + 1);
	/* Only root may inject faults. */
	old = umask(0077);
	c->evl = evconnlistener_new_bind(
		ag->base, control_accept_cb, c,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!c->evl) {
		err_set(e, "cannot listen on %s: %s", path, strerror(errno));
		free(c);
		return NULL;
	}
	return c;
}

void control_destroy(struct control *c)
{
	if (!c)
		return;
	evconnlistener_free(c->evl);
	unlink(c->path);
	free(c);
}

int control_client(const char *path, const char *command)
{
	struct sockaddr_un sun;
	char reply[8192];
	size_t used = 0;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "control socket path too long\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "cannot connect to %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	if (dprintf(fd, "%s\n", command) < 0) {
		close(fd);
		return 2;
	}
	/* One reply line. */
	while (used + 1 < sizeof(reply)) {
		ssize_t n = read(fd, reply + used, sizeof(reply) - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
		if (memchr(reply, '\n', used))
			break;
	}
	close(fd);
	reply[used] = '\0';
	fputs(reply, stdout);
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

/*
 * The cluster model: halls, pods, racks and nodes held in memory, loaded
 * from PostgreSQL at start and extended at run time (new racks need no
 * restart).  Owns every node and rack object; nothing else frees them.
 *
 * Nodes are kept in one array in topology order (hall, pod, rack, slot),
 * which is the order the scheduler walks and ranks are numbered in.
 */
#ifndef CONTROLLER_CLUSTER_H
#define CONTROLLER_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/rpc.h"

#define NAME_MAX_LEN 64
#define NODE_MAX_GPUS 16
#define NODE_MAX_ALLOCS 16

struct alloc;
struct peer;
struct node_health;
struct rack_health;

/* Node flags (persisted in nodes.flags). */
enum node_flag {
	NODE_FLAG_RMA = 1 << 0,	       /* needs hardware replacement */
	NODE_FLAG_LEMON = 1 << 1,      /* repeated app-class XIDs, several jobs */
	NODE_FLAG_VALIDATING = 1 << 2, /* return-to-service check running */
};

enum node_state {
	NODE_UNKNOWN = 0, /* no contact since controller start: lease running */
	NODE_UP = 1,
	NODE_DOWN = 2,
};

enum admin_state {
	ADMIN_NONE = 0,
	ADMIN_DRAINING = 1,
	ADMIN_DRAINED = 2,
};

enum health_state {
	HEALTH_OK = 0,
	HEALTH_DEGRADED = 1,
	HEALTH_FAILED = 2,
};

/*
 * Free capacity counters, kept current by node_recount() on every change
 * to a node's usability, so placement works per rack instead of per node.
 * free_ok: schedulable, healthy, not a hot spare, every GPU free.
 */
struct capacity {
	int free_ok;
	int free_degraded; /* same, but health DEGRADED          */
	int free_spare;	   /* same, but a hot spare              */
	int partial;	   /* schedulable, some GPUs used, some free */
	int nodes;	   /* all nodes below                   */
};

struct hall {
	int id;
	int index;
	char name[NAME_MAX_LEN];
	struct capacity cap;
	struct pod **pods;
	int npods;
};

struct pod {
	int id;
	int index;
	char name[NAME_MAX_LEN];
	struct hall *hall;
	struct capacity cap;
	struct rack **racks;
	int nracks;
};

struct rack {
	int id;
	int index;
	char name[NAME_MAX_LEN];
	struct pod *pod;
	enum admin_state admin_state;
	enum health_state health;
	char *reason;
	char drained_by[64];	  /* "" / admin name / "health" */
	struct rack_health *hs;	  /* cooling readings and timers (health.c) */
	struct node **nodes; /* by slot order */
	int nnodes;
	struct capacity cap;
	int model_id; /* the one GPU model of its nodes; -1 if mixed */
	unsigned min_gpus; /* fewest GPUs of any of its nodes */
	int nblocked; /* scheduler scratch: nodes with a block_from set */
};

/* Which capacity counter a node is in (enum of struct capacity fields). */
enum node_avail {
	NODE_AV_NONE = 0,
	NODE_AV_OK,
	NODE_AV_DEGRADED,
	NODE_AV_SPARE,
	NODE_AV_PARTIAL,
};

/* One incarnation's use of a node. */
struct node_use {
	struct alloc *alloc;
	int part; /* index of this node in alloc->parts */
	uint16_t gpu_mask;
};

struct node {
	int id;	   /* database id */
	int index; /* position in cluster->nodes (topology order) */
	char name[NAME_MAX_LEN];
	struct rack *rack;
	int slot;
	unsigned gpus;
	char gpu_model[32];
	int model_id; /* index in the cluster's model registry */
	char **features;
	int nfeatures;
	bool spare;   /* hot spare: only replacement gangs use it */
	uint8_t av;   /* enum node_avail it is counted in */
	/* Scheduler scratch, valid during one pass: work placed here must
	 * end by this time (reservations, the top job's shadow), unless it
	 * belongs to block_owner (a job id, or minus a reservation id). */
	int64_t block_from;
	int64_t block_owner;

	enum node_state state;
	enum admin_state admin_state;
	enum health_state health;
	char *reason; /* why drained/down/unhealthy; heap, may be NULL */
	char drained_by[64];	   /* "" / admin name / "health" */
	char drain_boot_id[64];	   /* boot id when automation drained it */
	unsigned flags;		   /* enum node_flag */
	int64_t returned_at;	   /* last return to service (wall s) */
	struct node_health *hs;	   /* readings, timers (health.c) */

	/* GPUs held by allocations (live or still being fenced). */
	uint16_t gpu_used;
	struct node_use uses[NODE_MAX_ALLOCS];
	int nuses;
	/* GPUs held by workloads the controller does not know (fencing). */
	uint16_t gpu_fencing;

	/* Agent connection (NULL when not connected) and lease. */
	struct peer *peer;
	int64_t lease_expires_ms; /* monotonic */
	int64_t lost_mono_ms;	  /* when it went from up to down, or 0 */
	int64_t up_since_mono_ms; /* when it last came up                  */
	int64_t last_heartbeat_ms;
	int64_t last_heartbeat_wall;
	char boot_id[64];
	char address[64];
	unsigned agent_gpus; /* GPUs the agent found (may differ from topology) */
	char agent_problem[128];
};

struct cluster;

struct cluster *cluster_create(void);
void cluster_destroy(struct cluster *c);

/*
 * Add objects (loading from the database or applying a topology change).
 * Parents must exist.  Names are unique per kind.  Returns the object or
 * NULL with e set.
 */
struct hall *cluster_add_hall(struct cluster *c, int id, const char *name,
			      struct err *e);
struct pod *cluster_add_pod(struct cluster *c, int id, const char *name,
			    const char *hall, struct err *e);
struct rack *cluster_add_rack(struct cluster *c, int id, const char *name,
			      const char *pod, struct err *e);
struct node *cluster_add_node(struct cluster *c, int id, const char *name,
			      const char *rack, int slot, unsigned gpus,
			      const char *model, struct err *e);
/* Re-sort nodes into topology order after additions; recount capacity. */
void cluster_finish(struct cluster *c);
/*
 * A node's usability may have changed (state, drain, health, GPUs used,
 * rack drain): move it to the right capacity counter.  Cheap; call it
 * after every such change.
 */
void node_recount(struct node *n);
/* Recount every node (after loading, and as a consistency check). */
void cluster_recount(struct cluster *c);
/* Small integer id of a GPU model name ("H100"), registering it. */
int cluster_model_id(struct cluster *c, const char *model);
const char *cluster_model_name(const struct cluster *c, int id);
/* The id of a known model, or -1 (never registers). */
int cluster_model_lookup(const struct cluster *c, const char *model);
/* Set a node's model (name and id). */
void cluster_set_node_model(struct cluster *c, struct node *n,
			    const char *model);
/* Recompute rack->model_id for every rack. */
void cluster_update_models(struct cluster *c);

struct hall *cluster_hall(const struct cluster *c, const char *name);
struct pod *cluster_pod(const struct cluster *c, const char *name);
struct rack *cluster_rack(const struct cluster *c, const char *name);
struct node *cluster_node(const struct cluster *c, const char *name);
struct node *cluster_node_by_id(const struct cluster *c, int id);

int cluster_nnodes(const struct cluster *c);
struct node *cluster_node_at(const struct cluster *c, int index);
int cluster_nracks(const struct cluster *c);
struct rack *cluster_rack_at(const struct cluster *c, int index);
/* Every rack in index order (cluster_nracks of them), for loops that
 * visit them all per placement; valid until the topology changes. */
struct rack *const *cluster_racks(const struct cluster *c);
int cluster_npods(const struct cluster *c);
struct pod *cluster_pod_at(const struct cluster *c, int index);
int cluster_nhalls(const struct cluster *c);
struct hall *cluster_hall_at(const struct cluster *c, int index);
/* Bumped whenever the topology changes (scheduler caches key on it). */
uint64_t cluster_generation(const struct cluster *c);

/* Replace a node's feature list (copied). */
void node_set_features(struct node *n, char *const *features, int n_features);
void node_set_reason(struct node *n, const char *reason);
bool node_has_feature(const struct node *n, const char *feature);
/*
 * May this node receive new work?  Up, not draining/drained, not failed,
 * rack not drained (DESIGN invariant 5).
 */
bool node_schedulable(const struct node *n);
/* GPUs free for new work (mask of indexes below n->gpus). */
uint16_t node_free_mask(const struct node *n);
/* Record/forget an allocation's use of GPUs on this node. */
int node_use_add(struct node *n, struct alloc *a, int part, uint16_t mask);
void node_use_remove(struct node *n, struct alloc *a);
/* The part index of this node in a, or -1 if a does not use it. */
int node_use_part(const struct node *n, const struct alloc *a);

const char *node_state_name(enum node_state s);
const char *admin_state_name(enum admin_state s);
const char *health_state_name(enum health_state s);
int admin_state_parse(const char *s);
int health_state_parse(const char *s);
int node_state_parse(const char *s);

#endif

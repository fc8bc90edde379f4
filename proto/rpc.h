/*
 * Wire constants of the Colossus protocol: version numbers and frame
 * limits.  The message definitions are in the .proto files; the generated
 * C code is built into the build directory as libproto.a.
 */
#ifndef PROTO_RPC_H
#define PROTO_RPC_H

#include "rpc.pb-c.h"

/* Protocol version: a peer of the same major and a minor >= ours - 1 is
 * accepted, so a cluster can be upgraded rack by rack. */
#define RPC_VERSION_MAJOR 1
#define RPC_VERSION_MINOR 0
#define RPC_VERSION ((RPC_VERSION_MAJOR << 16) | RPC_VERSION_MINOR)
#define RPC_VERSION_MAJOR_OF(v) ((v) >> 16)
#define RPC_VERSION_MINOR_OF(v) ((v)&0xffff)

/* Length prefix size and the default largest frame a peer may send. */
#define RPC_FRAME_HEADER 4
#define RPC_MAX_FRAME_DEFAULT (4u * 1024 * 1024)
/* Hard ceiling for any configured max_frame. */
#define RPC_MAX_FRAME_LIMIT (64u * 1024 * 1024)

#endif

/*
 * Protobuf helpers for the fuzz targets that decode messages.
 *
 * libprotobuf-c 1.4.1 accepts an unknown field whose tag is 0 when the
 * tag is written in an over-long varint ("80 00"), keeps it, and packs it
 * back as "00", which it then refuses to unpack.  Field number 0 is
 * invalid protobuf, and no part of Colossus re-decodes a message it
 * re-encoded without handling failure (rpc_job_submit answers "job spec
 * does not decode"), so the targets tolerate exactly this case and
 * nothing else.
 */
#ifndef TESTS_FUZZ_FUZZ_PROTO_H
#define TESTS_FUZZ_FUZZ_PROTO_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

/* Does m, or any message inside it, keep an unknown field of tag 0? */
static inline bool fuzz_has_tag0(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;

	if (!m)
		return false;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return true;
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
				*(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
				*(ProtobufCMessage *const *const *)(base +
								    f->offset);

			for (size_t k = 0; k < n; k++)
				if (fuzz_has_tag0(v[k]))
					return true;
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (fuzz_has_tag0(
			    *(ProtobufCMessage *const *)(base + f->offset)))
			return true;
	}
	return false;
}

#endif

/* graveyard.c — what was unregistered lately (jitdebug-types.h, docs/registry.md): the exported ring
 * `jitdebug_graveyard` of the last JD_GRAVEYARD_SLOTS unregistered objects, with their ranges,
 * build-ids and (when it was computed) first symbol, so that a debugger, `jit info ADDR` or a core
 * reader can name the freed JIT code a PC points into.
 *
 * A subscriber of the registry (subscribers.h) that uses one event, `unregistered_locked`: it runs
 * under the registry lock, writes one slot in memory and returns. Nothing is parsed for it and it has
 * no lock, thread or descriptor of its own, so fork needs nothing (the child keeps the parent's
 * history, which is its own history too). */
#include "registry.h"
#include "subscribers.h"

#include "jitdebug-types.h"

#include <string.h>

_Static_assert(sizeof(struct jd_graveyard_slot) == 112, "graveyard slot layout");
_Static_assert(offsetof(struct jd_graveyard, slots) == 40, "graveyard header layout");

JD_HOOKS_API struct jd_graveyard jitdebug_graveyard = {
	.magic = JD_GRAVEYARD_MAGIC,
	.version = 1,
	.header_size = offsetof(struct jd_graveyard, slots),
	.nslots = JD_GRAVEYARD_SLOTS,
	.slot_size = sizeof(struct jd_graveyard_slot),
};

static void graveyard_unregistered_locked(const struct jd_obj_view *v)
{
	struct jd_graveyard *g = &jitdebug_graveyard;
	struct jd_graveyard_slot *slot = &g->slots[g->unregistered % JD_GRAVEYARD_SLOTS];
	g->generation++; /* odd: a reader of a core written now skips the slot being filled */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	memset(slot, 0, sizeof(*slot));
	slot->seq = g->unregistered + 1;
	slot->id = v->id;
	slot->lo = v->lo;
	slot->hi = v->hi;
	slot->size = v->size;
	if (v->build_id && v->build_id_len <= JD_BUILD_ID_MAX) {
		memcpy(slot->build_id, v->build_id, v->build_id_len);
		slot->build_id_size = v->build_id_len;
	}
	if (v->first_sym) {
		size_t n = strnlen(v->first_sym, JD_GRAVEYARD_NAME - 1);
		memcpy(slot->first_symbol, v->first_sym, n);
	}
	g->unregistered++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	g->generation++;
}

const struct jd_subscriber jd_graveyard_subscriber = {
	.name = "graveyard",
	.unregistered_locked = graveyard_unregistered_locked,
};

/*
 * supervise_slots: inside the supervise module only. The slot table's
 * bookkeeping (supervise_slots.c, which calls nothing else of the module)
 * and the one way to change a slot's state (slot_fire, supervise.c). The
 * pool steps (supervise_pool.c) use both; nothing here calls them.
 */
#ifndef FORKLINE_SUPERVISE_SLOTS_H
#define FORKLINE_SUPERVISE_SLOTS_H

#include "server/supervise.h"

#define NO_SLOT		(-1)

/* supervise_slots.c */
struct slot	*slots_find_empty(struct supervisor *sup);
void		 slots_claim(struct supervisor *sup, struct slot *s);
void		 slots_shrink(struct supervisor *sup);
void		 slots_forget_replacement(struct supervisor *sup,
		    const struct slot *s);
uint32_t	 slots_random(struct supervisor *sup);
bool		 slots_running(const struct supervisor *sup);

/* supervise.c: run the table's action for ev in s's state. */
void		 slot_fire(struct supervisor *sup, struct slot *s,
		    enum slot_event ev, enum stop_reason why);

#endif

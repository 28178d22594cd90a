/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels nfqring supports lives here.  The
 * NFQR_HAVE_* switches come from the feature probes in kmod/Kbuild; a
 * version check is used only where a probe cannot see the difference.
 */
#ifndef _NFQR_COMPAT_H
#define _NFQR_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* skb_gso_segment() moved to its own header in 6.5. */
#ifdef NFQR_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* put_unaligned_*() moved from asm/ to linux/unaligned.h in 6.12. */
#ifdef NFQR_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* vm_flags became read-only behind vm_flags_set() in 6.3. */
#ifndef NFQR_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* The largest page order the allocator hands out.  MAX_ORDER was exclusive
 * until 6.4 and became MAX_PAGE_ORDER (inclusive) in 6.8.
 */
#ifdef NFQR_HAVE_MAX_PAGE_ORDER
#define NFQR_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#else
#define NFQR_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * The conntrack update hook has one prototype everywhere, but returned 0 or
 * -errno before 6.8 and an NF_ verdict since (nf_conntrack_update() was
 * converted to netfilter verdicts).  A compile probe cannot see that, so
 * this is a version check; 6.1 and 6.12 are the kernels tested.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define NFQR_CT_UPDATE_RETURNS_VERDICT	1
#else
#define NFQR_CT_UPDATE_RETURNS_VERDICT	0
#endif

#endif /* _NFQR_COMPAT_H */

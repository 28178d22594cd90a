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

#endif /* _NFQR_COMPAT_H */

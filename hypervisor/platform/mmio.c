/*
 * The one MMIO emulation path: every device odv-hv traps by EPT (its virtio
 * functions' BARs, the local APIC page on SMP) is reached through here. The
 * VM exit gives the guest-physical address but not the value or the
 * register, so the instruction is fetched from guest memory (guest_mem.c)
 * and decoded (insn_decode.c); the device only ever sees a plain request.
 */
#include "mmio.h"
#include "arch.h"
#include "guest.h"
#include "insn_decode.h"
#include "log.h"
#include "vmx.h"

struct region_table hv_regions;

static const char *decode_for(const struct mmio_region *r, struct mmio_access *a, bool *xchg)
{
	uint8_t code[15];
	unsigned n;
	bool long64;
	const char *err;
	*xchg = false;
	if (guest_fetch_insn(code, &n, &long64, &err))
		return err;
	if (r->insns == REGION_ANY_MOV)
		return decode_mmio_access(code, n, long64, a, &err) ? err : NULL;
	struct mmio_store st;
	if (decode_mmio_store(code, n, long64, &st, &err))
		return err;
	*a = (struct mmio_access){ .len = st.len, .size = 4, .write = true, .src = st.src,
				   .reg = st.reg, .imm = st.imm };
	*xchg = st.xchg;
	return NULL;
}

/* The register after a load of val: what x86 keeps of the old value (MOVZX already zero-extended val). */
static uint64_t load_result(const struct mmio_access *a, uint64_t old, uint64_t val)
{
	if (a->high_byte)
		return (old & ~0xff00ull) | (val << 8);
	if (a->dest_size == 1)
		return (old & ~0xffull) | val;
	if (a->dest_size == 2)
		return (old & ~0xffffull) | val;
	return val;      /* 4 and 8 bytes: the whole register (a 32-bit write clears bits 63:32) */
}

enum access_result mmio_emulate(struct vcpu *v, const struct mmio_region *r, uint64_t gpa,
				unsigned *insn_len)
{
	struct mmio_access a;
	bool xchg;
	const char *err = decode_for(r, &a, &xchg);
	if (err) {
		pr_err("%s at rip=0x%lx (gpa 0x%lx) not emulated: %s", r->what, vmread(VMCS_GUEST_RIP), gpa, err);
		/*
		 * A device BAR: the access is refused like a faulting one. The APIC
		 * page: odv-hv cannot tell what the guest meant to send; it stops.
		 */
		return r->insns == REGION_ANY_MOV ? ACCESS_ERROR : ACCESS_UNHANDLED;
	}
	uint64_t mask = a.size == 8 ? ~0ull : (1ull << (8 * a.size)) - 1;
	struct mmio_request rq = { gpa, gpa - r->base, a.size, a.write, 0 };
	enum access_result res;
	if (a.write) {
		uint64_t val = a.src == STORE_IMM ? a.imm : vcpu_gpr(v, a.reg);
		if (a.src == STORE_REG && a.high_byte)
			val >>= 8;
		uint64_t old = 0;
		if (xchg) {         /* XCHG: the register receives what the location held */
			struct mmio_request rd = { gpa, gpa - r->base, a.size, false, 0 };
			res = r->handler(r->arg, &rd);
			if (res != ACCESS_DONE)
				return res;
			old = rd.value & mask;
		}
		rq.value = val & mask;
		res = r->handler(r->arg, &rq);
		if (res == ACCESS_DONE && xchg)
			vcpu_set_gpr(v, a.reg, old);       /* a 32-bit register write clears bits 63:32 */
	} else {
		res = r->handler(r->arg, &rq);
		if (res == ACCESS_DONE)
			vcpu_set_gpr(v, a.reg, load_result(&a, vcpu_gpr(v, a.reg), rq.value & mask));
	}
	*insn_len = a.len;
	return res;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* ESR_EL2 syndrome decoding: data aborts for MMIO emulation, MSR/MRS traps, class names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/esr.h>

/* A data abort from a lower EL with a translation fault at level 3 (DFSC 0b000111). */
struct dabt {
	unsigned isv, sas, sse, srt, sf, wnr, s1ptw;
};

static uint64_t dabt_esr(struct dabt d)
{
	return ((uint64_t)EC_DABT_LOW << 26) | ESR_IL | ((uint64_t)d.isv << 24) |
	       ((uint64_t)d.sas << 22) | ((uint64_t)d.sse << 21) | ((uint64_t)d.srt << 16) |
	       ((uint64_t)d.sf << 15) | ((uint64_t)d.s1ptw << 7) | ((uint64_t)d.wnr << 6) | 0x07;
}

/* HPFAR_EL2 for an IPA: FIPA (bits 43:4) holds IPA[51:12]. */
static uint64_t hpfar_of(uint64_t ipa)
{
	return (ipa >> 12) << 4;
}

/* The MSR/MRS ISS: Op0 21:20, Op2 19:17, Op1 16:14, CRn 13:10, Rt 9:5, CRm 4:1, read 0. */
static uint64_t sys_esr(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
			unsigned rt, bool read)
{
	return ((uint64_t)EC_SYS64 << 26) | ESR_IL | ((uint64_t)op0 << 20) | ((uint64_t)op2 << 17) |
	       ((uint64_t)op1 << 14) | ((uint64_t)crn << 10) | ((uint64_t)rt << 5) |
	       ((uint64_t)crm << 1) | read;
}

static void dabt_without_valid_syndrome_is_not_decoded(void **state)
{
	struct mmio_access acc;
	struct dabt d = {.isv = 0, .sas = 2, .srt = 3, .sf = 1, .wnr = 1};

	(void)state;
	assert_false(esr_decode_dabt(dabt_esr(d), hpfar_of(0x9000000), 0, &acc));
}

static void dabt_on_a_stage1_table_walk_is_not_decoded(void **state)
{
	struct mmio_access acc;
	struct dabt d = {.isv = 1, .sas = 3, .srt = 1, .sf = 1, .s1ptw = 1};

	(void)state;
	assert_false(esr_decode_dabt(dabt_esr(d), hpfar_of(0x9000000), 0, &acc));
}

static void dabt_decodes_every_access_width(void **state)
{
	static const unsigned widths[] = {1, 2, 4, 8};

	(void)state;
	for (unsigned sas = 0; sas < 4; sas++) {
		struct mmio_access acc;
		struct dabt d = {.isv = 1, .sas = sas, .srt = 5};
		assert_true(esr_decode_dabt(dabt_esr(d), hpfar_of(0x9000000), 0x9000018, &acc));
		assert_int_equal(acc.width, widths[sas]);
	}
}

static void dabt_decodes_load_flags(void **state)
{
	struct mmio_access acc;
	/* LDRSH w7, [x0]: halfword, sign-extended into a 32-bit register. */
	struct dabt ldrsh = {.isv = 1, .sas = 1, .sse = 1, .srt = 7, .sf = 0, .wnr = 0};
	/* LDR x9, [x0]: doubleword into a 64-bit register, no sign extension. */
	struct dabt ldr = {.isv = 1, .sas = 3, .sse = 0, .srt = 9, .sf = 1, .wnr = 0};

	(void)state;
	assert_true(esr_decode_dabt(dabt_esr(ldrsh), hpfar_of(0x9000000), 0x9000002, &acc));
	assert_int_equal(acc.width, 2);
	assert_true(acc.sign_extend);
	assert_false(acc.sf);
	assert_false(acc.write);
	assert_int_equal(acc.reg, 7);

	assert_true(esr_decode_dabt(dabt_esr(ldr), hpfar_of(0x9000000), 0x9000008, &acc));
	assert_int_equal(acc.width, 8);
	assert_false(acc.sign_extend);
	assert_true(acc.sf);
	assert_false(acc.write);
	assert_int_equal(acc.reg, 9);
}

static void dabt_decodes_stores_and_every_register(void **state)
{
	(void)state;
	for (unsigned rt = 0; rt < 32; rt++) {
		struct mmio_access acc;
		struct dabt d = {.isv = 1, .sas = 2, .srt = rt, .wnr = 1};
		assert_true(esr_decode_dabt(dabt_esr(d), hpfar_of(0x9000000), 0x9000000, &acc));
		assert_int_equal(acc.reg, rt); /* 31 is xzr: STR wzr stores zero */
		assert_true(acc.write);
	}
}

static void dabt_ipa_combines_hpfar_page_and_far_offset(void **state)
{
	static const uint64_t ipas[] = {
	    0x9000018,		/* the virt UART's FR */
	    0x80a0ffc,		/* a GIC redistributor word */
	    0xfffffffff000ull,	/* last page below 2^48 */
	    0x8000000123ull,	/* above 4 GiB */
	    0xffffffffff678ull, /* 52-bit IPA */
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ipas); i++) {
		struct mmio_access acc;
		struct dabt d = {.isv = 1, .sas = 2, .srt = 1};
		/* FAR holds the guest's virtual address: only its page offset matters. */
		uint64_t far = 0xffff800012345000ull | (ipas[i] & 0xfff);
		assert_true(esr_decode_dabt(dabt_esr(d), hpfar_of(ipas[i]), far, &acc));
		assert_int_equal(acc.ipa, ipas[i]);
		assert_int_equal(esr_fault_ipa(hpfar_of(ipas[i]), far), ipas[i]);
	}
}

static void fault_ipa_ignores_hpfar_bits_outside_fipa(void **state)
{
	(void)state;
	/* HPFAR_EL2.NS (bit 63) and the low RES0 bits do not move the address. */
	assert_int_equal(esr_fault_ipa(hpfar_of(0x9000000) | BIT(63) | 0xf, 0x24), 0x9000024);
}

static void dabt_ignores_fields_outside_the_iss(void **state)
{
	struct mmio_access acc;
	struct dabt d = {.isv = 1, .sas = 0, .srt = 2, .wnr = 1};
	/* ISS2 (bits 36:32) must not leak into the decode. */
	uint64_t esr = dabt_esr(d) | (0x1full << 32);

	(void)state;
	assert_true(esr_decode_dabt(esr, hpfar_of(0x9000000), 0x9000000, &acc));
	assert_int_equal(acc.width, 1);
	assert_int_equal(acc.reg, 2);
	assert_true(acc.write);
	assert_false(acc.sf);
	assert_false(acc.sign_extend);
}

static void sysreg_key_keeps_fields_where_the_iss_has_them(void **state)
{
	(void)state;
	/* ID_AA64PFR0_EL1 is S3_0_C0_C4_0: op0 3 (ISS 21:20), CRm 4 (ISS 4:1). */
	assert_int_equal(SYSREG_KEY(3, 0, 0, 4, 0), 0x300008);
	/* Op0 21:20, Op2 19:17, Op1 16:14, CRn 13:10, CRm 4:1: no field overlaps another. */
	assert_int_equal(SYSREG_KEY(3, 0, 0, 0, 0), 0x300000);
	assert_int_equal(SYSREG_KEY(0, 0, 0, 0, 7), 0x0e0000);
	assert_int_equal(SYSREG_KEY(0, 7, 0, 0, 0), 0x01c000);
	assert_int_equal(SYSREG_KEY(0, 0, 15, 0, 0), 0x003c00);
	assert_int_equal(SYSREG_KEY(0, 0, 0, 15, 0), 0x00001e);
	assert_int_equal(SYSREG_KEY_MASK, 0x3ffc1e);
	assert_int_equal(SYSREG_KEY_CRM(SYSREG_KEY(1, 5, 13, 11, 6)), 11);
	assert_int_equal(SYSREG_KEY_OP2(SYSREG_KEY(1, 5, 13, 11, 6)), 6);
}

static void sysreg_decodes_an_mrs(void **state)
{
	struct sysreg_access acc;

	(void)state;
	/* MRS x3, ID_AA64PFR0_EL1 */
	esr_decode_sysreg(sys_esr(3, 0, 0, 4, 0, 3, true), &acc);
	assert_int_equal(acc.key, SYSREG_KEY(3, 0, 0, 4, 0));
	assert_int_equal(acc.reg, 3);
	assert_true(acc.read);
}

static void sysreg_decodes_an_msr(void **state)
{
	struct sysreg_access acc;

	(void)state;
	/* MSR MDSCR_EL1, x30 */
	esr_decode_sysreg(sys_esr(2, 0, 0, 2, 2, 30, false), &acc);
	assert_int_equal(acc.key, SYSREG_KEY(2, 0, 0, 2, 2));
	assert_int_equal(acc.reg, 30);
	assert_false(acc.read);
	/* MSR OSLAR_EL1, xzr */
	esr_decode_sysreg(sys_esr(2, 0, 1, 0, 4, 31, false), &acc);
	assert_int_equal(acc.key, SYSREG_KEY(2, 0, 1, 0, 4));
	assert_int_equal(acc.reg, 31);
	assert_false(acc.read);
}

static void sysreg_keeps_every_field_in_its_place(void **state)
{
	struct sysreg_access acc;

	(void)state;
	/* All fields distinct, so a swap of any two shows. */
	esr_decode_sysreg(sys_esr(1, 5, 13, 11, 6, 17, true), &acc);
	assert_int_equal(acc.key, SYSREG_KEY(1, 5, 13, 11, 6));
	assert_int_equal(acc.reg, 17);
	assert_true(acc.read);
	/* The EC and IL bits are not part of the key. */
	esr_decode_sysreg(sys_esr(3, 3, 14, 0, 2, 0, false) | (0x3full << 26), &acc);
	assert_int_equal(acc.key, SYSREG_KEY(3, 3, 14, 0, 2));
	assert_int_equal(acc.reg, 0);
}

static void ec_names_cover_the_handled_classes(void **state)
{
	(void)state;
	assert_string_equal(esr_ec_name(EC_UNKNOWN), "unknown reason");
	assert_string_equal(esr_ec_name(EC_WFX), "WFI/WFE");
	assert_string_equal(esr_ec_name(EC_HVC64), "HVC");
	assert_string_equal(esr_ec_name(EC_SMC64), "SMC");
	assert_string_equal(esr_ec_name(EC_SYS64), "MSR/MRS/system instruction");
	assert_string_equal(esr_ec_name(EC_DABT_LOW), "data abort from a lower EL");
	assert_string_equal(esr_ec_name(EC_IABT_LOW), "instruction abort from a lower EL");
}

static void fault_status_names_say_the_kind_of_fault(void **state)
{
	(void)state;
	assert_string_equal(esr_fsc_name(0x02), "address size fault");
	assert_string_equal(esr_fsc_name(0x07), "translation fault");
	assert_string_equal(esr_fsc_name(0x09), "access flag fault");
	assert_string_equal(esr_fsc_name(0x0c), "permission fault");
	assert_string_equal(esr_fsc_name(0x0f), "permission fault");
	assert_string_equal(esr_fsc_name(FSC_EXTABT), "synchronous external abort");
	assert_string_equal(esr_fsc_name(0x15), "synchronous external abort on a table walk");
	assert_string_equal(esr_fsc_name(0x21), "alignment fault");
	assert_string_equal(esr_fsc_name(0x30), "TLB conflict abort");
	assert_string_equal(esr_fsc_name(0x3f), "other fault");
	assert_string_equal(esr_ec_name(EC_BRK), "BRK");
}

static void ec_names_of_unknown_classes_are_generic(void **state)
{
	static const unsigned unknown[] = {0x02, 0x0d, 0x11, 0x2c, 0x3b, 0x3f, EC_COUNT, 1000};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_string_equal(esr_ec_name(unknown[i]), "unexpected exception class");
	/* Every class has some name: none returns NULL. */
	for (unsigned ec = 0; ec < EC_COUNT; ec++)
		assert_non_null(esr_ec_name(ec));
}

/* ISS2 (ESR_EL2 bits 55:32) sits above the class: exit_handlers[] and stats[] are indexed by
   bits 31:26 alone (ESR_EC here, ubfx in entry.S), never past EC_COUNT. */
static void ec_ignores_iss2(void **state)
{
	(void)state;
	assert_int_equal(ESR_EC(((uint64_t)EC_DABT_LOW << 26) | (0xffffffull << 32)), EC_DABT_LOW);
	assert_int_equal(ESR_EC(~0ull), EC_COUNT - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dabt_without_valid_syndrome_is_not_decoded),
	    cmocka_unit_test(dabt_on_a_stage1_table_walk_is_not_decoded),
	    cmocka_unit_test(dabt_decodes_every_access_width),
	    cmocka_unit_test(dabt_decodes_load_flags),
	    cmocka_unit_test(dabt_decodes_stores_and_every_register),
	    cmocka_unit_test(dabt_ipa_combines_hpfar_page_and_far_offset),
	    cmocka_unit_test(fault_ipa_ignores_hpfar_bits_outside_fipa),
	    cmocka_unit_test(dabt_ignores_fields_outside_the_iss),
	    cmocka_unit_test(sysreg_key_keeps_fields_where_the_iss_has_them),
	    cmocka_unit_test(sysreg_decodes_an_mrs),
	    cmocka_unit_test(sysreg_decodes_an_msr),
	    cmocka_unit_test(sysreg_keeps_every_field_in_its_place),
	    cmocka_unit_test(ec_names_cover_the_handled_classes),
	    cmocka_unit_test(fault_status_names_say_the_kind_of_fault),
	    cmocka_unit_test(ec_names_of_unknown_classes_are_generic),
	    cmocka_unit_test(ec_ignores_iss2),
	};

	return cmocka_run_group_tests_name("esr", tests, NULL, NULL);
}

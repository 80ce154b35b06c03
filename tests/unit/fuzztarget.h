/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzztarget.h - test_fuzz.c includes this once per fuzz target, with
 * FUZZ_TARGET defined to its name (nft for fuzz/fuzz_nft.c): the target's
 * LLVMFuzzerTestOneInput becomes fuzz_<name>_one, so that all of them
 * live in one program.  No include guard, on purpose.
 */
#define FUZZ_STR_(x)		#x
#define FUZZ_STR(x)		FUZZ_STR_(x)
#define FUZZ_ONE_(t)		fuzz_##t##_one
#define FUZZ_ONE(t)		FUZZ_ONE_(t)
#define FUZZ_FILE_(t)		FUZZ_STR(../../fuzz/fuzz_##t.c)
#define FUZZ_FILE(t)		FUZZ_FILE_(t)

#define LLVMFuzzerTestOneInput FUZZ_ONE(FUZZ_TARGET)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#include FUZZ_FILE(FUZZ_TARGET)
#undef LLVMFuzzerTestOneInput
#undef FUZZ_TARGET

/*
 * Fixed-seed xorshift64 for the property tests: the same sequence on every
 * run, so a failure reproduces. Define RNG_SEED before including.
 */
#ifndef ODV_TEST_PRNG_H
#define ODV_TEST_PRNG_H
#include <stdint.h>

static uint64_t rng_state = RNG_SEED;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}
#endif

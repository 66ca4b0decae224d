// The serving state (profiles, frequency caps, pending attribution, the
// dedup filter) is millions of small heap objects read in no particular
// order; with 4 KiB pages nearly every such read also misses the TLB. glibc
// backs its heap with transparent huge pages when the tunable
// glibc.malloc.hugetlb=1 is set, which it reads only at process start:
// UseHugePageMalloc sets it and executes the program again (same pid,
// arguments and open files), once. Measured by bench/pipeline_state_bench
// (walking 1.2M shoppers' state: 1.8x faster).
//
// Nothing happens when GLIBC_TUNABLES already names glibc.malloc.hugetlb
// (an operator's own choice, e.g. =0 to opt out) or the re-execution
// fails; where the kernel has transparent huge pages off, the tunable is
// harmless.
//
// Thread-safety: call first thing in main, before any thread starts.
#pragma once

namespace promorec::base {

void UseHugePageMalloc(char** argv);

}  // namespace promorec::base

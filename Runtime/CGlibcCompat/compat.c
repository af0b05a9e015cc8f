// Keeps Lambda packages of the function executables within Amazon Linux 2023's glibc 2.34.
// See ../shared/NOTES.md "Amazon Linux 2023 compatibility" and README.md "Deploying to AWS"; checked by
// Tests/cloud/al2023_check.py in `make test`.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include "CGlibcCompat.h"

#if defined(__x86_64__) && defined(__GLIBC__)
// Swift's static stdlib references hypotf@GLIBC_2.35; bind it to the 2.2.5 version that AL2023 has.
__asm__(".symver hypotf_old, hypotf@GLIBC_2.2.5");
float hypotf_old(float, float);
float hypotf(float x, float y) { return hypotf_old(x, y); }

#if __GLIBC_PREREQ(2, 36)
// The Lambda packages link libstdc++ statically (mk/cloud.mk); GCC 12's libstdc++.a calls
// arc4random@GLIBC_2.36 (std::random_device), which glibc 2.34 lacks. This definition satisfies
// that reference inside the executable, from the kernel's getrandom(2) (GLIBC_2.25).
uint32_t arc4random(void) {
    uint32_t value = 0;
    while (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value) {
    }
    return value;
}
#endif
#endif

int evcsm_glibc_compat_marker(void) { return 1; }

#include "CBuildInfo.h"

// The macros arrive as bare tokens (no quotes survive SwiftPM's argument passing reliably): stringify them.
#define BOTVISOR_STRINGIFY_(x) #x
#define BOTVISOR_STRINGIFY(x) BOTVISOR_STRINGIFY_(x)

const char *botvisor_build_commit(void) {
#ifdef BOTVISOR_GIT_COMMIT
    return BOTVISOR_STRINGIFY(BOTVISOR_GIT_COMMIT);
#else
    return "";
#endif
}

const char *botvisor_build_date(void) {
#ifdef BOTVISOR_GIT_DATE
    return BOTVISOR_STRINGIFY(BOTVISOR_GIT_DATE);
#else
    return "";
#endif
}

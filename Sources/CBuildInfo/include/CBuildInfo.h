#ifndef BOTVISOR_CBUILDINFO_H
#define BOTVISOR_CBUILDINFO_H

/// The git commit this build was made from, or "" when the build did not say.
/// scripts/install.sh passes it as `-Xcc -DBOTVISOR_GIT_COMMIT=abc1234`: a C macro is the one
/// value SwiftPM can carry from the command line into a build without a plugin.
const char *botvisor_build_commit(void);

/// The commit's date (YYYY-MM-DD), or "" (`-Xcc -DBOTVISOR_GIT_DATE=2026-12-03`).
const char *botvisor_build_date(void);

#endif

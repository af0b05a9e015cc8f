#ifndef EVCSM_CGLIBCCOMPAT_H
#define EVCSM_CGLIBCCOMPAT_H
/// Linked into every function binary so that release builds need no glibc symbol newer than 2.34
/// (Amazon Linux 2023): an old-version binding for hypotf and, for the statically linked libstdc++
/// of the Lambda packages, an arc4random built on getrandom(2). See ../shared/NOTES.md
/// "Amazon Linux 2023 compatibility" and README.md "Deploying to AWS".
int evcsm_glibc_compat_marker(void);
#endif

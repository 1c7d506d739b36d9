/* SPDX-License-Identifier: MIT */
#ifndef COMMON_ERRNONAME_H
#define COMMON_ERRNONAME_H

/* The symbolic name of an errno value ("ENOENT" for ENOENT or -ENOENT), or "E?" unknown. */
const char *errnoname(int error);

#endif

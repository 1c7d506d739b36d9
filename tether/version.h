/* SPDX-License-Identifier: MIT */
#ifndef TETHER_VERSION_H
#define TETHER_VERSION_H

/* The build passes the version from the VERSION file at the top of the tree. */
#ifndef TETHER_VERSION
#error "TETHER_VERSION is not defined: build with the top-level Makefile"
#endif

#endif

// SPDX-License-Identifier: MIT
#include "errnoname.h"

#include <errno.h>
#include <stddef.h>

#include "cleanup.h"

#define NAME(e) [e] = #e

/* The errors a boot can meet; libc has no portable way to name them (musl has none). */
static const char *const names[] = {
	NAME(EPERM),	    NAME(ENOENT),	 NAME(ESRCH),	     NAME(EINTR),
	NAME(EIO),	    NAME(ENXIO),	 NAME(E2BIG),	     NAME(ENOEXEC),
	NAME(EBADF),	    NAME(ECHILD),	 NAME(EAGAIN),	     NAME(ENOMEM),
	NAME(EACCES),	    NAME(EFAULT),	 NAME(ENOTBLK),	     NAME(EBUSY),
	NAME(EEXIST),	    NAME(EXDEV),	 NAME(ENODEV),	     NAME(ENOTDIR),
	NAME(EISDIR),	    NAME(EINVAL),	 NAME(ENFILE),	     NAME(EMFILE),
	NAME(ENOTTY),	    NAME(ETXTBSY),	 NAME(EFBIG),	     NAME(ENOSPC),
	NAME(ESPIPE),	    NAME(EROFS),	 NAME(EMLINK),	     NAME(EPIPE),
	NAME(EDOM),	    NAME(ERANGE),	 NAME(EDEADLK),	     NAME(ENAMETOOLONG),
	NAME(ENOLCK),	    NAME(ENOSYS),	 NAME(ENOTEMPTY),    NAME(ELOOP),
	NAME(ENOMSG),	    NAME(ENODATA),	 NAME(ETIME),	     NAME(ENOLINK),
	NAME(EPROTO),	    NAME(EOVERFLOW),	 NAME(ENOTUNIQ),     NAME(EBADFD),
	NAME(EILSEQ),	    NAME(EUSERS),	 NAME(ENOTSOCK),     NAME(EMSGSIZE),
	NAME(EPROTOTYPE),   NAME(ENOPROTOOPT),	 NAME(EOPNOTSUPP),   NAME(EAFNOSUPPORT),
	NAME(EADDRINUSE),   NAME(EADDRNOTAVAIL), NAME(ENETDOWN),     NAME(ENETUNREACH),
	NAME(ECONNABORTED), NAME(ECONNRESET),	 NAME(ENOBUFS),	     NAME(EISCONN),
	NAME(ENOTCONN),	    NAME(ETIMEDOUT),	 NAME(ECONNREFUSED), NAME(EHOSTUNREACH),
	NAME(EALREADY),	    NAME(EINPROGRESS),	 NAME(ESTALE),	     NAME(EUCLEAN),
	NAME(EDQUOT),	    NAME(EMEDIUMTYPE),	 NAME(ENOMEDIUM),    NAME(ECANCELED),
	NAME(ENOKEY),	    NAME(EKEYREJECTED),
};

const char *errnoname(int error)
{
	if (error < 0)
		error = -error;
	if ((size_t)error < ARRAY_SIZE(names) && names[error])
		return names[error];
	return "E?";
}

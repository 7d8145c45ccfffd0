/* gfortran_concat.c — _gfortran_concat_string, the one routine of the gfortran runtime that the LAPACK
 * in Debian's static OpenBLAS calls (Fortran's `//`, in the options it passes to ILAENV), for make dist.
 * libgfortran.a cannot go into a shared library: its error path, pulled in by this routine, holds
 * thread-local data for an executable only (R_X86_64_TPOFF32).  Linked only into build/dist/.
 * gfortran's ABI since GCC 8: lengths are size_t; the result is cut at destlen, or padded with blanks. */
#include <stddef.h>
#include <string.h>

void _gfortran_concat_string(size_t destlen, char *dest, size_t len1, const char *s1, size_t len2,
                             const char *s2);

void _gfortran_concat_string(size_t destlen, char *dest, size_t len1, const char *s1, size_t len2,
                             const char *s2) {
  if (len1 >= destlen) {
    memcpy(dest, s1, destlen);
    return;
  }
  memcpy(dest, s1, len1);
  dest += len1;
  destlen -= len1;
  if (len2 >= destlen) {
    memcpy(dest, s2, destlen);
    return;
  }
  memcpy(dest, s2, len2);
  memset(dest + len2, ' ', destlen - len2);
}

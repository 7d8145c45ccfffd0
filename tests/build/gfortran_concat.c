/* gfortran_concat.c — mk/gfortran_concat.c, which make dist links in place of the gfortran runtime's
 * _gfortran_concat_string, against the runtime's own (libgfortran.so.5, opened by name): every cut and
 * padding of two strings into destinations of 0 to 12 characters.  Run by tests/build/check_build.sh:
 *   cc -o t tests/build/gfortran_concat.c mk/gfortran_concat.c -ldl && ./t     prints "N cases, N differ" */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef void concat_fn(size_t, char *, size_t, const char *, size_t, const char *);
concat_fn _gfortran_concat_string;

int main(void) {
  void *lib = dlopen("libgfortran.so.5", RTLD_NOW | RTLD_LOCAL);
  concat_fn *runtime = lib ? (concat_fn *)dlsym(lib, "_gfortran_concat_string") : NULL;
  if (!runtime) {
    printf("libgfortran.so.5's _gfortran_concat_string: %s\n", dlerror());
    return 1;
  }
  const char *s1 = "LTRANS", *s2 = "NUX";
  int cases = 0, differ = 0;
  for (size_t destlen = 0; destlen <= 12; destlen++)
    for (size_t len1 = 0; len1 <= 6; len1++)
      for (size_t len2 = 0; len2 <= 3; len2++) {
        char ours[16], theirs[16];
        memset(ours, '#', sizeof ours);
        memset(theirs, '#', sizeof theirs);
        _gfortran_concat_string(destlen, ours, len1, s1, len2, s2);
        runtime(destlen, theirs, len1, s1, len2, s2);
        cases++;
        differ += memcmp(ours, theirs, sizeof ours) != 0;
      }
  printf("%d cases, %d differ\n", cases, differ);
  return differ != 0;
}

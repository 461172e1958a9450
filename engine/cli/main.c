#include "likeness.h"
#include <stdio.h>
int main(void) { puts(lk_version()); return 0; }

// placeholder
extern "C" int lk__cv_placeholder(void);
int lk__cv_placeholder(void) { return 0; }

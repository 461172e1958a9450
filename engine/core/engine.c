/* placeholder until written */
typedef int lk__placeholder_engine;

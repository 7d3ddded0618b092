#ifndef FLOWSTATE_JEMALLOC_CONFIG_H
#define FLOWSTATE_JEMALLOC_CONFIG_H

/// The options Flowstate's executables compile into jemalloc (`malloc_conf`).
#define FLOWSTATE_JEMALLOC_CONFIG "dirty_decay_ms:1000,muzzy_decay_ms:0"

/// Returns the compiled-in jemalloc options (and keeps `malloc_conf` linked).
const char *flowstate_jemalloc_config(void);

#endif

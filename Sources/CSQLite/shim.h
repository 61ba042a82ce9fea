#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro cast that Swift cannot import: it tells SQLite to copy bound bytes.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
/// SQLITE_STATIC: the bound bytes outlive the statement's use of them (caller guarantees it).
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }
#endif

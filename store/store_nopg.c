/* store_nopg: linked instead of store_pg.c when Kconfig leaves out the
 * PostgreSQL backend; store_open() then refuses "postgres:" URIs with
 * -EPX_E_DB_BACKEND instead of failing to link. */
#include "store/store_db.h"

const int store_pg_built = 0;
const struct db_ops store_pg_ops = { .name = "postgres (not built)" };

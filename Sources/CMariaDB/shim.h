// MariaDB Connector/C from Debian's libmariadb-dev (pkg-config adds the mariadb include dir).
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

// mysql_optionsv is variadic, which Swift cannot call: fixed-arity wrappers.
static inline int cmariadb_set_option_uint(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_optionsv(mysql, option, (void *)&value);
}
static inline int cmariadb_set_option_bool(MYSQL *mysql, enum mysql_option option, my_bool value) {
    return mysql_optionsv(mysql, option, (void *)&value);
}
static inline int cmariadb_set_option_string(MYSQL *mysql, enum mysql_option option, const char *value) {
    return mysql_optionsv(mysql, option, (const void *)value);
}

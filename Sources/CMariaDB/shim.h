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

// mariadb_get_infov is variadic too: the server status flags (SERVER_STATUS_IN_TRANS, ...).
static inline unsigned int cmariadb_server_status(MYSQL *mysql) {
    unsigned int status = 0;
    if (mariadb_get_infov(mysql, MARIADB_CONNECTION_SERVER_STATUS, &status)) {
        return 0;
    }
    return status;
}

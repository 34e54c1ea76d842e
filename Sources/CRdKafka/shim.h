// librdkafka from Debian's librdkafka-dev; the mock header gives dev/test clusters.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#ifndef MIGRATE_VERSION_H
#define MIGRATE_VERSION_H
#define MIGRATED_VERSION	"0.1.0"
/* protocol version spoken on the control socket */
#define MIGRATED_PROTO_VERSION	1
#endif

/*
 * fuzz_proto.c - what a client sends the daemon (core/proto.c,
 * cmdspec.c): the bytes after the first are framed into lines by
 * proto_buf as the control socket does, read in pieces of 1 to 64 bytes
 * (the first byte says how many); each line is parsed as a request and checked
 * against its command's arguments (as daemon/cmd.c does), and as a
 * reply (what migratectl reads back).
 */
#include <jansson.h>

#include "cmdspec.h"
#include "fuzz.h"
#include "proto.h"

static void
fuzz_line(const char *line, size_t len)
{
	const struct cmd_spec *spec;
	struct proto_request r;
	struct proto_reply rep;
	json_t *obj = NULL;
	struct merr e;

	merr_clear(&e);
	proto_request_init(&r);
	if (proto_request_parse(line, len, &r, &obj, &e) == 0) {
		if ((spec = cmdspec_find(r.cmd)) != NULL && spec->args)
			(void)proto_request_args(obj, spec->args, &r, &e);
		json_decref(obj);
	}
	proto_request_release(&r);
	merr_clear(&e);
	memset(&rep, 0, sizeof(rep));
	if (proto_reply_parse(line, len, &rep, &e) == 0)
		proto_reply_release(&rep);
}

static void
fuzz_proto(const uint8_t *data, size_t size)
{
	struct proto_buf b;
	size_t chunk, len, at = 1;
	char *line;
	int rc;

	if (size == 0)
		return;
	/* the first byte picks the read size: lines cut across reads */
	chunk = (size_t)(data[0] % 64) + 1;
	proto_buf_init(&b, 4096);
	while (at < size) {
		size_t n = size - at < chunk ? size - at : chunk;

		if (proto_buf_append(&b, (const char *)data + at, n) == -1)
			break;
		at += n;
		while ((rc = proto_buf_next(&b, &line, &len)) != 0)
			if (rc == 1)
				fuzz_line(line, len);
	}
	proto_buf_release(&b);
}

FUZZ_TARGET(fuzz_proto)

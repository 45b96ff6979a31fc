/*
 * output.h - how migratectl shows the daemon's messages: one vtable, a
 * text and a JSON implementation (bgpctl's struct output).  Results go to
 * stdout, diagnostics and progress to stderr.
 */
#ifndef MIGRATECTL_OUTPUT_H
#define MIGRATECTL_OUTPUT_H

#include <jansson.h>

#include "err.h"
#include "proto.h"

struct output {
	/* a progress message (the whole object) */
	void	(*progress)(const char *cmd, json_t *msg);
	/* the final message of a successful command */
	void	(*result)(const char *cmd, json_t *msg,
		    json_t *data);
	/* a failed command: the daemon's message, or NULL for local errors */
	void	(*error)(const char *cmd, json_t *msg, enum proto_code,
		    const struct merr *);
	/* the progress printed so far goes out now (before a wait) */
	void	(*flush)(void);
};

extern const struct output output_text;
extern const struct output output_json;

/* Colour on a terminal unless NO_COLOR is set; call once. */
void	output_init(int json);

#endif

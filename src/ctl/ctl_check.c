/*
 * ctl_check: a request line against the protocol and the command table.
 *
 * Pure functions of JSON and the table (ctl_cmds.h): whether a parsed line
 * is a request ctl can act on, and what "help" says.  What fails is
 * described as the error reply to send ({code, argument, message}); the
 * caller sends it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_check.h"

int ctl_check_fail(struct ctl_fail *f, const char *code, const char *arg, const char *fmt, ...)
{
	va_list ap;

	f->code = code;
	f->arg = arg;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *arg_type_name(enum ctl_arg_type t, bool article)
{
	switch (t) {
	case CTL_ARG_STRING:
		return article ? "a string" : "string";
	case CTL_ARG_INT:
		return article ? "an integer" : "int";
	case CTL_ARG_STRINGS:
		return article ? "an array of strings" : "strings";
	case CTL_ARG_FLAG:
		return article ? "a boolean" : "flag";
	}
	return "?";
}

static bool arg_type_ok(enum ctl_arg_type t, json_t *v)
{
	switch (t) {
	case CTL_ARG_STRING:
		return json_is_string(v);
	case CTL_ARG_INT:
		return json_is_integer(v);
	case CTL_ARG_FLAG:
		return json_is_boolean(v);
	case CTL_ARG_STRINGS:
		if (!json_is_array(v))
			return false;
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return false;
		return true;
	}
	return false;
}

static const struct ctl_arg_info *arg_find(const struct ctl_cmd_info *ci, const char *name)
{
	for (unsigned i = 0; i < CTL_MAX_ARGS && ci->args[i].name; i++)
		if (strcmp(ci->args[i].name, name) == 0)
			return &ci->args[i];
	return NULL;
}

/* Every argument known and of its type, every required one present. */
static int args_check(const struct ctl_cmd_info *ci, json_t *args, struct ctl_fail *f)
{
	const struct ctl_arg_info *ai;

	for (void *it = json_object_iter(args); it; it = json_object_iter_next(args, it)) {
		const char *key = json_object_iter_key(it);
		json_t *v = json_object_iter_value(it);

		ai = arg_find(ci, key);
		if (!ai)
			return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, key,
					      "unknown argument '%s' for '%s'", key, ci->name);
		if (!arg_type_ok(ai->type, v))
			return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, key,
					      "argument '%s' must be %s", key,
					      arg_type_name(ai->type, true));
	}
	for (unsigned i = 0; i < CTL_MAX_ARGS && ci->args[i].name; i++) {
		ai = &ci->args[i];
		if (ai->required && !json_object_get(args, ai->name))
			return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, ai->name,
					      "missing argument '%s' (%s)", ai->name, ai->help);
	}
	return 0;
}

int ctl_check_request(json_t *root, const json_error_t *je, const struct ctl_cmd_info **cip,
		      json_t **argsp, struct ctl_fail *f)
{
	json_t *cmd, *args;
	const char *name;

	if (!root)
		return ctl_check_fail(f, CTL_ERR_BAD_REQUEST, NULL, "not JSON: %s (column %d)",
				      je->text, je->column);
	if (!json_is_object(root))
		return ctl_check_fail(f, CTL_ERR_BAD_REQUEST, NULL, "request is not a JSON object");
	cmd = json_object_get(root, "cmd");
	if (!json_is_string(cmd))
		return ctl_check_fail(f, CTL_ERR_BAD_REQUEST, NULL,
				      cmd ? "\"cmd\" must be a string" : "missing \"cmd\"");
	args = json_object_get(root, "args");
	if (args && !json_is_object(args))
		return ctl_check_fail(f, CTL_ERR_BAD_REQUEST, NULL, "\"args\" must be an object");
	name = json_string_value(cmd);
	*cip = strlen(name) == json_string_length(cmd) ? ctl_cmd_find(name) : NULL;
	if (!*cip)
		return ctl_check_fail(f, CTL_ERR_UNKNOWN, NULL,
				      "unknown command '%s'; 'help' lists them", name);
	if (!args && json_object_set_new(root, "args", args = json_object()) < 0)
		return ctl_check_fail(f, CTL_ERR_FAILED, NULL, "out of memory");
	*argsp = args;
	return args_check(*cip, args, f);
}

static json_t *cmd_json(const struct ctl_cmd_info *ci, bool detail)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s}", "name", ci->name, "usage", ci->usage, "help", ci->help);
	json_t *a = detail ? json_array() : NULL;

	for (unsigned i = 0; a && i < CTL_MAX_ARGS && ci->args[i].name; i++) {
		const struct ctl_arg_info *ai = &ci->args[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s}", "name", ai->name, "type",
						   arg_type_name(ai->type, false), "required",
						   ai->required, "help", ai->help));
	}
	if (a)
		json_object_set_new(o, "args", a);
	return o;
}

int ctl_check_help(json_t *args, json_t **res, struct ctl_fail *f)
{
	json_t *name = json_object_get(args, "command"), *a;
	const struct ctl_cmd_info *ci;

	if (name) {
		ci = ctl_cmd_find(json_string_value(name));
		if (!ci)
			return ctl_check_fail(f, CTL_ERR_BAD_ARGUMENT, "command",
					      "unknown command '%s'; 'help' lists them",
					      json_string_value(name));
		*res = cmd_json(ci, true);
		return 0;
	}
	a = json_array();
	for (unsigned i = 0; i < ctl_ncmds; i++)
		json_array_append_new(a, cmd_json(&ctl_cmds[i], false));
	*res = json_pack("{s:o}", "commands", a);
	return 0;
}

/*
 * ctl_cmds: the control commands' info table, expanded from the rows of
 * every domain (ctl_cmds.h): name, usage, help and arguments, indexed by
 * enum ctl_cmd_id.
 *
 * Linked by both sides: sipuad checks each request against it (ctl_check)
 * and answers `help` from it; sipuactl takes command names, usage,
 * positional argument order and help from it.  The handler column is
 * dropped here, so that sipuactl links none of the daemon's code.
 */
#include <string.h>

#include "ctl/ctl_cmds.h"

#define CTL_CMDS_INFO_(id, name_, usage_, help_, handler, ...)                                     \
	[CTL_CMD_##id] = {.name = name_, .usage = usage_, .help = help_, .args = {__VA_ARGS__}},

const struct ctl_cmd_info ctl_cmds[CTL_NCMDS] = {CTL_CMDS(CTL_CMDS_INFO_)};

const unsigned ctl_ncmds = CTL_NCMDS;

const struct ctl_cmd_info *ctl_cmd_find(const char *name)
{
	for (unsigned i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

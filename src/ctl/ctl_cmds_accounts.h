/*
 * ctl_cmds_accounts: the commands on accounts and their registrations.
 * Every one names its account ([account NAME]).  Rows as described in
 * ctl_cmds.h; the handlers are in app/daemon_accounts.c.
 */
#ifndef SIPUAD_CTL_CMDS_ACCOUNTS_H
#define SIPUAD_CTL_CMDS_ACCOUNTS_H

#define CTL_ARG_ACCOUNT_ CTL_ARG("account", STRING, 1, "account name, as in [account NAME]")

#define CTL_CMDS_ACCOUNTS(X)                                                                       \
	X(accounts, "accounts", "accounts",                                                        \
	  "List the accounts: name, URI, registration state, expiry left, registrar, last "        \
	  "error and next retry.",                                                                 \
	  daemon_accounts_list, CTL_NOARGS)                                                        \
	X(account_info, "account-info", "account-info ACCOUNT",                                    \
	  "Everything about one account: identity, registrar, outbound proxy, route set, "         \
	  "registration state and counts (never the password).",                                   \
	  daemon_accounts_info, CTL_ARG_ACCOUNT_)                                                  \
	X(register, "register", "register ACCOUNT",                                                \
	  "Register ACCOUNT now (or refresh its registration); the outcome comes as "              \
	  "reg.state events.",                                                                     \
	  daemon_accounts_register, CTL_ARG_ACCOUNT_)                                              \
	X(unregister, "unregister", "unregister ACCOUNT",                                          \
	  "Unregister ACCOUNT (REGISTER with Expires: 0); it stays unregistered until "            \
	  "`register` or a restart.",                                                              \
	  daemon_accounts_unregister, CTL_ARG_ACCOUNT_)

#endif

/*
 * daemon_accounts: the daemon's accounts, made from the [account NAME]
 * sections, with a registration (ua/reg.h) for each one that registers;
 * the reload that adds, changes and removes them; the control commands
 * on them (CTL_CMDS_ACCOUNTS: accounts, account-info, register,
 * unregister) and the reg.state events.
 *
 * The table holds one reference to each account; calls and regs hold
 * their own (account_hold), so an account a reload removes or changes
 * lives on for the calls that use it.  A removed account that was
 * registered is unregistered (Expires: 0) and leaves the table once that
 * is over.  With no [account] section the table is empty and the daemon's
 * built-in default account serves.
 */
#ifndef SIPUAD_DAEMON_ACCOUNTS_H
#define SIPUAD_DAEMON_ACCOUNTS_H

#include <stdbool.h>

struct account;
struct cfg;
struct daemon;

/* Before anything else: the table's timer on the daemon's clock. */
void daemon_accounts_init_timers(struct daemon *dm);
/* Make the accounts of cfg (no registration sent yet). 0, or -errno with a log line. */
int daemon_accounts_init(struct daemon *dm, const struct cfg *cfg);
/* Register every account that registers (once the listeners are up). */
void daemon_accounts_start(struct daemon *dm);
/* A reload: the accounts of cfg from now on. */
void daemon_accounts_reload(struct daemon *dm, const struct cfg *cfg);
/* Shutdown: unregister every registered account. */
void daemon_accounts_shutdown(struct daemon *dm);
/* Registrations with a REGISTER (or Expires: 0) in flight: shutdown waits for them. */
unsigned daemon_accounts_busy(const struct daemon *dm);
/* Every reg and account let go, without a word on the wire. */
void daemon_accounts_free(struct daemon *dm);

/* The account named name (NULL: the default one), or NULL. */
struct account *daemon_account_find(void *dm, const char *name);
/* The account whose Contact user is user, or NULL (ua_account_fn). */
struct account *daemon_account_for_user(void *dm, const char *user);
/* *n: the accounts registered now. */
void daemon_accounts_registered(const struct daemon *dm, unsigned *n);
/* Accounts in the table (leaving ones too). */
unsigned daemon_accounts_count(const struct daemon *dm);

#endif

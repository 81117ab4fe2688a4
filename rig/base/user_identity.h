// Who is at the keyboard, as rollrig's clients name an operator in requests and records:
// "user@host". The user is $USER, else $LOGNAME, else the account of the effective user
// id (services started by systemd or cron have neither variable set), else "uid N"; it is
// never a placeholder such as "unknown". The host is gethostname().
//
// Thread-safe (reentrant libc calls only).
#pragma once

#include <string>

namespace rollrig {

// The user name alone, by the rule above.
std::string CurrentUserName();

// "user@host".
std::string UserAtHost();

// This machine's name (gethostname()); "" when it has none.
std::string HostName();

}  // namespace rollrig

#pragma once
// Log lines for systemd's journal: when stderr is the journal's own stream (JOURNAL_STREAM
// names stderr's device and inode, as systemd sets it for a service), each line goes out with
// its syslog priority as a `<N>` prefix, which journald reads as the entry's PRIORITY.

#include <QByteArray>
#include <QString>
#include <QtGlobal>

namespace Mercato::JournalLog {

// True when `journalStream` ("DEVICE:INODE" in decimal, JOURNAL_STREAM's form) names the file
// open on descriptor `fd`.
bool streamIs(const QByteArray &journalStream, int fd);
// Syslog priority of a Qt message type: debug 7, info 6, warning 4, critical 3, fatal 2.
int priority(QtMsgType type);
// `text` as journal lines: `<N>` before each line (journald takes every line as one entry),
// ending with a newline.
QByteArray lines(int priority, const QString &text);
// Installs the journal message handler when stderr is the journal's stream (JOURNAL_STREAM in
// the environment matches it); true when it did.
bool installIfUnderJournal();

} // namespace Mercato::JournalLog

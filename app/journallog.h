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
// Installs the process's log handler and answers whether stderr is the journal's stream
// (JOURNAL_STREAM in the environment matches it): then every line has its `<N>` priority;
// elsewhere lines are plain, in Qt's message pattern, as Qt's own handler writes them.
// Info and debug lines (the access log is one per request) are written in batches by a thread
// of their own, at most kFlushMs after they were logged, instead of one write(2) per line from
// the thread that logs; a warning or worse first writes what is pending, then itself, at once.
// What is pending is written at exit; a crash loses at most the last kFlushMs of info lines.
bool install();
// Writes the pending lines now.
void flush();

constexpr int kFlushMs = 20;

} // namespace Mercato::JournalLog

#include "journallog.h"

#include <QList>

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace Mercato::JournalLog {

bool streamIs(const QByteArray &journalStream, int fd)
{
    const QList<QByteArray> parts = journalStream.split(':');
    if (parts.size() != 2)
        return false;
    bool devOk = false;
    bool inoOk = false;
    const qulonglong dev = parts[0].toULongLong(&devOk);
    const qulonglong ino = parts[1].toULongLong(&inoOk);
    struct stat st = {};
    if (!devOk || !inoOk || ::fstat(fd, &st) != 0)
        return false;
    return qulonglong(st.st_dev) == dev && qulonglong(st.st_ino) == ino;
}

int priority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 7;
    case QtInfoMsg:
        return 6;
    case QtWarningMsg:
        return 4;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 2;
    }
    return 6;
}

QByteArray lines(int priority, const QString &text)
{
    const QByteArray prefix = '<' + QByteArray::number(priority) + '>';
    QByteArray out;
    const QList<QByteArray> split = text.toUtf8().split('\n');
    for (qsizetype i = 0; i < split.size(); ++i) {
        if (i == split.size() - 1 && split[i].isEmpty() && i > 0)
            break; // a trailing newline ends the last line, it does not open one
        out += prefix + split[i] + '\n';
    }
    return out;
}

namespace {
void journalHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    // One write per message, so lines of two threads never interleave.
    const QByteArray out = lines(priority(type), qFormatLogMessage(type, context, message));
    std::fwrite(out.constData(), 1, size_t(out.size()), stderr);
    std::fflush(stderr);
}
} // namespace

bool installIfUnderJournal()
{
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    if (stream.isEmpty() || !streamIs(stream, STDERR_FILENO))
        return false;
    qInstallMessageHandler(journalHandler);
    return true;
}

} // namespace Mercato::JournalLog

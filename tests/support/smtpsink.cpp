#include "smtpsink.h"

#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>

namespace Mercato::Test {

SmtpSink::SmtpSink(QStringList extraArgs, quint16 port)
    : m_port(port ? port : freePort())
    , m_args(std::move(extraArgs))
{}

SmtpSink::~SmtpSink()
{
    stop();
}

bool SmtpSink::start()
{
    // Debian's aiosmtpd lives with the system interpreter, not a pyenv one.
    m_process.setProgram(QFile::exists(QStringLiteral("/usr/bin/python3"))
                                 ? QStringLiteral("/usr/bin/python3")
                                 : QStringLiteral("python3"));
    m_process.setArguments(QStringList{QStringLiteral(MERCATO_PEERS_DIR "/smtp_sink.py"),
                                       QStringLiteral("--port"), QString::number(m_port),
                                       QStringLiteral("--dir"), m_dir.path()}
                           + m_args);
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start();
    if (!m_process.waitForStarted(10000))
        return false;
    while (!m_process.canReadLine()) {
        if (!m_process.waitForReadyRead(15000))
            return false;
    }
    return m_process.readLine().startsWith("READY");
}

void SmtpSink::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
}

QStringList SmtpSink::messages() const
{
    return QDir(m_dir.path()).entryList({QStringLiteral("*.eml")}, QDir::Files, QDir::Name);
}

QByteArray SmtpSink::message(int n) const
{
    return read(QStringLiteral("%1.eml").arg(n));
}

QJsonObject SmtpSink::meta(int n) const
{
    return QJsonDocument::fromJson(read(QStringLiteral("%1.json").arg(n))).object();
}

QList<QByteArray> SmtpSink::contents() const
{
    QList<QByteArray> out;
    const QStringList names = messages();
    for (const QString &name : names)
        out.append(read(name));
    return out;
}

QByteArray SmtpSink::read(const QString &name) const
{
    QFile f(m_dir.path() + QLatin1Char('/') + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace Mercato::Test

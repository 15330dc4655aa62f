#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

namespace Mercato::Test {

// The aiosmtpd sink of tests/peers/smtp_sink.py on a free port (or `port`), capturing each
// message into a folder as N.eml with its envelope in N.json.
class SmtpSink
{
public:
    explicit SmtpSink(QStringList extraArgs = {}, quint16 port = 0);
    ~SmtpSink();
    bool start();
    void stop();
    quint16 port() const { return m_port; }
    // File names of the captured messages, in name order.
    QStringList messages() const;
    QByteArray message(int n) const;
    QJsonObject meta(int n) const;
    // The captured messages themselves, in name order.
    QList<QByteArray> contents() const;

private:
    QByteArray read(const QString &name) const;
    quint16 m_port;
    QStringList m_args;
    QTemporaryDir m_dir;
    QProcess m_process;
};

} // namespace Mercato::Test

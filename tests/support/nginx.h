#pragma once
// A real nginx for the tests, on loopback, with its own prefix folder and log; stopped when the
// object goes. The caller gives what goes inside `http { }` (upstreams and servers).

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

namespace Mercato::Test {

class NginxProcess
{
public:
    NginxProcess() = default;
    ~NginxProcess();
    NginxProcess(const NginxProcess &) = delete;
    NginxProcess &operator=(const NginxProcess &) = delete;

    // Starts nginx with `site` inside its http block and waits until `probePort` answers
    // `GET /healthz` (any status). False with errorString() when nginx is missing, refuses the
    // configuration or does not answer.
    bool start(const QString &site, quint16 probePort);
    QString errorString() const { return m_error; }
    // nginx's error log so far.
    QString log() const;

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    QString m_error;
};

} // namespace Mercato::Test

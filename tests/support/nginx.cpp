#include "nginx.h"

#include "testsupport.h"

#include <QFile>
#include <QStandardPaths>
#include <QTest>

namespace Mercato::Test {

NginxProcess::~NginxProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(5000))
            m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool NginxProcess::start(const QString &site, quint16 probePort)
{
    const QString nginx = QStandardPaths::findExecutable(
            QStringLiteral("nginx"),
            {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    if (nginx.isEmpty()) {
        m_error = QStringLiteral("nginx is not installed (packaging/install-deps.sh test)");
        return false;
    }
    const QString d = m_dir.path();
    const QString conf = QStringLiteral("worker_processes 1;\n"
                                        "pid %1/nginx.pid;\n"
                                        "error_log %1/error.log warn;\n"
                                        "events { worker_connections 1024; }\n"
                                        "http {\n"
                                        "    access_log off;\n"
                                        "    client_body_temp_path %1/body;\n"
                                        "    proxy_temp_path %1/proxy;\n"
                                        "    fastcgi_temp_path %1/fastcgi;\n"
                                        "    uwsgi_temp_path %1/uwsgi;\n"
                                        "    scgi_temp_path %1/scgi;\n"
                                        "%2\n"
                                        "}\n")
                                 .arg(d, site);
    QFile f(d + QStringLiteral("/nginx.conf"));
    if (!f.open(QIODevice::WriteOnly) || f.write(conf.toUtf8()) < 0) {
        m_error = QStringLiteral("cannot write nginx.conf");
        return false;
    }
    f.close();
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(nginx, {QStringLiteral("-p"), d, QStringLiteral("-e"),
                            d + QStringLiteral("/error.log"), QStringLiteral("-c"),
                            d + QStringLiteral("/nginx.conf"), QStringLiteral("-g"),
                            QStringLiteral("daemon off;")});
    if (!m_process.waitForStarted(5000)) {
        m_error = m_process.errorString();
        return false;
    }
    for (int i = 0; i < 100 && m_process.state() == QProcess::Running; ++i) {
        if (httpRequest(probePort, "GET", "/healthz", {}, {}, 1000).status != 0)
            return true;
        QTest::qWait(100);
    }
    m_error = QStringLiteral("nginx did not answer: ") + log()
              + QString::fromUtf8(m_process.readAll());
    return false;
}

QString NginxProcess::log() const
{
    QFile f(m_dir.path() + QStringLiteral("/error.log"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace Mercato::Test

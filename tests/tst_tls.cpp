// MERCATO_TLS_CERT/KEY: the API answers over HTTPS, and refuses plain HTTP on that port.

#include "support/testsupport.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using namespace Mercato::Test;

class TestTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void servesHttps();
};

namespace {
QByteArray httpsGet(quint16 port, const QByteArray &path, int timeoutMs)
{
    QSslSocket s;
    s.setPeerVerifyMode(QSslSocket::VerifyNone);
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForEncrypted(timeoutMs))
        return {};
    s.write("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    QByteArray in;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs && s.state() == QAbstractSocket::ConnectedState) {
        if (s.waitForReadyRead(50))
            in += s.readAll();
        if (in.contains("\r\n\r\n") && in.contains("\"status\""))
            break;
    }
    return in + s.readAll();
}
} // namespace

void TestTls::servesHttps()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("key.pem"));
    const QString cert = dir.filePath(QStringLiteral("cert.pem"));
    QVERIFY(makeTlsPair(cert, key));

    const quint16 port = freePort();
    QProcess server;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MERCATO_LISTEN"), QStringLiteral("127.0.0.1:%1").arg(port));
    env.insert(QStringLiteral("MERCATO_DATA_DIR"), dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("MERCATO_JWT_SECRET"), QString::fromLatin1(testJwtKey()));
    env.insert(QStringLiteral("MERCATO_TLS_CERT"), cert);
    env.insert(QStringLiteral("MERCATO_TLS_KEY"), key);
    env.remove(QStringLiteral("MERCATO_DATABASE"));
    server.setProcessEnvironment(env);
    server.setProcessChannelMode(QProcess::MergedChannels);
    server.start(serverBinary(), {});
    QVERIFY(server.waitForStarted(5000));
    QByteArray answer;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 20000 && !answer.startsWith("HTTP/1.1 200")) {
        answer = httpsGet(port, "/healthz", 2000);
        if (!answer.startsWith("HTTP/1.1 200"))
            QThread::msleep(100);
    }
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.contains("{\"status\":\"ok\"}"));
    // Plain HTTP on the TLS port gets no HTTP answer.
    QVERIFY(!httpRequest(port, "GET", "/healthz", {}, {}, 2000).status);
    ::kill(pid_t(server.processId()), SIGTERM);
    QVERIFY(server.waitForFinished(15000));
    QCOMPARE(server.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"

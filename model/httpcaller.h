#pragma once
// Blocking HTTP calls for adapters of outside systems (Cloudinary, ...), made from any
// thread: the requests run on a private network thread, so the caller never spins a nested
// event loop (an API worker's loop must not re-enter another request).

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QThread>
#include <QUrl>

class QNetworkAccessManager;

namespace Mercato {

class HttpCaller
{
public:
    HttpCaller();
    ~HttpCaller();
    HttpCaller(const HttpCaller &) = delete;
    HttpCaller &operator=(const HttpCaller &) = delete;

    struct Reply
    {
        int status = 0; // 0: no HTTP answer (see error)
        QByteArray body;
        QString error; // transport problem, empty when an answer came
    };
    // POSTs `body`; gives up after `timeoutMs` without progress.
    Reply post(const QUrl &url, const QByteArray &body, const QByteArray &contentType,
               int timeoutMs, const QList<QPair<QByteArray, QByteArray>> &headers = {});

private:
    QThread m_thread;
    QNetworkAccessManager *m_network = nullptr; // lives in m_thread
};

} // namespace Mercato

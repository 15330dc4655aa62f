#pragma once
// Blocking HTTP calls for adapters of outside systems (Cloudinary, ...), made from any
// thread: the requests run on a private network thread, so the caller never spins a nested
// event loop (an API worker's loop must not re-enter another request).

#include "canceltoken.h"

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
        QString error;          // transport problem, empty when an answer came
        bool cancelled = false; // `cancel` aborted the request
    };
    // POSTs `body`; gives up after `timeoutMs` without progress, or aborts the request soon
    // after `cancel` is cancelled.
    Reply post(const QUrl &url, const QByteArray &body, const QByteArray &contentType,
               int timeoutMs, const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const CancelToken &cancel = {});

private:
    QThread m_thread;
    QNetworkAccessManager *m_network = nullptr; // lives in m_thread
};

} // namespace Mercato

#include "httpcaller.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>

#include <chrono>
#include <future>
#include <memory>

namespace Mercato {

HttpCaller::HttpCaller()
{
    m_thread.setObjectName(QStringLiteral("mercato-http"));
    m_network = new QNetworkAccessManager;
    m_network->moveToThread(&m_thread);
    m_thread.start();
}

HttpCaller::~HttpCaller()
{
    QNetworkAccessManager *network = m_network;
    QMetaObject::invokeMethod(
            network, [network] { delete network; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

HttpCaller::Reply HttpCaller::post(const QUrl &url, const QByteArray &body,
                                   const QByteArray &contentType, int timeoutMs,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   const CancelToken &cancel)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    request.setTransferTimeout(timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);

    auto promise = std::make_shared<std::promise<Reply>>();
    std::future<Reply> future = promise->get_future();
    QNetworkAccessManager *network = m_network;
    // The reply in flight; read and written on the network thread only.
    auto inFlight = std::make_shared<QPointer<QNetworkReply>>();
    QMetaObject::invokeMethod(
            network,
            [network, request, body, promise, inFlight, cancel] {
                if (cancel.isCancelled()) {
                    promise->set_value(Reply{0, {}, QStringLiteral("cancelled"), true});
                    return;
                }
                QNetworkReply *reply = network->post(request, body);
                *inFlight = reply;
                QObject::connect(reply, &QNetworkReply::finished, reply, [reply, promise] {
                    Reply r;
                    const QVariant status
                            = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
                    r.status = status.isValid() ? status.toInt() : 0;
                    r.body = reply->readAll();
                    if (r.status == 0)
                        r.error = reply->errorString();
                    promise->set_value(std::move(r));
                    reply->deleteLater();
                });
            },
            Qt::QueuedConnection);
    // The transfer timeout ends the reply; the deadline only guards against a stuck network
    // thread. A cancel aborts the reply on its thread (queued after the post above), which
    // finishes it at once.
    const auto deadline = std::chrono::steady_clock::now()
                          + std::chrono::milliseconds(timeoutMs) * 2 + std::chrono::seconds(5);
    bool cancelled = false;
    while (future.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
        if (!cancelled && cancel.isCancelled()) {
            cancelled = true;
            QMetaObject::invokeMethod(
                    network,
                    [inFlight] {
                        if (*inFlight)
                            (*inFlight)->abort();
                    },
                    Qt::QueuedConnection);
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return Reply{0, {}, QStringLiteral("timed out")};
    }
    Reply reply = future.get();
    // An answer that came before the abort stands (the caller undoes what it did).
    if (cancelled && reply.status == 0)
        reply.cancelled = true;
    return reply;
}

} // namespace Mercato

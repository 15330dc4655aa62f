#include "httpcaller.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

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
                                   const QList<QPair<QByteArray, QByteArray>> &headers)
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
    QMetaObject::invokeMethod(
            network,
            [network, request, body, promise] {
                QNetworkReply *reply = network->post(request, body);
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
    // The transfer timeout ends the reply; this only guards against a stuck network thread.
    if (future.wait_for(std::chrono::milliseconds(timeoutMs) * 2 + std::chrono::seconds(5))
        != std::future_status::ready)
        return Reply{0, {}, QStringLiteral("timed out")};
    return future.get();
}

} // namespace Mercato

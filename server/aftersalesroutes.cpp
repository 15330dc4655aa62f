#include "aftersalesroutes.h"

#include "jsonbody.h"
#include "router.h"
#include "uploadpart.h"

#include "model/clock.h"
#include "model/complaintthreads.h"
#include "model/shop.h"

namespace Mercato {

using namespace Http;

namespace {

QJsonValue nullable(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QJsonArray imagesJson(const QList<EvidenceImage> &images)
{
    QJsonArray a;
    for (const EvidenceImage &i : images)
        a.append(QJsonObject{{QStringLiteral("id"), i.id}, {QStringLiteral("url"), i.url}});
    return a;
}

QJsonObject refundJson(const RefundRequest &r)
{
    return QJsonObject{
            {QStringLiteral("id"), r.id},
            {QStringLiteral("orderId"), r.orderId},
            {QStringLiteral("orderItemId"), r.orderItemId},
            {QStringLiteral("productId"), r.productId},
            {QStringLiteral("productName"), r.productName},
            {QStringLiteral("customerName"), r.customerName},
            {QStringLiteral("quantity"), r.quantity},
            {QStringLiteral("reason"), r.reason},
            {QStringLiteral("status"), r.status},
            {QStringLiteral("note"), nullable(r.note)},
            {QStringLiteral("amountCents"),
             r.amountCents ? QJsonValue(*r.amountCents) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("coinsReturned"),
             r.coinsReturned ? QJsonValue(*r.coinsReturned) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("currency"), r.currency},
            {QStringLiteral("restock"), r.restock},
            {QStringLiteral("refundError"), nullable(r.refundError)},
            {QStringLiteral("complaintId"), nullable(r.complaintId)},
            {QStringLiteral("creditNoteNumber"), nullable(r.creditNoteNumber)},
            {QStringLiteral("images"), imagesJson(r.images)},
            {QStringLiteral("createdAt"), Clock::toRfc3339(r.createdAt)},
            {QStringLiteral("updatedAt"), Clock::toRfc3339(r.updatedAt)},
            {QStringLiteral("decidedAt"), r.decidedAt ? QJsonValue(Clock::toRfc3339(*r.decidedAt))
                                                      : QJsonValue(QJsonValue::Null)}};
}

QJsonObject complaintJson(const Complaint &c)
{
    QJsonArray messages;
    for (const ComplaintMessage &m : c.messages)
        messages.append(QJsonObject{{QStringLiteral("id"), m.id},
                                    {QStringLiteral("authorName"), m.authorName},
                                    {QStringLiteral("authorRole"), m.authorRole},
                                    {QStringLiteral("message"), m.message},
                                    {QStringLiteral("createdAt"), Clock::toRfc3339(m.createdAt)}});
    return QJsonObject{
            {QStringLiteral("id"), c.id},
            {QStringLiteral("orderId"), c.orderId},
            {QStringLiteral("orderItemId"), nullable(c.orderItemId)},
            {QStringLiteral("customerName"), c.customerName},
            {QStringLiteral("subject"), c.subject},
            {QStringLiteral("message"), c.message},
            {QStringLiteral("status"), c.status},
            {QStringLiteral("messages"), messages},
            {QStringLiteral("images"), imagesJson(c.images)},
            {QStringLiteral("refundRequestIds"), QJsonArray::fromStringList(c.refundRequestIds)},
            {QStringLiteral("createdAt"), Clock::toRfc3339(c.createdAt)},
            {QStringLiteral("updatedAt"), Clock::toRfc3339(c.updatedAt)}};
}

template<typename Page, typename ToJson>
Response pageResponse(const Result<Page> &page, ToJson toJson)
{
    if (!page)
        return Response::fromError(page.error());
    QJsonArray items;
    for (const auto &item : page->items)
        items.append(toJson(item));
    return Response::json(200,
                          QJsonObject{{QStringLiteral("items"), items},
                                      {QStringLiteral("nextCursor"), nullable(page->nextCursor)}});
}

template<typename T, typename ToJson>
Response one(const Result<T> &value, ToJson toJson)
{
    if (!value)
        return Response::fromError(value.error());
    return Response::json(200, toJson(value.value()));
}

// `?status=` among `allowed`; empty when absent, 400 naming it when unknown.
Result<QString> statusParam(const Request &req, bool (*allowed)(const QString &))
{
    if (!req.query.hasQueryItem(QStringLiteral("status")))
        return QString();
    const QString status = req.query.queryItemValue(QStringLiteral("status"));
    if (!allowed(status))
        return badParam(QStringLiteral("status"), QStringLiteral("is not a known status"));
    return status;
}

Response imageCreated(const Result<EvidenceImage> &image)
{
    if (!image) {
        Response refused = Response::fromError(image.error());
        if (image.error().code == ErrorCode::RateLimited) // the daily budget: uploads of the
            refused.setHeader("Retry-After", "3600");     // last 24 h age out of it
        return refused;
    }
    Response r = Response::json(201, QJsonObject{{QStringLiteral("id"), image->id},
                                                 {QStringLiteral("url"), image->url}});
    r.setHeader("Location", image->url.toUtf8());
    return r;
}

// A JSON body, or an empty object when none was sent (decisions may carry no fields).
Result<QJsonObject> optionalJsonBody(const Request &req)
{
    if (req.body.trimmed().isEmpty())
        return QJsonObject();
    return jsonObjectBody(req);
}

constexpr int kMaxNote = 2000;
constexpr int kMaxMessage = 5000;

void registerRefundRoutes(Router &router, Shop &shop)
{
    router.add(
            "POST", QStringLiteral("/api/v1/orders/{id}/refund-requests"), Access::Customer,
            [&shop](Request &req) {
                if (auto own = shop.refunds().checkOrderOwner(req.user().userId,
                                                              req.param(QStringLiteral("id")));
                    !own)
                    return Response::fromError(own.error());
                auto body = jsonObjectBody(req);
                if (!body)
                    return Response::fromError(body.error());
                FieldReader f(body.value());
                const auto item = f.string(QStringLiteral("orderItemId"), Need::Required, 1, 200);
                const auto quantity
                        = f.integer(QStringLiteral("quantity"), Need::Required, 1, 1'000'000);
                const auto reason = f.string(QStringLiteral("reason"), Need::Required, 1, kMaxNote);
                const auto complaint
                        = f.string(QStringLiteral("complaintId"), Need::Optional, 1, 200);
                if (!f.ok())
                    return Response::fromError(f.error());
                auto r = shop.refunds().request(req.user().userId, req.param(QStringLiteral("id")),
                                                *item, int(*quantity), *reason,
                                                complaint.value_or(QString()));
                if (!r)
                    return Response::fromError(r.error());
                return Response::created(QStringLiteral("/api/v1/refund-requests/") + r->id,
                                         refundJson(r.value()));
            });
    router.add("GET", QStringLiteral("/api/v1/refund-requests"), Access::Customer,
               [&shop](Request &req) {
                   auto paging = pageParams(req);
                   if (!paging)
                       return Response::fromError(paging.error());
                   return pageResponse(shop.refunds().listForCustomer(
                                               req.user().userId, paging->limit, paging->cursor),
                                       refundJson);
               });
    router.add("GET", QStringLiteral("/api/v1/refund-requests/{id}"), Access::Customer,
               [&shop](Request &req) {
                   return one(shop.refunds().getForCustomer(req.user().userId,
                                                            req.param(QStringLiteral("id"))),
                              refundJson);
               });
    router.add(
            "POST", QStringLiteral("/api/v1/refund-requests/{id}/images"), Access::Customer,
            [&shop](Request &req) {
                const QString id = req.param(QStringLiteral("id"));
                if (auto own = shop.refunds().getForCustomer(req.user().userId, id); !own)
                    return Response::fromError(own.error());
                auto file = imageUpload(req);
                if (!file)
                    return Response::fromError(file.error());
                return imageCreated(shop.refunds().addImage(req.user().userId, id, file->bytes,
                                                            file->declaredType));
            },
            kImageBodyLimit);

    router.add("GET", QStringLiteral("/api/v1/seller/refund-requests"), Access::Seller,
               [&shop](Request &req) {
                   auto paging = pageParams(req);
                   if (!paging)
                       return Response::fromError(paging.error());
                   auto status = statusParam(req, &Refunds::isStatus);
                   if (!status)
                       return Response::fromError(status.error());
                   return pageResponse(shop.refunds().listForSeller(req.user().userId,
                                                                    status.value(), paging->limit,
                                                                    paging->cursor),
                                       refundJson);
               });
    router.add("GET", QStringLiteral("/api/v1/seller/refund-requests/{id}"), Access::Seller,
               [&shop](Request &req) {
                   return one(shop.refunds().getForSeller(req.user().userId,
                                                          req.param(QStringLiteral("id"))),
                              refundJson);
               });
    for (const bool approve : {true, false}) {
        router.add(
                "POST",
                approve ? QStringLiteral("/api/v1/seller/refund-requests/{id}/approve")
                        : QStringLiteral("/api/v1/seller/refund-requests/{id}/reject"),
                Access::Seller, [&shop, approve](Request &req) {
                    const QString id = req.param(QStringLiteral("id"));
                    const QString seller = req.user().userId;
                    if (auto own = shop.refunds().getForSeller(seller, id); !own)
                        return Response::fromError(own.error());
                    auto body = optionalJsonBody(req);
                    if (!body)
                        return Response::fromError(body.error());
                    FieldReader f(body.value());
                    const auto note = f.string(QStringLiteral("note"), Need::Optional, 0, kMaxNote);
                    const auto restock
                            = approve ? f.boolean(QStringLiteral("restock"), Need::Optional)
                                      : std::optional<bool>();
                    if (!f.ok())
                        return Response::fromError(f.error());
                    auto r = approve ? shop.refunds().approve(seller, id, note.value_or(QString()),
                                                              restock.value_or(false))
                                     : shop.refunds().reject(seller, id, note.value_or(QString()));
                    return one(r, refundJson);
                });
    }
    router.add("POST", QStringLiteral("/api/v1/seller/refund-requests/{id}/retry"), Access::Seller,
               [&shop](Request &req) {
                   return one(shop.refunds().retryRefund(req.user().userId,
                                                         req.param(QStringLiteral("id"))),
                              refundJson);
               });
}

void registerComplaintRoutes(Router &router, Shop &shop)
{
    router.add(
            "POST", QStringLiteral("/api/v1/complaints"), Access::Customer, [&shop](Request &req) {
                auto body = jsonObjectBody(req);
                if (!body)
                    return Response::fromError(body.error());
                FieldReader f(body.value());
                const auto order = f.string(QStringLiteral("orderId"), Need::Required, 1, 200);
                const auto item = f.string(QStringLiteral("orderItemId"), Need::Optional, 1, 200);
                const auto subject = f.string(QStringLiteral("subject"), Need::Required, 1, 200);
                const auto message
                        = f.string(QStringLiteral("message"), Need::Required, 1, kMaxMessage);
                if (!f.ok())
                    return Response::fromError(f.error());
                auto c = shop.complaints().open(req.user().userId, *order, item.value_or(QString()),
                                                *subject, *message);
                if (!c)
                    return Response::fromError(c.error());
                return Response::created(QStringLiteral("/api/v1/complaints/") + c->id,
                                         complaintJson(c.value()));
            });
    router.add("GET", QStringLiteral("/api/v1/complaints"), Access::Customer,
               [&shop](Request &req) {
                   auto paging = pageParams(req);
                   if (!paging)
                       return Response::fromError(paging.error());
                   return pageResponse(shop.complaints().listForCustomer(
                                               req.user().userId, paging->limit, paging->cursor),
                                       complaintJson);
               });
    router.add("GET", QStringLiteral("/api/v1/complaints/{id}"), Access::Customer,
               [&shop](Request &req) {
                   return one(shop.complaints().getForCustomer(req.user().userId,
                                                               req.param(QStringLiteral("id"))),
                              complaintJson);
               });
    router.add(
            "POST", QStringLiteral("/api/v1/complaints/{id}/images"), Access::Customer,
            [&shop](Request &req) {
                const QString id = req.param(QStringLiteral("id"));
                if (auto own = shop.complaints().getForCustomer(req.user().userId, id); !own)
                    return Response::fromError(own.error());
                auto file = imageUpload(req);
                if (!file)
                    return Response::fromError(file.error());
                return imageCreated(shop.complaints().addImage(req.user().userId, id, file->bytes,
                                                               file->declaredType));
            },
            kImageBodyLimit);

    router.add("POST", QStringLiteral("/api/v1/complaints/{id}/reply"), Access::Customer,
               [&shop](Request &req) {
                   const QString id = req.param(QStringLiteral("id"));
                   if (auto own = shop.complaints().getForCustomer(req.user().userId, id); !own)
                       return Response::fromError(own.error());
                   auto body = jsonObjectBody(req);
                   if (!body)
                       return Response::fromError(body.error());
                   FieldReader f(body.value());
                   const auto message
                           = f.string(QStringLiteral("message"), Need::Required, 1, kMaxMessage);
                   if (!f.ok())
                       return Response::fromError(f.error());
                   return one(
                           ComplaintThreads::customerMessage(shop, req.user().userId, id, *message),
                           complaintJson);
               });
    router.add("GET", QStringLiteral("/api/v1/seller/complaints"), Access::Seller,
               [&shop](Request &req) {
                   auto paging = pageParams(req);
                   if (!paging)
                       return Response::fromError(paging.error());
                   auto status = statusParam(req, &Complaints::isStatus);
                   if (!status)
                       return Response::fromError(status.error());
                   return pageResponse(
                           shop.complaints().listForSeller(req.user().userId, status.value(),
                                                           paging->limit, paging->cursor),
                           complaintJson);
               });
    router.add("GET", QStringLiteral("/api/v1/seller/complaints/{id}"), Access::Seller,
               [&shop](Request &req) {
                   return one(shop.complaints().getForSeller(req.user().userId,
                                                             req.param(QStringLiteral("id"))),
                              complaintJson);
               });
    for (const bool resolve : {false, true}) {
        router.add("POST",
                   resolve ? QStringLiteral("/api/v1/seller/complaints/{id}/resolve")
                           : QStringLiteral("/api/v1/seller/complaints/{id}/reply"),
                   Access::Seller, [&shop, resolve](Request &req) {
                       const QString id = req.param(QStringLiteral("id"));
                       const QString seller = req.user().userId;
                       if (auto own = shop.complaints().getForSeller(seller, id); !own)
                           return Response::fromError(own.error());
                       auto body = resolve ? optionalJsonBody(req) : jsonObjectBody(req);
                       if (!body)
                           return Response::fromError(body.error());
                       FieldReader f(body.value());
                       const auto message = f.string(QStringLiteral("message"),
                                                     resolve ? Need::Optional : Need::Required,
                                                     resolve ? 0 : 1, kMaxMessage);
                       if (!f.ok())
                           return Response::fromError(f.error());
                       auto c = resolve ? shop.complaints().resolve(seller, id,
                                                                    message.value_or(QString()))
                                        : shop.complaints().reply(seller, id, *message);
                       return one(c, complaintJson);
                   });
    }
}

} // namespace

void registerAftersalesRoutes(Router &router, Shop &shop)
{
    registerRefundRoutes(router, shop);
    registerComplaintRoutes(router, shop);
}

} // namespace Mercato

#include "notificationroutes.h"

#include "jsonbody.h"

#include "model/clock.h"
#include "model/shop.h"

namespace Mercato {

using namespace Http;

namespace {

QJsonObject notificationJson(const NotificationItem &n)
{
    return QJsonObject{{QStringLiteral("id"), n.id},
                       {QStringLiteral("kind"), n.kind},
                       {QStringLiteral("title"), n.title},
                       {QStringLiteral("body"), n.body},
                       {QStringLiteral("data"), n.data},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(n.createdAt)},
                       {QStringLiteral("readAt"), n.readAt ? QJsonValue(Clock::toRfc3339(*n.readAt))
                                                           : QJsonValue(QJsonValue::Null)}};
}

Response listNotifications(Shop &shop, const Request &request)
{
    auto page = pageParams(request);
    if (!page)
        return Response::fromError(page.error());
    auto unread = boolParam(request, QStringLiteral("unread"));
    if (!unread)
        return Response::fromError(unread.error());
    auto result = shop.notifications().list(request.user().userId, unread->value_or(false),
                                            page->limit, page->cursor);
    if (!result)
        return Response::fromError(result.error());
    QJsonArray items;
    for (const NotificationItem &n : result->items)
        items.append(notificationJson(n));
    return Response::json(
            200, QJsonObject{{QStringLiteral("items"), items},
                             {QStringLiteral("nextCursor"),
                              result->nextCursor.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                           : QJsonValue(result->nextCursor)},
                             {QStringLiteral("unreadCount"), result->unreadCount}});
}

} // namespace

void registerNotificationRoutes(Router &router, Shop &shop)
{
    Shop *s = &shop;
    router.add("GET", QStringLiteral("/api/v1/notifications"), Access::SignedIn,
               [s](Request &r) { return listNotifications(*s, r); });
    router.add("POST", QStringLiteral("/api/v1/notifications/read-all"), Access::SignedIn,
               [s](Request &r) {
                   auto st = s->notifications().markAllRead(r.user().userId);
                   return st ? Response::noContent(204) : Response::fromError(st.error());
               });
    router.add("POST", QStringLiteral("/api/v1/notifications/{id}/read"), Access::SignedIn,
               [s](Request &r) {
                   auto st = s->notifications().markRead(r.user().userId,
                                                         r.param(QStringLiteral("id")));
                   return st ? Response::noContent(204) : Response::fromError(st.error());
               });
}

} // namespace Mercato

#include "accountsroutes.h"

#include "jsonbody.h"
#include "ratelimiter.h"

#include "model/clock.h"
#include "model/sellermail.h"
#include "model/shop.h"
#include "model/storeowner.h"

#include <functional>

namespace Mercato {

using namespace Http;

namespace {

constexpr int kMaxEmailChars = 320;
constexpr int kMaxPasswordChars = 100000; // the byte limit is the model's rule
constexpr int kMaxNameChars = 10000;      // the 1..80 rule is the model's
// POST /me/password and PATCH /me with a password share their counters: one check is one try.
const QString kPasswordCheckScope = QStringLiteral("password-check");

QJsonObject userJson(const Account &a)
{
    return QJsonObject{{QStringLiteral("id"), a.id},
                       {QStringLiteral("email"), a.email},
                       {QStringLiteral("emailVerified"), a.emailVerified},
                       {QStringLiteral("displayName"), a.displayName},
                       {QStringLiteral("role"), a.role},
                       {QStringLiteral("status"), a.status},
                       {QStringLiteral("avatarUrl"), a.avatarUrl.isEmpty()
                                                             ? QJsonValue(QJsonValue::Null)
                                                             : QJsonValue(a.avatarUrl)},
                       {QStringLiteral("coins"), a.coins},
                       {QStringLiteral("createdAt"), Clock::toRfc3339(a.createdAt)}};
}

QJsonObject sessionJson(const Session &s, bool withReward)
{
    QJsonObject o{{QStringLiteral("user"), userJson(s.user)},
                  {QStringLiteral("accessToken"), s.accessToken},
                  {QStringLiteral("refreshToken"), s.refreshToken},
                  {QStringLiteral("tokenType"), QStringLiteral("Bearer")},
                  {QStringLiteral("expiresIn"), s.expiresIn}};
    if (withReward) {
        o.insert(QStringLiteral("dailyReward"),
                 s.dailyReward ? QJsonValue(
                         QJsonObject{{QStringLiteral("granted"), s.dailyReward->granted},
                                     {QStringLiteral("balance"), s.dailyReward->balance}})
                               : QJsonValue(QJsonValue::Null));
    }
    return o;
}

// With seller approval on, a store without an owner takes no seller from the API: the first
// seller would become the owner. Refused before anything else of the body is looked at.
std::optional<Response> sellerRegistrationClosed(Shop &shop, const Request &request)
{
    if (!shop.settings().sellerApproval)
        return std::nullopt;
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    if (body.value(QStringLiteral("role")).toString() != QLatin1String("seller"))
        return std::nullopt;
    auto owner = StoreOwner::ownerId(shop.database().connection());
    if (!owner)
        return Response::fromError(owner.error());
    if (!owner->isEmpty())
        return std::nullopt;
    return Response::fromError(makeError(
            ErrorCode::Forbidden,
            QStringLiteral("this store has no owner yet: create the owner first (the console's "
                           "first run, or `mercato-server user create --email E --owner`)")));
}

// `owner` of a seller's profile; undefined for a customer.
QJsonValue ownerField(Shop &shop, const Account &a)
{
    if (a.role != QLatin1String("seller"))
        return QJsonValue(QJsonValue::Undefined);
    auto owner = StoreOwner::isOwner(shop.database().connection(), a.id);
    return owner && owner.value();
}

// The profile of GET and PATCH /me: a seller's also says whether it owns the store and which
// mails it asked for.
Result<QJsonObject> profileJson(Shop &shop, const Account &a)
{
    QJsonObject me = userJson(a);
    if (auto owner = ownerField(shop, a); !owner.isUndefined())
        me.insert(QStringLiteral("owner"), owner);
    if (a.role == QLatin1String("seller")) {
        auto mail = SellerMail::choices(shop.database().connection(), a.id);
        if (!mail)
            return mail.error();
        me.insert(QStringLiteral("mailOnSale"), mail->onSale);
        me.insert(QStringLiteral("mailOnLowStock"), mail->onLowStock);
    }
    return me;
}

Response noStore(Response r)
{
    r.setHeader("Cache-Control", "no-store");
    return r;
}

// Browsers (the storefront) may keep the refresh token in an HttpOnly cookie scoped to
// /api/v1/auth instead of in the body: they ask with `Refresh-Token-Transport: cookie`, or
// send the cookie to /auth/refresh or /auth/logout without a token in the body. Other
// clients see no change.
const QByteArray kRefreshCookie = "mercato_refresh";
constexpr qint64 kRefreshCookieMaxAgeSeconds = Accounts::kRefreshLifetimeMs / 1000;

QString refreshCookie(const Request &request)
{
    for (const QByteArray &part : request.header("cookie").split(';')) {
        const QByteArray p = part.trimmed();
        if (p.startsWith(QByteArray(kRefreshCookie + '=')))
            return QString::fromLatin1(p.mid(kRefreshCookie.size() + 1));
    }
    return {};
}

bool wantsCookie(const Request &request)
{
    return request.header("refresh-token-transport").trimmed().toLower() == "cookie";
}

Response withRefreshCookie(Response r, const QString &token)
{
    const bool clear = token.isEmpty();
    r.setHeader("Set-Cookie",
                kRefreshCookie + '=' + token.toLatin1()
                        + "; Path=/api/v1/auth; HttpOnly; Secure; SameSite=Strict; Max-Age="
                        + QByteArray::number(clear ? 0 : kRefreshCookieMaxAgeSeconds));
    return r;
}

// Reads the request's JSON object with `read`; the body's error or the fields' errors, if any.
Status readFields(const Request &request, const std::function<void(FieldReader &)> &read)
{
    auto body = jsonObjectBody(request);
    if (!body)
        return body.error();
    FieldReader in(body.value());
    read(in);
    if (!in.ok())
        return in.error();
    return Ok{};
}

// The refresh token of /auth/refresh and /auth/logout: the body's `refreshToken`, or the
// cookie when the body has none.
struct RefreshTokenBody
{
    QString token;
    bool viaCookie = false;
};

Result<RefreshTokenBody> refreshTokenBody(const Request &request)
{
    auto body = jsonObjectBody(request);
    if (!body)
        return body.error();
    const QString cookie = refreshCookie(request);
    if (!body->contains(QStringLiteral("refreshToken")) && !cookie.isEmpty())
        return RefreshTokenBody{cookie, true};
    FieldReader in(body.value());
    const auto token = in.string(QStringLiteral("refreshToken"), Need::Required, 1, 1000, false);
    if (!in.ok())
        return in.error();
    return RefreshTokenBody{*token, false};
}

// The session answer, with the refresh token in the body or, for cookie clients, in the cookie.
Response sessionResponse(Response r, const Session &s, bool cookie)
{
    if (!cookie)
        return noStore(r);
    QJsonObject o = QJsonDocument::fromJson(r.body).object();
    o.remove(QStringLiteral("refreshToken"));
    r.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    return noStore(withRefreshCookie(r, s.refreshToken));
}

} // namespace

void registerAccountsRoutes(Router &router, Shop &shop, std::shared_ptr<AuthRateLimiter> limiter,
                            std::shared_ptr<PasswordCheckGate> checks)
{
    Accounts &accounts = shop.accounts();

    router.add("POST", QStringLiteral("/api/v1/auth/register"), Access::Public,
               [&shop, &accounts, limiter, checks](Request &request) {
                   if (auto limited = limiter->check(request))
                       return *limited;
                   if (auto closed = sellerRegistrationClosed(shop, request))
                       return *closed;
                   std::optional<QString> email, password, name, role;
                   if (auto s = readFields(
                               request,
                               [&](FieldReader &in) {
                                   email = in.string(QStringLiteral("email"), Need::Required, 0,
                                                     kMaxEmailChars, false);
                                   password = in.string(QStringLiteral("password"), Need::Required,
                                                        0, kMaxPasswordChars, false);
                                   name = in.string(QStringLiteral("displayName"), Need::Required,
                                                    0, kMaxNameChars, false);
                                   role = in.string(QStringLiteral("role"), Need::Required, 0, 100);
                               });
                       !s)
                       return Response::fromError(s.error());
                   PasswordCheckGate::Place place(checks.get(), PasswordCheckGate::Wait::Queue);
                   if (!place)
                       return PasswordCheckGate::busy();
                   auto session = accounts.registerAccount({*email, *password, *name, *role, true});
                   if (!session)
                       return Response::fromError(session.error());
                   if (!session->user.emailVerified)
                       shop.mail().wake(); // the link to confirm the address
                   return sessionResponse(Response::created(QStringLiteral("/api/v1/me"),
                                                            sessionJson(session.value(), true)),
                                          session.value(), wantsCookie(request));
               });

    router.add("POST", QStringLiteral("/api/v1/auth/login"), Access::Public,
               [&accounts, limiter, checks](Request &request) {
                   if (auto limited = limiter->check(request))
                       return *limited;
                   std::optional<QString> email, password;
                   if (auto s = readFields(request,
                                           [&](FieldReader &in) {
                                               email = in.string(QStringLiteral("email"),
                                                                 Need::Required, 0, kMaxEmailChars,
                                                                 false);
                                               password = in.string(QStringLiteral("password"),
                                                                    Need::Required, 0,
                                                                    kMaxPasswordChars, false);
                                           });
                       !s)
                       return Response::fromError(s.error());
                   // Failures of this account from every address together slow it down.
                   if (auto delayed = limiter->accountDelay(*email))
                       return *delayed;
                   PasswordCheckGate::Place place(checks.get(), PasswordCheckGate::Wait::Queue);
                   if (!place)
                       return PasswordCheckGate::busy();
                   auto session = accounts.login(*email, *password);
                   if (!session) {
                       if (session.error().code == ErrorCode::Unauthenticated)
                           limiter->recordFailure(*email);
                       return Response::fromError(session.error());
                   }
                   return sessionResponse(Response::json(200, sessionJson(session.value(), true)),
                                          session.value(), wantsCookie(request));
               });

    // Sign-ins wait for a password check on the gate's threads, never on a worker.
    if (checks->capacity() > 0) {
        router.runOnPasswordChecks("POST", QStringLiteral("/api/v1/auth/register"), checks);
        router.runOnPasswordChecks("POST", QStringLiteral("/api/v1/auth/login"), checks);
    }

    router.add("POST", QStringLiteral("/api/v1/auth/refresh"), Access::Public,
               [&accounts](Request &request) {
                   const auto in = refreshTokenBody(request);
                   if (!in)
                       return Response::fromError(in.error());
                   const bool viaCookie = in->viaCookie;
                   auto session = accounts.refresh(in->token);
                   if (!session) {
                       Response r = Response::fromError(session.error());
                       return viaCookie ? withRefreshCookie(r, {}) : r;
                   }
                   return sessionResponse(Response::json(200, sessionJson(session.value(), false)),
                                          session.value(), viaCookie || wantsCookie(request));
               });

    router.add("POST", QStringLiteral("/api/v1/auth/logout"), Access::SignedIn,
               [&accounts](Request &request) {
                   const auto in = refreshTokenBody(request);
                   if (!in)
                       return Response::fromError(in.error());
                   const bool viaCookie = in->viaCookie;
                   if (auto s = accounts.logout(request.user().userId, in->token); !s)
                       return Response::fromError(s.error());
                   return viaCookie ? withRefreshCookie(Response::noContent(), {})
                                    : Response::noContent();
               });

    router.add("GET", QStringLiteral("/api/v1/me"), Access::SignedIn,
               [&shop, &accounts](Request &request) {
                   auto account = accounts.account(request.user().userId);
                   if (!account)
                       return Response::fromError(account.error());
                   auto me = profileJson(shop, account.value());
                   if (!me)
                       return Response::fromError(me.error());
                   return noStore(Response::json(200, me.value()));
               });

    router.add("PATCH", QStringLiteral("/api/v1/me"), Access::SignedIn,
               [&shop, &accounts, limiter, checks](Request &request) {
                   // Only these fields are read: role, coins, id or anything else in the body
                   // change nothing.
                   ProfileChange change;
                   if (auto s = readFields(
                               request,
                               [&](FieldReader &in) {
                                   change.displayName
                                           = in.string(QStringLiteral("displayName"),
                                                       Need::Optional, 0, kMaxNameChars, false);
                                   change.email = in.string(QStringLiteral("email"), Need::Optional,
                                                            0, kMaxEmailChars, false);
                                   change.currentPassword
                                           = in.string(QStringLiteral("currentPassword"),
                                                       Need::Optional, 0, kMaxPasswordChars, false);
                                   change.mailOnSale = in.boolean(QStringLiteral("mailOnSale"),
                                                                  Need::Optional);
                                   change.mailOnLowStock = in.boolean(
                                           QStringLiteral("mailOnLowStock"), Need::Optional);
                               });
                       !s)
                       return Response::fromError(s.error());
                   std::optional<PasswordCheckGate::Place> place;
                   if (change.currentPassword && !change.currentPassword->isEmpty()) {
                       if (auto limited = limiter->checkScope(request, kPasswordCheckScope,
                                                              request.user().userId))
                           return *limited;
                       place.emplace(checks.get());
                       if (!*place)
                           return PasswordCheckGate::busy();
                   }
                   auto account = accounts.updateProfile(request.user().userId, change);
                   if (!account)
                       return Response::fromError(account.error());
                   if (change.email)
                       shop.mail().wake(); // the link to the new address, if one was made
                   auto me = profileJson(shop, account.value());
                   if (!me)
                       return Response::fromError(me.error());
                   return noStore(Response::json(200, me.value()));
               });

    router.add("POST", QStringLiteral("/api/v1/me/password"), Access::SignedIn,
               [&accounts, limiter, checks](Request &request) {
                   std::optional<QString> current, next;
                   if (auto s = readFields(
                               request,
                               [&](FieldReader &in) {
                                   current = in.string(QStringLiteral("currentPassword"),
                                                       Need::Required, 0, kMaxPasswordChars, false);
                                   next = in.string(QStringLiteral("newPassword"), Need::Required,
                                                    0, kMaxPasswordChars, false);
                               });
                       !s)
                       return Response::fromError(s.error());
                   if (auto limited
                       = limiter->checkScope(request, kPasswordCheckScope, request.user().userId))
                       return *limited;
                   PasswordCheckGate::Place place(checks.get());
                   if (!place)
                       return PasswordCheckGate::busy();
                   if (auto s = accounts.changePassword(request.user().userId, *current, *next); !s)
                       return Response::fromError(s.error());
                   return Response::noContent();
               });

    router.add("GET", QStringLiteral("/api/v1/me/coins"), Access::SignedIn,
               [&accounts](Request &request) {
                   auto page = pageParams(request);
                   if (!page)
                       return Response::fromError(page.error());
                   auto coins = accounts.coins(request.user().userId, page->limit, page->cursor);
                   if (!coins)
                       return Response::fromError(coins.error());
                   QJsonArray entries;
                   for (const CoinEntry &e : coins->entries)
                       entries.append(QJsonObject{
                               {QStringLiteral("delta"), e.delta},
                               {QStringLiteral("reason"), e.reason},
                               {QStringLiteral("orderId"), e.orderId.isEmpty()
                                                                   ? QJsonValue(QJsonValue::Null)
                                                                   : QJsonValue(e.orderId)},
                               {QStringLiteral("createdAt"), Clock::toRfc3339(e.createdAt)}});
                   return Response::json(200,
                                         QJsonObject{{QStringLiteral("balance"), coins->balance},
                                                     {QStringLiteral("entries"), entries},
                                                     {QStringLiteral("nextCursor"),
                                                      coins->nextCursor.isEmpty()
                                                              ? QJsonValue(QJsonValue::Null)
                                                              : QJsonValue(coins->nextCursor)}});
               });
}

} // namespace Mercato
